// Document: what the user has chosen — the text (one copy, with a version number), the bytes still
// to feed while stepping, the selected token and window, the loaded model columns and the layer /
// head / channel each shows. A plain value: the Session changes it on its owner's thread and hands
// an immutable copy to its worker with every change. No Qt, no models.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config.h"
#include "shared_text.h"

namespace ss {

// The layer a model column shows, and the head (attention, Mamba-2) or channel (Mamba-1) in it.
struct Choice {
  int layer = 0;
  int head = 0;
  int channel = 0;
  // A layer with both an SSM and attention (ModelConfig::has_ssm_and_attention: Falcon-H1's layers,
  // attention and Mamba-2 side by side; Zamba2's hybrid layers, the shared block's attention before
  // the Mamba-2): the state and matrix views show its attention (KV keys, probabilities; head = an
  // attention head) instead of its SSM (state, M); the Δ view always shows the SSM. Cleared on any
  // other layer.
  bool attention_part = false;
  bool operator==(const Choice&) const = default;
};

// The mixer the state and matrix views show for `ch`: the layer's own kind, or for a layer with both
// an SSM and attention Attention (ch.attention_part) or its SSM (Mamba2). `head` counts that mixer's
// heads (1 for Mamba-1 and none).
MixerKind shown_mixer(const ModelConfig& c, const Choice& ch);
int shown_heads(const ModelConfig& c, const Choice& ch);

// A model column as the owner sees it. Fixed once opened (the choice lives in Document::choices).
struct ColumnInfo {
  uint64_t id = 0;         // stable while the column is open (column indices shift on close)
  std::string dir, name;   // the folder and its name
  std::string backend;     // "cpu", "cuda (...)"; empty when it failed to load
  std::string error;       // why it failed to load ("" when loaded)
  // What the user should know about a loaded model, shown beside it (the CLI prints the same on
  // stderr): tensors the config does not use, a GPU fault while loading that sent it to the CPU.
  std::vector<std::string> warnings;
  bool cpu_fallback = false;  // opened with "auto" in FP32: a GPU fault later reruns it on the CPU
  ModelConfig config;      // valid when loaded
  int64_t parameters = 0, state_bytes = 0, kv_bytes_per_token = 0;
  std::string tokenizer;   // its tokenizer.json, described ("byte-level BPE, 700 tokens, ..."); "" for a byte model
  bool loaded() const { return error.empty(); }
};

struct Document {
  static constexpr int64_t kDefaultWindow = 256;  // tokens shown around the selection without a window

  uint64_t serial = 0;        // bumps on every change
  uint64_t text_version = 0;  // bumps when the text changes
  // The text and, while stepping, the rest still to feed (not in `text`). Both share their buffers
  // with the copies handed to the worker: a step appends to `text` and drops the front of `pending`
  // without copying either (SharedText), so stepping through a long text costs O(1) per byte here.
  SharedText text;
  SharedText pending;
  bool stepping = false;

  // Selection: token t and the window [w0, w1) the views show around it.
  int64_t token = 0, w0 = 0, w1 = 0, anchor = 0;
  bool explicit_window = false;  // chosen by shift-click (kept while the token moves inside it)
  bool follow_end = true;        // the selection follows the last byte as the text grows

  std::vector<std::shared_ptr<const ColumnInfo>> columns;
  std::vector<Choice> choices;  // [columns]
  // [columns] Δ → average (core/intervention.h): the column runs the intervened model, every SSM
  // layer's Δ replaced by its mean over the text (a time-invariant SSM). Never on for a column
  // without SSM layers.
  std::vector<bool> delta_average;
  int active = 0;               // the column the single-model views show

  int64_t size() const { return text.size(); }
  int column_of(uint64_t id) const;  // -1 when closed
  bool averaged(int column) const { return column >= 0 && column < static_cast<int>(delta_average.size()) && delta_average[column]; }

  // --- changes (each bumps `serial`; text changes bump `text_version`) ---
  void set_text(const std::vector<uint8_t>& bytes);
  void append(const std::vector<uint8_t>& more);
  void select_token(int64_t t);
  void select_window(int64_t a, int64_t b);  // tokens a..b inclusive, either order; the token becomes b
  void extend_selection(int64_t t);          // from the last clicked token to t
  void set_choice(int column, Choice c);     // clamped to the column's layers / heads / channels
  void set_active(int column);
  void set_delta_average(int column, bool on);  // ignored for a column without SSM layers
  void add_column(std::shared_ptr<const ColumnInfo> c);
  void remove_column(int column);            // the active column stays the same model when it can
  // Stepping: cut the text after the selected token (after token 0 when the last is selected) and
  // keep the rest to feed; step() moves the next n bytes into the text; feed_rest() all of them.
  bool begin_stepping();
  int64_t step(int64_t n = 1);  // bytes fed (0 when nothing is left: stepping ends)
  void feed_rest();

 private:
  void clamp_selection();
  void replace_text(SharedText t);  // set_text without a copy
};

}  // namespace ss
