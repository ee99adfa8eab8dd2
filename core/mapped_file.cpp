#include "mapped_file.h"

#include <cerrno>
#include <csetjmp>
#include <csignal>
#include <cstring>
#include <mutex>

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"

namespace ss {

namespace {

thread_local sigjmp_buf* t_guard = nullptr;  // armed inside MappedFile::read_guarded on this thread
struct sigaction g_previous_sigbus {};

void on_sigbus(int, siginfo_t*, void*) {
  if (t_guard) siglongjmp(*t_guard, 1);
  // Not a guarded read: put the previous disposition back and return; the faulting access runs again
  // and meets it (by default: the process ends with SIGBUS, as without this handler).
  ::sigaction(SIGBUS, &g_previous_sigbus, nullptr);
}

void install_sigbus_handler() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa {};
    sa.sa_sigaction = on_sigbus;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGBUS, &sa, &g_previous_sigbus);
  });
}

}  // namespace

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

void MappedFile::read_guarded(const std::string& what, void (*copy)(void*), void* context) const {
  install_sigbus_handler();
  sigjmp_buf jump;
  sigjmp_buf* const outer = t_guard;  // nothing nests today; kept correct if it ever does
  if (sigsetjmp(jump, /*savemask=*/1) != 0) {
    t_guard = outer;
    throw Error(file_.path(), what, "the file was cut short by another program while it was being read");
  }
  t_guard = &jump;
  copy(context);
  t_guard = outer;
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
