// RoPE (one thread per token and rotated pair, over all heads) and the KV-cache write (one thread per element).
#include "cuda_check.h"
#include "rope.h"

namespace ss::cuda {

namespace {

// One thread per (token, pair): the angle's cos/sin in double once, then every head.
__global__ void rope_kernel(float* __restrict__ x, double theta, int64_t T, int64_t H, int64_t hd, int64_t r, int64_t pos0) {
  const int64_t half = r / 2, n = T * half;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t k = i % half, t = i / half;
    const double angle = static_cast<double>(pos0 + t) * pow(theta, -2.0 * static_cast<double>(k) / static_cast<double>(r));
    double sd, cd;
    sincos(angle, &sd, &cd);
    const float sn = static_cast<float>(sd), cs = static_cast<float>(cd);
    for (int64_t h = 0; h < H; ++h) {
      float* v = x + (t * H + h) * hd;  // dims r..hd-1 pass through
      const float a = v[k], b = v[k + half];
      v[k] = a * cs - b * sn;
      v[k + half] = b * cs + a * sn;
    }
  }
}

__global__ void kv_write_kernel(float* __restrict__ cache, const float* __restrict__ src, int64_t T, int64_t Hkv, int64_t hd,
                                int64_t capacity, int64_t at) {
  const int64_t n = T * Hkv * hd;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t e = i % hd, h = (i / hd) % Hkv, t = i / (hd * Hkv);
    cache[(h * capacity + at + t) * hd + e] = src[i];
  }
}

}  // namespace

void rope(float* x, float theta, int64_t T, int64_t H, int64_t hd, int64_t rotary_dim, int64_t pos0, cudaStream_t s) {
  const int64_t n = T * (rotary_dim / 2);
  if (n <= 0 || H <= 0) return;
  rope_kernel<<<grid_for(n, 128), 128, 0, s>>>(x, theta, T, H, hd, rotary_dim, pos0);
  SS_LAUNCHED("rope");
}

void kv_write(float* cache, const float* src, int64_t T, int64_t Hkv, int64_t hd, int64_t capacity, int64_t at, cudaStream_t s) {
  const int64_t n = T * Hkv * hd;
  if (n <= 0) return;
  kv_write_kernel<<<grid_for(n, 256), 256, 0, s>>>(cache, src, T, Hkv, hd, capacity, at);
  SS_LAUNCHED("kv_write");
}

}  // namespace ss::cuda
