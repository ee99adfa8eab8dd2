// Elementwise kernels: one grid-stride kernel template, one functor per op. The formulas are the CPU
// reference's (cpu_backend.cpp), with the full-precision expf/log1pf (the build never uses fast math).
#include "cuda_check.h"
#include "elementwise.h"

namespace ss::cuda {

namespace {

__device__ __forceinline__ float silu_f(float v) { return v / (1.0f + expf(-v)); }

template <class F>
__global__ void map_kernel(int64_t n, F f) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) f(i);
}

template <class F>
void launch(int64_t n, F f, cudaStream_t s, const char* name) {
  if (n <= 0) return;
  map_kernel<<<grid_for(n, 256), 256, 0, s>>>(n, f);
  SS_LAUNCHED(name);
}

}  // namespace

void add(const float* a, const float* b, float* y, int64_t n, cudaStream_t s) {
  launch(n, [=] __device__(int64_t i) { y[i] = a[i] + b[i]; }, s, "add");
}

void mul(const float* a, const float* b, float* y, int64_t n, cudaStream_t s) {
  launch(n, [=] __device__(int64_t i) { y[i] = a[i] * b[i]; }, s, "mul");
}

void silu(const float* x, float* y, int64_t n, cudaStream_t s) {
  launch(n, [=] __device__(int64_t i) { y[i] = silu_f(x[i]); }, s, "silu");
}

void silu_mul(const float* g, const float* u, float* y, int64_t n, cudaStream_t s) {
  launch(n, [=] __device__(int64_t i) { y[i] = silu_f(g[i]) * u[i]; }, s, "silu_mul");
}

void gelu_mul(const float* g, const float* u, float* y, int64_t n, cudaStream_t s) {
  launch(n, [=] __device__(int64_t i) { y[i] = 0.5f * g[i] * (1.0f + erff(g[i] * 0.70710678118654752f)) * u[i]; }, s, "gelu_mul");
}

void softplus(const float* x, const float* bias, float* y, int64_t n, int64_t cols, cudaStream_t s) {
  // softplus(v) = max(v, 0) + log1p(exp(-|v|)): no overflow for any v.
  launch(n, [=] __device__(int64_t i) {
    const float v = x[i] + (bias ? bias[i % cols] : 0.0f);
    y[i] = fmaxf(v, 0.0f) + log1pf(expf(-fabsf(v)));
  }, s, "softplus");
}

void clamp(const float* x, float* y, int64_t n, float lo, float hi, cudaStream_t s) {
  launch(n, [=] __device__(int64_t i) { y[i] = fminf(fmaxf(x[i], lo), hi); }, s, "clamp");
}

void add_row_bias(float* y, const float* bias, int64_t rows, int64_t cols, cudaStream_t s) {
  launch(rows * cols, [=] __device__(int64_t i) { y[i] += bias[i % cols]; }, s, "add_row_bias");
}

}  // namespace ss::cuda
