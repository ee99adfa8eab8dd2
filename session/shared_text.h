// SharedText: an immutable byte string that shares one growing buffer with the texts it was appended
// from, so that appending n bytes costs O(n) amortised instead of a copy of the whole text (issue 13:
// stepping through a 1 MB text copied it once per byte).
//
// A text is a view [begin, begin + size) of a buffer. Bytes a text holds are never written again, so
// texts can be copied to other threads and read there while the owner appends. appended() writes into
// the same buffer when this text ends where the buffer's written part ends (it claims that space
// atomically, so of two texts appended from the same one only the first writes in place); otherwise,
// or when the buffer is full, it copies into a new buffer of twice the size. Copying a SharedText
// copies a pointer.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

namespace ss {

class SharedText {
 public:
  SharedText() = default;
  explicit SharedText(const std::vector<uint8_t>& bytes);

  int64_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const uint8_t* data() const;           // size() bytes (nullptr when empty)
  const uint8_t* begin() const { return data(); }
  const uint8_t* end() const { return data() + size_; }
  uint8_t operator[](int64_t i) const { return data()[i]; }
  std::vector<uint8_t> vector() const { return std::vector<uint8_t>(begin(), end()); }

  // Bytes [from, from + n) (n clamped to the end), sharing the buffer.
  SharedText substr(int64_t from, int64_t n = INT64_MAX) const;
  // This text followed by bytes [p, p + n). This text is unchanged.
  SharedText appended(const uint8_t* p, int64_t n) const;
  SharedText appended(const SharedText& more) const { return appended(more.data(), more.size()); }

  // `older` is a prefix of this text, known without comparing bytes: both are views of the same buffer
  // from the same start (what a chain of appended() gives). False does not mean "not a prefix".
  bool extends(const SharedText& older) const;

  // Equal bytes: O(1) for two views of the same bytes of one buffer, else a compare.
  friend bool operator==(const SharedText& a, const SharedText& b);
  friend bool operator==(const SharedText& a, const std::vector<uint8_t>& b);

 private:
  struct Buffer;
  std::shared_ptr<Buffer> buf_;
  int64_t begin_ = 0, size_ = 0;
};

}  // namespace ss
