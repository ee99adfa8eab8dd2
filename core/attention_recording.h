// What one causal attention call records, the same for the attention mixer and for Zamba2's shared
// blocks: the rows of the layer's probs window whose queries are in the call, q, k, and the layer's
// KV-cache bytes after each token. Observing only: the probs rows are an extra output of the same
// attention kernel.
#pragma once

#include <cstdint>

#include "backend.h"
#include "trace.h"

namespace ss {

// Arms `args` to return into `probs` ([R, W]) the rows of layer `il`'s probs window whose queries fall
// in this call ([p0, p0 + T)); leaves `args` alone when nobody asked for them.
inline void request_probs_rows(const Tracer& cb, int il, int64_t p0, int64_t T, AttentionArgs& args, Tensor& probs) {
  if (const ProbsWindow* w = cb.probs_window(il); w && w->t1 > w->t0 && p0 < w->t1 && p0 + T > w->t0) {
    args.probs_window = *w;
    args.probs = &probs;
  }
}

// Records q, k, the probs rows (when requested) and, per token of the call, the layer's KV-cache bytes
// after it: `kv_bytes(positions)` is the cache's size holding that many positions.
template <class KvBytes>
void record_attention(const Tracer& cb, int il, const Tensor& q, const Tensor& k, const Tensor& probs, int64_t p0,
                      KvBytes&& kv_bytes) {
  cb(trace::kAttnQ, il, q);
  cb(trace::kAttnK, il, k);
  if (!probs.empty()) cb(trace::kAttnProbs, il, probs);
  if (cb.wants(trace::kLayerKvBytes, il)) {
    const int64_t T = q.size(0);
    Tensor bytes = Tensor::zeros({T});  // [T] this layer's cache after each token
    for (int64_t t = 0; t < T; ++t) bytes.at(t) = static_cast<float>(kv_bytes(p0 + t + 1));
    cb(trace::kLayerKvBytes, il, bytes);
  }
}

}  // namespace ss
