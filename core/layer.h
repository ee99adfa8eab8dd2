// The pieces a decoder layer is made of: a sequence mixer (Mamba, Mamba-2, attention, attention and
// Mamba-2 side by side, or none) and a
// per-token feed-forward (none, MLP or mixture of experts). Each kind lives in its own file.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "backend.h"
#include "model_folder.h"
#include "config.h"
#include "intervention.h"
#include "trace.h"

namespace ss {

// What one layer carries from token to token. SSM layers use conv_state and ssm_state (fixed size);
// attention layers use kv (grows by one position per token); Falcon-H1's layers use all three.
struct LayerState {
  Tensor conv_state;  // Mamba: [Di, K-1]; Mamba-2: [Di + 2GN, K-1]
  Tensor ssm_state;   // Mamba: [Di, N];   Mamba-2: [H, P, N]
  KvCache kv;         // attention
};

class Mixer {
 public:
  virtual ~Mixer() = default;
  virtual MixerKind kind() const = 0;
  // A fresh (zero) state on the backend's device.
  virtual LayerState initial_state(Backend& be) const = 0;
  // Parallel form over x [T, D] (already normalised), continuing from `state`; returns [T, D].
  // `iv`: what an intervention (intervention.h) changes in this layer (SSM layers: Δ → average;
  // attention ignores it).
  virtual Tensor forward(Backend& be, const Tensor& x, LayerState& state, const Tracer& cb, int layer,
                         const LayerIntervention& iv) const = 0;
  // Recurrent form for one token x [1, D]; returns [1, D]. With Δ → average, iv.delta_mean is set.
  virtual Tensor step(Backend& be, const Tensor& x, LayerState& state, const Tracer& cb, int layer,
                      const LayerIntervention& iv) const = 0;
  // Bytes of fixed recurrent state (fp32) and of KV cache (fp32) this state holds now.
  virtual int64_t state_bytes() const { return 0; }
  virtual int64_t kv_bytes(int64_t positions) const { (void)positions; return 0; }
  // The SSM's input-independent parameters, as host tensors (empty for attention), for analysis of
  // recorded traces (semiseparable.h): A = -exp(A_log) and the skip D. Mamba: A [Di, N], D [Di];
  // Mamba-2: A [H], D [H].
  virtual Tensor ssm_A() const { return Tensor(); }
  virtual Tensor ssm_D() const { return Tensor(); }
};

class FeedForward {
 public:
  virtual ~FeedForward() = default;
  virtual FfnKind kind() const = 0;
  virtual Tensor forward(Backend& be, const Tensor& x, const Tracer& cb, int layer) const = 0;  // [T, D] -> [T, D]
};

// Loaders, one per kind (defined beside each mixer). `prefix` is the tensor-name prefix of the
// module, e.g. "backbone.layers.3.mixer." or "model.layers.3.mamba.".
std::unique_ptr<Mixer> load_mamba_mixer(ModelFolder& ck, const ModelConfig& c, const std::string& prefix, Backend& be);
std::unique_ptr<Mixer> load_mamba2_mixer(ModelFolder& ck, const ModelConfig& c, const std::string& prefix, Backend& be);
std::unique_ptr<Mixer> load_attention_mixer(ModelFolder& ck, const ModelConfig& c, const std::string& prefix, Backend& be);
std::unique_ptr<Mixer> make_no_mixer();  // kind() None: a layer without a sequence mixer (no_mixer.cpp)
// kind() AttentionMamba2: the two mixers on the same input, outputs summed (attention_mamba2_mixer.cpp).
std::unique_ptr<Mixer> make_attention_mamba2_mixer(std::unique_ptr<Mixer> attention, std::unique_ptr<Mixer> mamba2);
// The MLP under `prefix` (gate/up/down SwiGLU, or up/down squared ReLU: c.ffn.mlp).
std::unique_ptr<FeedForward> load_mlp(ModelFolder& ck, const ModelConfig& c, const std::string& prefix, Backend& be);
// Granite's shared MLP alone (input_linear [2I, D]: gate rows then up rows; output_linear [D, I]).
std::unique_ptr<FeedForward> load_shared_mlp(ModelFolder& ck, const ModelConfig& c, const std::string& prefix, Backend& be);
// Mixture of experts under `prefix`; with `shared_prefix`, Granite's shared MLP is added to its output.
std::unique_ptr<FeedForward> load_moe(ModelFolder& ck, const ModelConfig& c, const std::string& prefix, Backend& be,
                                      const std::string& shared_prefix = "");

// Loads a weight onto the backend, checking its shape, times `scale` (Granite's multipliers folded in);
// an optional one is empty when absent.
Tensor load_weight(ModelFolder& ck, Backend& be, const std::string& name, const Shape& shape, float scale = 1.0f);
Tensor load_optional(ModelFolder& ck, Backend& be, const std::string& name, const Shape& shape);

}  // namespace ss
