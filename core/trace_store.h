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
  int64_t checkpoint_every = 0;         // Mamba state checkpoints (0 = none)
  std::map<std::pair<std::string, int>, TraceWindow> windows;  // windowed traces, per (name, layer)
};

class TraceStore final : public TraceSink {
 public:
  explicit TraceStore(TraceRequest request = {}) : request_(std::move(request)) {}

  bool wants(const std::string& name, int layer) const override;
  void record(const std::string& name, int layer, int64_t pos0, const Tensor& host) override;
  std::optional<TraceWindow> window(const std::string& name, int layer) const override;
  int64_t checkpoint_every() const override { return request_.checkpoint_every; }

  // A recorded tensor: per-token traces are concatenated along dim 0 over calls; state snapshots
  // (mamba.state, mamba2.state) and windows keep the latest. Empty tensor if never recorded.
  Tensor get(const std::string& name, int layer) const;
  bool has(const std::string& name, int layer) const { return pieces_.count({name, layer}) != 0; }
  // Absolute token positions of the rows of a checkpoint trace.
  std::vector<int64_t> checkpoint_positions(const std::string& name, int layer) const;
  std::vector<std::pair<std::string, int>> keys() const;
  void clear() { pieces_.clear(); checkpoint_pos_.clear(); }

 private:
  TraceRequest request_;
  // Per-token traces arrive in pieces (a forward, then steps); they are joined on first read, so
  // recording stays O(1) per call.
  mutable std::map<std::pair<std::string, int>, std::vector<Tensor>> pieces_;
  std::map<std::pair<std::string, int>, std::vector<int64_t>> checkpoint_pos_;
};

}  // namespace ss
