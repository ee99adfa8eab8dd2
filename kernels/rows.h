// Row copies by index: embedding lookup, expert gather and weighted scatter-add.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace ss::cuda {

// y[i, :] = x[idx[i], :] for i < n; x has `cols` columns. Indices were checked by the caller.
void gather_rows(const float* x, const int32_t* idx, float* y, int64_t n, int64_t cols, cudaStream_t s);
// y[idx[i], :] += w[i] * src[i, :] (atomic: indices may repeat).
void scatter_add_rows(float* y, const float* src, const int32_t* idx, const float* w, int64_t n, int64_t cols, cudaStream_t s);

}  // namespace ss::cuda
