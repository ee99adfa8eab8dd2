#include "regular_file.h"

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"

namespace ss {

namespace fs = std::filesystem;

namespace {

const char* kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a folder";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

}  // namespace

RegularFile::RegularFile(const std::string& path, const std::string& field) : path_(path), field_(field) {
  // O_NONBLOCK: opening a FIFO with no writer would otherwise wait forever.
  fd_ = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd_ < 0) throw Error(path_, field_, std::string("cannot open (") + std::strerror(errno) + ")");
  struct stat st {};
  if (::fstat(fd_, &st) != 0) {
    const int err = errno;
    ::close(fd_);
    throw Error(path_, field_, std::string("cannot inspect (") + std::strerror(err) + ")");
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd_);
    throw Error(path_, field_, std::string("is ") + kind_of(st.st_mode) + ", not a regular file");
  }
  size_ = static_cast<uint64_t>(st.st_size);
  const int flags = ::fcntl(fd_, F_GETFL);
  if (flags >= 0) ::fcntl(fd_, F_SETFL, flags & ~O_NONBLOCK);
}

RegularFile::~RegularFile() {
  if (fd_ >= 0) ::close(fd_);
}

void RegularFile::read_at(uint64_t offset, void* dst, uint64_t n, const std::string& what) const {
  char* out = static_cast<char*>(dst);
  uint64_t done = 0;
  while (done < n) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(n - done, 1ull << 30));
    const ssize_t got = ::pread(fd_, out + done, want, static_cast<off_t>(offset + done));
    if (got < 0) {
      if (errno == EINTR) continue;
      throw Error(path_, what, std::string("read failed (") + std::strerror(errno) + ")");
    }
    if (got == 0)
      throw Error(path_, what, "file ended after " + std::to_string(offset + done) + " bytes, " + std::to_string(n - done) + " short (did it shrink while open?)");
    done += static_cast<uint64_t>(got);
  }
}

std::string RegularFile::read_all(uint64_t max_bytes) const {
  if (size_ > max_bytes)
    throw Error(path_, field_, "is " + std::to_string(size_) + " bytes; the limit for this file is " + std::to_string(max_bytes));
  std::string s(size_, '\0');
  read_at(0, s.data(), size_, field_.empty() ? "contents" : field_);
  return s;
}

void check_stays_in_folder(const std::string& path, const std::string& folder) {
  std::error_code ec;
  const fs::path dir = fs::canonical(folder, ec);
  if (ec) return;  // the caller's open reports a missing folder
  const fs::path target = fs::weakly_canonical(path, ec);
  if (ec) return;
  auto inside = [](const fs::path& p, const fs::path& root) {
    auto r = root.begin(), q = p.begin();
    for (; r != root.end(); ++r, ++q)
      if (q == p.end() || *q != *r) return false;
    return true;
  };
  if (inside(target, dir)) return;
  // HuggingFace cache: DIR = …/models--NAME/snapshots/REV, files link to …/models--NAME/blobs/HASH.
  if (dir.has_parent_path() && dir.parent_path().filename() == "snapshots" &&
      inside(target, dir.parent_path().parent_path() / "blobs"))
    return;
  throw Error(path, "", "is a link to a file outside the model folder " + dir.string() + "; refused (copy the file into the folder)");
}

}  // namespace ss
