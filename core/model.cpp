#include "model.h"

#include <algorithm>
#include <filesystem>

#include "model_folder.h"
#include "error.h"
#include "run_memory.h"

namespace ss {

// The tensor read is a fresh host array: the CPU backend takes it as it is (no second copy).
Tensor load_weight(ModelFolder& ck, Backend& be, const std::string& name, const Shape& shape, float scale) {
  if (!ck.has(name)) throw Error(ck.file_of(name), name, "tensor missing from the model folder (expected shape " + shape_to_string(shape) + ")");
  Tensor t = ck.get(name, shape);
  if (scale != 1.0f) t.flat() *= scale;
  return be.device() == Device::Cpu ? t : be.upload(t);
}

Tensor load_optional(ModelFolder& ck, Backend& be, const std::string& name, const Shape& shape) {
  return ck.has(name) ? load_weight(ck, be, name, shape) : Tensor();
}

namespace {

// Tensor names of the architecture's modules (transformers 5.17, as save_pretrained writes them).
// Per layer: <layer><i>.<norm> before the mixer, the mixer under <mamba|mamba2|attn>, the feed-forward
// under <ffn> after <ffn_norm>. Nemotron-H keeps every block's module under "mixer." and its MLP layers
// have only the one norm.
struct Names {
  std::string embed, final_norm, layer, norm, mamba, mamba2, attn, ffn_norm, ffn;
};

Names names_for(const ModelConfig& c, const ModelFolder& ck) {
  switch (c.arch) {
    case Architecture::Mamba:
    case Architecture::Mamba2:
    case Architecture::FalconMamba:
      return {c.layout == CheckpointLayout::MambaSsm ? "backbone.embedding.weight" : "backbone.embeddings.weight", "backbone.norm_f.weight", "backbone.layers.", "norm.weight", "mixer.", "mixer.", "", "", ""};
    case Architecture::Llama:
      return {"model.embed_tokens.weight", "model.norm.weight", "model.layers.", "input_layernorm.weight", "", "", "self_attn.",
              "post_attention_layernorm.weight", "mlp."};
    case Architecture::Jamba:
      return {"model.embed_tokens.weight", "model.final_layernorm.weight", "model.layers.", "input_layernorm.weight", "mamba.", "",
              "self_attn.", "pre_ff_layernorm.weight", "feed_forward."};
    case Architecture::Bamba:
      return {"model.embed_tokens.weight", "model.final_layernorm.weight", "model.layers.", "input_layernorm.weight", "", "mamba.",
              "self_attn.", "pre_ff_layernorm.weight", "feed_forward."};
    case Architecture::NemotronH: {
      // save_pretrained writes the original "backbone." names; transformers' own modules are "model.".
      const std::string r = ck.has("backbone.embeddings.weight") ? "backbone." : "model.";
      return {r + "embeddings.weight", r + "norm_f.weight", r + "layers.", "norm.weight", "", "mixer.", "mixer.", "norm.weight", "mixer."};
    }
    case Architecture::GraniteMoeHybrid:
      return {"model.embed_tokens.weight", "model.norm.weight", "model.layers.", "input_layernorm.weight", "", "mamba.", "self_attn.",
              "post_attention_layernorm.weight", ""};
    case Architecture::FalconH1:  // both mixers in every layer: mamba. and self_attn.
      return {"model.embed_tokens.weight", "model.final_layernorm.weight", "model.layers.", "input_layernorm.weight", "", "mamba.",
              "self_attn.", "pre_ff_layernorm.weight", "feed_forward."};
    case Architecture::Zamba2:  // a hybrid layer's norm and Mamba-2 are under "mamba_decoder." (load)
      return {"model.embed_tokens.weight", "model.final_layernorm.weight", "model.layers.", "input_layernorm.weight", "", "mamba.", "", "", ""};
  }
  return {};
}

// What the LM head's weights are multiplied by: Granite's 1 / logits_scaling, Falcon-H1's lm_head_multiplier.
float head_scale(const ModelConfig& c) { return c.mult.lm_head / c.mult.logits_scaling; }

// mamba_ssm's state dict keeps a tied lm_head beside the embedding, on the same storage.
bool tied_copy_of_embedding(const ModelConfig& c, const ModelFolder& ck, const Names& n) {
  return c.tied_embeddings && ck.has("lm_head.weight") && ck.same_data("lm_head.weight", n.embed);
}

}  // namespace

int64_t Model::load_bytes(const ModelConfig& c, const ModelFolder& ck, const Backend& be) {
  const Names n = names_for(c, ck);
  const bool skip_head = tied_copy_of_embedding(c, ck, n);
  int64_t floats = 0, largest = 0, matrices = 0;
  for (const std::string& name : ck.names()) {
    if (skip_head && name == "lm_head.weight") continue;
    const Shape shape = ck.shape_of(name);
    const int64_t k = shape_numel(shape);
    floats += k;
    largest = std::max(largest, k);
    if (shape.size() == 2) matrices += k;
  }
  if (c.tied_embeddings && (c.mult.embedding != 1.0f || head_scale(c) != 1.0f))
    floats += static_cast<int64_t>(c.vocab_size) * c.d_model;  // Granite, Falcon-H1: the head is a second, scaled copy
  int64_t bytes = 4 * floats;
  if (be.device() == Device::Cpu) bytes += 4 * largest;       // the tensor being converted
  if (be.precision() == Precision::bf16) bytes += 2 * matrices;  // bf16 copies for the GEMMs
  return bytes;
}

std::vector<TokenPiece> Model::tokenize(std::string_view input) const {
  if (tokenizer_) return tokenizer_->encode_pieces(input);
  if (config_.vocab_size < 256)
    throw Error(dir_ + "/config.json", "vocab_size", std::to_string(config_.vocab_size) + " is under 256 and the folder has no tokenizer.json: the model cannot take raw bytes");
  std::vector<TokenPiece> out(input.size());
  for (size_t i = 0; i < input.size(); ++i)
    out[i] = {static_cast<unsigned char>(input[i]), static_cast<int64_t>(i), static_cast<int64_t>(i + 1), false};
  return out;
}

std::unique_ptr<Model> Model::load(const std::string& dir, Backend& be, const LoadOptions& options) {
  ModelFolder ck(dir);
  ModelConfig c = parse_model_config(ck.config(), ck.config_path());
  const Names n = names_for(c, ck);
  const bool tied_copy = tied_copy_of_embedding(c, ck, n);
  if (tied_copy) ck.mark_used("lm_head.weight");

  // Before a tensor is read: does it fit?
  const int64_t need = load_bytes(c, ck, be);
  const int64_t available = options.memory_limit >= 0 ? options.memory_limit : be.memory_available();
  if (available >= 0 && need > available) {
    const bool cpu = be.device() == Device::Cpu;
    const std::string msg = "the model needs about " + human_bytes(need) + " of " + (cpu ? "memory" : "GPU memory") + " (" +
                            std::to_string(ck.parameter_count()) + " parameters as float32" +
                            (cpu ? ", plus the largest tensor while it is converted" : "") + ") but only " + human_bytes(available) +
                            (options.memory_limit >= 0 ? " is allowed" : cpu ? " is available (MemAvailable)" : " is free on the GPU") +
                            "; close other programs, or use a machine with more memory";
    // On the GPU this is the out-of-memory a cudaMalloc would have hit later: a DeviceError, so that
    // "--device auto" falls back to the CPU as it does for that (core/backend.h).
    if (!cpu) throw DeviceError(dir + ": weights: " + msg, /*out_of_memory=*/true);
    throw Error(dir, "weights", msg);
  }

  std::unique_ptr<Model> m(new Model(c, dir, be));
  m->parameter_count_ = ck.parameter_count() - (tied_copy ? shape_numel(ck.shape_of("lm_head.weight")) : 0);
  m->tokenizer_ = Tokenizer::load(dir);
  if (m->tokenizer_ && m->tokenizer_->vocab_size() > c.vocab_size)
    throw Error(ck.config_path(), "vocab_size", std::to_string(c.vocab_size) + " is smaller than the vocabulary of " + m->tokenizer_->path() +
                                                   " (" + std::to_string(m->tokenizer_->vocab_size()) + " tokens)");

  const int64_t V = c.vocab_size, D = c.d_model;
  m->embed_ = load_weight(ck, be, n.embed, {V, D}, c.mult.embedding);  // Granite, Falcon-H1: x_0 = embed * embedding_multiplier
  std::vector<std::unique_ptr<Zamba2BlockUse>> hybrid;  // Zamba2: [n_layers], null but for hybrid layers
  if (c.arch == Architecture::Zamba2) hybrid = load_zamba2_block_uses(ck, c, be);
  for (int i = 0; i < c.n_layers; ++i) {
    Layer L;
    if (!hybrid.empty()) L.hybrid = std::move(hybrid[i]);
    const std::string p = n.layer + std::to_string(i) + "." + (L.hybrid ? "mamba_decoder." : "");
    if (c.mixers[i] != MixerKind::None) L.norm = load_weight(ck, be, p + n.norm, {D});
    switch (c.mixers[i]) {
      case MixerKind::Mamba: L.mixer = load_mamba_mixer(ck, c, p + n.mamba, be); break;
      case MixerKind::Mamba2: L.mixer = load_mamba2_mixer(ck, c, p + n.mamba2, be); break;
      case MixerKind::Attention: L.mixer = load_attention_mixer(ck, c, p + n.attn, be); break;
      case MixerKind::None: L.mixer = make_no_mixer(); break;
      case MixerKind::AttentionMamba2:
        L.mixer = make_attention_mamba2_mixer(load_attention_mixer(ck, c, p + n.attn, be), load_mamba2_mixer(ck, c, p + n.mamba2, be));
        break;
    }
    if (c.ffns[i] != FfnKind::None) {
      L.ffn_norm = load_weight(ck, be, p + n.ffn_norm, {D});
      if (c.arch == Architecture::GraniteMoeHybrid)
        L.ffn = c.ffns[i] == FfnKind::Moe ? load_moe(ck, c, p + "block_sparse_moe.", be, p + "shared_mlp.") : load_shared_mlp(ck, c, p + "shared_mlp.", be);
      else
        L.ffn = c.ffns[i] == FfnKind::Moe ? load_moe(ck, c, p + n.ffn, be) : load_mlp(ck, c, p + n.ffn, be);
    }
    m->layers_.push_back(std::move(L));
  }
  m->norm_f_ = load_weight(ck, be, n.final_norm, {D});
  // Granite: logits = lm_head(x) / logits_scaling; Falcon-H1: lm_head(x) * lm_head_multiplier; folded into the head's weights.
  const float hs = head_scale(c);
  if (c.tied_embeddings && c.mult.embedding == 1.0f && hs == 1.0f) m->lm_head_ = m->embed_;
  else m->lm_head_ = load_weight(ck, be, c.tied_embeddings ? n.embed : "lm_head.weight", {V, D}, hs);
  m->unused_tensors_ = ck.unused();
  return m;
}

ModelState Model::initial_state() const {
  ModelState s;
  for (const Layer& L : layers_) s.layers.push_back(L.mixer->initial_state(be_));
  return s;
}

ModelState Model::clone_state(const ModelState& s) const {
  ModelState out;
  out.position = s.position;
  for (const LayerState& ls : s.layers) {
    LayerState c;
    if (!ls.conv_state.empty()) c.conv_state = be_.clone(ls.conv_state);
    if (!ls.ssm_state.empty()) c.ssm_state = be_.clone(ls.ssm_state);
    if (!ls.kv.k.empty()) {
      c.kv.k = be_.clone(ls.kv.k);
      c.kv.v = be_.clone(ls.kv.v);
    }
    c.kv.length = ls.kv.length;
    out.layers.push_back(std::move(c));
  }
  return out;
}

void Model::check_intervention(const Intervention& iv, const ModelState& state, bool whole_text_allowed, const char* what) const {
  if (!iv.mean_delta) return;
  if (!iv.delta_means.empty()) {
    if (iv.delta_means.size() != layers_.size())
      throw Error(dir_, "intervention", "Δ means for " + std::to_string(iv.delta_means.size()) + " layers given to a model of " +
                                            std::to_string(layers_.size()) + " layers");
    return;
  }
  if (!whole_text_allowed)
    throw Error(dir_, "intervention", std::string("Δ → average: ") + what +
                                          " cannot average Δ over a text it does not see; compute the means first (Model::average_delta)");
  if (state.position != 0)
    throw Error(dir_, "intervention", "Δ → average needs the whole text from its first token; this forward starts at position " +
                                          std::to_string(state.position) + " (compute the means first: Model::average_delta)");
}

Tensor Model::run_layers(Tensor x, ModelState& state, const Tracer& cb, bool recurrent, int n_layers, const Intervention& iv,
                         std::vector<Tensor>* means_out) const {
  if (state.layers.size() != layers_.size()) state = initial_state();
  const int n = n_layers < 0 ? static_cast<int>(layers_.size()) : std::min<int>(n_layers, static_cast<int>(layers_.size()));
  const Tensor x0 = x;  // [T, D] the embeddings (Zamba2's shared blocks read them)
  for (int il = 0; il < n; ++il) {
    const Layer& L = layers_[il];
    if (L.mixer->kind() != MixerKind::None) {
      LayerIntervention li;
      li.mean_delta = iv.mean_delta;
      if (iv.mean_delta && !iv.delta_means.empty()) li.delta_mean = &iv.delta_means[il];
      if (means_out) li.delta_mean_out = &(*means_out)[il];
      // Zamba2's hybrid layer: the shared block's output joins the mixer's input, not the residual.
      const Tensor in = L.hybrid ? be_.add(x, L.hybrid->forward(be_, x, x0, state.layers[il].kv, cb, il)) : x;  // [T, D]
      Tensor h = be_.rms_norm(in, L.norm, config_.norm_eps);
      h = recurrent ? L.mixer->step(be_, h, state.layers[il], cb, il, li) : L.mixer->forward(be_, h, state.layers[il], cb, il, li);
      x = be_.add(x, h);
    }
    if (L.ffn) {
      Tensor f = be_.rms_norm(x, L.ffn_norm, config_.norm_eps);
      x = be_.add(x, L.ffn->forward(be_, f, cb, il));
    }
    if (cb.wants(trace::kResidualNorm, il)) cb(trace::kResidualNorm, il, be_.row_norms(x));
  }
  return x;
}

Tensor Model::head(const Tensor& x, const Tracer& cb, bool want_logits) const {
  if (!want_logits && !cb.wants(trace::kLogits, -1)) return Tensor();
  Tensor logits = be_.linear(be_.rms_norm(x, norm_f_, config_.norm_eps), lm_head_, nullptr);  // [T, V]
  cb(trace::kLogits, -1, logits);
  return want_logits ? be_.to_host(logits) : Tensor();
}

void Model::trace_memory(const Tracer& cb, int64_t pos0, int64_t T) const {
  if (!cb.wants(trace::kStateBytes, -1) && !cb.wants(trace::kKvBytes, -1)) return;
  Tensor state = Tensor::zeros({T}), kv = Tensor::zeros({T});
  for (int64_t t = 0; t < T; ++t) {
    state.at(t) = static_cast<float>(state_bytes());
    kv.at(t) = static_cast<float>(kv_bytes_per_token() * (pos0 + t + 1));
  }
  cb(trace::kStateBytes, -1, state);
  cb(trace::kKvBytes, -1, kv);
}

static void check_tokens(const std::vector<int32_t>& tokens, int vocab) {
  for (size_t i = 0; i < tokens.size(); ++i)
    if (tokens[i] < 0 || tokens[i] >= vocab)
      throw Error("", "token " + std::to_string(i), "id " + std::to_string(tokens[i]) + " outside the vocabulary of " + std::to_string(vocab));
}

Tensor Model::forward(const std::vector<int32_t>& tokens, ModelState& state, const Recording& rec, bool want_logits,
                      const Intervention& iv) const {
  if (tokens.empty()) throw Error("", "input", "is empty: nothing to run");
  check_tokens(tokens, config_.vocab_size);
  check_intervention(iv, state, /*whole_text_allowed=*/true, "forward");
  const int64_t T = static_cast<int64_t>(tokens.size());
  // Δ → average without means: each layer's mean needs all of its Δ before its scan, so one pass.
  const bool whole_text = iv.mean_delta && iv.delta_means.empty();
  if (T <= chunk_tokens_ || whole_text) return forward_chunk(tokens, state, rec, want_logits, iv);
  // Long inputs in chunks, each continuing from the state (and KV cache) the previous one left: the
  // activations of one chunk at a time, not of the whole input, are on the device.
  const int64_t V = config_.vocab_size;
  Tensor logits = want_logits ? Tensor(allocate_host(T * V), {T, V}, Device::Cpu) : Tensor();  // [T, V]
  for (int64_t t0 = 0; t0 < T; t0 += chunk_tokens_) {
    const int64_t t1 = std::min(T, t0 + chunk_tokens_);
    const Tensor piece = forward_chunk(std::vector<int32_t>(tokens.begin() + t0, tokens.begin() + t1), state, rec, want_logits, iv);
    if (want_logits) std::copy(piece.data(), piece.data() + piece.numel(), logits.data() + t0 * V);
  }
  return logits;
}

Intervention Model::average_delta(const std::vector<int32_t>& tokens, const Recording& rec) const {
  if (tokens.empty()) throw Error("", "input", "is empty: nothing to average Δ over");
  check_tokens(tokens, config_.vocab_size);
  Intervention iv;
  iv.mean_delta = true;
  std::vector<Tensor> means(layers_.size());
  ModelState fresh = initial_state();
  forward_chunk(tokens, fresh, rec, /*want_logits=*/false, iv, &means);
  iv.delta_means = std::move(means);
  return iv;
}

Tensor Model::forward_chunk(const std::vector<int32_t>& tokens, ModelState& state, const Recording& rec, bool want_logits,
                            const Intervention& iv, std::vector<Tensor>* means_out) const {
  const Tracer cb(rec, &be_, state.position);
  Tensor x = be_.embedding(embed_, tokens);  // [T, D]
  x = run_layers(x, state, cb, /*recurrent=*/false, -1, iv, means_out);
  trace_memory(cb, state.position, static_cast<int64_t>(tokens.size()));
  state.position += static_cast<int64_t>(tokens.size());
  Tensor logits = head(x, cb, want_logits);
  cb.flush();
  return logits;
}

void Model::forward_through(const std::vector<int32_t>& tokens, ModelState& state, int n_layers, const Recording& rec,
                            const Intervention& iv) const {
  if (tokens.empty()) throw Error("", "input", "is empty: nothing to run");
  check_tokens(tokens, config_.vocab_size);
  check_intervention(iv, state, /*whole_text_allowed=*/false, "forward_through");
  const Tracer cb(rec, &be_, state.position);
  run_layers(be_.embedding(embed_, tokens), state, cb, /*recurrent=*/false, n_layers, iv);  // x [T, D]
  state.position += static_cast<int64_t>(tokens.size());
}

Tensor Model::step(int32_t token, ModelState& state, const Recording& rec, const Intervention& iv) const {
  check_tokens({token}, config_.vocab_size);
  check_intervention(iv, state, /*whole_text_allowed=*/false, "step");
  const Tracer cb(rec, &be_, state.position);
  Tensor x = be_.embedding(embed_, {token});  // [1, D]
  x = run_layers(x, state, cb, /*recurrent=*/true, -1, iv);
  trace_memory(cb, state.position, 1);
  state.position += 1;
  Tensor logits = head(x, cb, true);
  cb.flush();
  return logits;
}

int64_t Model::state_bytes() const {
  int64_t b = 0;
  for (const Layer& L : layers_) b += L.mixer->state_bytes();
  return b;
}

int64_t Model::kv_bytes_per_token() const {
  int64_t b = 0;
  for (const Layer& L : layers_) b += L.mixer->kv_bytes(1) + (L.hybrid ? L.hybrid->kv_bytes(1) : 0);
  return b;
}

std::string unused_tensors_warning(const Model& m) {
  const auto& unused = m.unused_tensors();
  if (unused.empty()) return "";
  std::string list;
  for (size_t i = 0; i < unused.size() && i < 5; ++i) list += (i ? ", " : "") + unused[i];
  if (unused.size() > 5) list += ", ... (" + std::to_string(unused.size() - 5) + " more)";
  return m.dir() + ": " + std::to_string(unused.size()) + (unused.size() == 1 ? " tensor is" : " tensors are") +
         " not used by this config (check config.json): " + list;
}

}  // namespace ss
