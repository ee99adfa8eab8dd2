// Engine: the models and everything computed from them, owned by the Session's worker thread and
// used by nothing else. It brings every model up to a Document's text (cancellable, resumable) and
// builds the frames the views draw, from one cache of computed results keyed by
// (what, model, layer, head/channel, token or window, text version). No Qt.
#pragma once

#include <cmath>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "document.h"
#include "exploration.h"
#include "frame.h"

namespace ss {

class Engine {
 public:
  static constexpr int64_t kSharedWindow = 1024;     // windows up to this long are traced with all their parts at once
  static constexpr int64_t kMaxMatrixWindow = 2048;  // the matrix view shows at most the last 2048 tokens of a window

  struct ColumnStatus {
    uint64_t id = 0;
    int64_t computed = 0;  // leading bytes whose results are current
    std::string error;     // the last failure of this model ("" when none)
    std::string notice;    // a GPU fault sent this model to the CPU: what failed ("" when none)
  };

  // Takes a model the owner has opened (it is never touched by another thread afterwards).
  void adopt(uint64_t id, std::unique_ptr<Exploration> ex);
  // Drops the models of columns the document no longer has.
  void sync_columns(const Document& d);

  // Where a long update is, for the progress bar.
  struct Progress {
    int64_t done = 0, total = 0;  // tokens over all models
    std::string model;            // the model running now
    double eta_seconds = -1;      // its time left, from its chunks so far (-1: not known yet)
    bool quadratic = false;       // it has attention layers: each chunk costs more than the last
    bool on_cpu = false;
  };
  // Brings every loaded model up to d's text, model after model; `rc.cancel` stops between chunks.
  // Returns true when every model holds the whole text (or failed: its column then says why).
  // A GPU fault (DeviceError) on a model opened with cpu_fallback drops it and its results, reopens
  // it on the CPU reference and runs it again there; its ColumnStatus::notice says so. A fault while
  // a view is built (frame) does the same: the model is left for the next update to run.
  bool update(const Document& d, const RunControl& rc, const std::function<void(const Progress&)>& progress);
  bool up_to_date(const Document& d) const;  // every loaded model holds d's text (or failed on it), as intervened as asked
  // Switches each model to the intervention its column asks for (d.delta_average); a switch drops
  // that model's results and every cached frame (they were the other model's). Called by update().
  void apply_interventions(const Document& d);
  std::vector<ColumnStatus> status(const Document& d) const;
  int64_t computed(const Document& d) const;  // bytes every loaded model has computed

  // The frame of view `v` for the document (column: the model column; -1 for the active one).
  // Never throws: a failure comes back as a frame with `error` set.
  FramePtr frame(View v, const Document& d, int column = -1);
  FramePtr block_rank(const Document& d, int column, int64_t r0, int64_t c0, int64_t r1, int64_t c1);
  FramePtr cell_terms(const Document& d, int column, int64_t i, int64_t j);
  // Times every loaded model's forward at `lengths` (the cost view); kept until the models change.
  FramePtr measure_cost(const Document& d, const std::vector<int64_t>& lengths, int repeats, const RunControl& rc);

  // Column c's model (nullptr when it failed or is not loaded), for work done on the worker thread.
  Exploration* exploration(const Document& d, int c) {
    Column* col = column(d, c);
    return col ? col->ex.get() : nullptr;
  }

  // The SSM state of column c's `layer` after token t [Di, N] or [H, P, N]: from a cached window that
  // recorded it, else Exploration::state_at (a rerun from the snapshot).
  Tensor ssm_state_after(const Document& d, int c, int layer, int64_t t);

  // Work that makes the next keystroke cheap, done while nobody waits (Exploration::prepare_tail).
  void prepare_for_typing(const Document& d);

  int64_t cache_hits() const { return hits_; }      // frames answered from the cache
  int64_t cache_misses() const { return misses_; }
  // Host memory, each storage once (for soak tests): what every model keeps (Exploration::tally) and
  // the text it holds; then, into `caches`, what `models` does not hold already of the caches (traced
  // windows, frames, per-token copies).
  void tally(MemoryTally& models, MemoryTally& caches) const;

 private:
  struct Column {
    std::unique_ptr<Exploration> ex;
    uint64_t version = 0;  // the text version the model holds completely (0: none yet)
    SharedText held;       // the text given to the model last (the bytes ex->bytes() holds), to compare in O(1)
    std::string error;
    std::string notice;    // see ColumnStatus
  };
  Column* column(const Document& d, int c);
  const Column* column(const Document& d, int c) const;
  // After a GPU fault (DeviceError) in column c's model opened with cpu_fallback: reopens it on the CPU
  // reference, to be run over the whole text again (version 0), drops every cached result and says so
  // in the column's notice. False (nothing changed) for a model already on the CPU or opened without it.
  bool fall_back_to_cpu(const Document& d, int c, const DeviceError& e, const std::string& doing);
  // Drops every cached result (windows, frames, per-token series, predictions) and model `id`'s matrix.
  void drop_results(uint64_t id);
  // Brings col's model to `text`: an append when `text` extends the held one, else set_bytes.
  UpdateStats give_text(Column& col, const SharedText& text, const RunControl& rc);
  // The document's selection (text bytes) in column c's tokens: the same numbers for a byte model;
  // for a tokenizer model, the tokens that hold the selected byte and the window's bytes.
  struct Selection {
    int64_t token = 0, t0 = 0, t1 = 0;  // the selected token and the window [t0, t1)
    int64_t size = 0;                   // tokens of the text
    std::shared_ptr<const TokenSpans> tokens;  // a tokenizer model's tokens of this text (null: bytes)
  };
  Selection selection(const Document& d, int c) const;
  Frame header(View v, const Document& d, int c) const;
  FramePtr build(View v, const Document& d, int c);
  FramePtr state_frame(const Document& d, int c);
  FramePtr kv_frame(const Document& d, int c);
  FramePtr delta_frame(const Document& d, int c);
  FramePtr matrix_frame(const Document& d, int c);
  FramePtr prediction_frame(const Document& d, int c);
  FramePtr memory_frame(const Document& d);
  FramePtr cost_frame(const Document& d);
  // One layer's window trace [t0, t1). From the cache when a traced window of the same (model, layer,
  // head, text) holds it; else traced a little wider (back to the snapshot it starts from, at most
  // kWindowSlack tokens, and kWindowSlack / 2 further on), so that the next click or arrow key next to
  // the selection reuses it. At most kWindowCacheBytes of windows are kept.
  static constexpr int64_t kWindowSlack = 128;
  static constexpr int64_t kWindowCacheBytes = int64_t(384) << 20;
  LayerWindow window(const Document& d, int c, int layer, int64_t t0, int64_t t1, unsigned parts, int head);
  // A per-token series of the whole text ("surprisal", or "mean_delta" of `layer`), copied once per text
  // version and model, with what the views need of all of it (read once, here, on the worker).
  struct PerToken {
    // [tokens]; frames hold it as const. Written only here, into a buffer nothing else holds any more.
    std::shared_ptr<std::vector<float>> values;
    double min = NAN, max = NAN;  // over the finite values (NaN: none)
    double sum = 0;               // of the values that are not NaN
    int64_t count = 0;            // values that are not NaN
  };
  const PerToken& per_token(const Document& d, int c, const std::string& what, int layer);
  // p(next token | tokens 0..t) [V]: Exploration::next_byte_probs(t). When that reruns the model from a
  // snapshot, the rerun answers every token from the snapshot to kPredictionAhead tokens past t at once
  // (Exploration::next_byte_probs(t0, t1)), kept for the next click or arrow key near it.
  static constexpr int64_t kPredictionAhead = 16;
  static constexpr int64_t kPredictionBytes = int64_t(16) << 20;  // per range (a large vocabulary keeps fewer rows)
  static constexpr size_t kPredictionRanges = 8;
  std::vector<float> next_probs(const Document& d, int c, int64_t t);

  std::map<uint64_t, Column> columns_;
  struct CachedWindow {
    uint64_t id, version;
    int layer, head;
    int64_t t0, t1;
    unsigned parts;
    LayerWindow w;
    int64_t held = 0;  // bytes its tensors keep allocated: w's per-token rows are views into the trace from the snapshot
  };
  std::deque<CachedWindow> windows_;                      // most recent last, at most kWindowCacheBytes
  std::map<std::string, FramePtr> frames_;                // the frame cache (key: what, model, layer, ..., version)
  std::deque<std::string> frame_order_;                   // oldest first, at most 64
  std::map<std::string, PerToken> per_token_;
  std::vector<std::shared_ptr<std::vector<float>>> spare_per_token_;  // older texts' series buffers (see per_token)
  struct CachedPredictions {
    uint64_t id, version;
    int64_t t0, t1;
    std::vector<float> probs;  // [t1 - t0, V]
  };
  std::deque<CachedPredictions> predictions_;             // most recent last, at most kPredictionRanges
  std::map<uint64_t, FramePtr> matrices_;                 // the last matrix frame per model (for readouts)
  FramePtr cost_;
  std::vector<uint64_t> cost_ids_;                        // the models cost_ was measured for
  int64_t hits_ = 0, misses_ = 0;
};

}  // namespace ss
