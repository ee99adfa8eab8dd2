// SafetensorsFile: reads one .safetensors file (8-byte little-endian header length, a JSON header,
// then the raw tensor bytes), checking every header field before any tensor byte is read.
#pragma once

#include <cstdint>
#include <memory>
#include <map>
#include <string>
#include <vector>

#include "mapped_file.h"
#include "regular_file.h"
#include "tensor.h"
#include "weight_file.h"

namespace ss {

struct SafetensorsEntry {
  DType dtype = DType::F32;
  Shape shape;
  uint64_t begin = 0;  // byte offsets into the data section (after the header)
  uint64_t end = 0;
};

class SafetensorsFile final : public WeightFile {
 public:
  // Opens and validates `path` (a regular file): header length within the file and under
  // kMaxHeaderBytes, the JSON parses with no key twice, __metadata__ maps strings to strings, every
  // tensor has a supported dtype, a non-negative shape and offsets that match its size, and the
  // tensors tile the data section exactly (no overlap, no hole, nothing before the first or after
  // the last: the reference implementation's rules). Throws ss::Error naming the field.
  explicit SafetensorsFile(std::string path);

  const std::string& path() const override { return path_; }
  const std::map<std::string, SafetensorsEntry>& entries() const { return entries_; }
  bool contains(const std::string& name) const override { return entries_.count(name) != 0; }
  std::vector<std::string> names() const override;
  Shape shape_of(const std::string& name) const override;
  DType dtype_of(const std::string& name) const override;

  // The tensor converted to float32 on the host (F16 and BF16 are widened exactly), straight from
  // the file mapped into memory; the file's pages are released afterwards, so loading a model holds
  // the float32 weights and not the file besides.
  Tensor read(const std::string& name) override;

  // The reference implementation allows 100 MB; parsed, a header costs about 20 bytes of memory
  // per byte of JSON, so we stop at 16 MiB (about 100,000 tensors, several times the largest shard
  // of a published checkpoint).
  static constexpr uint64_t kMaxHeaderBytes = 16ull << 20;

 private:
  std::string path_;
  std::unique_ptr<RegularFile> file_;
  std::unique_ptr<MappedFile> map_;  // made on the first read
  const SafetensorsEntry& entry(const std::string& name) const;
  uint64_t data_start_ = 0;
  uint64_t data_bytes_ = 0;
  std::map<std::string, SafetensorsEntry> entries_;
};

// Validates a header (the JSON text after the 8-byte length) for a data section of `data_bytes`;
// the entries by name. Throws ss::Error naming `path` and the field.
std::map<std::string, SafetensorsEntry> parse_safetensors_header(const std::string& header, uint64_t data_bytes,
                                                                 const std::string& path);

float half_to_float(uint16_t h);
float bfloat16_to_float(uint16_t b);
const char* dtype_name(DType d);
size_t dtype_bytes(DType d);

}  // namespace ss
