// MemoryTally: host memory held by a set of tensors and buffers, each storage counted once (views and
// reshapes share their storage: a window cached in two places is one window). For soak tests.
#pragma once

#include <cstdint>
#include <map>
#include <memory>

#include "tensor.h"

namespace ss {

class MemoryTally {
 public:
  // t's storage: the whole allocation for host storage (a view keeps all of it alive), else at least
  // t's bytes.
  void add(const Tensor& t);
  void add_bytes(int64_t n) { other_ += n; }  // memory that is not shared (vectors owned by one object)
  // Memory shared through a shared_ptr (a per-token vector held by several frames), counted once.
  void add_shared(const std::shared_ptr<const void>& owner, int64_t n);
  int64_t bytes() const;

 private:
  std::map<std::shared_ptr<const void>, int64_t, std::owner_less<>> storages_;
  int64_t other_ = 0;
};

}  // namespace ss
