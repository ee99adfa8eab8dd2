#include "safetensors.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <filesystem>
#include <limits>

#include <nlohmann/json.hpp>

#include "error.h"
#include "json_file.h"

namespace ss {

using json = nlohmann::json;

float half_to_float(uint16_t h) {
  const uint32_t sign = (h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu;
  const uint32_t mant = h & 0x3ffu;
  uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal half: normalise into a float
      int e = -1;
      uint32_t m = mant;
      do { ++e; m <<= 1; } while ((m & 0x400u) == 0);
      bits = sign | static_cast<uint32_t>(127 - 15 - e) << 23 | (m & 0x3ffu) << 13;
    }
  } else if (exp == 0x1f) {
    bits = sign | 0x7f800000u | mant << 13;  // inf / nan
  } else {
    bits = sign | (exp + 127 - 15) << 23 | mant << 13;
  }
  return std::bit_cast<float>(bits);
}

float bfloat16_to_float(uint16_t b) { return std::bit_cast<float>(static_cast<uint32_t>(b) << 16); }

const char* dtype_name(DType d) {
  switch (d) {
    case DType::F32: return "F32";
    case DType::F16: return "F16";
    case DType::BF16: return "BF16";
  }
  return "?";
}

size_t dtype_bytes(DType d) { return d == DType::F32 ? 4 : 2; }

std::map<std::string, SafetensorsEntry> parse_safetensors_header(const std::string& header, uint64_t data_bytes,
                                                                 const std::string& path) {
  const json j = parse_json_text(header, path, /*relaxed=*/false, "header");
  if (!j.is_object()) throw Error(path, "header", "is not a JSON object");

  std::map<std::string, SafetensorsEntry> entries;
  std::vector<std::pair<uint64_t, uint64_t>> spans;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& name = it.key();
    if (name == "__metadata__") {
      if (!it.value().is_object()) throw Error(path, "__metadata__", "is not an object of strings");
      for (auto m = it.value().begin(); m != it.value().end(); ++m)
        if (!m.value().is_string()) throw Error(path, "__metadata__", "a value is not a string (the format allows only strings)");
      continue;
    }
    const json& e = it.value();
    const std::string where = "tensor '" + name + "'";
    if (!e.is_object()) throw Error(path, where, "entry is not an object");
    if (!e.contains("dtype") || !e["dtype"].is_string()) throw Error(path, where + ".dtype", "missing or not a string");
    if (!e.contains("shape") || !e["shape"].is_array()) throw Error(path, where + ".shape", "missing or not an array");
    if (!e.contains("data_offsets") || !e["data_offsets"].is_array() || e["data_offsets"].size() != 2)
      throw Error(path, where + ".data_offsets", "missing or not a [begin, end] pair");

    SafetensorsEntry entry;
    const std::string dt = e["dtype"].get<std::string>();
    if (dt == "F32") entry.dtype = DType::F32;
    else if (dt == "F16") entry.dtype = DType::F16;
    else if (dt == "BF16") entry.dtype = DType::BF16;
    else throw Error(path, where + ".dtype", "unsupported dtype '" + dt.substr(0, 16) + "' (StateScope reads F32, F16 and BF16)");

    uint64_t numel = 1;
    for (const json& d : e["shape"]) {
      if (!d.is_number_unsigned()) throw Error(path, where + ".shape", "dimension is not a non-negative integer");
      const uint64_t v = d.get<uint64_t>();
      if (v > (1ull << 40) || (v && numel > (1ull << 40) / v)) throw Error(path, where + ".shape", "absurd size");
      numel *= v;
      entry.shape.push_back(static_cast<int64_t>(v));
    }
    for (const json& o : e["data_offsets"])
      if (!o.is_number_unsigned()) throw Error(path, where + ".data_offsets", "offset is not a non-negative integer");
    entry.begin = e["data_offsets"][0].get<uint64_t>();
    entry.end = e["data_offsets"][1].get<uint64_t>();
    if (entry.end < entry.begin) throw Error(path, where + ".data_offsets", "end before begin");
    if (entry.end > data_bytes)
      throw Error(path, where + ".data_offsets", "ends at byte " + std::to_string(entry.end) + " of a " + std::to_string(data_bytes) + "-byte data section (truncated file?)");
    if (entry.end - entry.begin != numel * dtype_bytes(entry.dtype))
      throw Error(path, where + ".data_offsets", "spans " + std::to_string(entry.end - entry.begin) + " bytes but shape " + shape_to_string(entry.shape) + " of " + dt + " needs " + std::to_string(numel * dtype_bytes(entry.dtype)));
    spans.emplace_back(entry.begin, entry.end);
    entries.emplace(name, std::move(entry));
  }

  // The tensors must tile the data section: sorted by offset, each begins where the previous ended.
  std::sort(spans.begin(), spans.end());
  uint64_t covered = 0;
  for (const auto& [begin, end] : spans) {
    if (begin < covered) throw Error(path, "data_offsets", "two tensors overlap at byte " + std::to_string(begin));
    if (begin > covered)
      throw Error(path, "data_offsets", "bytes " + std::to_string(covered) + ".." + std::to_string(begin) + " of the data section belong to no tensor (the format allows no holes)");
    covered = end;
  }
  if (covered != data_bytes)
    throw Error(path, "data_offsets", "the tensors end at byte " + std::to_string(covered) + " but the data section has " + std::to_string(data_bytes) + " (bytes after the last tensor)");
  return entries;
}

SafetensorsFile::SafetensorsFile(std::string path) : path_(std::move(path)) {
  file_ = std::make_unique<RegularFile>(path_);
  const uint64_t file_bytes = file_->size();
  if (file_bytes < 8) throw Error(path_, "header length", "file is " + std::to_string(file_bytes) + " bytes, too short for a safetensors header");

  unsigned char len_bytes[8];
  file_->read_at(0, len_bytes, 8, "header length");
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = header_len << 8 | len_bytes[i];
  // The messages below do not print header_len: it is the file's first 8 bytes, whatever the file is.
  if (header_len > file_bytes - 8)
    throw Error(path_, "header length", "the first 8 bytes claim a header longer than the " + std::to_string(file_bytes - 8) + " bytes after them (truncated, or not a safetensors file)");
  if (header_len > kMaxHeaderBytes)
    throw Error(path_, "header length", "the header is over the limit of " + std::to_string(kMaxHeaderBytes) + " bytes");

  std::string header(header_len, '\0');
  file_->read_at(8, header.data(), header_len, "header");
  data_start_ = 8 + header_len;
  data_bytes_ = file_bytes - data_start_;
  entries_ = parse_safetensors_header(header, data_bytes_, path_);
}

const SafetensorsEntry& SafetensorsFile::entry(const std::string& name) const {
  auto it = entries_.find(name);
  if (it == entries_.end()) throw Error(path_, name, "no such tensor");
  return it->second;
}

std::vector<std::string> SafetensorsFile::names() const {
  std::vector<std::string> out;
  for (const auto& [name, e] : entries_) out.push_back(name);
  return out;
}

Shape SafetensorsFile::shape_of(const std::string& name) const { return entry(name).shape; }
DType SafetensorsFile::dtype_of(const std::string& name) const { return entry(name).dtype; }

Tensor SafetensorsFile::read(const std::string& name) {
  const SafetensorsEntry& e = entry(name);
  if (!map_) map_ = std::make_unique<MappedFile>(*file_);
  map_->check_unchanged(name);
  const int64_t n = shape_numel(e.shape);
  Tensor t(allocate_host(n), e.shape, Device::Cpu);
  struct Widen {
    const unsigned char* src;
    DType dtype;
    uint64_t n;
    float* dst;
  } job{map_->data() + data_start_ + e.begin, e.dtype, static_cast<uint64_t>(n), t.data()};
  map_->read_guarded(name, [](void* p) {
    const auto* j = static_cast<const Widen*>(p);
    widen_to_float(j->src, j->dtype, j->n, j->dst);
  }, &job);
  map_->release(data_start_ + e.begin, e.end - e.begin);
  return t;
}

void widen_to_float(const unsigned char* src, DType dtype, uint64_t n, float* dst) {
  if (dtype == DType::F32) {
    std::memcpy(dst, src, n * 4);
    return;
  }
  for (uint64_t i = 0; i < n; ++i) {
    uint16_t h;
    std::memcpy(&h, src + 2 * i, 2);
    dst[i] = dtype == DType::F16 ? half_to_float(h) : bfloat16_to_float(h);
  }
}

}  // namespace ss
