// Row normalisations over a [rows, cols] row-major array: one warp per row (or per group of a row).
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace ss::cuda {

// y[r, :] = x[r, :] / sqrt(mean(x[r, :]^2) + eps) * w
void rms_norm(const float* x, const float* w, float* y, int64_t rows, int64_t cols, float eps, cudaStream_t s);
// g = x * silu(z); each group of `group` columns: y = g / sqrt(mean(g^2) + eps) * w
void rms_norm_gated(const float* x, const float* z, const float* w, float* y, int64_t rows, int64_t cols, int64_t group,
                    float eps, cudaStream_t s);
// y[r] = ||x[r, :]||
void row_norms(const float* x, float* y, int64_t rows, int64_t cols, cudaStream_t s);

}  // namespace ss::cuda
