#include "memory_tally.h"

#include <algorithm>

namespace ss {

void MemoryTally::add(const Tensor& t) {
  if (t.empty()) return;
  // A view (row_range) keeps its whole storage alive: count the allocation when the storage says how
  // large it is (host storage from allocate_host), else the rows the view shows.
  const auto* host = std::get_deleter<HostStorageFree>(t.storage());
  const int64_t shown = t.numel() * static_cast<int64_t>(sizeof(float));
  add_shared(std::shared_ptr<const void>(t.storage()), host ? std::max(shown, static_cast<int64_t>(host->bytes)) : shown);
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
