// RMSNorm, gated RMSNorm (Mamba-2) and row L2 norms: one warp per row segment, a sum of squares
// reduced with shuffles, then a second pass over the (cached) row to write. Formulas as the CPU
// reference: inv = 1 / sqrt(sum / cols + eps), IEEE division and square root.
#include "cuda_check.h"
#include "rms_norm.h"

namespace ss::cuda {

namespace {

constexpr int kWarpsPerBlock = 8;

__device__ __forceinline__ float warp_sum(float v) {
  for (int off = 16; off > 0; off >>= 1) v += __shfl_xor_sync(0xffffffffu, v, off);
  return v;
}

__device__ __forceinline__ float silu_f(float v) { return v / (1.0f + expf(-v)); }

// One warp per (row, group). z == nullptr: plain RMSNorm over groups of `group` columns.
__global__ void rms_norm_kernel(const float* __restrict__ x, const float* __restrict__ z, const float* __restrict__ w,
                                float* __restrict__ y, int64_t rows, int64_t cols, int64_t group, float eps) {
  const int lane = threadIdx.x & 31;
  const int64_t groups_per_row = cols / group;
  const int64_t seg = blockIdx.x * int64_t(kWarpsPerBlock) + threadIdx.x / 32;  // (row, group) index
  if (seg >= rows * groups_per_row) return;
  const int64_t r = seg / groups_per_row, c0 = (seg % groups_per_row) * group;
  const float* xr = x + r * cols + c0;
  const float* zr = z ? z + r * cols + c0 : nullptr;
  float sum = 0.0f;
  for (int64_t c = lane; c < group; c += 32) {
    const float v = zr ? xr[c] * silu_f(zr[c]) : xr[c];
    sum += v * v;
  }
  sum = warp_sum(sum);
  const float inv = 1.0f / sqrtf(sum / static_cast<float>(group) + eps);
  float* yr = y + r * cols + c0;
  for (int64_t c = lane; c < group; c += 32) {
    const float v = zr ? xr[c] * silu_f(zr[c]) : xr[c];
    yr[c] = v * inv * w[c0 + c];
  }
}

__global__ void row_norms_kernel(const float* __restrict__ x, float* __restrict__ y, int64_t rows, int64_t cols) {
  const int lane = threadIdx.x & 31;
  const int64_t r = blockIdx.x * int64_t(kWarpsPerBlock) + threadIdx.x / 32;
  if (r >= rows) return;
  float sum = 0.0f;
  for (int64_t c = lane; c < cols; c += 32) sum += x[r * cols + c] * x[r * cols + c];
  sum = warp_sum(sum);
  if (lane == 0) y[r] = sqrtf(sum);
}

unsigned blocks_for_warps(int64_t warps) { return static_cast<unsigned>((warps + kWarpsPerBlock - 1) / kWarpsPerBlock); }

}  // namespace

void rms_norm(const float* x, const float* w, float* y, int64_t rows, int64_t cols, float eps, cudaStream_t s) {
  if (rows <= 0 || cols <= 0) return;
  rms_norm_kernel<<<blocks_for_warps(rows), 32 * kWarpsPerBlock, 0, s>>>(x, nullptr, w, y, rows, cols, cols, eps);
  SS_LAUNCHED("rms_norm");
}

void rms_norm_gated(const float* x, const float* z, const float* w, float* y, int64_t rows, int64_t cols, int64_t group,
                    float eps, cudaStream_t s) {
  if (rows <= 0 || cols <= 0) return;
  rms_norm_kernel<<<blocks_for_warps(rows * (cols / group)), 32 * kWarpsPerBlock, 0, s>>>(x, z, w, y, rows, cols, group, eps);
  SS_LAUNCHED("rms_norm_gated");
}

void row_norms(const float* x, float* y, int64_t rows, int64_t cols, cudaStream_t s) {
  if (rows <= 0) return;
  row_norms_kernel<<<blocks_for_warps(rows), 32 * kWarpsPerBlock, 0, s>>>(x, y, rows, cols);
  SS_LAUNCHED("row_norms");
}

}  // namespace ss::cuda
