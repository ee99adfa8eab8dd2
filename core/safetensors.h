// SafetensorsFile: reads one .safetensors file (8-byte little-endian header length, a JSON header,
// then the raw tensor bytes), checking every header field before any tensor byte is read.
#pragma once

#include <cstdint>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "tensor.h"

namespace ss {

enum class DType { F32, F16, BF16 };

struct SafetensorsEntry {
  DType dtype = DType::F32;
  Shape shape;
  uint64_t begin = 0;  // byte offsets into the data section (after the header)
  uint64_t end = 0;
};

class SafetensorsFile {
 public:
  // Opens and validates `path`: header length within the file and under a sane limit, the JSON
  // parses, every tensor has a supported dtype, a non-negative shape, offsets inside the data
  // section that match its size, and no two tensors overlap. Throws ss::Error naming the field.
  explicit SafetensorsFile(std::string path);

  const std::string& path() const { return path_; }
  const std::map<std::string, SafetensorsEntry>& entries() const { return entries_; }
  bool contains(const std::string& name) const { return entries_.count(name) != 0; }

  // The tensor converted to float32 on the host (F16 and BF16 are widened exactly).
  Tensor read(const std::string& name);

  static constexpr uint64_t kMaxHeaderBytes = 100ull << 20;  // 100 MiB of JSON is already absurd

 private:
  std::string path_;
  std::ifstream stream_;
  uint64_t data_start_ = 0;
  uint64_t data_bytes_ = 0;
  std::map<std::string, SafetensorsEntry> entries_;
};

float half_to_float(uint16_t h);
float bfloat16_to_float(uint16_t b);
const char* dtype_name(DType d);
size_t dtype_bytes(DType d);

}  // namespace ss
