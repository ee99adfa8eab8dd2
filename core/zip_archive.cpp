#include "zip_archive.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "error.h"

namespace ss {

namespace {

// Random access to the archive's bytes (a file, or memory for the fuzz target).
struct Source {
  uint64_t size = 0;
  std::function<void(uint64_t offset, void* dst, uint64_t n, const std::string& what)> read;

  std::string bytes(uint64_t offset, uint64_t n, const std::string& what) const {
    std::string s(n, '\0');
    if (n) read(offset, s.data(), n, what);
    return s;
  }
};

uint64_t le(const std::string& b, size_t at, int n) {  // the caller has checked at + n <= b.size()
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = v << 8 | static_cast<unsigned char>(b[at + i]);
  return v;
}

constexpr uint32_t kLocalSig = 0x04034b50, kCentralSig = 0x02014b50, kEndSig = 0x06054b50;
constexpr uint32_t kZip64EndSig = 0x06064b50, kZip64LocatorSig = 0x07064b50;
constexpr uint64_t kEndBytes = 22, kLocatorBytes = 20, kZip64EndBytes = 56, kCentralBytes = 46, kLocalBytes = 30;

std::map<std::string, ZipEntry> read_directory(const Source& src, const std::string& path) {
  if (src.size >= 2) {
    const std::string head = src.bytes(0, 2, "signature");
    if (static_cast<unsigned char>(head[0]) == 0x80 && static_cast<unsigned char>(head[1]) <= 5)
      throw Error(path, "signature", "a bare pickle stream (torch.save before PyTorch 1.6, or _use_new_zipfile_serialization=False): "
                                     "not supported; re-save it with torch.save from PyTorch 1.6 or later");
  }
  if (src.size < kEndBytes) throw Error(path, "end of central directory", "file is " + std::to_string(src.size) + " bytes, too short for a ZIP archive");

  // The end record is in the last 22 + 65535 (comment) bytes; the last signature whose comment
  // length reaches exactly the end of the file is it.
  const uint64_t tail_n = std::min<uint64_t>(src.size, kEndBytes + 0xffff);
  const uint64_t tail_at = src.size - tail_n;
  const std::string tail = src.bytes(tail_at, tail_n, "end of central directory");
  int64_t end_pos = -1;
  for (int64_t i = static_cast<int64_t>(tail_n - kEndBytes); i >= 0; --i)
    if (le(tail, i, 4) == kEndSig && i + kEndBytes + le(tail, i + 20, 2) == tail_n) {
      end_pos = i;
      break;
    }
  if (end_pos < 0) throw Error(path, "end of central directory", "not found: not a ZIP archive (torch.save writes one), or truncated");

  uint64_t disk = le(tail, end_pos + 4, 2), cd_disk = le(tail, end_pos + 6, 2);
  uint64_t n_disk = le(tail, end_pos + 8, 2), n_total = le(tail, end_pos + 10, 2);
  uint64_t cd_size = le(tail, end_pos + 12, 4), cd_off = le(tail, end_pos + 16, 4);
  const uint64_t end_abs = tail_at + static_cast<uint64_t>(end_pos);
  uint64_t cd_limit = end_abs;  // the central directory ends before the end records

  if (end_abs >= kLocatorBytes) {
    const std::string loc = src.bytes(end_abs - kLocatorBytes, kLocatorBytes, "zip64 locator");
    if (le(loc, 0, 4) == kZip64LocatorSig) {
      if (le(loc, 16, 4) > 1) throw Error(path, "zip64 locator", "a multi-disk archive: not supported");
      const uint64_t z_off = le(loc, 8, 8);
      if (z_off > end_abs - kLocatorBytes || end_abs - kLocatorBytes - z_off < kZip64EndBytes)
        throw Error(path, "zip64 end of central directory", "offset " + std::to_string(z_off) + " is outside the file");
      const std::string z = src.bytes(z_off, kZip64EndBytes, "zip64 end of central directory");
      if (le(z, 0, 4) != kZip64EndSig) throw Error(path, "zip64 end of central directory", "bad signature");
      disk = le(z, 16, 4);
      cd_disk = le(z, 20, 4);
      n_disk = le(z, 24, 8);
      n_total = le(z, 32, 8);
      cd_size = le(z, 40, 8);
      cd_off = le(z, 48, 8);
      cd_limit = z_off;
    }
  }
  if (disk != 0 || cd_disk != 0 || n_disk != n_total) throw Error(path, "end of central directory", "a multi-disk archive: not supported");
  if (n_total > ZipArchive::kMaxEntries)
    throw Error(path, "end of central directory", std::to_string(n_total) + " entries, over the limit of " + std::to_string(ZipArchive::kMaxEntries));
  if (cd_off > cd_limit || cd_size > cd_limit - cd_off)
    throw Error(path, "central directory", "offset " + std::to_string(cd_off) + " + size " + std::to_string(cd_size) + " runs past its end records (truncated or not a ZIP archive)");
  if (cd_size > ZipArchive::kMaxCentralDirectory) throw Error(path, "central directory", "over the limit of " + std::to_string(ZipArchive::kMaxCentralDirectory) + " bytes");
  if (cd_size < n_total * kCentralBytes) throw Error(path, "central directory", std::to_string(cd_size) + " bytes cannot hold " + std::to_string(n_total) + " entries");

  const std::string cd = src.bytes(cd_off, cd_size, "central directory");
  std::map<std::string, ZipEntry> entries;
  size_t p = 0;
  for (uint64_t k = 0; k < n_total; ++k) {
    const std::string where = "central directory entry " + std::to_string(k);
    if (cd.size() - p < kCentralBytes || le(cd, p, 4) != kCentralSig) throw Error(path, where, "bad or truncated record");
    const uint64_t flags = le(cd, p + 8, 2), method = le(cd, p + 10, 2);
    uint64_t csize = le(cd, p + 20, 4), usize = le(cd, p + 24, 4);
    const uint64_t name_n = le(cd, p + 28, 2), extra_n = le(cd, p + 30, 2), comment_n = le(cd, p + 32, 2);
    uint64_t start_disk = le(cd, p + 34, 2), local = le(cd, p + 42, 4);
    if (cd.size() - p - kCentralBytes < name_n + extra_n + comment_n) throw Error(path, where, "name or extra field runs past the central directory");
    const std::string name = cd.substr(p + kCentralBytes, name_n);
    const std::string extra = cd.substr(p + kCentralBytes + name_n, extra_n);
    p += kCentralBytes + name_n + extra_n + comment_n;
    const std::string field = "entry '" + name.substr(0, 200) + "'";
    if (name.empty() || name.find('\0') != std::string::npos) throw Error(path, where, "empty name or a name with a NUL byte");

    // ZIP64 extended information: the 64-bit values of the fields saturated at 0xffffffff, in order.
    for (size_t e = 0; e + 4 <= extra.size();) {
      const uint64_t id = le(extra, e, 2), n = le(extra, e + 2, 2);
      if (extra.size() - e - 4 < n) throw Error(path, field, "extra field runs past its record");
      if (id == 0x0001) {
        size_t q = e + 4;
        auto next = [&](uint64_t& v, int bytes) {
          if (q + bytes > e + 4 + n) throw Error(path, field, "zip64 extra field too short");
          v = le(extra, q, bytes);
          q += bytes;
        };
        if (usize == 0xffffffffu) next(usize, 8);
        if (csize == 0xffffffffu) next(csize, 8);
        if (local == 0xffffffffu) next(local, 8);
        if (start_disk == 0xffff) next(start_disk, 4);
      }
      e += 4 + n;
    }
    if (flags & 0x41) throw Error(path, field, "is encrypted: not supported (torch.save never encrypts)");
    if (method != 0)
      throw Error(path, field, "is compressed (method " + std::to_string(method) + (method == 8 ? ", deflate" : "") +
                                   "): only stored entries are read, as torch.save writes them; re-save the checkpoint with torch.save");
    if (csize != usize) throw Error(path, field, "stored entry with compressed size " + std::to_string(csize) + " != size " + std::to_string(usize));
    if (start_disk != 0) throw Error(path, field, "on another disk: multi-disk archives are not supported");
    if (local > cd_off || cd_off - local < kLocalBytes) throw Error(path, field, "local header at " + std::to_string(local) + " is outside the data area");
    const std::string lh = src.bytes(local, kLocalBytes, field);
    if (le(lh, 0, 4) != kLocalSig) throw Error(path, field, "bad local header signature at byte " + std::to_string(local));
    const uint64_t data = local + kLocalBytes + le(lh, 26, 2) + le(lh, 28, 2);
    if (data > cd_off || usize > cd_off - data)
      throw Error(path, field, std::to_string(usize) + " bytes at " + std::to_string(data) + " run past the data area (" + std::to_string(cd_off) + " bytes; truncated?)");
    if (!entries.emplace(name, ZipEntry{name, data, usize}).second) throw Error(path, field, "appears twice in the archive");
  }
  return entries;
}

}  // namespace

std::map<std::string, ZipEntry> parse_zip_directory(std::string_view bytes, const std::string& path) {
  Source src;
  src.size = bytes.size();
  src.read = [bytes, &path](uint64_t off, void* dst, uint64_t n, const std::string& what) {
    if (off > bytes.size() || n > bytes.size() - off) throw Error(path, what, "read past the end");
    std::memcpy(dst, bytes.data() + off, n);
  };
  return read_directory(src, path);
}

ZipArchive::ZipArchive(std::string path) : path_(std::move(path)) {
  file_ = std::make_unique<RegularFile>(path_);
  Source src;
  src.size = file_->size();
  src.read = [this](uint64_t off, void* dst, uint64_t n, const std::string& what) { file_->read_at(off, dst, n, what); };
  entries_ = read_directory(src, path_);
}

const ZipEntry* ZipArchive::find(const std::string& name) const {
  auto it = entries_.find(name);
  return it == entries_.end() ? nullptr : &it->second;
}

std::string ZipArchive::read(const ZipEntry& e, uint64_t max_bytes) const {
  if (e.size > max_bytes) throw Error(path_, e.name, "is " + std::to_string(e.size) + " bytes; the limit is " + std::to_string(max_bytes));
  std::string s(e.size, '\0');
  if (e.size) file_->read_at(e.data_offset, s.data(), e.size, e.name);
  return s;
}

}  // namespace ss
