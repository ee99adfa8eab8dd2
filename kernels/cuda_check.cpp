#include "cuda_check.h"

#include <atomic>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "backend.h"

namespace ss::cuda {

void throw_cuda_error(const char* what, const char* detail, const char* file, int line, bool out_of_memory) {
  throw DeviceError(std::string("CUDA: ") + what + " failed: " + detail + " (" + file + ":" + std::to_string(line) + ")", out_of_memory);
}

namespace {

// STATESCOPE_CUDA_FAULT=launch:N: the launch to fail (0: none).
long injected_launch_fault() {
  static const long n = [] {
    const char* v = std::getenv("STATESCOPE_CUDA_FAULT");
    const std::string s = v ? v : "";
    return s.rfind("launch:", 0) == 0 ? std::atol(s.c_str() + 7) : 0L;
  }();
  return n;
}

std::atomic<long> g_launches{0};

}  // namespace

void check_launch(const char* kernel, const char* file, int line) {
  check(cudaGetLastError(), kernel, file, line);
  if (const long n = injected_launch_fault(); n > 0 && ++g_launches == n)
    throw_cuda_error(kernel, "unspecified launch failure (injected by STATESCOPE_CUDA_FAULT)", file, line, false);
  static const bool sync = [] {
    const char* v = std::getenv("STATESCOPE_CUDA_SYNC");
    return v && *v && *v != '0';
  }();
  if (sync) check(cudaDeviceSynchronize(), kernel, file, line);
}

}  // namespace ss::cuda
