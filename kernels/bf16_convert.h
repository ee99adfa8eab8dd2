// FP32 -> BF16 conversions for the bf16 precision mode (round to nearest even, as PyTorch's .bfloat16()).
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace ss::cuda {

// y[i] = bf16(x[i]); y holds n __nv_bfloat16 (2 bytes each).
void to_bf16(const float* x, void* y, int64_t n, cudaStream_t s);
// y[i] = float(bf16(x[i])): the bf16 value kept in FP32 storage (the matmul path of GPUs without BF16
// tensor cores, and the reference inputs of the tests). y may equal x.
void round_to_bf16(const float* x, float* y, int64_t n, cudaStream_t s);

}  // namespace ss::cuda
