// MappedFile: a RegularFile mapped read-only into memory, so a weight file of many gigabytes is
// converted tensor by tensor straight from the page cache: no read buffer, and the pages of a tensor
// already converted are handed back (release) so they stop counting as this process's memory.
#pragma once

#include <cstdint>
#include <string>

#include "regular_file.h"

namespace ss {

class MappedFile {
 public:
  // Maps all of `file` (which must outlive this). Throws ss::Error naming the file.
  explicit MappedFile(const RegularFile& file);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const unsigned char* data() const { return static_cast<const unsigned char*>(base_); }
  uint64_t size() const { return size_; }
  // Refuses (ss::Error naming `what`) a file that has shrunk since it was mapped: touching a mapped
  // page past the new end would kill the process with SIGBUS. Call before reading a range.
  void check_unchanged(const std::string& what) const;
  // Runs copy(context), which reads mapped bytes of this file, so that a file cut short by another
  // process meanwhile (after check_unchanged: touching a page past the new end raises SIGBUS) becomes
  // an ss::Error naming the file and `what`, not the end of the process. The SIGBUS is caught only on
  // this thread and only inside the call; any other SIGBUS goes to the handler installed before.
  // `copy` must own nothing with a destructor: the fault leaves it by siglongjmp.
  void read_guarded(const std::string& what, void (*copy)(void* context), void* context) const;
  // Drops the whole pages inside [offset, offset + n) from this process's resident memory (the
  // kernel keeps them in its page cache); a later read maps them in again.
  void release(uint64_t offset, uint64_t n) const;

 private:
  const RegularFile& file_;
  void* base_ = nullptr;
  uint64_t size_ = 0;
};

}  // namespace ss
