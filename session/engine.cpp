#include "engine.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <exception>
#include <stdexcept>
#include <utility>

#include "window_matrix.h"

namespace ss {

const char* view_name(View v) {
  switch (v) {
    case View::State: return "state";
    case View::Delta: return "delta";
    case View::Matrix: return "matrix";
    case View::Prediction: return "prediction";
    case View::Memory: return "memory";
    case View::Cost: return "cost";
    case View::BlockRank: return "block_rank";
    case View::CellTerms: return "cell_terms";
  }
  return "?";
}

void Engine::adopt(uint64_t id, std::unique_ptr<Exploration> ex) { columns_[id].ex = std::move(ex); }

void Engine::sync_columns(const Document& d) {
  for (auto it = columns_.begin(); it != columns_.end();) {
    if (d.column_of(it->first) < 0) {
      matrices_.erase(it->first);
      it = columns_.erase(it);
    } else {
      ++it;
    }
  }
}

Engine::Column* Engine::column(const Document& d, int c) {
  return const_cast<Column*>(std::as_const(*this).column(d, c));
}

const Engine::Column* Engine::column(const Document& d, int c) const {
  if (c < 0 || c >= static_cast<int>(d.columns.size())) return nullptr;
  auto it = columns_.find(d.columns[c]->id);
  return it == columns_.end() || !it->second.ex ? nullptr : &it->second;
}

namespace {

// Seconds left for a model at `pos` of `end` tokens, from its chunks so far: (position, seconds per
// token) pairs fitted by r(p) = a + b p (attention: each token attends over all before it), then
// integrated over the tokens left. -1 before two chunks.
double time_left(const std::vector<std::pair<double, double>>& chunks, double pos, double end) {
  if (chunks.size() < 2) return -1;
  double sp = 0, sr = 0, spp = 0, spr = 0;
  for (const auto& [p, r] : chunks) {
    sp += p;
    sr += r;
    spp += p * p;
    spr += p * r;
  }
  const double n = double(chunks.size()), den = n * spp - sp * sp;
  double b = den > 0 ? (n * spr - sp * sr) / den : 0;
  b = std::max(0.0, b);
  const double a = std::max(0.0, (sr - b * sp) / n);
  return a * (end - pos) + b * (end * end - pos * pos) / 2;
}

}  // namespace

void Engine::apply_interventions(const Document& d) {
  for (int c = 0; c < static_cast<int>(d.columns.size()); ++c) {
    Column* col = column(d, c);
    if (!col || col->ex->delta_average() == d.averaged(c)) continue;
    col->ex->set_delta_average(d.averaged(c));
    col->version = 0;  // every result is recomputed
    drop_results(d.columns[c]->id);
  }
}

void Engine::drop_results(uint64_t id) {
  windows_.clear();
  frames_.clear();
  frame_order_.clear();
  per_token_.clear();
  predictions_.clear();
  matrices_.erase(id);
}

bool Engine::update(const Document& d, const RunControl& rc, const std::function<void(const Progress&)>& progress) {
  apply_interventions(d);
  int64_t total = 0, done = 0;
  for (int c = 0; c < static_cast<int>(d.columns.size()); ++c)
    if (Column* col = column(d, c); col && col->version != d.text_version) total += d.size();
  for (int c = 0; c < static_cast<int>(d.columns.size()); ++c) {
    Column* col = column(d, c);
    if (!col || col->version == d.text_version) continue;
    Exploration& ex = *col->ex;
    RunControl r;
    r.cancel = rc.cancel;
    // Progress is counted in text bytes (a tokenizer model's tokens are not known before it runs).
    int64_t before = std::min<int64_t>(ex.computed_bytes(), d.size());  // not const: a fallback to the CPU starts again at 0
    Progress pr;
    pr.total = total;
    pr.model = ex.name();
    pr.on_cpu = ex.backend_name() == "cpu";
    for (int l = 0; l < ex.config().n_layers; ++l) pr.quadratic |= ex.config().has_kv_cache(l);  // every layer with attention (Falcon-H1's, Zamba2's shared)
    std::vector<std::pair<double, double>> chunks;  // (position, seconds per token)
    auto last = std::chrono::steady_clock::now();
    int64_t lastN = 0;
    if (progress)
      r.progress = [&](int64_t n, int64_t of) {
        const auto now = std::chrono::steady_clock::now();
        const double perToken = double(d.size() - before) / double(std::max<int64_t>(of, 1));  // bytes per token of this update
        const double pos = before + perToken * n, mid = before + perToken * (n + lastN) / 2;
        if (n > lastN) chunks.emplace_back(mid, std::chrono::duration<double>(now - last).count() / (perToken * double(n - lastN)));
        last = now;
        lastN = n;
        pr.done = done + static_cast<int64_t>(pos);
        pr.eta_seconds = time_left(chunks, pos, double(d.size()));
        progress(pr);
      };
    try {
      col->error.clear();
      UpdateStats st;
      try {
        st = give_text(*col, d.text, r);
      } catch (const DeviceError& e) {
        if (!fall_back_to_cpu(d, c, e, "running " + ex.name())) throw;
        chunks.clear();
        before = lastN = 0;
        last = std::chrono::steady_clock::now();
        pr.on_cpu = true;
        st = give_text(*col, d.text, r);
      }
      if (st.cancelled) return false;
      col->version = d.text_version;
    } catch (const std::exception& e) {
      col->error = e.what();  // the column says why; the other models go on
      col->version = d.text_version;
    }
    done += d.size();
  }
  return true;
}

bool Engine::fall_back_to_cpu(const Document& d, int c, const DeviceError& e, const std::string& doing) {
  Column* col = column(d, c);
  const ColumnInfo& info = *d.columns[c];
  if (!col || !info.cpu_fallback || col->ex->backend_name() == "cpu") return false;
  col->notice = device_fallback_note(e, doing);
  col->ex.reset();  // the GPU's memory back first
  col->held = SharedText();
  col->version = 0;  // the whole text again, on the CPU
  try {
    col->ex = Exploration::open(info.dir, make_cpu_backend());
  } catch (const std::exception& again) {
    throw std::runtime_error(col->notice + "; opening it on the CPU failed too: " + again.what());
  }
  col->ex->set_delta_average(d.averaged(c));
  // Nothing computed on the GPU is shown after the fault (the caches are keyed by model id, which
  // stays; the CPU's numbers differ from the GPU's in the last bits).
  drop_results(info.id);
  return true;
}

UpdateStats Engine::give_text(Column& col, const SharedText& text, const RunControl& rc) {
  Exploration& ex = *col.ex;
  try {
    // A step (or typing at the end) appends to the text the model holds, in the same buffer: the
    // model gets the new bytes only, O(new bytes), with the numbers the whole text would give.
    const UpdateStats st = text.extends(col.held) ? ex.append(std::vector<uint8_t>(text.begin() + col.held.size(), text.end()), rc)
                                                  : ex.set_bytes(text.vector(), rc);
    col.held = text;
    return st;
  } catch (...) {
    col.held = SharedText(ex.bytes());  // whatever it holds now
    throw;
  }
}

bool Engine::up_to_date(const Document& d) const {
  for (size_t c = 0; c < d.columns.size(); ++c) {
    auto it = columns_.find(d.columns[c]->id);
    if (it == columns_.end() || !it->second.ex) continue;
    if (it->second.version != d.text_version || it->second.ex->delta_average() != d.averaged(int(c))) return false;
  }
  return true;
}

std::vector<Engine::ColumnStatus> Engine::status(const Document& d) const {
  std::vector<ColumnStatus> out;
  for (const auto& info : d.columns) {
    ColumnStatus s;
    s.id = info->id;
    auto it = columns_.find(info->id);
    if (it != columns_.end() && it->second.ex) {
      s.computed = std::min<int64_t>(it->second.ex->computed_bytes(), d.size());
      if (!(it->second.held == d.text)) s.computed = 0;  // a text the model has not seen yet
      s.error = it->second.error;
      s.notice = it->second.notice;
    } else {
      s.error = info->error;
    }
    out.push_back(s);
  }
  return out;
}

int64_t Engine::computed(const Document& d) const {
  int64_t n = d.size();
  bool any = false;
  for (const ColumnStatus& s : status(d))
    if (s.error.empty()) {
      n = std::min(n, s.computed);
      any = true;
    }
  return any ? n : 0;
}

Engine::Selection Engine::selection(const Document& d, int c) const {
  Selection s{d.token, d.w0, d.w1, d.size(), nullptr};
  const Column* col = column(d, c);
  if (!col || !col->ex->tokenized() || !(col->held == d.text)) return s;
  const Exploration& ex = *col->ex;
  s.tokens = ex.token_spans();
  s.size = ex.size();
  s.token = ex.token_at_byte(d.token);
  s.t0 = d.w0 == 0 ? 0 : ex.token_at_byte(d.w0);  // from the first byte: with the BOS
  s.t1 = d.w1 >= d.size() ? ex.size() : std::max(s.t0, ex.token_at_byte(d.w1 - 1)) + 1;  // to the end: with an EOS
  s.token = std::clamp(s.token, s.t0, s.t1 - 1);
  return s;
}

Frame Engine::header(View v, const Document& d, int c) const {
  Frame f;
  f.view = v;
  f.column = c;
  f.text_version = d.text_version;
  f.request = d.serial;
  const Selection s = selection(d, c);
  f.token = s.token;
  f.t0 = s.t0;
  f.t1 = s.t1;
  f.tokens = s.tokens;
  if (c >= 0 && c < static_cast<int>(d.columns.size())) {
    const ColumnInfo& info = *d.columns[c];
    const Choice ch = d.choices[c];
    f.model = info.name;
    f.layer = ch.layer;
    f.head = ch.head;
    f.channel = ch.channel;
    f.delta_average = d.averaged(c);
    if (info.loaded() && ch.layer < static_cast<int>(info.config.mixers.size())) {
      f.mixer = mixer_name(info.config.mixers[ch.layer]);
      // A layer with both an SSM and attention (Falcon-H1, Zamba2 hybrid): the part the view shows
      // (Δ: always the SSM)
      if (info.config.has_ssm_and_attention(ch.layer) && (v == View::State || v == View::Matrix || v == View::Delta))
        f.mixer = mixer_name(v == View::Delta ? ssm_kind(info.config.mixers[ch.layer]) : shown_mixer(info.config, ch));
    }
  }
  return f;
}

FramePtr Engine::frame(View v, const Document& d, int c) {
  if (c < 0 && v != View::Memory && v != View::Cost) c = d.active;
  const bool perModel = v != View::Memory && v != View::Cost;
  if (perModel) {
    Frame f = header(v, d, c);
    if (c < 0 || c >= static_cast<int>(d.columns.size())) {
      f.note = "no model";
      return std::make_shared<const Frame>(std::move(f));
    }
    Column* col = column(d, c);
    if (!d.columns[c]->loaded() || !col) {
      f.error = d.columns[c]->error.empty() ? "the model is not loaded" : d.columns[c]->error;
      return std::make_shared<const Frame>(std::move(f));
    }
    if (!col->error.empty()) {
      f.error = col->error;
      return std::make_shared<const Frame>(std::move(f));
    }
    if (d.size() == 0) {
      f.note = "no text";
      return std::make_shared<const Frame>(std::move(f));
    }
    const int64_t n = col->held == d.text ? col->ex->computed_bytes() : 0;
    if (d.token >= n) {
      f.note = "byte " + std::to_string(d.token) + " is not computed yet (" + std::to_string(n) + " of " + std::to_string(d.size()) + " bytes)";
      return std::make_shared<const Frame>(std::move(f));
    }
  }
  // The cache: the same view of the same model, layer, head/channel, selection and text.
  std::string key = std::string(view_name(v)) + "|" + std::to_string(d.text_version) + "|" + std::to_string(d.token) + "|" +
                    std::to_string(d.w0) + "|" + std::to_string(d.w1);
  if (perModel) {
    const Choice ch = d.choices[c];
    key += "|" + std::to_string(d.columns[c]->id) + (d.averaged(c) ? "|delta_average" : "");
    // The prediction is the whole model's: the same whatever layer, head or channel the column shows.
    if (v != View::Prediction)
      key += "|" + std::to_string(ch.layer) + "|" + std::to_string(ch.head) + "|" + std::to_string(ch.channel) + (ch.attention_part ? "|attention_part" : "");
  }
  const bool cacheable = v != View::Memory && v != View::Cost;
  if (cacheable) {
    auto it = frames_.find(key);
    if (it != frames_.end()) {
      ++hits_;
      // The same numbers; this document's serial (and column index, which may have shifted).
      auto f = std::make_shared<Frame>(*it->second);
      f->request = d.serial;
      f->column = c;
      if (v == View::Prediction) {  // kept across layers: the column's choice as it is now
        const Frame h = header(v, d, c);
        f->layer = h.layer;
        f->mixer = h.mixer;
        f->head = h.head;
        f->channel = h.channel;
      }
      return f;
    }
  }
  ++misses_;
  FramePtr f;
  try {
    f = build(v, d, c);
  } catch (const DeviceError& e) {
    Frame e2 = header(v, d, c);
    // A GPU fault while answering a view: a model opened with "auto" reruns the text on the CPU (the
    // session sees it is no longer up to date and updates it, then builds the views again).
    try {
      if (perModel && fall_back_to_cpu(d, c, e, "answering the " + std::string(view_name(v)) + " view"))
        e2.note = columns_.at(d.columns[c]->id).notice + "; rerunning on the CPU";
      else
        e2.error = e.what();
    } catch (const std::exception& failed) {
      e2.error = failed.what();
    }
    return std::make_shared<const Frame>(std::move(e2));
  } catch (const std::exception& e) {
    Frame e2 = header(v, d, c);
    e2.error = e.what();
    f = std::make_shared<const Frame>(std::move(e2));
  }
  if (cacheable && f->error.empty()) {
    // Frames of older texts are never asked for again (a text version is never reused): dropped, so
    // that the per-token series they hold go back to per_token's buffers at once.
    if (!frame_order_.empty() && frames_.at(frame_order_.back())->text_version != d.text_version) {
      std::erase_if(frames_, [&](const auto& kv) { return kv.second->text_version != d.text_version; });
      std::erase_if(frame_order_, [&](const std::string& k) { return !frames_.contains(k); });
    }
    frames_[key] = f;
    frame_order_.push_back(key);
    while (frame_order_.size() > 64) {
      frames_.erase(frame_order_.front());
      frame_order_.pop_front();
    }
  }
  if (v == View::Matrix && c >= 0 && f->error.empty()) matrices_[d.columns[c]->id] = f;
  return f;
}

FramePtr Engine::build(View v, const Document& d, int c) {
  if ((v == View::State || v == View::Delta || v == View::Matrix) && c >= 0 && c < static_cast<int>(d.columns.size())) {
    const ModelConfig& cfg = d.columns[c]->config;
    const int layer = d.choices[c].layer;
    if (layer >= 0 && layer < static_cast<int>(cfg.mixers.size()) && cfg.mixers[layer] == MixerKind::None) {
      Frame f = header(v, d, c);  // Nemotron-H's MLP layers: nothing to show in the mixer views
      f.error = "layer " + std::to_string(layer) + " is a feed-forward layer: it mixes no tokens and carries no state or KV cache";
      return std::make_shared<const Frame>(std::move(f));
    }
  }
  switch (v) {
    case View::State: {
      const ColumnInfo& info = *d.columns[c];
      return shown_mixer(info.config, d.choices[c]) == MixerKind::Attention ? kv_frame(d, c) : state_frame(d, c);
    }
    case View::Delta: return delta_frame(d, c);
    case View::Matrix: return matrix_frame(d, c);
    case View::Prediction: return prediction_frame(d, c);
    case View::Memory: return memory_frame(d);
    case View::Cost: return cost_frame(d);
    default: break;
  }
  Frame f = header(v, d, c);
  f.error = "not a view frame";
  return std::make_shared<const Frame>(std::move(f));
}

LayerWindow Engine::window(const Document& d, int c, int layer, int64_t t0, int64_t t1, unsigned parts, int head) {
  const uint64_t id = d.columns[c]->id;
  Exploration& ex = *columns_.at(id).ex;
  // Windows up to kSharedWindow tokens are traced once with every part the views of this layer kind
  // use (one rerun from the snapshot serves the Δ, state and matrix views together). The two parts of
  // a layer with both an SSM and attention (Falcon-H1, Zamba2 hybrid) count their heads apart (`head`
  // is an attention head or a Mamba-2 head): the part asked for, with what its views use.
  const MixerKind kind = ex.config().mixers.at(layer);
  const bool attn = kind == MixerKind::Attention || (ex.config().has_ssm_and_attention(layer) && (parts & kWindowAttention));
  const bool shared = t1 - t0 <= kSharedWindow;
  if (shared) parts |= attn ? kWindowAttention : (kWindowGate | kWindowStates);
  for (auto it = windows_.begin(); it != windows_.end(); ++it)
    if (it->id == id && it->version == d.text_version && it->layer == layer && it->head == head && it->t0 <= t0 && it->t1 >= t1 &&
        (it->parts & parts) == parts) {
      CachedWindow hit = std::move(*it);  // most recent last
      windows_.erase(it);
      windows_.push_back(std::move(hit));
      const LayerWindow& w = windows_.back().w;
      return w.t0 == t0 && w.t1 == t1 ? w : sub_window(w, t0, t1);
    }
  // Wider: back to the snapshot the rerun starts from anyway (at most kWindowSlack tokens; costs a
  // copy, no computation) and kWindowSlack / 2 tokens on (costs their computation). Not past the
  // computed end: a window that ends there is the one typing extends.
  int64_t a = t0, b = t1;
  if (shared) {
    a = std::max({ex.snapshot_at_or_before(t0), t0 - kWindowSlack, int64_t(0)});
    if (t1 < ex.computed()) b = std::min(ex.computed(), t1 + kWindowSlack / 2);
  }
  CachedWindow fresh{id, d.text_version, layer, head, a, b, parts, ex.trace_window(layer, a, b, parts, head)};
  {
    // The per-token parts (all but the attention block) are views into rows from the rerun's snapshot.
    const int64_t s = ex.snapshot_at_or_before(a), attn = fresh.w.attn.numel() * int64_t(sizeof(float));
    fresh.held = attn + (fresh.w.bytes() - attn) * (b - s) / std::max<int64_t>(b - a, 1);
  }
  std::erase_if(windows_, [&](const CachedWindow& cw) { return cw.version != d.text_version; });  // never asked again
  int64_t bytes = fresh.held;
  for (const CachedWindow& cw : windows_) bytes += cw.held;
  while (!windows_.empty() && bytes > kWindowCacheBytes) {
    bytes -= windows_.front().held;
    windows_.pop_front();
  }
  windows_.push_back(std::move(fresh));
  const LayerWindow& w = windows_.back().w;
  return a == t0 && b == t1 ? w : sub_window(w, t0, t1);
}

const Engine::PerToken& Engine::per_token(const Document& d, int c, const std::string& what, int layer) {
  const uint64_t id = d.columns[c]->id;
  const std::string key = what + "|" + std::to_string(id) + "|" + std::to_string(layer) + "|" + std::to_string(d.text_version);
  auto it = per_token_.find(key);
  if (it != per_token_.end()) return it->second;
  const Exploration& ex = *columns_.at(id).ex;
  const std::vector<float>& src = what == "surprisal" ? ex.surprisals() : ex.mean_delta(layer);
  // The copy goes into the buffer of an older text's series that nothing holds any more (the views
  // have newer frames), else into a new one with room to grow: a fresh 4 MB buffer per keystroke on a
  // 1 MB text cost more in page faults than the copy itself.
  PerToken pt;
  for (auto& spare : spare_per_token_)
    if (spare && spare.use_count() == 1 && spare->capacity() >= src.size()) {
      pt.values = std::move(spare);
      break;
    }
  std::erase(spare_per_token_, nullptr);
  if (!pt.values) {
    pt.values = std::make_shared<std::vector<float>>();
    pt.values->reserve(src.size() + src.size() / 4 + 64);
  }
  pt.values->assign(src.begin(), src.end());
  float lo = INFINITY, hi = -INFINITY;
  for (float x : *pt.values) {
    if (std::isnan(x)) continue;
    pt.sum += x;
    ++pt.count;
    if (std::isinf(x)) continue;
    lo = std::min(lo, x);
    hi = std::max(hi, x);
  }
  if (lo <= hi) pt.min = lo, pt.max = hi;
  // Older texts' values are not asked for again; their buffers are kept for reuse (at most 8).
  const std::string suffix = "|" + std::to_string(d.text_version);
  for (auto k = per_token_.begin(); k != per_token_.end();) {
    if (k->first.ends_with(suffix)) {
      ++k;
      continue;
    }
    spare_per_token_.push_back(std::move(k->second.values));
    k = per_token_.erase(k);
  }
  while (spare_per_token_.size() > 8) spare_per_token_.erase(spare_per_token_.begin());
  return per_token_[key] = std::move(pt);
}

void Engine::tally(MemoryTally& models, MemoryTally& caches) const {
  for (const auto& [id, col] : columns_)
    if (col.ex) {
      col.ex->tally(models);
      models.add_bytes(col.held.size());
    }
  // The caches, with the models' storages first so that a window the model's tail shares counts once.
  MemoryTally all = models;
  for (const CachedWindow& cw : windows_)
    for (const Tensor* t : {&cw.w.x, &cw.w.delta, &cw.w.B, &cw.w.C, &cw.w.states, &cw.w.attn, &cw.w.logits}) all.add(*t);
  auto frame = [&](const FramePtr& f) {
    if (!f) return;
    int64_t n = static_cast<int64_t>(sizeof(Frame) + f->values.capacity() * sizeof(float));
    for (const Series& s : f->series) n += static_cast<int64_t>((s.x.capacity() + s.y.capacity()) * sizeof(double));
    all.add_shared(f, n);
    if (f->per_token) all.add_shared(f->per_token, static_cast<int64_t>(f->per_token->capacity() * sizeof(float)));
  };
  for (const auto& [k, f] : frames_) frame(f);
  for (const auto& [k, f] : matrices_) frame(f);
  frame(cost_);
  for (const auto& [k, pt] : per_token_)
    if (pt.values) all.add_shared(pt.values, static_cast<int64_t>(pt.values->capacity() * sizeof(float)));
  for (const auto& spare : spare_per_token_)
    if (spare) all.add_shared(spare, static_cast<int64_t>(spare->capacity() * sizeof(float)));
  for (const CachedPredictions& cp : predictions_) all.add_bytes(static_cast<int64_t>(cp.probs.capacity() * sizeof(float)));
  caches.add_bytes(all.bytes() - models.bytes());
}

std::vector<float> Engine::next_probs(const Document& d, int c, int64_t t) {
  const uint64_t id = d.columns[c]->id;
  const Exploration& ex = *columns_.at(id).ex;
  // Kept logits (the last token: typing; a token before a snapshot): no rerun, nothing to keep.
  if (t == ex.computed() - 1 || ex.snapshot_at_or_before(t + 1) == t + 1) return ex.next_byte_probs(t);
  const int64_t V = ex.config().vocab_size;
  for (auto it = predictions_.begin(); it != predictions_.end(); ++it)
    if (it->id == id && it->version == d.text_version && it->t0 <= t && t < it->t1) {
      std::vector<float> p(it->probs.begin() + (t - it->t0) * V, it->probs.begin() + (t - it->t0 + 1) * V);
      CachedPredictions hit = std::move(*it);  // most recent last
      predictions_.erase(it);
      predictions_.push_back(std::move(hit));
      return p;
    }
  // The rerun from the snapshot goes through every token before t anyway; a few more after it. At
  // most kPredictionBytes of rows are kept (V floats each).
  const int64_t rows = std::max<int64_t>(2, kPredictionBytes / (V * int64_t(sizeof(float))));
  const int64_t t1 = std::min(ex.computed(), t + 1 + std::min(kPredictionAhead, rows / 2));
  const int64_t t0 = std::max(ex.snapshot_at_or_before(t), std::min(t, t1 - rows));
  CachedPredictions fresh{id, d.text_version, t0, t1, ex.next_byte_probs(t0, t1)};
  std::vector<float> p(fresh.probs.begin() + (t - t0) * V, fresh.probs.begin() + (t - t0 + 1) * V);
  std::erase_if(predictions_, [&](const CachedPredictions& cp) { return cp.version != d.text_version; });  // never asked again
  predictions_.push_back(std::move(fresh));
  while (predictions_.size() > kPredictionRanges) predictions_.pop_front();
  return p;
}

void Engine::prepare_for_typing(const Document& d) {
  for (int c = 0; c < static_cast<int>(d.columns.size()); ++c)
    if (Column* col = column(d, c); col && col->version == d.text_version) col->ex->prepare_for_typing();
}

Tensor Engine::ssm_state_after(const Document& d, int c, int layer, int64_t t) {
  const uint64_t id = d.columns[c]->id;
  for (const CachedWindow& cw : windows_)
    if (cw.id == id && cw.version == d.text_version && cw.layer == layer && !cw.w.states.empty() && cw.w.t0 <= t && t < cw.w.t1) {
      const Shape shape(cw.w.states.shape().begin() + 1, cw.w.states.shape().end());  // states [W, ...]
      const int64_t per = shape_numel(shape);
      const float* row = cw.w.states.data() + (t - cw.w.t0) * per;
      return Tensor::from(shape, std::vector<float>(row, row + per));
    }
  return columns_.at(id).ex->state_at(t, layer).layers[layer].ssm_state;
}

FramePtr Engine::block_rank(const Document& d, int c, int64_t r0, int64_t c0, int64_t r1, int64_t c1) {
  Frame f = header(View::BlockRank, d, c);
  auto it = c >= 0 && c < static_cast<int>(d.columns.size()) ? matrices_.find(d.columns[c]->id) : matrices_.end();
  if (it == matrices_.end() || it->second->empty()) {
    f.error = "no matrix for this model";
    return std::make_shared<const Frame>(std::move(f));
  }
  const Frame& m = *it->second;
  r0 = std::clamp<int64_t>(r0, 0, m.rows - 1);
  r1 = std::clamp<int64_t>(r1, r0, m.rows - 1);
  c0 = std::clamp<int64_t>(c0, 0, m.cols - 1);
  c1 = std::clamp<int64_t>(c1, c0, m.cols - 1);
  MatrixD block(r1 - r0 + 1, c1 - c0 + 1);
  for (int64_t r = r0; r <= r1; ++r)
    for (int64_t k = c0; k <= c1; ++k) block(r - r0, k - c0) = m.at(r, k);
  std::vector<double> s;
  const int rank = numerical_rank(block, 1e-5, &s);  // σ_k > 1e-5 σ_1: M is stored in float
  f.t0 = m.row0;
  f.t1 = m.row0 + m.rows;
  f.rows = 1;
  f.cols = static_cast<int64_t>(s.size());
  f.values.assign(s.begin(), s.end());
  f.title = "singular values of M[" + std::to_string(m.row0 + r0) + ".." + std::to_string(m.row0 + r1) + ", " +
            std::to_string(m.col0 + c0) + ".." + std::to_string(m.col0 + c1) + "]";
  f.col_axis = "k";
  f.units = "sigma";
  f.scalars = {{"rank", rank}, {"r0", double(m.row0 + r0)}, {"r1", double(m.row0 + r1)}, {"c0", double(m.col0 + c0)},
               {"c1", double(m.col0 + c1)}, {"below_diagonal", c1 < r0 ? 1.0 : 0.0}};
  const ColumnInfo& info = *d.columns[c];
  const MixerKind k = shown_mixer(info.config, d.choices[c]);
  if (k != MixerKind::Attention) f.scalars["N"] = k == MixerKind::Mamba ? info.config.mamba.d_state : info.config.mamba2.d_state;
  return std::make_shared<const Frame>(std::move(f));
}

FramePtr Engine::cell_terms(const Document& d, int c, int64_t i, int64_t j) {
  Frame f = header(View::CellTerms, d, c);
  auto it = c >= 0 && c < static_cast<int>(d.columns.size()) ? matrices_.find(d.columns[c]->id) : matrices_.end();
  Column* col = column(d, c);
  if (it == matrices_.end() || it->second->empty() || !col) {
    f.error = "no matrix for this model";
    return std::make_shared<const Frame>(std::move(f));
  }
  const Frame& m = *it->second;
  const Choice ch = d.choices[c];
  const MixerKind kind = shown_mixer(col->ex->config(), ch);  // a Falcon-H1 or Zamba2 hybrid layer: the part shown
  const bool attn = kind == MixerKind::Attention;
  LayerWindow w = window(d, c, ch.layer, m.row0, m.row0 + m.rows, attn ? kWindowAttention : kWindowGate, ch.head);
  w.kind = kind;  // window_matrix_terms reads the part shown
  const CellTerms t = window_matrix_terms(w, col->ex->ssm_A(ch.layer), kind == MixerKind::Mamba ? ch.channel : ch.head, i, j);
  f.text = t.formula;
  f.rows = 1;
  f.cols = static_cast<int64_t>(t.per_state.size());
  f.values.assign(t.per_state.begin(), t.per_state.end());
  f.scalars = {{"value", t.value}, {"i", double(m.row0 + i)}, {"j", double(m.col0 + j)}};
  return std::make_shared<const Frame>(std::move(f));
}

FramePtr Engine::measure_cost(const Document& d, const std::vector<int64_t>& lengths, int repeats, const RunControl& rc) {
  Frame f = header(View::Cost, d, -1);
  std::vector<std::vector<CostSample>> all;
  std::vector<uint64_t> ids;
  std::vector<std::string> names;
  for (int c = 0; c < static_cast<int>(d.columns.size()); ++c) {
    Column* col = column(d, c);
    if (!col) continue;
    all.push_back(col->ex->measure_cost(lengths, repeats, rc));
    if (rc.cancel && rc.cancel->load()) {
      f.note = "measurement cancelled";
      return std::make_shared<const Frame>(std::move(f));
    }
    ids.push_back(d.columns[c]->id);
    names.push_back(col->ex->name() + " · " + col->ex->backend_name());
  }
  if (all.empty() || all[0].empty()) {
    f.note = "no model to time";
    return std::make_shared<const Frame>(std::move(f));
  }
  const int64_t L = static_cast<int64_t>(all[0].size()), M = static_cast<int64_t>(all.size());
  f.title = "forward seconds";
  f.row_axis = "length T";
  f.col_axis = "model";
  f.units = "s";
  f.rows = L;
  f.cols = M;
  f.values.resize(L * M);
  double ymax = 0, xmax = 0;
  for (int64_t m = 0; m < M; ++m) {
    Series s{names[m], "line", static_cast<int>(m), {}, {}};
    for (int64_t k = 0; k < L; ++k) {
      const CostSample& cs = all[m][k];
      s.x.push_back(double(cs.length));
      s.y.push_back(cs.seconds * 1e3);
      f.values[k * M + m] = static_cast<float>(cs.seconds);
      if (m == 0) f.row_labels.push_back(std::to_string(cs.length));
      ymax = std::max(ymax, cs.seconds * 1e3);
      xmax = std::max(xmax, double(cs.length));
    }
    f.col_labels.push_back(names[m]);
    f.series.push_back(std::move(s));
  }
  // Linear and quadratic growth through model 0's first point (ms).
  const CostSample& first = all[0][0];
  Series lin{"∝ T", "reference", -1, {}, {}}, quad{"∝ T²", "reference", -1, {}, {}};
  for (int k = 0; k <= 40; ++k) {
    const double T = first.length * std::pow(xmax / first.length, k / 40.0);  // even steps on the cost view's log axis
    lin.x.push_back(T);
    lin.y.push_back(first.seconds * 1e3 * T / first.length);
    const double q = first.seconds * 1e3 * (T / first.length) * (T / first.length);
    if (q <= ymax * 1.5) {
      quad.x.push_back(T);
      quad.y.push_back(q);
    }
  }
  f.series.push_back(std::move(lin));
  f.series.push_back(std::move(quad));
  f.scalars = {{"lengths", double(L)}, {"models", double(M)}, {"repeats", double(repeats)}, {"xmax", xmax}, {"ymax", ymax}};
  cost_ = std::make_shared<const Frame>(std::move(f));
  cost_ids_ = ids;
  return cost_;
}

FramePtr Engine::cost_frame(const Document& d) {
  std::vector<uint64_t> ids;
  for (int c = 0; c < static_cast<int>(d.columns.size()); ++c)
    if (column(d, c)) ids.push_back(d.columns[c]->id);
  if (cost_ && ids == cost_ids_) {
    auto f = std::make_shared<Frame>(*cost_);
    f->request = d.serial;
    return f;
  }
  Frame f = header(View::Cost, d, -1);
  f.note = cost_ ? "the models changed since the last measurement: press Measure" : "press Measure to time every model";
  return std::make_shared<const Frame>(std::move(f));
}

}  // namespace ss
