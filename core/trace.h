// Tracing: how the model reports its internals without knowing who listens.
//
// Model code marks each interesting tensor with one line, `cb(trace::kDelta, layer, dt);`. The
// Tracer asks its sink first whether that (name, layer) is wanted; only then is the tensor copied to
// the host (from the GPU if need be). With no sink attached a call is one null-pointer test.
//
// Copies are asynchronous (Backend::to_host_async: on the GPU they overlap the ops that follow); the
// sink receives them, in the order they were traced, at flush(): when about 256 MB are in flight, at
// the end of Model::forward / step, and at the latest when the Tracer goes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tensor.h"
#include "trace_names.h"

namespace ss {

class Backend;

// A token window [t0, t1) of one head, for matrices that would be too large to record whole.
struct TraceWindow {
  int head = 0;
  int64_t t0 = 0;
  int64_t t1 = 0;
};

class TraceSink {
 public:
  virtual ~TraceSink() = default;
  // Asked before anything is computed or copied. layer = -1 for model-level tensors.
  virtual bool wants(const std::string& name, int layer) const = 0;
  // Receives a host tensor (shapes per trace_names.h). `pos0` is the position of the first token of
  // this call (forward over tokens pos0.., or a step at pos0).
  virtual void record(const std::string& name, int layer, int64_t pos0, const Tensor& host) = 0;
  // Optional parameters: the window to record for windowed traces (attention probabilities).
  virtual std::optional<TraceWindow> window(const std::string& /*name*/, int /*layer*/) const { return std::nullopt; }
  // Mamba state checkpoints are kept every `checkpoint_every()` tokens (0 = none).
  virtual int64_t checkpoint_every() const { return 0; }
};

// What model code holds: a sink (maybe none) and the backend to copy device tensors from.
class Tracer {
 public:
  Tracer() = default;
  Tracer(TraceSink* sink, Backend* backend, int64_t pos0) : sink_(sink), backend_(backend), pos0_(pos0) {}
  Tracer(const Tracer&) = delete;  // owns copies in flight
  Tracer& operator=(const Tracer&) = delete;
  ~Tracer();  // flushes (errors swallowed: call flush() to see them)

  bool active() const { return sink_ != nullptr; }
  bool wants(const char* name, int layer) const { return sink_ && sink_->wants(name, layer); }
  void operator()(const char* name, int layer, const Tensor& t) const;  // records if wanted (at the next flush)
  void flush() const;  // waits for the copies in flight and hands them to the sink
  std::optional<TraceWindow> window(const char* name, int layer) const {
    return sink_ && sink_->wants(name, layer) ? sink_->window(name, layer) : std::nullopt;
  }
  int64_t checkpoint_every() const { return sink_ ? sink_->checkpoint_every() : 0; }
  int64_t pos0() const { return pos0_; }

 private:
  struct Pending {
    const char* name;  // one of trace_names.h (static storage)
    int layer;
    Tensor host;       // valid after Backend::wait_host_copies()
  };
  TraceSink* sink_ = nullptr;
  Backend* backend_ = nullptr;
  int64_t pos0_ = 0;
  mutable std::vector<Pending> pending_;
  mutable int64_t pending_bytes_ = 0;
};

}  // namespace ss
