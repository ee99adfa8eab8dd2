// Exploration: one loaded model reading one text, with everything the explorer's views ask about it.
// Positions are the model's tokens: one per byte for a byte model, the tokenizer's tokens (each with
// its byte span in the text) for a folder with a tokenizer.json. No Qt: the GUI, the headless exporter and the tests all drive it the same way.
//
// What it keeps (memory grows with the text only through the per-token rows):
//   - the live ModelState after the last computed token (the recurrent path continues from it);
//   - snapshots: the SSM/conv states after every `snapshot_every` tokens (attention layers need no
//     copy: their KV cache up to position s is a prefix of the live cache), and the logits that
//     predict the byte after each snapshot;
//   - per token: the surprisal of each byte and the mean Δ of each SSM layer.
// Everything else (Δ, B, C over a window, the state after every token of a window, attention
// probabilities, next-byte distributions) is recomputed on demand from the nearest snapshot at or
// before the window, so a query costs O(snapshot_every + window) whatever the length of the text.
//
// Updating the text: set_bytes() finds the first byte that changed, rewinds to the nearest snapshot
// at or before it and recomputes from there (an append rewinds nothing; a short append runs the
// recurrent step() per byte, a long one the parallel forward() in chunks). append() does the same for
// bytes added at the end without copying or comparing the text.
//
// Not thread-safe: one thread at a time (the GUI runs long updates on a worker and queries after).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backend.h"
#include "config.h"
#include "memory_tally.h"
#include "model.h"
#include "task_generator.h"
#include "token_spans.h"

namespace ss {

class TailSink;

// Progress and cancellation for long updates.
struct RunControl {
  std::function<void(int64_t done, int64_t total)> progress;  // tokens done of this update; may be empty
  const std::atomic<bool>* cancel = nullptr;                  // checked between chunks
};

// What set_bytes() did.
struct UpdateStats {
  int64_t from = 0;         // first position recomputed (a snapshot position or the old end)
  int64_t tokens = 0;       // tokens run by this update
  bool recurrent = false;   // ran step() per token (short append) rather than forward()
  bool cancelled = false;   // stopped early: computed() < bytes().size()
};

// Parts of a window trace to record (bit flags).
enum WindowPart : unsigned { kWindowGate = 1, kWindowStates = 2, kWindowAttention = 4, kWindowLogits = 8 };

// One layer's internals over tokens [t0, t1). Shapes by mixer kind (W = t1 - t0):
//   Mamba:     x, delta [W, Di]; B, C [W, N];       states [W, Di, N]
//   Mamba-2:   x [W, H, P]; delta [W, H]; B, C [W, G, N]; states [W, H, P, N]
//   Attention: attn [W, W] probabilities of `head` (rows: queries t0.., cols: keys t0..)
//   Attention + Mamba-2 (Falcon-H1): the Mamba-2's parts and the attention's, as asked for
// logits [W, V] predict the byte after each token. Parts not asked for stay empty.
struct LayerWindow {
  int layer = 0;
  MixerKind kind = MixerKind::Mamba;
  int head = 0;
  int64_t t0 = 0, t1 = 0;
  Tensor x, delta, B, C, states, attn, logits;
  int64_t bytes() const;  // memory of its tensors
};

// The rows [t0, t1) of a window `w` (w.t0 <= t0 < t1 <= w.t1): the per-token tensors share w's
// storage, the attention block [t0, t1) x [t0, t1) is copied out. The same numbers as tracing [t0, t1).
LayerWindow sub_window(const LayerWindow& w, int64_t t0, int64_t t1);

// One timing of the cost chart.
struct CostSample {
  int64_t length = 0;
  double seconds = 0.0;  // best of the repeats, forward over `length` tokens from a fresh state
};

class Exploration {
 public:
  // Loads the HuggingFace folder `dir` onto `backend` (make_backend("auto") or make_cpu_backend()),
  // which the exploration keeps. Throws ss::Error.
  // Snapshots start every `snapshot_every` tokens; when they would hold more than
  // `snapshot_budget_bytes`, every other one is dropped and the spacing doubles (long texts trade
  // click latency for bounded memory: the shipped Mamba-2 keeps 694 KB per snapshot).
  static std::unique_ptr<Exploration> open(const std::string& dir, std::unique_ptr<Backend> backend,
                                           int64_t snapshot_every = 256, int64_t snapshot_budget_bytes = kSnapshotBudget);
  static constexpr int64_t kSnapshotBudget = int64_t(512) << 20;
  ~Exploration();

  const Model& model() const { return *model_; }
  const ModelConfig& config() const { return model_->config(); }
  std::string name() const;          // the folder's name
  std::string backend_name() const;  // "cpu" or "cuda (...)"
  int64_t snapshot_every() const { return snapshot_every_; }  // the current spacing (it doubles past the budget)
  int64_t snapshot_bytes() const;                              // memory of one snapshot
  // Adds the host memory of what it keeps besides the weights and the live state: the snapshots, the
  // per-token results and the text (vector capacities), the tail window and its row buffers.
  void tally(MemoryTally& m) const;
  std::vector<int64_t> snapshot_positions() const;
  int64_t snapshot_at_or_before(int64_t t) const;  // where a rerun for position t starts

  // --- the text and its tokens ---
  const std::vector<uint8_t>& bytes() const { return bytes_; }
  bool tokenized() const { return model_->has_tokenizer(); }     // tokens from a tokenizer.json, not bytes
  // The task the model's folder says it was trained on (task.json), if any: which bytes a task scores.
  const std::optional<TaskKind>& task() const { return task_; }
  const std::shared_ptr<const TokenSpans>& token_spans() const { return spans_; }  // null for byte models
  const std::vector<int32_t>& ids() const { return ids_; }      // [size()] the token ids the model reads
  int64_t size() const { return static_cast<int64_t>(ids_.size()); }  // tokens
  int64_t computed() const { return computed_; }  // leading tokens whose results are current
  int64_t computed_bytes() const;                 // text bytes those tokens cover
  // The token that holds text byte b (the last token for b past the end; a byte model: b itself).
  int64_t token_at_byte(int64_t b) const;
  UpdateStats set_bytes(std::vector<uint8_t> bytes, const RunControl& rc = {});
  // The text followed by `more`: what set_bytes(bytes() + more) gives, number for number. For a byte
  // model without Δ → average it costs O(more) amortised (stepping through a long text appends one
  // byte at a time); a tokenizer model retokenizes the whole text.
  UpdateStats append(const std::vector<uint8_t>& more, const RunControl& rc = {});
  UpdateStats resume(const RunControl& rc = {}) { return set_bytes(bytes_, rc); }  // after a cancel
  // Appends at most this many bytes by the recurrent step (more run as a parallel forward).
  static constexpr int64_t kStepAppendLimit = 16;

  // --- intervention (intervention.h): what the results are of ---
  // Δ → average: every result below (surprisals, Δ, states, predictions, windows) is then the
  // intervened model's: each SSM layer's Δ replaced by its mean over the whole current text. The
  // means are computed in one pass over the whole text whenever the text changes, and every result
  // is recomputed from token 0 with them (an edit anywhere changes them). After switching, call
  // resume() to recompute.
  void set_delta_average(bool on);
  bool delta_average() const { return iv_.mean_delta; }
  const Intervention& intervention() const { return iv_; }  // the means in use (empty before a run)

  // --- per-token results (kept for the whole text) ---
  const std::vector<float>& surprisals() const { return surprisal_; }  // [computed] bits; NaN at 0
  const std::vector<float>& mean_delta(int layer) const;                // [computed]; empty for attention

  // --- queries (t < computed()) ---
  std::vector<float> next_byte_probs(int64_t t) const;  // [V] softmax of the logits after token t (next token)
  // The same for every token of [t0, t1) at once: [(t1 - t0) * V], row k the distribution after token
  // t0 + k. Rows next_byte_probs answers from kept logits (the last token, a token just before a
  // snapshot) are those; the others come from one rerun per snapshot interval the range touches, each
  // from the snapshot next_byte_probs(t) reruns from (so a click's rerun also answers its neighbours).
  std::vector<float> next_byte_probs(int64_t t0, int64_t t1) const;
  // Host copies of the state after token t: every layer's, or only `layer`'s (the others left empty;
  // cheaper: the layers above it are not run, and an attention layer's cache is read, not recomputed).
  // KV caches come back holding exactly t + 1 positions.
  ModelState state_at(int64_t t, int layer = -1) const;
  // A Zamba2 hybrid layer's window has its Mamba-2's parts (kind Mamba2, `head` unused by them) and, with
  // kWindowAttention, its shared attention's probabilities of attention head `head` in `attn`.
  LayerWindow trace_window(int layer, int64_t t0, int64_t t1, unsigned parts, int head = 0) const;
  // Keys of one KV head of an attention layer after token t, read from the live cache: [t + 1, hd].
  Tensor cached_keys(int64_t t, int layer, int kv_head) const;
  // Gives the window typing extends (the last one traced at the end) room for the next steps' rows now,
  // while nobody waits, instead of at a keystroke: when fewer than kTailRoom rows are free, its buffers
  // are replaced by ones of twice the window (for Mamba-2 at d 352 a copy of up to 70 MB: about 0.1 s).
  // Nothing changes that a query returns. Called by the session when it is idle.
  void prepare_tail() const;
  // prepare_tail, and room in the live KV caches for the next kTailRoom tokens (CPU backend).
  void prepare_for_typing();
  // Tokens the queries above have rerun from snapshots so far (0 for answers from kept results).
  int64_t query_tokens_run() const { return query_tokens_run_; }
  // A of an SSM layer: Mamba [Di, N], Mamba-2 [H] (negative); empty for attention layers.
  const Tensor& ssm_A(int layer) const;

  // --- memory and cost ---
  int64_t state_bytes() const { return model_->state_bytes(); }                    // fixed, fp32
  int64_t kv_bytes_at(int64_t t) const { return model_->kv_bytes_per_token() * (t + 1); }  // after token t
  int64_t live_kv_bytes() const;  // measured from the live cache tensors: 2 * Σ Hkv * length * hd * 4
  std::vector<CostSample> measure_cost(const std::vector<int64_t>& lengths, int repeats = 2,
                                       const RunControl& rc = {}) const;

 private:
  struct Snapshot {
    ModelState state;                // SSM/conv states on the device; attention caches left empty
    std::vector<float> next_logits;  // [V] logits after token position-1 (empty at position 0)
  };
  Exploration(std::unique_ptr<Backend> be, std::unique_ptr<Model> m, int64_t snapshot_every, int64_t snapshot_budget);
  void rewind(int64_t position);
  // A working state at a snapshot position, its attention caches with room for `capacity` positions.
  ModelState restore(int64_t position, int64_t capacity) const;
  KvCache cache_prefix(const KvCache& live, int64_t keep, int64_t capacity) const;
  void run_forward(const RunControl& rc, UpdateStats& st);
  void run_steps(UpdateStats& st);
  UpdateStats run_to_end(const RunControl& rc);  // computes tokens computed()..size(): steps when few, else forward
  void consume_logits(const Tensor& logits, int64_t pos0);  // surprisals of pos0.., updates next_logits_
  void save_snapshot_if_due();
  void extend_tail(TailSink& sink, int64_t new_t0);
  static std::vector<std::pair<Tensor LayerWindow::*, const char*>> tail_parts(MixerKind kind);  // window part, trace name
  std::vector<int32_t> tokens(int64_t a, int64_t b) const;

  std::unique_ptr<Backend> be_;
  std::unique_ptr<Model> model_;
  int64_t snapshot_every_;
  int64_t snapshot_budget_;
  std::optional<TaskKind> task_;            // from the folder's task.json (none for language models)
  std::vector<uint8_t> bytes_;
  std::vector<int32_t> ids_;                // [tokens] what the model reads (byte models: bytes_)
  std::shared_ptr<const TokenSpans> spans_;  // tokenizer models: each token's id and byte span
  int64_t computed_ = 0;
  ModelState live_;
  std::vector<float> next_logits_;          // [V] logits after token computed_-1
  std::map<int64_t, Snapshot> snapshots_;   // position -> snapshot (0 always present)
  std::vector<float> surprisal_;            // [computed_]
  std::vector<std::vector<float>> mean_delta_;  // [layers][computed_]
  std::vector<Tensor> A_;                   // [layers] host
  Intervention iv_;                         // what every run and query passes to the model

  // The last window traced at the end of the text (the one the views watch while the user types).
  // Appends that run the recurrent step extend it with the rows the steps trace and drop rows past
  // kTailMax, so the next query for the window at the new end costs no rerun. Any other update
  // drops it. (A cache of query results: hence mutable.)
  static constexpr int64_t kTailMax = 1024;
  static constexpr int64_t kTailRoom = 64;  // prepare_tail grows a part's buffer when fewer rows than this are free
  struct Tail {
    int layer = 0, head = 0;
    unsigned parts = 0;
    LayerWindow w;  // after appends, its SSM parts are views of rows [first, first + W) of `rows`
    struct Rows {
      Tensor buf;         // [capacity, ...] the steps write their rows into
      int64_t first = 0;  // the row holding token w.t0
    };
    std::map<std::string, Rows> rows;  // per trace name
  };
  mutable std::optional<Tail> tail_;
  static Tail::Rows& tail_rows(Tail& tail, const std::string& name, const Tensor& view);  // the traced rows are the first buffer
  // A new buffer of 2W rows for a part, holding `keep` rows of the old one from row `from`.
  static void grow_tail_rows(Tail::Rows& rows, int64_t from, int64_t keep, int64_t W);
  mutable int64_t query_tokens_run_ = 0;
};

// Softmax of one row of logits, in double for the normaliser.
std::vector<float> softmax_row(const float* logits, int64_t V);

}  // namespace ss
