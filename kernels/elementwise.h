// Elementwise kernels over flat float arrays of n elements (row-major tensors of any shape).
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace ss::cuda {

void add(const float* a, const float* b, float* y, int64_t n, cudaStream_t s);        // a + b
void mul(const float* a, const float* b, float* y, int64_t n, cudaStream_t s);        // a * b
void silu(const float* x, float* y, int64_t n, cudaStream_t s);                       // x * sigmoid(x)
void silu_mul(const float* g, const float* u, float* y, int64_t n, cudaStream_t s);   // silu(g) * u
void gelu_mul(const float* g, const float* u, float* y, int64_t n, cudaStream_t s);   // gelu(g) * u (erf)
// softplus(x + bias[i % cols]); bias may be null.
void softplus(const float* x, const float* bias, float* y, int64_t n, int64_t cols, cudaStream_t s);
void clamp(const float* x, float* y, int64_t n, float lo, float hi, cudaStream_t s);
void add_row_bias(float* y, const float* bias, int64_t rows, int64_t cols, cudaStream_t s);  // y[r, c] += bias[c]

}  // namespace ss::cuda
