#include "exploration.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <set>
#include <stdexcept>

#include "error.h"
#include "trace_store.h"

namespace ss {

namespace {

// Keeps the mean Δ of every SSM layer per token, and nothing else (the full Δ is recomputed per window).
class MeanDeltaSink final : public TraceSink {
 public:
  explicit MeanDeltaSink(std::vector<std::vector<float>>& out) : out_(out) {}
  bool wants(const std::string& name, int /*layer*/) const override {
    return name == trace::kMambaDelta || name == trace::kMamba2Delta;
  }
  void record(const std::string& /*name*/, int layer, int64_t pos0, const Tensor& host) override {
    const int64_t T = host.size(0), cols = host.numel() / std::max<int64_t>(T, 1);  // [T, Di] or [T, H]
    std::vector<float>& v = out_[layer];
    if (static_cast<int64_t>(v.size()) < pos0 + T) v.resize(pos0 + T);
    for (int64_t t = 0; t < T; ++t) {
      double s = 0;
      for (int64_t c = 0; c < cols; ++c) s += host.data()[t * cols + c];
      v[pos0 + t] = static_cast<float>(s / std::max<int64_t>(cols, 1));
    }
  }

 private:
  std::vector<std::vector<float>>& out_;
};

}  // namespace

LayerWindow sub_window(const LayerWindow& w, int64_t t0, int64_t t1) {
  if (t0 < w.t0 || t1 > w.t1 || t0 >= t1)
    throw Error("", "window", "[" + std::to_string(t0) + ", " + std::to_string(t1) + ") is not inside [" + std::to_string(w.t0) + ", " +
                                  std::to_string(w.t1) + ")");
  LayerWindow out = w;
  out.t0 = t0;
  out.t1 = t1;
  const int64_t a = t0 - w.t0, b = t1 - w.t0;
  for (Tensor LayerWindow::*f : {&LayerWindow::x, &LayerWindow::delta, &LayerWindow::B, &LayerWindow::C, &LayerWindow::states, &LayerWindow::logits})
    if (!(w.*f).empty()) out.*f = (w.*f).row_range(a, b);  // no copy
  if (!w.attn.empty()) {
    const int64_t W = w.t1 - w.t0, n = t1 - t0;
    out.attn = Tensor::zeros({n, n});
    for (int64_t i = 0; i < n; ++i) std::memcpy(out.attn.data() + i * n, w.attn.data() + (a + i) * W + a, n * sizeof(float));
  }
  return out;
}

int64_t LayerWindow::bytes() const {
  int64_t n = 0;
  for (const Tensor* t : {&x, &delta, &B, &C, &states, &attn, &logits}) n += t->numel();
  return n * static_cast<int64_t>(sizeof(float));
}

// Records, during recurrent steps, what the watched tail window of one layer needs (one row per
// token; an attention layer's probability rows into its [W, W] probs window), and passes Δ on to `inner`.
class TailSink final : public TraceSink {
 public:
  TailSink(TraceSink& inner, int layer, std::set<std::string> names, std::optional<ProbsWindow> window)
      : inner_(inner), layer_(layer), names_(std::move(names)), window_(window) {
    if (window_) probs = Tensor::zeros({window_->t1 - window_->t0, window_->t1 - window_->t0});  // [W, W]
  }
  bool wants(const std::string& name, int layer) const override {
    return inner_.wants(name, layer) || (layer == layer_ && names_.count(name));
  }
  void record(const std::string& name, int layer, int64_t pos0, const Tensor& host) override {
    if (inner_.wants(name, layer)) inner_.record(name, layer, pos0, host);
    if (layer != layer_ || !names_.count(name)) return;
    if (name == trace::kAttnProbs && window_) {  // [R, W] rows from max(t0, pos0)
      const int64_t W = window_->t1 - window_->t0, r0 = std::max(window_->t0, pos0) - window_->t0;
      if (host.size(1) != W || r0 + host.size(0) > W) throw std::logic_error("TailSink: attn.probs rows outside the window");
      std::copy(host.data(), host.data() + host.numel(), probs.data() + r0 * W);
    } else {
      rows[name].push_back(host);
    }
  }
  // What the steps record: the probs window of the watched attention layer, if any.
  Recording recording() {
    Recording r(this);
    if (window_) r.probs_windows[layer_] = *window_;
    return r;
  }
  std::map<std::string, std::vector<Tensor>> rows;  // per name, one [1, ...] (or state) tensor per step
  Tensor probs;                                     // [W, W], the rows of the steps' queries filled

 private:
  TraceSink& inner_;
  int layer_;
  std::set<std::string> names_;
  std::optional<ProbsWindow> window_;
};

std::vector<float> softmax_row(const float* logits, int64_t V) {
  const float mx = *std::max_element(logits, logits + V);
  double z = 0;
  for (int64_t v = 0; v < V; ++v) z += std::exp(double(logits[v]) - mx);
  std::vector<float> p(V);
  for (int64_t v = 0; v < V; ++v) p[v] = static_cast<float>(std::exp(double(logits[v]) - mx) / z);
  return p;
}

std::unique_ptr<Exploration> Exploration::open(const std::string& dir, std::unique_ptr<Backend> be, int64_t snapshot_every,
                                               int64_t snapshot_budget) {
  if (snapshot_every < 1) throw Error("", "snapshot_every", "must be at least 1");
  if (snapshot_budget < 0) throw Error("", "snapshot_budget", "must not be negative");
  auto model = Model::load(dir, *be);
  if (model->config().vocab_size < 256)
    throw Error(dir + "/config.json", "vocab_size", std::to_string(model->config().vocab_size) +
                                                        " is under 256: the model cannot read raw bytes");
  std::unique_ptr<Exploration> e(new Exploration(std::move(be), std::move(model), snapshot_every, snapshot_budget));
  // A of every SSM layer on the host, for the semiseparable matrix.
  for (int l = 0; l < e->config().n_layers; ++l) {
    const Tensor A = e->model_->mixer(l).ssm_A();  // Mamba [Di, N]; Mamba-2 [H]; empty for attention
    if (!A.empty()) e->A_[l] = e->be_->to_host(A);
  }
  return e;
}

Exploration::Exploration(std::unique_ptr<Backend> be, std::unique_ptr<Model> m, int64_t snapshot_every, int64_t snapshot_budget)
    : be_(std::move(be)), model_(std::move(m)), snapshot_every_(snapshot_every), snapshot_budget_(snapshot_budget) {
  const int L = model_->config().n_layers;
  mean_delta_.resize(L);
  A_.resize(L);
  live_ = model_->initial_state();
  snapshots_[0] = Snapshot{model_->clone_state(live_), {}};
  if (TaskKind k; folder_task_kind(model_->dir(), &k)) task_ = k;
}

Exploration::~Exploration() = default;

std::string Exploration::name() const { return std::filesystem::path(model_->dir()).filename().string(); }
std::string Exploration::backend_name() const { return be_->name(); }

std::vector<int64_t> Exploration::snapshot_positions() const {
  std::vector<int64_t> out;
  for (const auto& [p, s] : snapshots_) out.push_back(p);
  return out;
}

const std::vector<float>& Exploration::mean_delta(int layer) const { return mean_delta_.at(layer); }
const Tensor& Exploration::ssm_A(int layer) const { return A_.at(layer); }

std::vector<int32_t> Exploration::tokens(int64_t a, int64_t b) const {
  return std::vector<int32_t>(ids_.begin() + a, ids_.begin() + b);
}

int64_t Exploration::token_at_byte(int64_t b) const {
  if (spans_) return spans_->token_at_byte(b);
  return std::clamp<int64_t>(b, 0, std::max<int64_t>(size() - 1, 0));
}

int64_t Exploration::computed_bytes() const {
  if (!spans_) return computed_;
  return computed_ == 0 ? 0 : spans_->end[computed_ - 1];
}


int64_t Exploration::snapshot_at_or_before(int64_t t) const {
  auto it = snapshots_.upper_bound(t);
  return std::prev(it)->first;  // position 0 is always there
}

// The first `keep` positions of every head of a cache, in a new cache with room for `capacity`
// positions (the rows past `keep` are stale and get overwritten by later appends).
KvCache Exploration::cache_prefix(const KvCache& live, int64_t keep, int64_t capacity) const {
  KvCache kv;
  kv.length = std::min(keep, live.length);
  if (live.k.empty()) return kv;
  const int64_t Hkv = live.k.size(0), cap = live.capacity(), hd = live.k.size(2);
  const int64_t c = std::clamp<int64_t>(capacity, std::max<int64_t>(kv.length, 1), cap);
  // [Hkv, cap, hd] seen as [Hkv, cap * hd]: the first c positions of each head are its first c * hd columns.
  kv.k = be_->slice_cols(live.k.reshaped({Hkv, cap * hd}), 0, c * hd).reshaped({Hkv, c, hd});
  kv.v = be_->slice_cols(live.v.reshaped({Hkv, cap * hd}), 0, c * hd).reshaped({Hkv, c, hd});
  return kv;
}

ModelState Exploration::restore(int64_t position, int64_t capacity) const {
  ModelState st = model_->clone_state(snapshots_.at(position).state);
  // The cache up to `position` is a prefix of the live cache: copy that much, not the whole cache.
  for (size_t l = 0; l < st.layers.size(); ++l)
    if (model_->config().has_kv_cache(static_cast<int>(l))) st.layers[l].kv = cache_prefix(live_.layers[l].kv, position, capacity);
  return st;
}

void Exploration::rewind(int64_t position) {
  const int64_t s = snapshot_at_or_before(position);
  tail_.reset();
  live_ = restore(s, s + 2 * snapshot_every_);
  next_logits_ = snapshots_.at(s).next_logits;
  snapshots_.erase(snapshots_.upper_bound(s), snapshots_.end());
  surprisal_.resize(s);
  for (auto& v : mean_delta_) v.resize(std::min<size_t>(v.size(), s));
  computed_ = s;
}

void Exploration::save_snapshot_if_due() {
  if (computed_ % snapshot_every_ != 0 || snapshots_.count(computed_)) return;
  Snapshot snap;
  snap.state.position = live_.position;
  for (const LayerState& ls : live_.layers) {  // SSM and conv states only: caches are prefixes of the live one
    LayerState c;
    if (!ls.conv_state.empty()) c.conv_state = be_->clone(ls.conv_state);
    if (!ls.ssm_state.empty()) c.ssm_state = be_->clone(ls.ssm_state);
    snap.state.layers.push_back(std::move(c));
  }
  snap.next_logits = next_logits_;
  snapshots_[computed_] = std::move(snap);
  // Past the memory budget: keep every other snapshot (those at multiples of the doubled spacing,
  // position 0 among them), so the snapshots left still sit at every multiple of the spacing.
  while (static_cast<int64_t>(snapshots_.size()) > 2 && static_cast<int64_t>(snapshots_.size()) * snapshot_bytes() > snapshot_budget_) {
    snapshot_every_ *= 2;
    for (auto it = snapshots_.begin(); it != snapshots_.end();) it = it->first % snapshot_every_ ? snapshots_.erase(it) : std::next(it);
  }
}

int64_t Exploration::snapshot_bytes() const {
  return model_->state_bytes() + config().vocab_size * static_cast<int64_t>(sizeof(float));  // states + next logits
}

void Exploration::tally(MemoryTally& m) const {
  m.add_bytes(static_cast<int64_t>(snapshots_.size()) * snapshot_bytes());
  m.add_bytes(static_cast<int64_t>(bytes_.capacity() + ids_.capacity() * sizeof(int32_t) + surprisal_.capacity() * sizeof(float)));
  for (const auto& v : mean_delta_) m.add_bytes(static_cast<int64_t>(v.capacity() * sizeof(float)));
  if (spans_) m.add_bytes(static_cast<int64_t>(spans_->ids.capacity() * (sizeof(int32_t) + 2 * sizeof(int64_t) + sizeof(std::string))));
  if (tail_) {
    for (const Tensor* t : {&tail_->w.x, &tail_->w.delta, &tail_->w.B, &tail_->w.C, &tail_->w.states, &tail_->w.attn, &tail_->w.logits}) m.add(*t);
    for (const auto& [name, rows] : tail_->rows) m.add(rows.buf);
  }
}

void Exploration::consume_logits(const Tensor& logits, int64_t pos0) {
  const int64_t T = logits.size(0), V = logits.size(1);
  const double ln2 = std::log(2.0);
  for (int64_t r = 0; r < T; ++r) {
    const int64_t b = pos0 + r;  // token b is predicted by the logits after token b-1
    float s = std::numeric_limits<float>::quiet_NaN();
    const float* prev = r > 0 ? logits.data() + (r - 1) * V : (next_logits_.empty() ? nullptr : next_logits_.data());
    if (prev) {
      const float mx = *std::max_element(prev, prev + V);
      double z = 0;
      for (int64_t v = 0; v < V; ++v) z += std::exp(double(prev[v]) - mx);
      s = static_cast<float>(-(double(prev[ids_[b]]) - mx - std::log(z)) / ln2);
    }
    surprisal_.push_back(s);
  }
  next_logits_.assign(logits.data() + (T - 1) * V, logits.data() + T * V);
}

void Exploration::run_steps(UpdateStats& st) {
  st.recurrent = true;
  MeanDeltaSink mean_delta(mean_delta_);
  if (tail_ && tail_->w.t1 != computed_) tail_.reset();
  // The watched tail window moves with the text: the steps trace its layer as they go.
  std::optional<TailSink> tail_sink;
  int64_t new_t0 = 0;
  if (tail_) {
    const LayerWindow& w = tail_->w;
    new_t0 = std::max(w.t0, size() - kTailMax);
    std::set<std::string> names;  // a Falcon-H1 layer (AttentionMamba2): its Mamba-2's and its attention's
    if (ssm_kind(w.kind) == MixerKind::Mamba) names = {trace::kMambaX, trace::kMambaDelta, trace::kMambaB, trace::kMambaC, trace::kMambaState};
    if (ssm_kind(w.kind) == MixerKind::Mamba2) names = {trace::kMamba2X, trace::kMamba2Delta, trace::kMamba2B, trace::kMamba2C, trace::kMamba2State};
    std::optional<ProbsWindow> window;
    if (has_attention(w.kind) && (w.kind == MixerKind::Attention || !w.attn.empty())) {
      names.insert(trace::kAttnProbs);
      window = ProbsWindow{tail_->head, new_t0, size()};
    }
    tail_sink.emplace(mean_delta, w.layer, std::move(names), window);
  }
  const Recording rec = tail_sink ? tail_sink->recording() : Recording(&mean_delta);
  while (computed_ < size()) {
    Tensor logits = model_->step(ids_[computed_], live_, rec, iv_);  // [1, V]
    consume_logits(logits, computed_);
    ++computed_;
    ++st.tokens;
    save_snapshot_if_due();
  }
  if (tail_sink) extend_tail(*tail_sink, new_t0);
}

void Exploration::extend_tail(TailSink& sink, int64_t new_t0) {
  Tail& tail = *tail_;
  LayerWindow& w = tail.w;
  const int64_t old_t0 = w.t0, old_t1 = w.t1, drop = new_t0 - old_t0, keep = old_t1 - new_t0;
  const int64_t added = computed_ - old_t1, W = computed_ - new_t0;
  if (has_attention(w.kind) && !w.attn.empty()) {  // the old rows and columns that stay, then the new queries' rows
    const int64_t Wold = old_t1 - old_t0;
    Tensor m = sink.probs;  // [W, W], the new queries' rows filled
    for (int64_t i = 0; i < keep; ++i) std::memcpy(m.data() + i * W, w.attn.data() + (drop + i) * Wold + drop, keep * sizeof(float));
    w.attn = m;
  }
  if (has_ssm(w.kind)) {
    // Per part: the step rows go after the kept ones in the part's buffer; a full buffer is replaced
    // by one twice the window (views handed out earlier keep the old one), so a row is copied about
    // once per W appends.
    for (const auto& [field, name] : tail_parts(w.kind)) {
      Tensor& view = w.*field;
      if (view.empty()) continue;
      Tail::Rows& rows = tail_rows(tail, name, view);
      Tensor& buf = rows.buf;
      const std::vector<Tensor>& more = sink.rows[name];
      if (static_cast<int64_t>(more.size()) != added) throw std::logic_error("extend_tail: missing step rows of " + std::string(name));
      const int64_t row = view.numel() / std::max<int64_t>(view.size(0), 1);
      int64_t f = rows.first + drop;
      if (f + W > buf.size(0)) {  // full: a new buffer with room for W more rows
        grow_tail_rows(rows, f, keep, W);
        f = 0;
      }
      for (int64_t k = 0; k < added; ++k) std::memcpy(buf.data() + (f + keep + k) * row, more[k].data(), row * sizeof(float));
      view = buf.row_range(f, f + W);
      rows.first = f;
    }
  }
  w.t0 = new_t0;
  w.t1 = computed_;
}

Exploration::Tail::Rows& Exploration::tail_rows(Tail& tail, const std::string& name, const Tensor& view) {
  return tail.rows.try_emplace(name, Tail::Rows{view, 0}).first->second;  // the traced window is the first buffer
}

void Exploration::grow_tail_rows(Tail::Rows& rows, int64_t from, int64_t keep, int64_t W) {
  Tensor& buf = rows.buf;
  const int64_t row = buf.numel() / std::max<int64_t>(buf.size(0), 1);
  Shape shape = buf.shape();
  shape[0] = 2 * W;
  Tensor nb(allocate_host(shape_numel(shape)), shape, Device::Cpu);  // rows past `keep` uninitialised
  std::memcpy(nb.data(), buf.data() + from * row, keep * row * sizeof(float));
  buf = nb;
  rows.first = 0;
}

std::vector<std::pair<Tensor LayerWindow::*, const char*>> Exploration::tail_parts(MixerKind kind) {
  const bool m1 = ssm_kind(kind) == MixerKind::Mamba;
  return {{&LayerWindow::x, m1 ? trace::kMambaX : trace::kMamba2X},
          {&LayerWindow::delta, m1 ? trace::kMambaDelta : trace::kMamba2Delta},
          {&LayerWindow::B, m1 ? trace::kMambaB : trace::kMamba2B},
          {&LayerWindow::C, m1 ? trace::kMambaC : trace::kMamba2C},
          {&LayerWindow::states, m1 ? trace::kMambaState : trace::kMamba2State}};
}

void Exploration::prepare_for_typing() {
  prepare_tail();
  // A KV cache that is full doubles at the next append, copying every key and value: for llama-bytes at
  // 16 KB on the CPU that first keystroke took 444 ms, 44 ms with the room made here (a text of 2^k
  // bytes fills the cache exactly). Grown now instead, with the
  // backend's own append (its capacity doubles; the rows past `length` are never read). On a GPU the
  // copy is a device copy of a few ms, and its BF16 mirror follows the appends: left as it is.
  if (be_->name() != "cpu") return;
  for (LayerState& ls : live_.layers) {
    KvCache& kv = ls.kv;
    if (kv.k.empty() || kv.capacity() - kv.length >= kTailRoom) continue;
    const Tensor room = be_->empty({kTailRoom, kv.k.size(0), kv.k.size(2)});  // [T, Hkv, hd], contents unused
    be_->kv_append(kv, room, room);
    kv.length -= kTailRoom;
  }
}

void Exploration::prepare_tail() const {
  if (!tail_ || !has_ssm(tail_->w.kind)) return;
  Tail& tail = *tail_;
  LayerWindow& w = tail.w;
  const int64_t W = w.t1 - w.t0;
  for (const auto& [field, name] : tail_parts(w.kind)) {
    Tensor& view = w.*field;
    if (view.empty()) continue;
    Tail::Rows& rows = tail_rows(tail, name, view);
    if (rows.first + W + kTailRoom <= rows.buf.size(0)) continue;  // room for the next steps' rows already
    grow_tail_rows(rows, rows.first, W, W);
    view = rows.buf.row_range(0, W);
  }
}

void Exploration::run_forward(const RunControl& rc, UpdateStats& st) {
  tail_.reset();  // a long run: the views retrace their window once afterwards
  MeanDeltaSink sink(mean_delta_);
  const int64_t total = size() - computed_;
  while (computed_ < size()) {
    if (rc.cancel && rc.cancel->load()) {
      st.cancelled = true;
      return;
    }
    // Chunks end on snapshot positions, so every snapshot is taken on the way.
    const int64_t n = std::min(snapshot_every_ - computed_ % snapshot_every_, size() - computed_);
    Tensor logits = model_->forward(tokens(computed_, computed_ + n), live_, Recording(&sink), true, iv_);  // [n, V]
    consume_logits(logits, computed_);
    computed_ += n;
    st.tokens += n;
    save_snapshot_if_due();
    if (rc.progress) rc.progress(st.tokens, total);
  }
}

UpdateStats Exploration::set_bytes(std::vector<uint8_t> bytes, const RunControl& rc) {
  // The model's tokens of the new text: the bytes themselves, or the tokenizer's tokens of the whole
  // text (an edit can change tokens before it: a merge across the edit point; so nothing is reused).
  std::vector<int32_t> ids;
  std::shared_ptr<TokenSpans> spans;
  if (model_->has_tokenizer()) {
    const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    const std::vector<TokenPiece> pieces = model_->tokenize(text);
    spans = std::make_shared<TokenSpans>();
    for (const TokenPiece& p : pieces) {
      spans->ids.push_back(p.id);
      spans->begin.push_back(p.begin);
      spans->end.push_back(p.end);
      spans->labels.push_back(token_label(*model_->tokenizer(), p, text));
    }
    ids = spans->ids;
  } else {
    ids.assign(bytes.begin(), bytes.end());
  }
  // Results stay valid up to the first token that changed.
  int64_t common = 0;
  const int64_t n = std::min<int64_t>(computed_, static_cast<int64_t>(ids.size()));
  while (common < n && ids_[common] == ids[common]) ++common;
  const bool text_changed = ids != ids_;
  bytes_ = std::move(bytes);
  ids_ = std::move(ids);
  spans_ = std::move(spans);
  // Δ → average: the means are over the whole text, so a new text means new means and every result
  // recomputed from token 0 with them (one pass for the means, then the usual runs).
  if (iv_.mean_delta && (text_changed || iv_.delta_means.empty())) {
    iv_.delta_means.clear();
    if (!ids_.empty()) iv_.delta_means = model_->average_delta(ids_).delta_means;
    common = 0;
  }
  if (common < computed_) rewind(common);
  return run_to_end(rc);
}

UpdateStats Exploration::append(const std::vector<uint8_t>& more, const RunControl& rc) {
  // A tokenizer model may merge the new bytes with the last tokens, and Δ → average takes new means
  // over the whole text: both need the whole text again.
  if (model_->has_tokenizer() || iv_.mean_delta) {
    std::vector<uint8_t> b = bytes_;
    b.insert(b.end(), more.begin(), more.end());
    return set_bytes(std::move(b), rc);
  }
  // A byte model: the bytes are the tokens and nothing before them changes, so the text grows in
  // place (O(more) amortised: no copy of the text, no compare with the old one). What runs is what
  // set_bytes runs for the same text: the tokens from computed() on.
  bytes_.insert(bytes_.end(), more.begin(), more.end());
  ids_.insert(ids_.end(), more.begin(), more.end());
  return run_to_end(rc);
}

UpdateStats Exploration::run_to_end(const RunControl& rc) {
  UpdateStats st;
  st.from = computed_;
  if (computed_ == size()) return st;
  if (size() - computed_ <= kStepAppendLimit) run_steps(st);
  else run_forward(rc, st);
  return st;
}

void Exploration::set_delta_average(bool on) {
  if (on == iv_.mean_delta) return;
  iv_ = Intervention{};
  iv_.mean_delta = on;
  rewind(0);  // every result was the other model's
}

std::vector<float> Exploration::next_byte_probs(int64_t t) const {
  if (t < 0 || t >= computed_) throw Error("", "token", std::to_string(t) + " is outside the computed 0.." + std::to_string(computed_ - 1));
  const int64_t V = config().vocab_size;
  if (t == computed_ - 1) return softmax_row(next_logits_.data(), V);
  if (snapshots_.count(t + 1)) return softmax_row(snapshots_.at(t + 1).next_logits.data(), V);
  const int64_t s = snapshot_at_or_before(t);
  ModelState st = restore(s, t + 1);
  query_tokens_run_ += t + 1 - s;
  Tensor logits = model_->forward(tokens(s, t + 1), st, {}, true, iv_);  // [t+1-s, V]
  return softmax_row(logits.data() + (logits.size(0) - 1) * V, V);
}

std::vector<float> Exploration::next_byte_probs(int64_t t0, int64_t t1) const {
  if (t0 < 0 || t1 > computed_ || t0 >= t1)
    throw Error("", "tokens", "[" + std::to_string(t0) + ", " + std::to_string(t1) + ") is outside the computed 0.." + std::to_string(computed_ - 1));
  const int64_t V = config().vocab_size;
  std::vector<float> out(static_cast<size_t>((t1 - t0) * V));  // [t1 - t0, V]
  auto put = [&](int64_t t, const float* logits) {
    const std::vector<float> p = softmax_row(logits, V);
    std::copy(p.begin(), p.end(), out.begin() + (t - t0) * V);
  };
  for (int64_t t = t0; t < t1;) {
    // Kept logits: after the last token, or the snapshot after token t.
    if (t == computed_ - 1) {
      put(t, next_logits_.data());
      ++t;
      continue;
    }
    if (auto it = snapshots_.find(t + 1); it != snapshots_.end()) {
      put(t, it->second.next_logits.data());
      ++t;
      continue;
    }
    // One rerun from the snapshot at or before t up to the next snapshot, the range's end or the last
    // computed token (whose logits are kept), whichever comes first.
    const int64_t s = snapshot_at_or_before(t);
    auto next = snapshots_.upper_bound(t);
    int64_t e = std::min(t1, computed_ - 1);
    if (next != snapshots_.end()) e = std::min(e, next->first - 1);
    ModelState st = restore(s, e);
    query_tokens_run_ += e - s;
    const Tensor logits = model_->forward(tokens(s, e), st, {}, true, iv_);  // [e - s, V]
    for (; t < e; ++t) put(t, logits.data() + (t - s) * V);
  }
  return out;
}

ModelState Exploration::state_at(int64_t t, int layer) const {
  if (t < 0 || t >= computed_) throw Error("", "token", std::to_string(t) + " is outside the computed 0.." + std::to_string(computed_ - 1));
  const int L = config().n_layers;
  if (layer >= L) throw Error("", "layer", std::to_string(layer) + " is not a layer of " + name());
  auto wanted = [&](int l) { return layer < 0 || l == layer; };
  ModelState st;
  st.position = t + 1;
  st.layers.resize(L);
  if (layer >= 0 && config().mixers[layer] == MixerKind::Attention) {
    // An attention layer's state after token t is the first t + 1 rows of the live cache: no compute.
    st.layers[layer].kv = cache_prefix(live_.layers[layer].kv, t + 1, t + 1);
  } else if (t == computed_ - 1) {
    for (int l = 0; l < L; ++l) if (wanted(l)) st.layers[l] = live_.layers[l];
  } else {
    // Rerun from the snapshot at or before t + 1, through the layers up to the one asked for.
    const int64_t s = snapshot_at_or_before(t + 1);
    st = restore(s, t + 1);
    if (s < t + 1) model_->forward_through(tokens(s, t + 1), st, layer < 0 ? L : layer + 1, Recording{}, iv_);
    query_tokens_run_ += t + 1 - s;
  }
  ModelState host;
  host.position = t + 1;
  host.layers.resize(L);
  for (int l = 0; l < L; ++l) {
    if (!wanted(l)) continue;
    const LayerState& ls = st.layers[l];
    LayerState& h = host.layers[l];
    if (!ls.conv_state.empty()) h.conv_state = be_->to_host(ls.conv_state);
    if (!ls.ssm_state.empty()) h.ssm_state = be_->to_host(ls.ssm_state);
    if (!ls.kv.k.empty()) {  // the held positions only
      const KvCache kv = cache_prefix(ls.kv, ls.kv.length, ls.kv.length);
      h.kv.k = be_->to_host(kv.k);
      h.kv.v = be_->to_host(kv.v);
    }
    h.kv.length = ls.kv.length;
  }
  return host;
}

Tensor Exploration::cached_keys(int64_t t, int layer, int kv_head) const {
  if (t < 0 || t >= computed_) throw Error("", "token", std::to_string(t) + " is outside the computed 0.." + std::to_string(computed_ - 1));
  if (layer < 0 || layer >= config().n_layers || !config().has_kv_cache(layer))
    throw Error("", "layer", std::to_string(layer) + " is not an attention layer of " + name());
  const KvCache& kv = live_.layers[layer].kv;  // k [Hkv, cap, hd]
  const int64_t Hkv = kv.k.size(0), cap = kv.capacity(), hd = kv.k.size(2);
  if (kv_head < 0 || kv_head >= Hkv) throw Error("", "kv_head", std::to_string(kv_head) + " is outside 0.." + std::to_string(Hkv - 1));
  // Head h's first t + 1 positions are one contiguous run of the cache.
  const int64_t c0 = kv_head * cap * hd;
  return be_->to_host(be_->slice_cols(kv.k.reshaped({1, Hkv * cap * hd}), c0, c0 + (t + 1) * hd)).reshaped({t + 1, hd});
}

LayerWindow Exploration::trace_window(int layer, int64_t t0, int64_t t1, unsigned parts, int head) const {
  const ModelConfig& c = config();
  if (layer < 0 || layer >= c.n_layers) throw Error("", "layer", std::to_string(layer) + " is not a layer of " + name());
  if (t0 < 0 || t1 > computed_ || t0 >= t1)
    throw Error("", "window", "[" + std::to_string(t0) + ", " + std::to_string(t1) + ") is outside the computed 0.." + std::to_string(computed_));
  LayerWindow w;
  w.layer = layer;
  w.kind = c.mixers[layer];
  w.head = head;
  w.t0 = t0;
  w.t1 = t1;
  // Zamba2's hybrid layer: its Mamba-2 parts as any Mamba-2 layer's, and with kWindowAttention the
  // probabilities of its use of the shared block's attention (traced, never from the tail recorder:
  // the tail follows the attention of a layer whose own kind has one, has_attention(kind)).
  const bool shared_attention = (parts & kWindowAttention) && c.shared_block(layer) >= 0;
  const bool tail_kind = !(parts & kWindowLogits) && !shared_attention && t1 == computed_ && t1 - t0 <= kTailMax;
  if (tail_kind && tail_ && tail_->layer == layer && tail_->head == head && (tail_->parts & parts) == parts &&
      tail_->w.t1 == t1 && tail_->w.t0 <= t0)
    return sub_window(tail_->w, t0, t1);

  TraceRequest req;
  req.layers = {layer};
  req.names = {"(none)"};  // an empty set would mean every name
  const bool m1 = ssm_kind(w.kind) == MixerKind::Mamba, m2 = ssm_kind(w.kind) == MixerKind::Mamba2;  // Falcon-H1: its Mamba-2
  if ((parts & kWindowGate) && m1) req.names.insert({trace::kMambaX, trace::kMambaDelta, trace::kMambaB, trace::kMambaC});
  if ((parts & kWindowGate) && m2) req.names.insert({trace::kMamba2X, trace::kMamba2Delta, trace::kMamba2B, trace::kMamba2C});
  if ((parts & kWindowStates) && (m1 || m2)) {
    req.names.insert(m1 ? trace::kMambaStridedStates : trace::kMamba2StridedStates);
    req.state_stride = 1;
  }
  if ((parts & kWindowAttention) && c.has_kv_cache(layer)) {
    req.names.insert(trace::kAttnProbs);
    req.probs_windows[layer] = ProbsWindow{head, t0, t1};
  }
  TraceStore store(req);
  const int64_t s = snapshot_at_or_before(t0);
  ModelState st = restore(s, t1);
  query_tokens_run_ += t1 - s;
  Tensor logits;
  if (parts & kWindowLogits) logits = model_->forward(tokens(s, t1), st, store.recording(), true, iv_);
  else model_->forward_through(tokens(s, t1), st, layer + 1, store.recording(), iv_);  // the layers up to this one

  // Rows [t0, t1) of the run's traces: views (no copy; the rows from the snapshot to t0 stay allocated
  // with them, at most snapshot_every per window).
  const int64_t a = t0 - s, b = t1 - s;
  auto get = [&](const char* n) {
    const Tensor t = store.get(n, layer);
    return t.empty() ? t : t.row_range(a, b);
  };
  if (m1) {
    w.x = get(trace::kMambaX);
    w.delta = get(trace::kMambaDelta);
    w.B = get(trace::kMambaB);
    w.C = get(trace::kMambaC);
    w.states = get(trace::kMambaStridedStates);
  } else if (m2) {
    w.x = get(trace::kMamba2X);
    w.delta = get(trace::kMamba2Delta);
    w.B = get(trace::kMamba2B);
    w.C = get(trace::kMamba2C);
    w.states = get(trace::kMamba2StridedStates);
  }
  if (c.has_kv_cache(layer)) w.attn = store.get(trace::kAttnProbs, layer);  // empty when not asked for
  if (parts & kWindowLogits) w.logits = logits.row_range(a, b);
  if (tail_kind) tail_ = Tail{layer, head, parts, w, {}};
  return w;
}

int64_t Exploration::live_kv_bytes() const {
  int64_t b = 0;
  for (const LayerState& ls : live_.layers)
    if (!ls.kv.k.empty()) b += 2 * ls.kv.k.size(0) * ls.kv.length * ls.kv.k.size(2) * static_cast<int64_t>(sizeof(float));
  return b;
}

std::vector<CostSample> Exploration::measure_cost(const std::vector<int64_t>& lengths, int repeats, const RunControl& rc) const {
  std::vector<CostSample> out;
  uint32_t seed = 12345;
  for (size_t i = 0; i < lengths.size(); ++i) {
    if (rc.cancel && rc.cancel->load()) break;
    std::vector<int32_t> toks(lengths[i]);
    for (int64_t t = 0; t < lengths[i]; ++t) {  // the text repeated, or pseudo-random bytes without one
      seed = seed * 1664525u + 1013904223u;
      toks[t] = ids_.empty() ? static_cast<int32_t>(seed >> 24) : ids_[t % ids_.size()];
    }
    CostSample c{lengths[i], std::numeric_limits<double>::infinity()};
    for (int r = 0; r < std::max(repeats, 1); ++r) {
      ModelState st = model_->initial_state();
      const auto t0 = std::chrono::steady_clock::now();
      model_->forward(toks, st, {}, true);
      c.seconds = std::min(c.seconds, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    out.push_back(c);
    if (rc.progress) rc.progress(static_cast<int64_t>(i + 1), static_cast<int64_t>(lengths.size()));
  }
  return out;
}

}  // namespace ss
