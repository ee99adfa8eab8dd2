// Zamba2's hybrid layers (transformers 5.17: Zamba2HybridLayer, Zamba2AttentionDecoderLayer,
// Zamba2Attention, Zamba2MLP). A hybrid layer l runs, before its own Mamba-2 (model.h):
//
//   u        = concat(x, x_0)                                  [T, 2D]  x_0: the token embeddings
//   n        = rms_norm(u, input_layernorm)                    [T, 2D]
//   q        = q_proj(n) + Aq1(Aq0(n))                         [T, Hq, hd]   hd = 2D / Hq (adapters:
//   k, v     = k_proj(n) + Ak1(Ak0(n)), v likewise             [T, Hkv, hd]   use_shared_attention_adapter)
//   q, k     = rope(q, k, p0..)                                (use_mem_rope; the whole head)
//   cache   += k, v                                            this layer's own KV cache
//   o        = o_proj(softmax(q k^T * (hd/2)^-1/2) v)          [T, D]
//   f        = rms_norm(o, pre_ff_layernorm)                   [T, D]   (no residual inside the block)
//   [g, u']  = gate_up_proj(f) + G1(G0(f))                     [T, I], [T, I]
//   s        = down_proj(gelu(g) * u')                         [T, D]
//   t        = linear(s)                                       [T, D]   this layer's own projection
// and the layer's Mamba-2 then runs on rms_norm(x + t) with the residual x (model.cpp).
//
// Weights: num_mem_blocks shared blocks (q/k/v/o, the MLP, both norms), each held once in memory
// whatever the number of layers using it; hybrid layer number u (counted among hybrid layers) uses
// block u % num_mem_blocks. Per use (not shared): the adapters (rank r: A0 [r, in], A1 [out, r]), the
// `linear` [D, D] and the KV cache (LayerState::kv of the layer).
//
// Tensor names as save_pretrained writes them: a block's shared weights once, under the first layer
// that uses it (model.layers.<first>.shared_transformer.*; later uses are tied to it and not written);
// the adapters of use u inside that block's module (...self_attn.linear_q_adapter_list.<u>.{0,1}.weight,
// ...feed_forward.gate_up_proj_adapter_list.<u>.{0,1}.weight). A checkpoint that also writes the tied
// copies under later layers' names loads too: those copies must equal the first (else refused).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "backend.h"
#include "config.h"
#include "model_folder.h"
#include "trace.h"

namespace ss {

struct Zamba2SharedBlock;  // zamba2_hybrid.cpp

class Zamba2BlockUse {
 public:
  Zamba2BlockUse();
  ~Zamba2BlockUse();
  // t = linear(shared_block(x, x_0)) for x, x_0 [T, D]; appends this layer's keys and values to `kv`.
  Tensor forward(Backend& be, const Tensor& x, const Tensor& x0, KvCache& kv, const Tracer& cb, int layer) const;
  int block() const { return block_; }
  int64_t kv_bytes(int64_t positions) const;  // fp32 bytes of this use's KV cache

 private:
  friend std::vector<std::unique_ptr<Zamba2BlockUse>> load_zamba2_block_uses(ModelFolder&, const ModelConfig&, Backend&);
  struct Adapter {   // x -> up(down(x)), no bias (empty when the use has none)
    Tensor down;     // [r, in]
    Tensor up;       // [out, r]
  };
  Tensor adapted(Backend& be, const Tensor& x, const Tensor& w, const Tensor* bias, const Adapter& a) const;

  std::shared_ptr<const Zamba2SharedBlock> shared_;  // the block's weights, shared with its other uses
  int block_ = -1;
  AttentionParams attn_;
  int64_t intermediate_ = 0;
  float eps_ = 1e-5f;
  Adapter q_adapter_, k_adapter_, v_adapter_;  // [r, 2D] / [2D, r] each (use_shared_attention_adapter)
  Adapter gate_up_adapter_;                    // [r, D] / [2I, r]
  Tensor linear_;                              // [D, D]
};

// One entry per layer: the use of a hybrid layer, null for a plain Mamba-2 layer. Loads each shared
// block once. Throws ss::Error naming the file and the tensor.
std::vector<std::unique_ptr<Zamba2BlockUse>> load_zamba2_block_uses(ModelFolder& ck, const ModelConfig& c, Backend& be);

}  // namespace ss
