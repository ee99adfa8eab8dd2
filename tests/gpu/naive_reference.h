// Plain double-precision references written from the Backend contract (backend.h), for the ops whose
// CPU implementation has not landed yet (the tests prefer the CpuBackend whenever it has the op).
// Host tensors only.
#pragma once

#include "backend.h"

namespace ss::gpu_test {

Tensor naive_ssd(const SsdArgs& a);                // y [T, H, P]; updates *a.state, fills *a.states
void naive_rope(Tensor& x, int64_t pos0, float theta);
Tensor naive_attention(const AttentionArgs& a);    // [T, Hq, hd]; *a.probs: the probs window's rows of this call [R, W]

}  // namespace ss::gpu_test
