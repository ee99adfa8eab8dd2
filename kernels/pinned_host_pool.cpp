#include "pinned_host_pool.h"

#include <cuda_runtime.h>

#include "tensor.h"

namespace ss::cuda {

PinnedHostPool::~PinnedHostPool() {
  for (auto& [bytes, p] : idle_) cudaFreeHost(p);  // errors ignored: the runtime may be shutting down
}

std::shared_ptr<float> PinnedHostPool::take(int64_t n) {
  const size_t want = sizeof(float) * static_cast<size_t>(n > 0 ? n : 1);
  const size_t bytes = (want + 4095) / 4096 * 4096;
  float* p = nullptr;
  size_t got = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = idle_.lower_bound(bytes);  // the smallest idle buffer that fits, if not over twice the size
    if (it != idle_.end() && it->first <= 2 * bytes) {
      got = it->first;
      p = it->second;
      idle_bytes_ -= got;
      idle_.erase(it);
    }
  }
  if (!p) {
    if (cudaHostAlloc(reinterpret_cast<void**>(&p), bytes, cudaHostAllocDefault) != cudaSuccess) {
      cudaGetLastError();      // clear it: running out of page-locked memory is not an error here
      return allocate_host(n);  // ordinary memory: slower copies, same result
    }
    got = bytes;
  }
  std::shared_ptr<PinnedHostPool> self = shared_from_this();
  return std::shared_ptr<float>(p, [self, got](float* q) { self->give_back(q, got); });
}

void PinnedHostPool::give_back(float* p, size_t bytes) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (idle_bytes_ + bytes <= keep_bytes_) {
      idle_.emplace(bytes, p);
      idle_bytes_ += bytes;
      return;
    }
  }
  cudaFreeHost(p);
}

size_t PinnedHostPool::kept_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return idle_bytes_;
}

}  // namespace ss::cuda
