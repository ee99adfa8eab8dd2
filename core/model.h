// Model: embeddings, a stack of decoder layers (mixer + feed-forward, each with its pre-norm and
// residual), a final norm and the LM head, for every supported architecture.
//
//   x_0 = embed(tokens)                                     [T, D]
//   for each layer l:  x = x + mixer_l(norm_l(x))           (SSM or attention; skipped when the
//                                                            layer has none: Nemotron-H's MLP layers;
//                                                            Falcon-H1: attention + Mamba-2 side by side
//                                                            on the same norm_l(x), summed)
//                      Zamba2's hybrid layers: x = x + mixer_l(norm_l(x + t_l)), t_l = the shared
//                      block's use on (x, x_0) (zamba2_hybrid.h)
//                      x = x + ffn_l(ffn_norm_l(x))         (Llama, Jamba, Bamba, Granite, Nemotron-H MLP, Falcon-H1)
//   logits = lm_head(norm_f(x))                             [T, V]
// Granite's and Falcon-H1's multipliers are folded into the weights at load (embedding table, the
// projections of every residual branch, the LM head), so the forward pass is the same for every family.
//
// Two explicit paths: forward() runs a whole chunk of tokens in the parallel form; step() runs one
// token in the recurrent form. Both continue from, and update, a ModelState.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "backend.h"
#include "config.h"
#include "intervention.h"
#include "layer.h"
#include "tokenizer.h"
#include "zamba2_hybrid.h"
#include "trace.h"

namespace ss {

struct ModelState {
  std::vector<LayerState> layers;  // one per layer
  int64_t position = 0;            // tokens consumed so far
};

struct LoadOptions {
  // Bytes the weights may take on the backend (host memory on the CPU, device memory on CUDA);
  // -1: what the backend reports available (Backend::memory_available).
  int64_t memory_limit = -1;
};

class Model {
 public:
  // Loads a model folder (model_folder.h: HuggingFace safetensors, or torch.save's
  // pytorch_model.bin, with transformers' or mamba_ssm's config.json) onto `be` (which must outlive
  // the model). Before any tensor is read, refuses a model whose float32 weights do not fit in the
  // memory available. Tensors are converted to float32 one at a time from the mapped file, so the
  // peak is the float32 weights plus one tensor. Throws ss::Error.
  static std::unique_ptr<Model> load(const std::string& dir, Backend& be, const LoadOptions& options = {});
  // The bytes load() needs on the backend for `ck`'s tensors: float32 weights (a tied lm_head once),
  // on the CPU plus the largest tensor while it is converted, with bf16 precision plus the bf16
  // copies of the matrices.
  static int64_t load_bytes(const ModelConfig& c, const class ModelFolder& ck, const Backend& be);

  const ModelConfig& config() const { return config_; }
  const std::string& dir() const { return dir_; }
  Backend& backend() const { return be_; }
  int64_t parameter_count() const { return parameter_count_; }
  // The folder's tokenizer.json (null when it has none: then token id = byte value, vocab >= 256).
  const Tokenizer* tokenizer() const { return tokenizer_.get(); }
  bool has_tokenizer() const { return tokenizer_ != nullptr; }
  // The model's tokens for `input` (raw bytes) with each token's byte span: the tokenizer's (BOS
  // included) or, without one, one token per byte. Throws ss::Error when neither applies.
  std::vector<TokenPiece> tokenize(std::string_view input) const;
  // Tensors of the checkpoint the config does not use (transformers ignores them too, with a
  // warning; callers should show this list): e.g. conv1d.bias beside use_conv_bias = false.
  const std::vector<std::string>& unused_tensors() const { return unused_tensors_; }
  const Mixer& mixer(int layer) const { return *layers_[layer].mixer; }

  ModelState initial_state() const;
  ModelState clone_state(const ModelState& s) const;

  // Parallel form over tokens (each 0..vocab-1), from `state`. Returns logits [T, V] on the host
  // when `want_logits` (the LM head is skipped otherwise). `rec` says what the run records
  // (Recording(&sink) for a sink alone, TraceStore::recording() for a store's request); recording
  // never changes the results. Inputs over chunk_tokens() run as consecutive forwards of that many
  // tokens, state and KV cache carried over (the same result; device memory for one chunk's
  // activations instead of the whole input's).
  // `iv` changes the math on purpose (intervention.h): with Δ → average and no means given, the whole
  // text runs in one pass from position 0 (chunk_tokens does not apply; anything else throws).
  Tensor forward(const std::vector<int32_t>& tokens, ModelState& state, const Recording& rec = {}, bool want_logits = true,
                 const Intervention& iv = {}) const;
  // Δ → average over `tokens` (the whole text, from a fresh state, in one pass): the intervention with
  // each SSM layer's mean filled in, to pass to forward / forward_through / step afterwards.
  Intervention average_delta(const std::vector<int32_t>& tokens, const Recording& rec = {}) const;
  static constexpr int64_t kDefaultChunkTokens = 65536;
  int64_t chunk_tokens() const { return chunk_tokens_; }
  void set_chunk_tokens(int64_t n) { chunk_tokens_ = n > 0 ? n : kDefaultChunkTokens; }
  // The parallel form through the first `n_layers` layers only, no LM head: for reading the state of
  // a layer below n_layers after these tokens (the states of the later layers are left behind, so
  // `state` must not be used to continue the text afterwards).
  // With Δ → average, the means must be given (average_delta).
  void forward_through(const std::vector<int32_t>& tokens, ModelState& state, int n_layers, const Recording& rec = {},
                       const Intervention& iv = {}) const;
  // Recurrent form: one token from `state`. Returns logits [1, V] on the host. With Δ → average, the
  // means must be given (a step cannot average over a text it has not seen: ss::Error otherwise).
  Tensor step(int32_t token, ModelState& state, const Recording& rec = {}, const Intervention& iv = {}) const;

  // Memory per position: fixed recurrent state (all SSM layers) and KV cache growth (all attention
  // layers, and one cache per Zamba2 hybrid layer: each use of a shared block has its own), in bytes at fp32.
  int64_t state_bytes() const;
  int64_t kv_bytes_per_token() const;

 private:
  Model(ModelConfig c, std::string dir, Backend& be) : config_(std::move(c)), dir_(std::move(dir)), be_(be) {}
  Tensor forward_chunk(const std::vector<int32_t>& tokens, ModelState& state, const Recording& rec, bool want_logits,
                       const Intervention& iv, std::vector<Tensor>* means_out = nullptr) const;
  // `means_out` (size n_layers): the Δ means an intervention used, per SSM layer.
  Tensor run_layers(Tensor x, ModelState& state, const Tracer& cb, bool recurrent, int n_layers, const Intervention& iv,
                    std::vector<Tensor>* means_out = nullptr) const;
  // Refuses an intervention this call cannot compute exactly (see intervention.h).
  void check_intervention(const Intervention& iv, const ModelState& state, bool whole_text_allowed, const char* what) const;
  Tensor head(const Tensor& x, const Tracer& cb, bool want_logits) const;
  void trace_memory(const Tracer& cb, int64_t pos0, int64_t T) const;

  struct Layer {
    Tensor norm;                      // [D] (empty when the layer has no mixer)
    std::unique_ptr<Mixer> mixer;     // kind() None: no sequence mixer
    Tensor ffn_norm;                  // [D] (when ffn)
    std::unique_ptr<FeedForward> ffn;
    std::unique_ptr<Zamba2BlockUse> hybrid;  // Zamba2's hybrid layers: the shared block before the mixer
  };
  ModelConfig config_;
  std::string dir_;
  Backend& be_;
  Tensor embed_;    // [V, D]
  std::vector<Layer> layers_;
  Tensor norm_f_;   // [D]
  Tensor lm_head_;  // [V, D] (the embedding when tied)
  int64_t parameter_count_ = 0;
  std::shared_ptr<const Tokenizer> tokenizer_;
  std::vector<std::string> unused_tensors_;
  int64_t chunk_tokens_ = kDefaultChunkTokens;
};

// The warning for Model::unused_tensors() ("" when none): "DIR: N tensors are not used by this config
// (check config.json): a, b, ... (k more)". The CLI prints it on stderr, the explorer beside the model.
std::string unused_tensors_warning(const Model& m);

}  // namespace ss
