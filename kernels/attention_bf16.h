// Causal attention on tensor cores, BF16 operands with FP32 accumulation and an FP32 online softmax
// (the FlashAttention-2 structure). Same semantics as attention.h's FP32 kernel: grouped-query heads
// (query head h reads KV head h / (Hq / Hkv)), query t at position pos0 + t sees keys 0 .. pos0 + t,
// and the row log-sum-exp in the same units, so one head's probability window can be recomputed.
//
// Needs a GPU of compute capability 8.0 or newer (mma.sync m16n8k16 bf16, ldmatrix, cp.async) and a
// build that includes such an architecture; attention_bf16_supported() checks both at run time, and a
// caller that gets false keeps using the FP32 kernel (attention.h), which runs everywhere.
#pragma once

#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstdint>

namespace ss::cuda {

struct AttentionBf16Params {
  const __nv_bfloat16* q = nullptr;  // [T, Hq, hd], RoPE applied
  const __nv_bfloat16* k = nullptr;  // [Hkv, capacity, hd]
  const __nv_bfloat16* v = nullptr;  // [Hkv, capacity, hd]
  float* out = nullptr;              // [T, Hq, hd] FP32 output, or null when out_bf16 is given
  __nv_bfloat16* out_bf16 = nullptr; // [T, Hq, hd] BF16 output (used when out is null)
  float* lse = nullptr;              // [T, Hq] or null: log2 of the softmax denominator in units of
                                     // (scale * log2 e) scores, as AttentionParams::lse
  int64_t T = 0, Hq = 0, Hkv = 0, hd = 0, capacity = 0;
  int64_t pos0 = 0;                  // query t sits at position pos0 + t and sees keys 0 .. pos0 + t
  float scale = 1.0f;
  int tile_variant = -1;             // -1: the tuned tile shape for hd; 0 .. attention_bf16_variants(hd) - 1
                                     // picks another (tests and benchmarks)
};
// Pointers must be 16-byte aligned (every row is hd * 2 bytes, a multiple of 16).

// hd 64 or 128 on a device of compute capability >= 8.0 with kernels built for it; anything else:
// false, and the caller falls back to the FP32 kernel.
bool attention_bf16_supported(int64_t hd);
void attention_bf16(const AttentionBf16Params& p, cudaStream_t s);

// Tile shapes compiled for hd (0 when unsupported) and a name for each ("warps 4 x 32 rows, 64 keys").
int attention_bf16_variants(int64_t hd);
const char* attention_bf16_variant_name(int64_t hd, int variant);

// Probabilities of query head `head` for query positions t0 + r0 .. t0 + r1 - 1 (all inside this
// call) against keys t0 .. t0 + W - 1 (0 where the key is after the query), into probs [r1 - r0, W]
// (FP32). Needs the lse that attention_bf16() wrote; the scores are recomputed on tensor cores from the
// same BF16 q and k, by the same FP32-accumulated products as the lse.
void attention_bf16_window(const AttentionBf16Params& p, int64_t head, int64_t t0, int64_t W, int64_t r0, int64_t r1,
                           float* probs, cudaStream_t s);

}  // namespace ss::cuda
