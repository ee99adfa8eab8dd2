// Frame: one immutable result the session hands to a view — the numbers a view draws, with their
// axes, units and title. The same frame is what CSV / .npy export writes and what the tests check,
// so the numbers a user exports are exactly the numbers drawn. No Qt.
//
// A frame belongs to one document state: `text_version` and the selection (token, t0..t1) it was
// computed for. A view that holds a frame older than the session's text says so ("older result").
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "token_spans.h"

namespace ss {

// What a frame shows. One per view of the explorer, plus the matrix view's readouts.
enum class View {
  State,       // h_t of the chosen SSM layer after token t [N, channels]; attention: keys [hd, t + 1]
  Delta,       // Δ of the chosen SSM layer over the window [W, channels or heads]
  Matrix,      // M of the chosen layer over the window (at most its last kMaxMatrixWindow tokens) [W, W]
  Prediction,  // p(next byte | bytes 0..t) [1, V]
  Memory,      // state + KV bytes after each position, per model [positions, models]
  Cost,        // forward seconds per length, per model [lengths, models] (only when measured)
  BlockRank,   // numerical rank of a block of a Matrix frame (values: the singular values [1, k])
  CellTerms,   // the terms of one cell of a Matrix frame (values: per state term [1, k])
};
const char* view_name(View v);  // "state", "delta", "matrix", "prediction", "memory", "cost", ...

// A line (or a set of dots) of a chart: y over x.
struct Series {
  std::string name;  // legend text (English; views may translate their own)
  std::string role;  // "line", "marker" (the selected token), "dots" (measured points), "reference"
  int column = -1;   // the model column it belongs to (-1: none)
  std::vector<double> x, y;
};

struct Frame {
  View view = View::State;
  int column = -1;             // model column (-1: every model)
  uint64_t text_version = 0;   // the text the frame was computed for
  uint64_t request = 0;        // the document state (Session::document().serial) it answers
  int64_t token = -1;          // the selected token
  int64_t t0 = 0, t1 = 0;      // the window [t0, t1) it covers (views that show one)

  // Which model, layer and head/channel (views format their own titles from these).
  std::string model;           // the model folder's name
  int layer = -1;
  std::string mixer;           // "mamba", "mamba2", "attention" (ss::mixer_name): the mixer the frame shows;
                               // a Falcon-H1 layer's part ("mamba2", or "attention" in the state and
                               // matrix views with Choice::attention_part), "attention+mamba2" elsewhere
  int head = 0, channel = 0;
  // The numbers are of an intervened model (core/intervention.h), not of the trained one: views say so.
  bool delta_average = false;  // Δ → average: every SSM layer's Δ is its mean over the text

  // The main array, row-major [rows, cols], with what its axes mean (English, for export).
  std::string title, row_axis, col_axis, units;
  int64_t rows = 0, cols = 0;
  std::vector<float> values;                  // [rows, cols]
  int64_t row0 = 0, col0 = 0;                 // row r is index row0 + r on its axis (a window's t0)
  std::vector<std::string> row_labels, col_labels;  // optional; indices when empty
  int64_t highlight_row = -1;                 // the selected token's row (-1: none)

  std::vector<Series> series;                 // the view's chart lines
  std::vector<int64_t> order;                 // Prediction: the top-k tokens (bytes), most likely first
  std::vector<std::string> order_labels;      // Prediction of a tokenizer model: how each of `order` is drawn
  std::map<std::string, std::string> labels;  // named texts for captions (a tokenizer model's "token", "next")
  // A tokenizer model's tokens of the whole text (ids, byte spans, labels); null for byte models,
  // whose tokens are the bytes. Token t of this frame is tokens->ids[t].
  std::shared_ptr<const TokenSpans> tokens;
  std::shared_ptr<const std::vector<float>> per_token;  // values per token of the whole text (mean Δ, surprisal)
  std::map<std::string, double> scalars;      // named numbers for captions ("next_byte", "p_next", ...)
  std::string text;                           // a readout line (CellTerms: the formula)

  // Why there are no values: "" when there are. `note` is an expected absence (an attention layer has
  // no Δ gate, no text yet); `error` a failure (the model failed, a worker error), shown as such.
  std::string note, error;

  bool empty() const { return values.empty(); }
  float at(int64_t r, int64_t c) const { return values[static_cast<size_t>(r * cols + c)]; }
  double scalar(const std::string& k, double fallback = 0) const {
    auto it = scalars.find(k);
    return it == scalars.end() ? fallback : it->second;
  }
};
using FramePtr = std::shared_ptr<const Frame>;

// Whether a view draws `a` and `b` the same: every field but the request they answer, and the header
// fields a view does not draw (`ignore`: the layer, head and channel the column shows, for a view of
// the whole model such as the prediction; the selection, for the memory view). A view given a frame
// that draws the same as the one it shows takes it without redrawing.
enum FrameFields : unsigned { kIgnoreChoice = 1, kIgnoreSelection = 2 };
bool same_drawing(const Frame& a, const Frame& b, unsigned ignore = 0);

}  // namespace ss
