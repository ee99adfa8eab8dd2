// Rotary position embedding (rotate-half, as transformers' Llama) and the KV-cache write.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace ss::cuda {

// In place on x [T, H, hd], on the first r = rotary_dim (even, <= hd) dims of each head, the others
// untouched: for i < r/2, angle a = (pos0 + t) * theta^(-2i/r) in double precision with cos a, sin a
// rounded to float once (the exact rotation, as the CPU reference: no error growth with the position),
// (x_i, x_{i+r/2}) -> (x_i cos - x_{i+r/2} sin, x_{i+r/2} cos + x_i sin).
void rope(float* x, float theta, int64_t T, int64_t H, int64_t hd, int64_t rotary_dim, int64_t pos0, cudaStream_t s);

// cache [Hkv, capacity, hd] rows at .. at + T - 1  <-  src [T, Hkv, hd]
void kv_write(float* cache, const float* src, int64_t T, int64_t Hkv, int64_t hd, int64_t capacity, int64_t at, cudaStream_t s);

}  // namespace ss::cuda
