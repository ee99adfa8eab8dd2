#include "memory_tally.h"

#include <algorithm>

namespace ss {

void MemoryTally::add(const Tensor& t) {
  if (t.empty()) return;
  add_shared(std::shared_ptr<const void>(t.storage()), t.numel() * static_cast<int64_t>(sizeof(float)));
}

void MemoryTally::add_shared(const std::shared_ptr<const void>& owner, int64_t n) {
  if (!owner) return;
  int64_t& b = storages_[owner];
  b = std::max(b, n);
}

int64_t MemoryTally::bytes() const {
  int64_t n = other_;
  for (const auto& [owner, b] : storages_) n += b;
  return n;
}

}  // namespace ss
