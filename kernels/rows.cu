// Gather (embedding, expert inputs) and scatter-add (expert outputs) of whole rows.
#include "cuda_check.h"
#include "rows.h"

namespace ss::cuda {

namespace {

__global__ void gather_kernel(const float* __restrict__ x, const int32_t* __restrict__ idx, float* __restrict__ y, int64_t n,
                              int64_t cols) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n * cols; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t r = i / cols, c = i % cols;
    y[i] = x[int64_t(idx[r]) * cols + c];
  }
}

__global__ void scatter_add_kernel(float* __restrict__ y, const float* __restrict__ src, const int32_t* __restrict__ idx,
                                   const float* __restrict__ w, int64_t n, int64_t cols) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n * cols; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t r = i / cols, c = i % cols;
    atomicAdd(&y[int64_t(idx[r]) * cols + c], w[r] * src[i]);
  }
}

}  // namespace

void gather_rows(const float* x, const int32_t* idx, float* y, int64_t n, int64_t cols, cudaStream_t s) {
  if (n * cols <= 0) return;
  gather_kernel<<<grid_for(n * cols, 256), 256, 0, s>>>(x, idx, y, n, cols);
  SS_LAUNCHED("gather_rows");
}

void scatter_add_rows(float* y, const float* src, const int32_t* idx, const float* w, int64_t n, int64_t cols, cudaStream_t s) {
  if (n * cols <= 0) return;
  scatter_add_kernel<<<grid_for(n * cols, 256), 256, 0, s>>>(y, src, idx, w, n, cols);
  SS_LAUNCHED("scatter_add_rows");
}

}  // namespace ss::cuda
