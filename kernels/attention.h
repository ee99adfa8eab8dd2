// Causal attention in the flash style: online softmax over key tiles staged in shared memory, never
// the T x T matrix; grouped-query heads (query head h reads KV head h / (Hq / Hkv)); optional
// probabilities of one head over a window of positions, recomputed from the row's log-sum-exp.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace ss::cuda {

struct AttentionParams {
  const float* q = nullptr;  // [T, Hq, hd], RoPE applied
  const float* k = nullptr;  // [Hkv, capacity, hd]
  const float* v = nullptr;  // [Hkv, capacity, hd]
  float* out = nullptr;      // [T, Hq, hd]
  float* lse = nullptr;      // [T, Hq] or null: log2 of the softmax denominator in units of (scale * log2 e) scores
  int64_t T = 0, Hq = 0, Hkv = 0, hd = 0, capacity = 0;
  int64_t pos0 = 0;          // query t sits at position pos0 + t and sees keys 0 .. pos0 + t
  float scale = 1.0f;
};

// hd a multiple of 4, at most 256 (other head sizes run on the CPU).
bool attention_supported(int64_t hd);
void attention(const AttentionParams& p, cudaStream_t s);

// Probabilities of query head `head` for query positions t0 + r0 .. t0 + r1 - 1 (all inside this
// call) against keys t0 .. t0 + W - 1 (0 where the key is after the query), into probs [r1 - r0, W].
// Needs the lse that attention() wrote.
void attention_window(const AttentionParams& p, int64_t head, int64_t t0, int64_t W, int64_t r0, int64_t r1, float* probs,
                      cudaStream_t s);

}  // namespace ss::cuda
