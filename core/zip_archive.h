// ZipArchive: the entries of a ZIP file as PyTorch's torch.save writes it (stored, uncompressed;
// ZIP64 records always present; data descriptors after each entry). Only the central directory is
// trusted for sizes; every offset and length is checked against the file before it is used.
// Compressed, encrypted, multi-disk archives and names given twice are refused with ss::Error.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "regular_file.h"

namespace ss {

struct ZipEntry {
  std::string name;
  uint64_t data_offset = 0;  // first byte of the stored data in the file
  uint64_t size = 0;         // stored = uncompressed bytes
};

class ZipArchive {
 public:
  // Opens `path` and reads its central directory. Throws ss::Error naming the file and the record.
  explicit ZipArchive(std::string path);

  const std::string& path() const { return path_; }
  const RegularFile& file() const { return *file_; }
  const std::map<std::string, ZipEntry>& entries() const { return entries_; }
  const ZipEntry* find(const std::string& name) const;
  // The whole entry, refused (before reading) when it is over `max_bytes`.
  std::string read(const ZipEntry& e, uint64_t max_bytes) const;

  static constexpr uint64_t kMaxEntries = 1u << 20;            // torch.save writes one per tensor storage + 6
  static constexpr uint64_t kMaxCentralDirectory = 256ull << 20;

 private:
  std::string path_;
  std::unique_ptr<RegularFile> file_;
  std::map<std::string, ZipEntry> entries_;
};

// The central directory of an archive held in memory (the fuzz target): the entries by name, their
// data offsets checked against `bytes`. Throws ss::Error naming `path`.
std::map<std::string, ZipEntry> parse_zip_directory(std::string_view bytes, const std::string& path);

}  // namespace ss
