#include "session.h"

#include <filesystem>

#include "backend.h"

namespace ss {

Session::Session(Callbacks cb) : cb_(std::move(cb)) {
  views_ = {View::State, View::Delta, View::Prediction, View::Matrix, View::Memory, View::Cost};
  worker_ = std::thread([this] { run(); });
}

Session::~Session() {
  {
    std::lock_guard l(m_);
    stop_ = true;
  }
  user_cancel_ = true;
  interrupt_ = true;
  wake_.notify_all();
  worker_.join();
}

Session::Status Session::status() const {
  std::lock_guard l(m_);
  return status_;
}

void Session::post(Job job) {
  auto d = std::make_shared<const Document>(doc_);
  {
    std::lock_guard l(m_);
    posted_ = std::move(d);
    if (job) jobs_.push_back(std::move(job));
    idle_ = false;
    // Whatever the worker does for an older document is stale now. Set under the lock: the worker
    // clears it under the lock when it takes the document, so it can never clear this one's
    // interrupt before taking it, nor see it after taking it. (Set after the unlock, it could land
    // after the worker took this very document: the worker dropped that work as superseded and
    // went idle with the text half computed; tst_classroom caught it once on CI.)
    interrupt_ = true;
  }
  wake_.notify_one();
}

bool Session::open_model(const std::string& dir, const std::string& device, const std::string& precision, std::string* error) {
  if (static_cast<int>(doc_.columns.size()) >= kMaxColumns) {
    if (error) *error = "at most " + std::to_string(kMaxColumns) + " models side by side";
    return false;
  }
  auto info = std::make_shared<ColumnInfo>();
  info->id = ++next_id_;
  std::filesystem::path p = std::filesystem::absolute(dir).lexically_normal();
  if (p.filename().empty()) p = p.parent_path();  // "dir/" names the folder too
  info->dir = p.string();
  info->name = p.filename().string();
  std::unique_ptr<Exploration> ex;
  try {
    const Precision prec = parse_precision(precision);
    info->cpu_fallback = may_fall_back_to_cpu(device, prec);
    std::string cpu_reason;
    try {
      ex = Exploration::open(info->dir, make_backend(device, prec, &cpu_reason));
      // "auto" on a machine without a GPU (no driver or device) is the CPU as planned, not a fault for
      // the column to warn about; a GPU that is there but cannot be used (full, too old) is.
      const bool noGpuHere = cpu_reason.find("no usable CUDA driver or device") != std::string::npos;
      if (!cpu_reason.empty() && !noGpuHere) info->warnings.push_back("running on the CPU: " + cpu_reason);
    } catch (const DeviceError& e) {  // e.g. the weights do not fit in the GPU's memory
      if (!info->cpu_fallback) throw;
      info->warnings.push_back(device_fallback_note(e, "loading the model"));
      ex = Exploration::open(info->dir, make_cpu_backend());
    }
    if (const std::string w = unused_tensors_warning(ex->model()); !w.empty()) info->warnings.push_back(w);
    info->backend = ex->backend_name();
    info->config = ex->config();
    info->parameters = ex->model().parameter_count();
    info->state_bytes = ex->state_bytes();
    info->kv_bytes_per_token = ex->model().kv_bytes_per_token();
    if (const Tokenizer* tok = ex->model().tokenizer()) info->tokenizer = tok->describe();
  } catch (const std::exception& e) {
    info->error = e.what();
    if (info->error.empty()) info->error = "failed to load";
  }
  const bool ok = info->loaded();
  if (!ok && error) *error = info->error;
  const uint64_t id = info->id;
  doc_.add_column(std::move(info));
  if (ex) {
    std::lock_guard l(m_);
    handover_.emplace_back(id, std::move(ex));  // from here on only the worker touches it
  }
  post();
  return ok;
}

void Session::close_model(int column) {
  doc_.remove_column(column);
  post();
}

void Session::set_text(std::vector<uint8_t> bytes) {
  doc_.set_text(std::move(bytes));
  post();
}

void Session::append(const std::vector<uint8_t>& more) {
  doc_.append(more);
  post();
}

bool Session::begin_stepping() {
  const bool ok = doc_.begin_stepping();
  post();
  return ok;
}

int64_t Session::step(int64_t n) {
  const int64_t fed = doc_.step(n);
  post();
  return fed;
}

void Session::feed_rest() {
  doc_.feed_rest();
  post();
}

void Session::select_token(int64_t t) {
  doc_.select_token(t);
  post();
}

void Session::select_window(int64_t a, int64_t b) {
  doc_.select_window(a, b);
  post();
}

void Session::extend_selection(int64_t t) {
  doc_.extend_selection(t);
  post();
}

void Session::set_choice(int column, Choice c) {
  doc_.set_choice(column, c);
  post();
}

void Session::set_active(int column) {
  doc_.set_active(column);
  post();
}

void Session::set_delta_average(int column, bool on) {
  doc_.set_delta_average(column, on);
  post();
}

void Session::set_views(std::vector<View> views) {
  {
    std::lock_guard l(m_);
    views_ = std::move(views);
  }
  post();
}

void Session::request_block_rank(int column, int64_t r0, int64_t c0, int64_t r1, int64_t c1) {
  post([this, column, r0, c0, r1, c1](Engine& e, const Document& d) {
    if (cb_.frame) cb_.frame(e.block_rank(d, column, r0, c0, r1, c1));
  });
}

void Session::request_cell_terms(int column, int64_t row, int64_t col) {
  post([this, column, row, col](Engine& e, const Document& d) {
    FramePtr f;
    try {
      f = e.cell_terms(d, column, row, col);
    } catch (const std::exception& ex) {
      auto g = std::make_shared<Frame>();
      g->view = View::CellTerms;
      g->column = column;
      g->error = ex.what();
      f = g;
    }
    if (cb_.frame) cb_.frame(f);
  });
}

void Session::measure_cost(std::vector<int64_t> lengths, int repeats) {
  post([this, lengths, repeats](Engine& e, const Document& d) {
    Status s = status();
    s.busy = true;
    s.progress = 0;
    s.what = "timing";
    publish(s);
    RunControl rc;
    rc.cancel = &user_cancel_;  // only the user stops a measurement (typing meanwhile waits for it)
    FramePtr f;
    try {
      f = e.measure_cost(d, lengths, repeats, rc);
    } catch (const std::exception& ex) {
      auto g = std::make_shared<Frame>();
      g->view = View::Cost;
      g->error = ex.what();
      f = g;
    }
    if (cb_.frame) cb_.frame(f);
  });
}

void Session::run_on_worker(const std::function<void(Engine&, const Document&)>& f) {
  auto done = std::make_shared<std::promise<void>>();
  std::future<void> ready = done->get_future();
  post([f, done](Engine& e, const Document& d) {
    try {
      f(e, d);
      done->set_value();
    } catch (...) {
      done->set_exception(std::current_exception());
    }
  });
  ready.get();  // rethrows what `f` threw
}

void Session::cancel() {
  std::lock_guard l(m_);
  if (!busy_) return;
  user_cancel_ = true;
  interrupt_ = true;
}

void Session::resume() {
  {
    std::lock_guard l(m_);
    resume_ = true;
    idle_ = false;
  }
  wake_.notify_one();
}

void Session::wait_idle() {
  std::unique_lock l(m_);
  idle_cv_.wait(l, [&] { return idle_; });
}

void Session::publish(Status s) {
  {
    std::lock_guard l(m_);
    status_ = s;
  }
  if (cb_.status) cb_.status(s);
}

void Session::run() {
  Engine engine;
  std::shared_ptr<const Document> doc;
  std::vector<Job> jobs;  // requests not yet answered (kept when a newer document interrupts)
  bool paused = false;
  uint64_t paused_version = 0;
  bool again = false;  // the last pass left a model behind the text (a GPU fault sent it to the CPU)
  for (;;) {
    std::vector<View> views;
    bool resume = false;
    {
      std::unique_lock l(m_);
      if (!again && !posted_ && jobs_.empty() && jobs.empty() && !resume_ && !stop_) {
        busy_ = false;
        idle_ = true;
        idle_cv_.notify_all();
        wake_.wait(l, [&] { return stop_ || posted_ || !jobs_.empty() || resume_; });
      }
      if (stop_) {
        idle_ = true;
        idle_cv_.notify_all();
        return;
      }
      if (posted_) doc = std::move(posted_);
      posted_ = nullptr;
      for (Job& j : jobs_) jobs.push_back(std::move(j));
      jobs_.clear();
      for (auto& [id, ex] : handover_) engine.adopt(id, std::move(ex));
      handover_.clear();
      resume = resume_;
      resume_ = false;
      views = views_;
      interrupt_ = false;
      user_cancel_ = false;
      busy_ = true;
    }
    if (!doc) {
      jobs.clear();
      continue;
    }
    engine.sync_columns(*doc);
    if (resume || (paused && doc->text_version != paused_version)) paused = false;

    Status s;
    s.serial = doc->serial;
    s.text_version = doc->text_version;
    s.size = doc->size();
    if (!paused && !engine.up_to_date(*doc)) {
      s.busy = true;
      s.progress = 0;
      s.columns = engine.status(*doc);
      s.computed = engine.computed(*doc);
      publish(s);
      RunControl rc;
      rc.cancel = &interrupt_;
      int last = -1;
      const bool done = engine.update(*doc, rc, [&](const Engine::Progress& pr) {
        const int pct = static_cast<int>(100.0 * double(pr.done) / double(std::max<int64_t>(pr.total, 1)));
        if (pct == last) return;
        last = pct;
        Status p = s;
        p.progress = pct / 100.0;
        p.what = pr.model;
        p.eta_seconds = pr.eta_seconds;
        // Before most of a long attention run on the CPU: how long it will take, measured, and what else to do.
        if (pr.quadratic && pr.on_cpu && pr.eta_seconds > 60)
          p.warning = pr.model + " on the CPU: about " + std::to_string(int(pr.eta_seconds / 60 + 0.5)) +
                      " min left (attention costs grow with the square of the length). Cancel, then open the model on the GPU "
                      "(--device cuda) or use a shorter text; or let it run.";
        publish(p);
      });
      if (!done) {
        if (!user_cancel_) continue;  // superseded: on to the newest document
        paused = true;                // cancelled: show what is computed, until resume or a new text
        paused_version = doc->text_version;
        interrupt_ = false;
      }
    }
    s.busy = false;
    s.paused = paused;
    s.progress = 1.0;
    s.columns = engine.status(*doc);
    s.computed = engine.computed(*doc);
    publish(s);

    // The views' frames for this document; a newer one makes the rest stale.
    bool superseded = false;
    for (View v : views) {
      const int n = v == View::Matrix ? static_cast<int>(doc->columns.size()) : 1;
      for (int c = 0; c < n && !superseded; ++c) {
        if (interrupt_ && !user_cancel_) {
          superseded = true;
          break;
        }
        FramePtr f = engine.frame(v, *doc, v == View::Matrix ? c : -1);
        if (cb_.frame) cb_.frame(f);
      }
      if (superseded) break;
    }
    if (superseded) continue;
    while (!jobs.empty()) {
      Job j = std::move(jobs.front());
      jobs.erase(jobs.begin());
      j(engine, *doc);
    }
    if (!s.busy) publish(s);  // (after a timing: not busy any more)
    // A view that hit a GPU fault reopened its model on the CPU: run the text there, then the views again.
    again = !paused && !engine.up_to_date(*doc);
    bool waiting;
    {
      std::lock_guard l(m_);
      waiting = posted_ || !jobs_.empty();
    }
    if (!again && !waiting) engine.prepare_for_typing(*doc);  // while nobody waits
  }
}

}  // namespace ss
