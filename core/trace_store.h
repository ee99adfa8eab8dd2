// TraceStore: a TraceSink that keeps what it was asked for, concatenated over calls (a forward over
// the prompt followed by steps reads as one sequence).
#pragma once

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "trace.h"

namespace ss {

struct TraceRequest {
  std::set<std::string> names;          // empty = every name
  std::set<int> layers;                 // empty = every layer (model-level traces always pass)
  int64_t state_stride = 0;             // strided states (0 = none)
  std::map<int, ProbsWindow> probs_windows;  // attention layer -> its probs window (none: no probabilities)
};

class TraceStore final : public TraceSink {
 public:
  explicit TraceStore(TraceRequest request = {}) : request_(std::move(request)) {}

  // The argument to hand Model::forward / step so that the run records what this store was asked for:
  // this store as the sink, the request's state stride and probs windows.
  Recording recording();

  bool wants(const std::string& name, int layer) const override;
  void record(const std::string& name, int layer, int64_t pos0, const Tensor& host) override;

  // A recorded tensor: per-token traces are concatenated along dim 0 over calls; the last state
  // (mamba.state, mamba2.state) keeps the latest; attn.probs is the [W, W] probs window, its rows
  // filled by the calls that ran their queries (the others 0). Empty tensor if never recorded.
  Tensor get(const std::string& name, int layer) const;
  bool has(const std::string& name, int layer) const { return pieces_.count({name, layer}) != 0; }
  // Absolute token positions of the rows of a strided-states trace.
  std::vector<int64_t> state_positions(const std::string& name, int layer) const;
  // The probs window of a layer, if the request has one.
  const ProbsWindow* probs_window(int layer) const;
  std::vector<std::pair<std::string, int>> keys() const;
  void clear() { pieces_.clear(); state_pos_.clear(); }

 private:
  TraceRequest request_;
  // Per-token traces arrive in pieces (a forward, then steps); they are joined on first read, so
  // recording stays O(1) per call.
  mutable std::map<std::pair<std::string, int>, std::vector<Tensor>> pieces_;
  std::map<std::pair<std::string, int>, std::vector<int64_t>> state_pos_;
};

}  // namespace ss
