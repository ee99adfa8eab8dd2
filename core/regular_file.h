// RegularFile: a file opened for reading only after checking it is what a model file or an input can
// be. FIFOs, devices, sockets and folders are refused before a byte is read (opened non-blocking,
// then checked with fstat on the same descriptor, so a FIFO never hangs and nothing is swapped in
// between); the size is known before reading, and reads say why they failed (strerror).
#pragma once

#include <cstdint>
#include <string>

namespace ss {

// The largest text the explorer reads from a file (the window's --input and File > Open, and
// `statescope export --input`): it keeps per-token results for the whole text. (The CLI takes 64 MiB.)
constexpr uint64_t kMaxExplorerTextBytes = 16ull << 20;

class RegularFile {
 public:
  // Opens `path`; throws ss::Error(path, field, ...) if it cannot be opened or is not a regular file
  // (symlinks to regular files are followed).
  RegularFile(const std::string& path, const std::string& field = "");
  ~RegularFile();
  RegularFile(const RegularFile&) = delete;
  RegularFile& operator=(const RegularFile&) = delete;

  const std::string& path() const { return path_; }
  uint64_t size() const { return size_; }
  int descriptor() const { return fd_; }  // for mapping (mapped_file.h)

  // Reads exactly `n` bytes at `offset` into `dst`; throws ss::Error naming `what` on a short read.
  void read_at(uint64_t offset, void* dst, uint64_t n, const std::string& what) const;
  // The whole file, refused (before reading) when it is over `max_bytes`.
  std::string read_all(uint64_t max_bytes) const;

 private:
  std::string path_;
  std::string field_;
  int fd_ = -1;
  uint64_t size_ = 0;
};

// A symlink (or a path through one) that resolves outside `folder` is refused with ss::Error, except
// the layout of a HuggingFace cache snapshot (…/models--NAME/snapshots/REV/file -> ../../blobs/HASH),
// whose files may point into that repository's blobs/ folder.
void check_stays_in_folder(const std::string& path, const std::string& folder);

}  // namespace ss
