// AtomicFile: an output written to a temporary file in the same folder and renamed over `path` by
// commit() (after an fsync), so `path` holds either what it held before or the complete new
// contents, never a half-written file (an interrupt, a full disk, a crash). An AtomicFile destroyed
// before commit() removes its temporary. Write errors name the file and the reason (strerror).
#pragma once

#include <cstdint>
#include <string>

namespace ss {

class AtomicFile {
 public:
  explicit AtomicFile(std::string path);  // creates the temporary; throws ss::Error
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, uint64_t n);
  void commit();
  const std::string& path() const { return path_; }
  const std::string& temp_path() const { return temp_; }

 private:
  std::string path_;
  std::string temp_;
  int fd_ = -1;
  bool committed_ = false;
};

// The whole of `bytes` into `path`, atomically.
void write_file_atomic(const std::string& path, const std::string& bytes);

}  // namespace ss
