// Pseudo-random fills on the device (a counter hash per element, reproducible for a seed), for
// benchmarks that need gigabytes of realistic, non-zero inputs without a host round trip.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace ss::cuda {

void fill_uniform(float* y, int64_t n, uint64_t seed, float lo, float hi, cudaStream_t s);
void fill_normal(float* y, int64_t n, uint64_t seed, float mean, float stddev, cudaStream_t s);

}  // namespace ss::cuda
