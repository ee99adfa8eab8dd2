#include "trace_store.h"

#include <algorithm>
#include <stdexcept>

namespace ss {

static bool is_last_state(const std::string& name) { return name == trace::kMambaState || name == trace::kMamba2State; }
static bool is_strided(const std::string& name) {
  return name == trace::kMambaStridedStates || name == trace::kMamba2StridedStates;
}

Recording TraceStore::recording() {
  Recording r(this);
  r.state_stride = request_.state_stride;
  r.probs_windows = request_.probs_windows;
  return r;
}

bool TraceStore::wants(const std::string& name, int layer) const {
  if (!request_.names.empty() && !request_.names.count(name)) return false;
  if (layer >= 0 && !request_.layers.empty() && !request_.layers.count(layer)) return false;
  if (is_strided(name)) return request_.state_stride > 0;
  if (name == trace::kAttnProbs) return request_.probs_windows.count(layer) != 0;
  return true;
}

const ProbsWindow* TraceStore::probs_window(int layer) const {
  auto it = request_.probs_windows.find(layer);
  return it == request_.probs_windows.end() ? nullptr : &it->second;
}

void TraceStore::record(const std::string& name, int layer, int64_t pos0, const Tensor& host) {
  const auto key = std::make_pair(name, layer);
  auto& pieces = pieces_[key];
  if (is_strided(name)) {  // rows: the positions p in this call with (p + 1) % E == 0
    const int64_t E = request_.state_stride;
    auto& pos = state_pos_[key];
    int64_t n = 0;
    for (int64_t p = (E > 0 ? (pos0 / E + 1) * E - 1 : 0); E > 0 && n < host.size(0); p += E, ++n) pos.push_back(p);
    if (E <= 0 || n != host.size(0)) throw std::logic_error("TraceStore: strided states of layer " + std::to_string(layer) +
                                                            " do not match the stride " + std::to_string(E) + " of its request");
  } else if (name == trace::kAttnProbs) {  // [R, W] rows of the probs window, placed into the [W, W] matrix
    const ProbsWindow* w = probs_window(layer);
    const int64_t W = w ? w->t1 - w->t0 : 0, r0 = w ? std::max(w->t0, pos0) - w->t0 : 0;
    if (!w || host.rank() != 2 || host.size(1) != W || r0 + host.size(0) > W)
      throw std::logic_error("TraceStore: attn.probs rows " + host.shape_string() + " of layer " + std::to_string(layer) +
                             " do not fit the probs window of its request");
    if (pieces.empty()) pieces.push_back(Tensor::zeros({W, W}));
    std::copy(host.data(), host.data() + host.numel(), pieces[0].data() + r0 * W);
    return;
  }
  if (is_last_state(name) || host.rank() == 0) pieces.clear();
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

std::vector<int64_t> TraceStore::state_positions(const std::string& name, int layer) const {
  auto it = state_pos_.find({name, layer});
  return it == state_pos_.end() ? std::vector<int64_t>{} : it->second;
}

std::vector<std::pair<std::string, int>> TraceStore::keys() const {
  std::vector<std::pair<std::string, int>> out;
  for (const auto& [k, v] : pieces_) out.push_back(k);
  return out;
}

}  // namespace ss
