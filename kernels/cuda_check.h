// Error checking for the CUDA backend: every runtime and cuBLAS call's status is checked, and every
// kernel launch is followed by SS_LAUNCHED. A failure throws ss::DeviceError (backend.h) naming the
// call, the source line and CUDA's own message, flagged out_of_memory for cudaErrorMemoryAllocation;
// the CLI and the explorer then rerun on the CPU (docs/robustness.md, "GPU faults").
// With STATESCOPE_CUDA_SYNC=1 in the environment each launch is also synchronised, so an error inside
// a kernel is reported at the launch that caused it. Fault injection for the tests:
// STATESCOPE_CUDA_FAULT=launch:N makes the N-th kernel launch (1-based, per process) fail as
// cudaErrorLaunchFailure would; a test can also arm it from inside (fail_launch_after).
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace ss::cuda {

[[noreturn]] void throw_cuda_error(const char* what, const char* detail, const char* file, int line, bool out_of_memory);

inline void check(cudaError_t e, const char* what, const char* file, int line) {
  if (e != cudaSuccess) throw_cuda_error(what, cudaGetErrorString(e), file, line, e == cudaErrorMemoryAllocation);
}

void check_launch(const char* kernel, const char* file, int line);
// Test hook: the n-th kernel launch from now (in any thread) fails as STATESCOPE_CUDA_FAULT's does; 0 disarms.
void fail_launch_after(long n);

// Blocks for a grid-stride loop over n items: enough to fill any current GPU, never more than needed.
inline unsigned grid_for(int64_t n, int threads) {
  const int64_t b = (n + threads - 1) / threads;
  return static_cast<unsigned>(b < 1 ? 1 : (b > 65536 ? 65536 : b));
}

}  // namespace ss::cuda

#define SS_CUDA(call) ::ss::cuda::check((call), #call, __FILE__, __LINE__)
#define SS_LAUNCHED(kernel) ::ss::cuda::check_launch(kernel, __FILE__, __LINE__)
