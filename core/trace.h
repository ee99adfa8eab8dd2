// Tracing: how the model reports its internals without knowing who listens.
//
// Glossary: one name, one meaning, in core/ and everything built on it.
//   model folder   a HuggingFace folder on disk: config.json + safetensors (ModelFolder, model_folder.h).
//   state          what a layer carries from token to token: conv and SSM state, or KV cache (LayerState).
//   snapshot       a copy of the model's states that Exploration keeps every `snapshot_every` tokens
//                  to rerun from (never recorded by a trace).
//   strided states the SSM state after every `state_stride`-th position of a run, recorded as one trace
//                  (trace::kMambaStridedStates, kMamba2StridedStates); what the views read as "the state
//                  after each token" (stride 1).
//   window         a range of token positions [t0, t1) that a view looks at (LayerWindow, trace_window,
//                  window_matrix). Only ui/'s Qt top-level windows use the word otherwise.
//   probs window   a window of one attention head whose probabilities a run records (ProbsWindow,
//                  backend.h): rows = queries t0.., columns = keys t0..
//   chunk          consecutive tokens processed as one block: Model::chunk_tokens for long forwards,
//                  the SSD's chunk_size, the CUDA scans' chunks.
//   trace          a tensor recorded from inside a run, by name (trace_names.h) and layer.
//   recording      what one run records: a sink plus the strided-state and probs-window parameters
//                  (struct Recording below), an argument of Model::forward / forward_through / step.
//
// Model code marks each interesting tensor with one line, `cb(trace::kMambaDelta, layer, dt);`. The
// Tracer asks its sink first whether that (name, layer) is wanted; only then is the tensor copied to
// the host (from the GPU if need be). With no sink attached a call is one null-pointer test.
//
// Observing never changes the computation: the same ops run, with the same arguments, whatever is
// recorded; what is recorded only adds copies and observation-only outputs next to them (an op's
// strided states, the Mamba-1 scan's output before its gate, an attention head's probabilities).
// tst_observation checks that logits are bit-identical with no sink and with a sink that wants all.
//
// Copies are asynchronous (Backend::to_host_async: on the GPU they overlap the ops that follow); the
// sink receives them, in the order they were traced, at flush(): when about 256 MB are in flight, at
// the end of Model::forward / step, and at the latest when the Tracer goes.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "backend.h"
#include "tensor.h"
#include "trace_names.h"

namespace ss {

class TraceSink {
 public:
  virtual ~TraceSink() = default;
  // Asked before anything is copied (and before an observation-only output is computed). layer = -1
  // for model-level tensors.
  virtual bool wants(const std::string& name, int layer) const = 0;
  // Receives a host tensor (shapes per trace_names.h). `pos0` is the position of the first token of
  // this call (forward over tokens pos0.., or a step at pos0).
  virtual void record(const std::string& name, int layer, int64_t pos0, const Tensor& host) = 0;
};

// What one run records: the argument of Model::forward / forward_through / step that says which
// strided states and which probability windows to produce, and the sink that receives the traces.
// The sink still says, per (name, layer), whether it wants a trace; the two parameters below only
// matter for the traces they name.
struct Recording {
  Recording() = default;
  explicit Recording(TraceSink* s) : sink(s) {}  // a sink alone: no strided states, no probs windows

  TraceSink* sink = nullptr;
  int64_t state_stride = 0;               // > 0: strided states after each position p with (p + 1) % stride == 0
  std::map<int, ProbsWindow> probs_windows;  // attention layer -> the probs window of trace::kAttnProbs
};

// What model code holds: the run's recording and the backend to copy device tensors from.
class Tracer {
 public:
  Tracer() = default;
  Tracer(const Recording& rec, Backend* backend, int64_t pos0) : rec_(&rec), sink_(rec.sink), backend_(backend), pos0_(pos0) {}
  Tracer(const Tracer&) = delete;  // owns copies in flight
  Tracer& operator=(const Tracer&) = delete;
  ~Tracer();  // flushes (errors swallowed: call flush() to see them)

  bool active() const { return sink_ != nullptr; }
  bool wants(const char* name, int layer) const { return sink_ && sink_->wants(name, layer); }
  void operator()(const char* name, int layer, const Tensor& t) const;  // records if wanted (at the next flush)
  // An observation-only output the caller hands over (an op's strided states): a host tensor that
  // nothing else holds goes to the sink as it is, without the copy (device tensors are copied).
  void operator()(const char* name, int layer, Tensor&& t) const;
  void flush() const;  // waits for the copies in flight and hands them to the sink
  // The stride of `name`'s strided states for this layer, 0 when not recorded.
  int64_t state_stride(const char* name, int layer) const { return wants(name, layer) ? rec_->state_stride : 0; }
  // The probs window of this layer when trace::kAttnProbs is recorded for it, else null.
  const ProbsWindow* probs_window(int layer) const;
  int64_t pos0() const { return pos0_; }

 private:
  struct Pending {
    const char* name;  // one of trace_names.h (static storage)
    int layer;
    Tensor host;       // valid after Backend::wait_host_copies()
  };
  const Recording* rec_ = nullptr;
  TraceSink* sink_ = nullptr;
  Backend* backend_ = nullptr;
  int64_t pos0_ = 0;
  mutable std::vector<Pending> pending_;
  mutable int64_t pending_bytes_ = 0;
};

}  // namespace ss
