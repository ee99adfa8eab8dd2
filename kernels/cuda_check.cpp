#include "cuda_check.h"

#include <cstdlib>
#include <stdexcept>
#include <string>

namespace ss::cuda {

void throw_cuda_error(const char* what, const char* detail, const char* file, int line) {
  throw std::runtime_error(std::string("CUDA: ") + what + " failed: " + detail + " (" + file + ":" + std::to_string(line) + ")");
}

void check_launch(const char* kernel, const char* file, int line) {
  check(cudaGetLastError(), kernel, file, line);
  static const bool sync = [] {
    const char* v = std::getenv("STATESCOPE_CUDA_SYNC");
    return v && *v && *v != '0';
  }();
  if (sync) check(cudaDeviceSynchronize(), kernel, file, line);
}

}  // namespace ss::cuda
