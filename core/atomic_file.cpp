#include "atomic_file.h"

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"

namespace ss {

namespace fs = std::filesystem;

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  std::error_code ec;
  if (fs::is_directory(path_, ec)) throw Error(path_, "", "is a folder; cannot write a file there");
  const fs::path p(path_);
  // A hidden name in the target's folder (rename is atomic only within one file system).
  const std::string stem = ".~" + p.filename().string() + ".";
  for (int attempt = 0; attempt < 100 && fd_ < 0; ++attempt) {
    temp_ = (p.parent_path() / (stem + std::to_string(::getpid()) + "-" + std::to_string(attempt) + ".tmp")).string();
    fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd_ < 0 && errno != EEXIST) break;
  }
  if (fd_ < 0) throw Error(path_, "", std::string("cannot create a file in its folder (") + std::strerror(errno) + ")");
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temp_.c_str());
}

void AtomicFile::write(const void* data, uint64_t n) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t done = ::write(fd_, p, static_cast<size_t>(std::min<uint64_t>(n, 1ull << 30)));
    if (done < 0) {
      if (errno == EINTR) continue;
      throw Error(path_, "", std::string("write failed (") + std::strerror(errno) + "); the file was left as it was");
    }
    p += done;
    n -= static_cast<uint64_t>(done);
  }
}

void AtomicFile::commit() {
  if (::fsync(fd_) != 0) throw Error(path_, "", std::string("write failed (") + std::strerror(errno) + "); the file was left as it was");
  const int rc = ::close(fd_);
  fd_ = -1;
  if (rc != 0) throw Error(path_, "", std::string("write failed (") + std::strerror(errno) + "); the file was left as it was");
  if (::rename(temp_.c_str(), path_.c_str()) != 0)
    throw Error(path_, "", std::string("cannot put the file in place (") + std::strerror(errno) + ")");
  committed_ = true;
}

void write_file_atomic(const std::string& path, const std::string& bytes) {
  AtomicFile f(path);
  f.write(bytes.data(), bytes.size());
  f.commit();
}

}  // namespace ss
