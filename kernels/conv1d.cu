// Causal depthwise conv1d: one thread per output (t, c), channels fastest so the x reads of a warp are
// one coalesced row segment; the K taps of a channel come from cache. A second small kernel writes the
// next state (into a separate buffer: the old state is still being read).
#include "conv1d.h"
#include "cuda_check.h"

namespace ss::cuda {

namespace {

__global__ void conv_kernel(const float* __restrict__ x, const float* __restrict__ w, const float* __restrict__ bias,
                            const float* __restrict__ state, float* __restrict__ y, int64_t T, int64_t C, int K, bool silu) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < T * C; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t t = i / C, c = i % C;
    float acc = bias ? bias[c] : 0.0f;
    for (int k = 0; k < K; ++k) {
      const int64_t j = t + k;  // index into [state; x]
      const float in = j < K - 1 ? state[c * (K - 1) + j] : x[(j - (K - 1)) * C + c];
      acc += w[c * K + k] * in;
    }
    y[i] = silu ? acc / (1.0f + expf(-acc)) : acc;
  }
}

__global__ void conv_state_kernel(const float* __restrict__ x, const float* __restrict__ state, float* __restrict__ out,
                                  int64_t T, int64_t C, int K) {
  const int64_t n = C * (K - 1);
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t c = i / (K - 1), k = i % (K - 1);
    const int64_t j = T + k;  // the last K-1 entries of [state; x]
    out[i] = j < K - 1 ? state[c * (K - 1) + j] : x[(j - (K - 1)) * C + c];
  }
}

}  // namespace

void conv1d_causal(const float* x, const float* w, const float* bias, const float* state, float* y, float* new_state,
                   int64_t T, int64_t C, int K, bool silu, cudaStream_t s) {
  if (T * C > 0) {
    conv_kernel<<<grid_for(T * C, 256), 256, 0, s>>>(x, w, bias, state, y, T, C, K, silu);
    SS_LAUNCHED("conv1d_causal");
  }
  if (C * (K - 1) > 0) {
    conv_state_kernel<<<grid_for(C * (K - 1), 256), 256, 0, s>>>(x, state, new_state, T, C, K);
    SS_LAUNCHED("conv1d_causal_state");
  }
}

}  // namespace ss::cuda
