// make_backend: picks the CUDA backend when it was built and a GPU is usable, else the CPU one.
#include "backend.h"
#include "error.h"

#ifdef STATESCOPE_WITH_CUDA
#include "cuda_backend.h"
#endif

namespace ss {

const char* precision_name(Precision p) { return p == Precision::bf16 ? "bf16" : "fp32"; }

Precision parse_precision(const std::string& text) {
  if (text == "fp32") return Precision::fp32;
  if (text == "bf16") return Precision::bf16;
  throw Error("", "--precision", "must be fp32 or bf16 (got '" + text + "')");
}

bool may_fall_back_to_cpu(const std::string& device, Precision precision) { return device == "auto" && precision == Precision::fp32; }

std::string device_fallback_note(const DeviceError& e, const std::string& while_doing) {
  return std::string(e.out_of_memory() ? "the GPU ran out of memory" : "the GPU failed") + " while " + while_doing + " (" + e.what() +
         "); nothing it computed is used: running on the CPU instead (the reference, slower)";
}

std::unique_ptr<Backend> make_backend(const std::string& device, Precision precision, std::string* cpu_reason) {
  const bool bf16 = precision == Precision::bf16;
  if (device == "cpu") {
    if (bf16) throw Error("", "--precision", "bf16 runs on the CUDA backend only (the CPU backend is the FP32 reference)");
    return make_cpu_backend();
  }
  if (device != "cuda" && device != "auto") throw Error("", "--device", "must be cpu, cuda or auto (got '" + device + "')");
#ifdef STATESCOPE_WITH_CUDA
  std::string why;
  if (auto be = make_cuda_backend(&why, precision)) return be;
  if (device == "cuda") throw Error("", "--device", "cuda requested but no GPU can be used: " + why);
  if (bf16) throw Error("", "--precision", "bf16 runs on the CUDA backend only, and no GPU can be used: " + why);
  if (cpu_reason) *cpu_reason = "no GPU can be used (" + why + ")";
#else
  if (device == "cuda") throw Error("", "--device", "cuda requested but this build has no CUDA backend (nvcc was not found at configure time)");
  if (bf16) throw Error("", "--precision", "bf16 runs on the CUDA backend only, and this build has none (nvcc was not found at configure time)");
#endif
  return make_cpu_backend();
}

}  // namespace ss
