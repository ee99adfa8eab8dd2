#include "shared_text.h"

#include <algorithm>
#include <atomic>
#include <cstring>

namespace ss {

struct SharedText::Buffer {
  explicit Buffer(int64_t cap) : bytes(new uint8_t[static_cast<size_t>(std::max<int64_t>(cap, 1))]), capacity(cap) {}
  std::unique_ptr<uint8_t[]> bytes;  // [capacity]; [0, used) written and never written again
  int64_t capacity;
  std::atomic<int64_t> used{0};      // claimed by appended() before it writes
};

namespace {

constexpr int64_t kMinCapacity = 256;

}  // namespace

SharedText::SharedText(const std::vector<uint8_t>& bytes) {
  size_ = static_cast<int64_t>(bytes.size());
  if (size_ == 0) return;
  buf_ = std::make_shared<Buffer>(size_);  // exactly the text: an edited text is rarely appended to
  std::memcpy(buf_->bytes.get(), bytes.data(), bytes.size());
  buf_->used = size_;
}

const uint8_t* SharedText::data() const { return buf_ ? buf_->bytes.get() + begin_ : nullptr; }

SharedText SharedText::substr(int64_t from, int64_t n) const {
  from = std::clamp<int64_t>(from, 0, size_);
  n = std::clamp<int64_t>(n, 0, size_ - from);
  SharedText t;
  if (n == 0) return t;
  t.buf_ = buf_;
  t.begin_ = begin_ + from;
  t.size_ = n;
  return t;
}

SharedText SharedText::appended(const uint8_t* p, int64_t n) const {
  if (n <= 0) return *this;
  const int64_t end = begin_ + size_;
  if (buf_ && end + n <= buf_->capacity) {
    int64_t expected = end;  // nothing written past this text yet: claim [end, end + n)
    if (buf_->used.compare_exchange_strong(expected, end + n)) {
      std::memcpy(buf_->bytes.get() + end, p, static_cast<size_t>(n));
      SharedText t = *this;
      t.size_ += n;
      return t;
    }
  }
  SharedText t;
  t.buf_ = std::make_shared<Buffer>(std::max(2 * (size_ + n), kMinCapacity));
  if (size_ > 0) std::memcpy(t.buf_->bytes.get(), data(), static_cast<size_t>(size_));
  std::memcpy(t.buf_->bytes.get() + size_, p, static_cast<size_t>(n));
  t.size_ = size_ + n;
  t.buf_->used = t.size_;
  return t;
}

bool SharedText::extends(const SharedText& older) const {
  if (older.size_ == 0) return true;
  return buf_ == older.buf_ && begin_ == older.begin_ && older.size_ <= size_;
}

bool operator==(const SharedText& a, const SharedText& b) {
  if (a.size_ != b.size_) return false;
  if (a.size_ == 0 || (a.buf_ == b.buf_ && a.begin_ == b.begin_)) return true;
  return std::memcmp(a.data(), b.data(), static_cast<size_t>(a.size_)) == 0;
}

bool operator==(const SharedText& a, const std::vector<uint8_t>& b) {
  if (a.size_ != static_cast<int64_t>(b.size())) return false;
  return a.size_ == 0 || std::memcmp(a.data(), b.data(), b.size()) == 0;
}

}  // namespace ss
