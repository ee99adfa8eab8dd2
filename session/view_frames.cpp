// The frames of the explorer's views, built on the worker thread from the models and the window cache.
// (Engine's per-view members; the views only draw what these put in a Frame.)
#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "engine.h"
#include "scan_matrix_check.h"
#include "task_generator.h"
#include "window_matrix.h"

namespace ss {

namespace {

std::string at_token(int64_t t) { return "token " + std::to_string(t); }

Series marker(int64_t t, double top) { return Series{"selected token", "marker", -1, {double(t), double(t)}, {0.0, top}}; }

// Row labels of a window's tokens: their indices, or a tokenizer model's token texts.
std::vector<std::string> token_labels(const Exploration& ex, int64_t t0, int64_t t1) {
  std::vector<std::string> out;
  const TokenSpans* spans = ex.token_spans().get();
  for (int64_t t = t0; t < t1; ++t) out.push_back(spans ? spans->labels[t] : std::to_string(t));
  return out;
}

}  // namespace

FramePtr Engine::state_frame(const Document& d, int c) {
  Frame f = header(View::State, d, c);
  const Choice ch = d.choices[c];
  Exploration& ex = *column(d, c)->ex;
  const ModelConfig& cfg = ex.config();
  const bool m2 = ssm_kind(cfg.mixers[ch.layer]) == MixerKind::Mamba2;  // Mamba-2, or Falcon-H1's Mamba-2 part
  const Selection sel = selection(d, c);
  const int64_t t = sel.token;
  // The states of every token of the window, for the evolution chart: at most kSharedWindow tokens
  // around t (a state per token is [Di, N] or [H, P, N]: 8K tokens of Mamba-2 would be 1.1 GB).
  int64_t s0 = sel.t0, s1 = sel.t1;
  if (s1 - s0 > kSharedWindow) {
    s0 = std::clamp<int64_t>(t - kSharedWindow / 2, s0, s1 - kSharedWindow);
    s1 = s0 + kSharedWindow;
  }
  const LayerWindow& w = window(d, c, ch.layer, s0, s1, kWindowStates, ch.head);
  Tensor h;  // Mamba [Di, N]; Mamba-2 [H, P, N]
  if (t >= w.t0 && t < w.t1 && !w.states.empty()) {
    const Shape shape(w.states.shape().begin() + 1, w.states.shape().end());  // states [W, ...]
    const int64_t per = shape_numel(shape);
    h = Tensor::from(shape, std::vector<float>(w.states.data() + (t - w.t0) * per, w.states.data() + (t - w.t0 + 1) * per));
  } else {
    h = ex.state_at(t, ch.layer).layers[ch.layer].ssm_state;
  }
  const int64_t N = h.size(-1), cols = h.numel() / N;  // channels (Mamba-2: head·P + p)
  f.rows = N;
  f.cols = cols;
  f.values.resize(N * cols);
  for (int64_t ci = 0; ci < cols; ++ci)
    for (int64_t n = 0; n < N; ++n) f.values[n * cols + ci] = h.data()[ci * N + n];
  f.title = "h_t after " + at_token(t) + ", layer " + std::to_string(ch.layer);
  f.row_axis = "state dim n";
  f.col_axis = m2 ? "head*P + p" : "channel d";
  f.units = "h";
  // Evolution over the window: ‖h_t‖ and the picked channel (Mamba-2: head).
  const int pick = m2 ? ch.head : ch.channel;
  const int64_t perPick = m2 ? h.numel() / cfg.mamba2.n_heads : N;
  Series norm{"‖h_t‖ (layer)", "line", c, {}, {}};
  Series chan{m2 ? "‖h_t‖ head " + std::to_string(pick) : "‖h_t[" + std::to_string(pick) + "]‖ channel " + std::to_string(pick), "line", c, {}, {}};
  double nmax = 0, cmax = 0;
  const int64_t per = h.numel();
  for (int64_t k = 0; k < w.t1 - w.t0 && !w.states.empty(); ++k) {
    const float* s = w.states.data() + k * per;  // h after token t0 + k
    const double a = std::sqrt(double(Eigen::Map<const Eigen::VectorXf>(s, per).squaredNorm()));
    const double b = std::sqrt(double(Eigen::Map<const Eigen::VectorXf>(s + pick * perPick, perPick).squaredNorm()));
    norm.x.push_back(double(w.t0 + k));
    norm.y.push_back(a);
    chan.x.push_back(double(w.t0 + k));
    chan.y.push_back(b);
    nmax = std::max(nmax, a);
    cmax = std::max(cmax, b);
  }
  f.series = {std::move(norm), std::move(chan), marker(t, nmax * 1.05)};
  f.t0 = w.t0;
  f.t1 = w.t1;
  f.scalars = {{"pick", pick}, {"picks", double(m2 ? cfg.mamba2.n_heads : cols)}, {"state_values", double(h.numel())},
               {"norm_max", nmax}, {"pick_max", cmax}};
  return std::make_shared<const Frame>(std::move(f));
}

FramePtr Engine::kv_frame(const Document& d, int c) {
  Frame f = header(View::State, d, c);
  const Choice ch = d.choices[c];
  Exploration& ex = *column(d, c)->ex;
  const ModelConfig& cfg = ex.config();
  const Selection sel = selection(d, c);
  const int64_t t = sel.token;
  const int Hkv = cfg.attn.n_kv_heads, hd = cfg.attn.head_dim;
  const int kvHead = std::clamp(ch.head / std::max(1, cfg.attn.n_heads / std::max(1, Hkv)), 0, Hkv - 1);
  const Tensor keys = ex.cached_keys(t, ch.layer, kvHead);  // [t + 1, hd]
  const int64_t P = keys.size(0);
  f.rows = hd;
  f.cols = P;
  f.values.resize(hd * P);
  for (int64_t j = 0; j < P; ++j)
    for (int64_t k = 0; k < hd; ++k) f.values[k * P + j] = keys.data()[j * hd + k];
  f.title = "keys of KV head " + std::to_string(kvHead) + " at " + at_token(t) + ", layer " + std::to_string(ch.layer);
  f.row_axis = "key dim";
  f.col_axis = "position j";
  f.units = "k";
  const double perPos = 2.0 * Hkv * hd * 4;  // this layer's K and V per position, fp32
  Series bytes{"layer KV bytes", "line", c, {}, {}};
  for (int64_t p = sel.t0; p < sel.t1; ++p) {
    bytes.x.push_back(double(p));
    bytes.y.push_back(perPos * (p + 1));
  }
  f.series = {std::move(bytes), marker(t, perPos * (t + 1))};
  f.scalars = {{"kv_head", kvHead}, {"positions", double(P)}, {"bytes_per_position", perPos}, {"pick", ch.head},
               {"picks", cfg.attn.n_heads}, {"norm_max", perPos * sel.t1}};
  return std::make_shared<const Frame>(std::move(f));
}

FramePtr Engine::delta_frame(const Document& d, int c) {
  Frame f = header(View::Delta, d, c);
  const Choice ch = d.choices[c];
  Exploration& ex = *column(d, c)->ex;
  const MixerKind kind = ssm_kind(ex.config().mixers[ch.layer]);  // a Falcon-H1 or Zamba2 hybrid layer: its Mamba-2
  if (kind == MixerKind::None) {
    f.note = "layer " + std::to_string(ch.layer) + " is an attention layer: it has no Δ gate";
    return std::make_shared<const Frame>(std::move(f));
  }
  const Selection sel = selection(d, c);
  const int64_t t = sel.token, w0 = sel.t0, w1 = sel.t1;
  const LayerWindow& w = window(d, c, ch.layer, w0, w1, kWindowGate, ch.head);
  const bool m2 = kind == MixerKind::Mamba2;
  f.rows = w1 - w0;
  f.cols = w.delta.size(1);
  f.values.assign(w.delta.data(), w.delta.data() + w.delta.numel());
  f.title = "Δ over tokens " + std::to_string(w0) + ".." + std::to_string(w1 - 1) + ", layer " + std::to_string(ch.layer);
  f.row_axis = "token t";
  f.col_axis = m2 ? "head" : "channel d";
  f.units = "Δ";
  f.row0 = w0;
  f.highlight_row = t - w0;
  f.row_labels = token_labels(ex, w0, w1);
  const PerToken& pt = per_token(d, c, "mean_delta", ch.layer);
  f.per_token = pt.values;
  const std::vector<float>& mean = *f.per_token;
  Series line{"mean Δ over channels", "line", c, {}, {}};
  double hi = 0;
  for (int64_t k = w0; k < w1 && k < static_cast<int64_t>(mean.size()); ++k) {
    line.x.push_back(double(k));
    line.y.push_back(mean[k]);
    hi = std::max(hi, double(mean[k]));
  }
  f.series = {std::move(line), marker(t, hi * 1.05)};
  f.scalars = {{"mean_delta", t < static_cast<int64_t>(mean.size()) ? mean[t] : NAN}, {"max", hi},
               {"per_token_min", pt.min}, {"per_token_max", pt.max}};
  return std::make_shared<const Frame>(std::move(f));
}

FramePtr Engine::matrix_frame(const Document& d, int c) {
  Frame f = header(View::Matrix, d, c);
  const Choice ch = d.choices[c];
  Exploration& ex = *column(d, c)->ex;
  const MixerKind kind = shown_mixer(ex.config(), ch);  // a Falcon-H1 or Zamba2 hybrid layer: its Mamba-2's M or its attention's probabilities
  const bool attn = kind == MixerKind::Attention;
  const int index = kind == MixerKind::Mamba ? ch.channel : ch.head;
  const Selection sel = selection(d, c);
  const int64_t w1 = sel.t1, w0 = std::max(sel.t0, w1 - kMaxMatrixWindow);
  LayerWindow w = window(d, c, ch.layer, w0, w1, attn ? kWindowAttention : kWindowGate, ch.head);
  w.kind = kind;  // the matrix of the part shown (the tensors are shared, not copied)
  const MatrixF M = window_matrix_blocked(w, ex.ssm_A(ch.layer), index);  // [W, W]
  f.rows = M.rows();
  f.cols = M.cols();
  f.values.assign(M.data(), M.data() + M.size());
  // The duality, live: the scan's output (C_i · h_i from the states the model's recurrence recorded)
  // against M x plus the state entering the window. Windows up to kSharedWindow carry the states.
  if (!attn && !w.states.empty()) {
    const Tensor h_before = w0 > 0 ? ssm_state_after(d, c, ch.layer, w0 - 1) : Tensor();
    const ScanMatrixCheck check = scan_vs_matrix(w, ex.ssm_A(ch.layer), index, M, h_before);
    f.scalars["scan_vs_matrix"] = check.max_abs_diff;  // max |y_scan - (M x + carry)|
    f.scalars["scan_max_abs"] = check.max_abs_y;
  }
  f.t0 = w0;
  f.row0 = f.col0 = w0;
  f.highlight_row = sel.token - w0;
  const int block = ex.config().shared_block(ch.layer);  // Zamba2: the hybrid layer's shared block
  f.title = attn ? std::string(block >= 0 ? "shared attention (block " + std::to_string(block) + ") " : "attention ") +
                       "probabilities, head " + std::to_string(ch.head)
                 : (kind == MixerKind::Mamba ? "M, channel " + std::to_string(ch.channel) : "M, head " + std::to_string(ch.head));
  f.title += ", layer " + std::to_string(ch.layer);
  f.row_axis = attn ? "query i" : "output i";
  f.col_axis = attn ? "key j" : "input j";
  f.units = attn ? "probability" : "M[i, j]";
  f.row_labels = token_labels(ex, w0, w0 + f.rows);
  f.col_labels = f.row_labels;
  return std::make_shared<const Frame>(std::move(f));
}

FramePtr Engine::prediction_frame(const Document& d, int c) {
  Frame f = header(View::Prediction, d, c);
  Exploration& ex = *column(d, c)->ex;
  const Selection sel = selection(d, c);
  const int64_t t = sel.token;
  const std::vector<float> p = next_probs(d, c, t);
  const int64_t V = static_cast<int64_t>(p.size());
  const Tokenizer* tok = ex.tokenized() ? ex.model().tokenizer() : nullptr;
  f.rows = 1;
  f.cols = V;
  f.values = p;
  f.title = tok ? "p(next token | tokens 0.." + std::to_string(t) + ")" : "p(next byte | bytes 0.." + std::to_string(t) + ")";
  f.row_axis = "token t";
  f.col_axis = tok ? "next token id" : "next byte";
  f.units = "probability";
  f.row_labels = {std::to_string(t)};
  constexpr int kTopK = 10;
  // A byte model's candidates are the 256 bytes (its vocabulary may be padded past them); a
  // tokenizer model's, its whole vocabulary.
  std::vector<int64_t> order(tok ? V : std::min<int64_t>(V, 256));
  std::iota(order.begin(), order.end(), 0);
  const int64_t k = std::min<int64_t>(kTopK, static_cast<int64_t>(order.size()));
  std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](int64_t a, int64_t b) { return p[a] > p[b]; });
  order.resize(k);
  f.order = std::move(order);
  const std::vector<int32_t>& ids = ex.ids();
  const int next = t + 1 < sel.size ? ids[t + 1] : -1;
  if (tok) {
    for (int64_t id : f.order) f.order_labels.push_back(vocab_label(*tok, static_cast<int32_t>(id)));
    f.labels["token"] = ex.token_spans()->labels[t];
    if (next >= 0) f.labels["next"] = ex.token_spans()->labels[t + 1];
  }
  const PerToken& pt = per_token(d, c, "surprisal", -1);
  f.per_token = pt.values;
  const double total = pt.sum;  // bits over the predicted tokens
  const int64_t cnt = pt.count;
  // bits per byte of the text: a tokenizer model's bits per token summed over tokens, over the bytes
  // they cover (tokens after the first; the first has no prediction).
  double bitsPerByte = cnt ? total / cnt : NAN;
  if (tok && cnt) {
    const TokenSpans& sp = *ex.token_spans();
    int64_t bytes = 0;
    for (size_t i = 0; i < f.per_token->size(); ++i)
      if (!std::isnan((*f.per_token)[i])) bytes += sp.end[i] - sp.begin[i];
    bitsPerByte = bytes ? total / double(bytes) : NAN;
  }
  // A task model on its task's input (task.json): bits per byte over the bytes the task scores only
  // (noise padding: the text bytes, junk not counted), as the lesson card and the task notes count.
  double taskBits = NAN, taskScored = 0;
  if (ex.task() && !tok) {
    const std::vector<int64_t> scored = scored_positions(*ex.task(), std::string(ex.bytes().begin(), ex.bytes().end()));
    taskBits = task_bits_per_byte(scored, *f.per_token);
    for (int64_t i : scored) taskScored += i >= 0 && size_t(i) < f.per_token->size();
    f.labels["task"] = task_kind_name(*ex.task());
  }
  f.scalars = {{"byte", double(ids[t])}, {"token_id", double(ids[t])}, {"next_byte", next}, {"p_next", next >= 0 ? p[next] : NAN},
               {"task_bits_per_byte", taskBits}, {"task_scored", taskScored},
               {"bits_next", next >= 0 ? -std::log2(std::max(p[next], 1e-30f)) : NAN},
               {"bits_per_byte", bitsPerByte}, {"bits_per_token", cnt ? total / cnt : NAN}, {"p_max", p[f.order.front()]},
               {"tokenized", tok ? 1.0 : 0.0}, {"per_token_min", pt.min}, {"per_token_max", pt.max}};
  return std::make_shared<const Frame>(std::move(f));
}

FramePtr Engine::memory_frame(const Document& d) {
  Frame f = header(View::Memory, d, -1);
  std::vector<int> cols;
  for (int c = 0; c < static_cast<int>(d.columns.size()); ++c)
    if (column(d, c)) cols.push_back(c);
  const int64_t n = d.size();
  if (cols.empty() || n == 0) {
    f.note = cols.empty() ? "no model" : "no text";
    return std::make_shared<const Frame>(std::move(f));
  }
  const int64_t points = std::min<int64_t>(n, 400), models = static_cast<int64_t>(cols.size());
  // Rows are positions in the text. A byte model has one token per byte; a tokenizer model holds, at
  // byte b, the tokens up to the one that holds b (its KV cache grows per token, not per byte).
  bool anyTokenizer = false;
  for (int col : cols) anyTokenizer |= column(d, col)->ex->tokenized();
  f.title = "state + KV bytes per position";
  f.row_axis = anyTokenizer ? "text byte b" : "position t";
  f.col_axis = "model";
  f.units = "bytes";
  f.rows = points;
  f.cols = models;
  f.values.resize(points * models);
  double ymax = 1;
  for (int64_t m = 0; m < models; ++m) {
    const Exploration& ex = *column(d, cols[m])->ex;
    const bool current = column(d, cols[m])->held == d.text;
    Series s{ex.tokenized() && current ? ex.name() + " (" + std::to_string(ex.size()) + " tokens)" : ex.name(), "line", cols[m], {}, {}};
    for (int64_t k = 0; k < points; ++k) {
      const int64_t t = points == 1 ? 0 : k * (n - 1) / (points - 1);
      const int64_t tokenAt = !(ex.tokenized() && current) ? t : t == n - 1 ? ex.size() - 1 : ex.token_at_byte(t);  // the end: every token
      const double b = double(ex.state_bytes() + ex.kv_bytes_at(tokenAt));
      s.x.push_back(double(t + 1));
      s.y.push_back(b / 1000.0);
      f.values[k * models + m] = static_cast<float>(b);
      if (m == 0) f.row_labels.push_back(std::to_string(t + 1));
      ymax = std::max(ymax, b / 1000.0);
    }
    f.series.push_back(std::move(s));
    // Measured from the live cache tensors.
    f.series.push_back(Series{ex.name() + " (live)", "dots", cols[m], {double(ex.computed_bytes())},
                              {double(ex.state_bytes() + ex.live_kv_bytes()) / 1000.0}});
    f.col_labels.push_back(ex.name());
  }
  f.scalars = {{"positions", double(n)}, {"ymax_kb", ymax}};
  return std::make_shared<const Frame>(std::move(f));
}

}  // namespace ss
