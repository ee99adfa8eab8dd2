#include <cuda_bf16.h>

#include "bf16_convert.h"
#include "cuda_check.h"

namespace ss::cuda {

namespace {

__global__ void to_bf16_kernel(const float* __restrict__ x, __nv_bfloat16* __restrict__ y, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    y[i] = __float2bfloat16_rn(x[i]);
}

__global__ void round_to_bf16_kernel(const float* x, float* y, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    y[i] = __bfloat162float(__float2bfloat16_rn(x[i]));
}

}  // namespace

void to_bf16(const float* x, void* y, int64_t n, cudaStream_t s) {
  if (n <= 0) return;
  to_bf16_kernel<<<grid_for(n, 256), 256, 0, s>>>(x, static_cast<__nv_bfloat16*>(y), n);
  SS_LAUNCHED("to_bf16");
}

void round_to_bf16(const float* x, float* y, int64_t n, cudaStream_t s) {
  if (n <= 0) return;
  round_to_bf16_kernel<<<grid_for(n, 256), 256, 0, s>>>(x, y, n);
  SS_LAUNCHED("round_to_bf16");
}

}  // namespace ss::cuda
