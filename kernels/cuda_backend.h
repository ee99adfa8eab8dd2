// The CUDA backend: every ss::Backend op on an NVIDIA GPU, FP32 or BF16 (Precision), tested op by op
// against the CPU reference (tests/gpu/tst_cuda_ops.cpp, tst_cuda_bf16.cpp).
#pragma once

#include <memory>
#include <string>

#include "backend.h"

namespace ss {

// The backend on the current CUDA device, or nullptr with the reason in *why_not (no driver, no
// device, or a device this build has no code for).
std::unique_ptr<Backend> make_cuda_backend(std::string* why_not, Precision precision = Precision::fp32);

}  // namespace ss
