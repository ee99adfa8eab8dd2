#include "trace_store.h"

#include <algorithm>

namespace ss {

static bool is_snapshot(const std::string& name) {
  return name == trace::kMambaState || name == trace::kMamba2State || name == trace::kAttnProbs;
}
static bool is_checkpoint(const std::string& name) {
  return name == trace::kMambaCheckpoints || name == trace::kMamba2Checkpoints;
}

bool TraceStore::wants(const std::string& name, int layer) const {
  if (!request_.names.empty() && !request_.names.count(name)) return false;
  if (layer >= 0 && !request_.layers.empty() && !request_.layers.count(layer)) return false;
  if (name == trace::kAttnProbs) return request_.windows.count({name, layer}) != 0;
  return true;
}

std::optional<TraceWindow> TraceStore::window(const std::string& name, int layer) const {
  auto it = request_.windows.find({name, layer});
  if (it == request_.windows.end()) return std::nullopt;
  return it->second;
}

void TraceStore::record(const std::string& name, int layer, int64_t pos0, const Tensor& host) {
  const auto key = std::make_pair(name, layer);
  if (is_checkpoint(name)) {
    const int64_t E = request_.checkpoint_every;
    auto& pos = checkpoint_pos_[key];
    for (int64_t p = pos0, n = 0; n < host.size(0); ++p)
      if (E > 0 && (p + 1) % E == 0) { pos.push_back(p); ++n; }
  }
  auto& pieces = pieces_[key];
  if (is_snapshot(name) || host.rank() == 0) pieces.clear();
  pieces.push_back(host);
}

Tensor TraceStore::get(const std::string& name, int layer) const {
  auto it = pieces_.find({name, layer});
  if (it == pieces_.end() || it->second.empty()) return Tensor();
  std::vector<Tensor>& pieces = it->second;
  if (pieces.size() > 1) {  // join along dim 0
    Shape shape = pieces[0].shape();
    shape[0] = 0;
    for (const Tensor& p : pieces) shape[0] += p.size(0);
    Tensor cat = Tensor::zeros(shape);
    float* out = cat.data();
    for (const Tensor& p : pieces) out = std::copy(p.data(), p.data() + p.numel(), out);
    pieces.assign(1, cat);
  }
  return pieces[0];
}

std::vector<int64_t> TraceStore::checkpoint_positions(const std::string& name, int layer) const {
  auto it = checkpoint_pos_.find({name, layer});
  return it == checkpoint_pos_.end() ? std::vector<int64_t>{} : it->second;
}

std::vector<std::pair<std::string, int>> TraceStore::keys() const {
  std::vector<std::pair<std::string, int>> out;
  for (const auto& [k, v] : pieces_) out.push_back(k);
  return out;
}

}  // namespace ss
