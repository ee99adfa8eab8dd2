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

std::atomic<long> g_launches{0};   // kernel launches so far, per process
std::atomic<long> g_fault_at{-1};  // the launch to fail (0: none; -1: not read from the environment yet)

// STATESCOPE_CUDA_FAULT=launch:N: the N-th launch fails; fail_launch_after() moves it.
long fault_at() {
  long n = g_fault_at.load();
  if (n >= 0) return n;
  const char* v = std::getenv("STATESCOPE_CUDA_FAULT");
  const std::string s = v ? v : "";
  long expected = -1;
  g_fault_at.compare_exchange_strong(expected, s.rfind("launch:", 0) == 0 ? std::atol(s.c_str() + 7) : 0L);
  return g_fault_at.load();
}

}  // namespace

void fail_launch_after(long n) {
  fault_at();  // the environment read first, so it cannot overwrite this later
  g_fault_at = n > 0 ? g_launches.load() + n : 0;
}

void check_launch(const char* kernel, const char* file, int line) {
  check(cudaGetLastError(), kernel, file, line);
  if (const long at = fault_at(), k = ++g_launches; at > 0 && k == at)
    throw_cuda_error(kernel, "unspecified launch failure (injected by STATESCOPE_CUDA_FAULT)", file, line, false);
  static const bool sync = [] {
    const char* v = std::getenv("STATESCOPE_CUDA_SYNC");
    return v && *v && *v != '0';
  }();
  if (sync) check(cudaDeviceSynchronize(), kernel, file, line);
}

}  // namespace ss::cuda
