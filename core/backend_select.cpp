// make_backend: picks the CUDA backend when it was built and a GPU is usable, else the CPU one.
#include "backend.h"
#include "error.h"

#ifdef STATESCOPE_WITH_CUDA
#include "cuda_backend.h"
#endif

namespace ss {

std::unique_ptr<Backend> make_backend(const std::string& device) {
  if (device == "cpu") return make_cpu_backend();
  if (device != "cuda" && device != "auto") throw Error("", "--device", "must be cpu, cuda or auto (got '" + device + "')");
#ifdef STATESCOPE_WITH_CUDA
  std::string why;
  if (auto be = make_cuda_backend(&why)) return be;
  if (device == "cuda") throw Error("", "--device", "cuda requested but no GPU can be used: " + why);
#else
  if (device == "cuda") throw Error("", "--device", "cuda requested but this build has no CUDA backend (nvcc was not found at configure time)");
#endif
  return make_cpu_backend();
}

}  // namespace ss
