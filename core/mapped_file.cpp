#include "mapped_file.h"

#include <cerrno>
#include <cstring>

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"

namespace ss {

MappedFile::MappedFile(const RegularFile& file) : file_(file), size_(file.size()) {
  if (size_ == 0) return;
  base_ = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, file.descriptor(), 0);
  if (base_ == MAP_FAILED) {
    base_ = nullptr;
    throw Error(file.path(), "", std::string("cannot map into memory (") + std::strerror(errno) + ")");
  }
}

MappedFile::~MappedFile() {
  if (base_) ::munmap(base_, size_);
}

void MappedFile::check_unchanged(const std::string& what) const {
  struct stat st {};
  if (::fstat(file_.descriptor(), &st) != 0) throw Error(file_.path(), what, std::string("cannot inspect (") + std::strerror(errno) + ")");
  if (static_cast<uint64_t>(st.st_size) < size_)
    throw Error(file_.path(), what, "the file shrank from " + std::to_string(size_) + " to " + std::to_string(st.st_size) + " bytes while open");
}

void MappedFile::release(uint64_t offset, uint64_t n) const {
  if (!base_ || offset >= size_) return;
  static const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  const uint64_t end = std::min(size_, offset + n);
  const uint64_t first = (offset + page - 1) / page * page;  // whole pages only: a neighbour may still be read
  const uint64_t last = end == size_ ? (size_ + page - 1) / page * page : end / page * page;
  if (last > first) ::madvise(static_cast<char*>(base_) + first, last - first, MADV_DONTNEED);
}

}  // namespace ss
