#include "trace.h"

namespace ss {

namespace {
// Copies in flight before the Tracer waits for them: bounds the device tensors kept alive for them.
constexpr int64_t kFlushBytes = int64_t(256) << 20;
}  // namespace

void Tracer::operator()(const char* name, int layer, const Tensor& t) const {
  if (!sink_ || !sink_->wants(name, layer)) return;
  pending_.push_back({name, layer, backend_->to_host_async(t)});  // always a copy the sink may keep
  pending_bytes_ += static_cast<int64_t>(sizeof(float)) * t.numel();
  if (pending_bytes_ >= kFlushBytes) flush();
}

void Tracer::operator()(const char* name, int layer, Tensor&& t) const {
  if (!sink_ || !sink_->wants(name, layer)) return;
  if (t.device() != Device::Cpu || t.storage().use_count() != 1) return (*this)(name, layer, static_cast<const Tensor&>(t));
  pending_bytes_ += static_cast<int64_t>(sizeof(float)) * t.numel();
  pending_.push_back({name, layer, std::move(t)});  // no copy: nothing else can write it
  if (pending_bytes_ >= kFlushBytes) flush();
}

void Tracer::flush() const {
  if (pending_.empty()) return;
  backend_->wait_host_copies();
  std::vector<Pending> ready;
  ready.swap(pending_);
  pending_bytes_ = 0;
  for (const Pending& p : ready) sink_->record(p.name, p.layer, pos0_, p.host);
}

const ProbsWindow* Tracer::probs_window(int layer) const {
  if (!wants(trace::kAttnProbs, layer)) return nullptr;
  auto it = rec_->probs_windows.find(layer);
  return it == rec_->probs_windows.end() ? nullptr : &it->second;
}

Tracer::~Tracer() {
  try {
    flush();
  } catch (...) {  // a destructor must not throw; the copies were waited for or the device is gone
  }
}

}  // namespace ss
