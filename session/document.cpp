#include "document.h"

#include <algorithm>

namespace ss {

MixerKind shown_mixer(const ModelConfig& c, const Choice& ch) {
  if (ch.layer < 0 || ch.layer >= static_cast<int>(c.mixers.size())) return MixerKind::None;
  const MixerKind k = c.mixers[size_t(ch.layer)];
  if (c.has_ssm_and_attention(ch.layer)) return ch.attention_part ? MixerKind::Attention : ssm_kind(k);  // Falcon-H1, Zamba2 hybrid
  return k;
}

int shown_heads(const ModelConfig& c, const Choice& ch) {
  const MixerKind k = shown_mixer(c, ch);
  return k == MixerKind::Mamba2 ? c.mamba2.n_heads : k == MixerKind::Attention ? c.attn.n_heads : 1;
}

int Document::column_of(uint64_t id) const {
  for (size_t c = 0; c < columns.size(); ++c)
    if (columns[c]->id == id) return static_cast<int>(c);
  return -1;
}

void Document::clamp_selection() {
  const int64_t n = size();
  if (n == 0) {
    token = w0 = w1 = anchor = 0;
    explicit_window = false;
    return;
  }
  if (follow_end) {
    token = n - 1;
    if (explicit_window && w1 < n) explicit_window = false;  // a chosen window stays only while it holds the end
  }
  if (explicit_window && w1 <= n) {
    token = std::clamp<int64_t>(token, w0, w1 - 1);
    return;
  }
  explicit_window = false;
  token = std::clamp<int64_t>(token, 0, n - 1);
  w0 = std::clamp<int64_t>(token - kDefaultWindow / 2, 0, std::max<int64_t>(0, n - kDefaultWindow));
  w1 = std::min(n, w0 + kDefaultWindow);
}

void Document::set_text(const std::vector<uint8_t>& bytes) {
  ++serial;
  if (text == bytes) return;
  ++text_version;
  text = SharedText(bytes);
  clamp_selection();
}

void Document::replace_text(SharedText t) {
  ++serial;
  if (t == text) return;
  ++text_version;
  text = std::move(t);
  clamp_selection();
}

void Document::append(const std::vector<uint8_t>& more) {
  ++serial;
  if (more.empty()) return;
  ++text_version;
  text = text.appended(more.data(), static_cast<int64_t>(more.size()));
  clamp_selection();
}

void Document::select_token(int64_t t) {
  ++serial;
  const int64_t n = size();
  if (n == 0) return;
  token = std::clamp<int64_t>(t, 0, n - 1);
  anchor = token;
  follow_end = token == n - 1;
  if (explicit_window && token >= w0 && token < w1) return;  // moving inside a chosen window keeps it
  explicit_window = false;
  clamp_selection();
}

void Document::select_window(int64_t a, int64_t b) {
  ++serial;
  const int64_t n = size();
  if (n == 0) return;
  a = std::clamp<int64_t>(a, 0, n - 1);
  b = std::clamp<int64_t>(b, 0, n - 1);
  w0 = std::min(a, b);
  w1 = std::max(a, b) + 1;
  token = b;
  explicit_window = true;
  follow_end = false;
}

void Document::extend_selection(int64_t t) { select_window(anchor, t); }

void Document::set_choice(int column, Choice c) {
  ++serial;
  if (column < 0 || column >= static_cast<int>(columns.size())) return;
  const ColumnInfo& info = *columns[column];
  if (info.loaded()) {
    const ModelConfig& m = info.config;
    c.layer = std::clamp(c.layer, 0, std::max(0, m.n_layers - 1));
    if (m.mixers.empty() || !m.has_ssm_and_attention(c.layer)) c.attention_part = false;
    c.head = std::clamp(c.head, 0, std::max(0, shown_heads(m, c) - 1));
    c.channel = std::clamp(c.channel, 0, std::max(0, m.mamba.d_inner - 1));
  }
  choices[column] = c;
}

void Document::set_active(int column) {
  ++serial;
  if (column >= 0 && column < static_cast<int>(columns.size())) active = column;
}

void Document::set_delta_average(int column, bool on) {
  ++serial;
  if (column < 0 || column >= static_cast<int>(columns.size())) return;
  const ColumnInfo& info = *columns[column];
  delta_average[column] = on && info.loaded() && info.config.has_ssm();
}

void Document::add_column(std::shared_ptr<const ColumnInfo> c) {
  ++serial;
  columns.push_back(std::move(c));
  choices.emplace_back();
  delta_average.push_back(false);
  set_choice(static_cast<int>(columns.size()) - 1, Choice{});
}

void Document::remove_column(int column) {
  if (column < 0 || column >= static_cast<int>(columns.size())) return;
  ++serial;
  columns.erase(columns.begin() + column);
  choices.erase(choices.begin() + column);
  delta_average.erase(delta_average.begin() + column);
  // The active model stays active: its index shifts down when a column before it closes; when the
  // active one closes, the one that takes its place (or the last) becomes active.
  if (column < active) --active;
  active = std::clamp(active, 0, std::max(0, static_cast<int>(columns.size()) - 1));
}

bool Document::begin_stepping() {
  if (stepping) return true;
  const int64_t n = size();
  if (n == 0) return false;
  const int64_t cut = token + 1 < n ? token + 1 : 1;  // from the start when the last token is selected
  pending = text.substr(cut);
  stepping = true;
  follow_end = true;
  explicit_window = false;
  replace_text(text.substr(0, cut));
  return true;
}

int64_t Document::step(int64_t n) {
  if (!stepping) return 0;
  n = std::min<int64_t>(n, static_cast<int64_t>(pending.size()));
  if (n <= 0) {
    stepping = false;
    ++serial;
    return 0;
  }
  SharedText b = text.appended(pending.data(), n);
  pending = pending.substr(n);
  follow_end = true;
  replace_text(std::move(b));
  if (pending.empty()) stepping = false;
  return n;
}

void Document::feed_rest() {
  if (!stepping) return;
  SharedText b = text.appended(pending);
  pending = SharedText();
  stepping = false;
  replace_text(std::move(b));
}

}  // namespace ss
