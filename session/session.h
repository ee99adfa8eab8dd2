// Session: the explorer's one owner of the text, the models and everything computed from them.
// No Qt: the window, the headless exporter, a lesson player and the tests all drive it the same way.
//
// Design (data flows one way: input → session → frames → views):
//   - The Document (document.h) is what the user has chosen: the text (one copy, with a version
//     number), the bytes still to feed while stepping, the selection, the model columns and the
//     layer / head / channel each shows. It is a small value, changed only through this class on the
//     owner's thread (the GUI thread), so `document()` is always current and never waits.
//   - Every change posts an immutable copy of the document to ONE worker thread, which owns the
//     models (ss::Exploration), their snapshots and one cache of computed results (the Engine,
//     engine.h). No other thread ever touches a model, so no data race is possible by construction.
//   - The worker brings every model up to the document's text (an append runs the recurrent step;
//     a long text runs in chunks with progress), then builds the frames of the views that were asked
//     for (set_views) for the document's selection, and hands each one, immutable, to the `frame`
//     callback. Views only draw frames; a frame is also what export writes and what tests check.
//   - Superseding: a newer document (a keystroke, a click) interrupts stale work: a long update
//     stops at its next chunk and continues from there for the new text; frames not yet built for the
//     old state are dropped. Only the newest document is ever worked on.
//   - cancel() stops a long update where it is (the frames then say which tokens are not computed
//     yet); resume() continues from there; a new text also continues.
//   - A model that fails to load keeps its column, which says why (ColumnInfo::error); a model whose
//     update or query throws (a CUDA error, a bad checkpoint) reports it in its status and frames;
//     the other models and the window go on.
//
// Callbacks run on the worker thread: a GUI hands them to its own thread (ui/Workspace does, with
// queued signals). All other members are for the owner's thread only.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "document.h"
#include "engine.h"
#include "frame.h"

namespace ss {

class Session {
 public:
  // Where the worker is.
  struct Status {
    uint64_t serial = 0;        // the document state it last finished
    uint64_t text_version = 0;  // and that state's text
    std::vector<Engine::ColumnStatus> columns;  // per column: bytes computed, the last error
    int64_t computed = 0;       // bytes every loaded model holds
    int64_t size = 0;           // bytes of the text
    bool busy = false;          // bringing models up to the text, or timing them
    bool paused = false;        // cancelled by the user: computed < size until resume() or a new text
    double progress = 1.0;      // 0..1 of the current update
    std::string what;           // the model being updated
    double eta_seconds = -1;    // its time left, measured from its chunks so far (-1: not known)
    std::string warning;        // e.g. an attention model on the CPU over a long text: how long, what else to do
  };
  struct Callbacks {
    std::function<void(FramePtr)> frame;                // a frame for the views
    std::function<void(const Status&)> status;          // progress, busy, errors
  };

  static constexpr int kMaxColumns = 4;

  explicit Session(Callbacks cb = {});
  ~Session();  // stops the worker (interrupting what it runs)
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  const Document& document() const { return doc_; }
  Status status() const;

  // --- models ---
  // Loads the folder on this thread (device "cpu" | "cuda" | "auto", precision "fp32" | "bf16") and
  // hands the model to the worker. Returns false, with `error`, when it failed: the column stays
  // and says why (close it with close_model). At most kMaxColumns columns.
  bool open_model(const std::string& dir, const std::string& device = "auto", const std::string& precision = "fp32",
                  std::string* error = nullptr);
  void close_model(int column);

  // --- the text ---
  void set_text(std::vector<uint8_t> bytes);
  void append(const std::vector<uint8_t>& more);
  // Stepping: the text is cut after the selected token, and each step feeds the next byte (the
  // recurrent step); typing meanwhile edits the fed text, and the rest still follows it.
  bool begin_stepping();
  int64_t step(int64_t n = 1);  // bytes fed; 0 when none were left (stepping has ended)
  void feed_rest();             // the whole text again: every byte not yet fed

  // --- selection ---
  void select_token(int64_t t);
  void select_window(int64_t a, int64_t b);
  void extend_selection(int64_t t);
  void set_choice(int column, Choice c);
  void set_active(int column);
  // Δ → average for a model column (core/intervention.h): its every result becomes the intervened
  // model's; ignored for a model without SSM layers.
  void set_delta_average(int column, bool on);

  // --- what to compute ---
  void set_views(std::vector<View> views);  // built after every change, in this order
  void request_block_rank(int column, int64_t r0, int64_t c0, int64_t r1, int64_t c1);  // matrix cells, inclusive
  void request_cell_terms(int column, int64_t row, int64_t col);
  void measure_cost(std::vector<int64_t> lengths, int repeats = 2);

  // Runs `f` on the worker (after the models hold the text, or where a cancel left them) and waits
  // for it: for a driver that needs a model's answer at once (a lesson scoring a task). Views use
  // frames instead. `f` must not call back into the Session.
  void run_on_worker(const std::function<void(Engine&, const Document&)>& f);

  void cancel();     // stops a long update or timing where it is
  void resume();     // continues a cancelled update
  void wait_idle();  // blocks until the worker has finished the newest document and its requests

 private:
  using Job = std::function<void(Engine&, const Document&)>;
  void post(Job job = nullptr);
  void run();
  void publish(Status s);

  Callbacks cb_;
  Document doc_;
  uint64_t next_id_ = 0;

  mutable std::mutex m_;
  std::condition_variable wake_, idle_cv_;
  std::shared_ptr<const Document> posted_;  // the newest document, not yet taken by the worker
  std::vector<Job> jobs_;
  std::vector<std::pair<uint64_t, std::unique_ptr<Exploration>>> handover_;
  std::vector<View> views_;
  bool stop_ = false, resume_ = false, idle_ = true, busy_ = false;
  uint64_t done_serial_ = 0;
  Status status_;
  std::atomic<bool> interrupt_{false};    // stale work stops (a newer document, a cancel)
  std::atomic<bool> user_cancel_{false};  // the interrupt was the user's cancel
  std::thread worker_;                    // last: started when everything above exists
};

}  // namespace ss
