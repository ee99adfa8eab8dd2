// Device-side random fills: splitmix64 of (seed, index) -> uniform; Box-Muller for normals.

#include "cuda_check.h"
#include "random_fill.h"

namespace ss::cuda {

namespace {

__device__ __forceinline__ uint64_t mix(uint64_t z) {
  z += 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

__device__ __forceinline__ float unit(uint64_t bits) { return ((bits >> 40) + 0.5f) * (1.0f / 16777216.0f); }  // (0, 1)

__global__ void uniform_kernel(float* y, int64_t n, uint64_t seed, float lo, float hi) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    y[i] = lo + (hi - lo) * unit(mix(seed * 0x100000001b3ull + i));
}

__global__ void normal_kernel(float* y, int64_t n, uint64_t seed, float mean, float stddev) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    const uint64_t b = mix(seed * 0x100000001b3ull + i);
    const float u1 = unit(b), u2 = unit(mix(b));
    y[i] = mean + stddev * sqrtf(-2.0f * logf(u1)) * cospif(2.0f * u2);
  }
}

}  // namespace

void fill_uniform(float* y, int64_t n, uint64_t seed, float lo, float hi, cudaStream_t s) {
  if (n <= 0) return;
  uniform_kernel<<<grid_for(n, 256), 256, 0, s>>>(y, n, seed, lo, hi);
  SS_LAUNCHED("fill_uniform");
}

void fill_normal(float* y, int64_t n, uint64_t seed, float mean, float stddev, cudaStream_t s) {
  if (n <= 0) return;
  normal_kernel<<<grid_for(n, 256), 256, 0, s>>>(y, n, seed, mean, stddev);
  SS_LAUNCHED("fill_normal");
}

}  // namespace ss::cuda
