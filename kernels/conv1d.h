// Causal depthwise conv1d over time (Mamba's short convolution), with its rolling input state.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace ss::cuda {

// x [T, C], w [C, K], bias [C] or null, state [C, K-1] (the K-1 inputs before x).
// y[t, c] = bias[c] + sum_k w[c, k] * in(t + k), in(j) = j < K-1 ? state[c, j] : x[j - (K-1), c];
// then SiLU when `silu`. new_state [C, K-1] receives the last K-1 inputs (state itself is not written).
void conv1d_causal(const float* x, const float* w, const float* bias, const float* state, float* y, float* new_state,
                   int64_t T, int64_t C, int K, bool silu, cudaStream_t s);

}  // namespace ss::cuda
