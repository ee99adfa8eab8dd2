#include "npy.h"

#include <cstring>
#include <fstream>
#include <regex>

#include "error.h"

namespace ss {

NpyArray read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path, "", "cannot open file");
  char magic[8];
  in.read(magic, 8);
  if (!in || std::memcmp(magic, "\x93NUMPY", 6) != 0) throw Error(path, "magic", "not a .npy file");
  uint32_t hlen = 0;
  if (magic[6] == 1) {
    unsigned char b[2];
    in.read(reinterpret_cast<char*>(b), 2);
    hlen = b[0] | b[1] << 8;
  } else {
    unsigned char b[4];
    in.read(reinterpret_cast<char*>(b), 4);
    hlen = b[0] | b[1] << 8 | b[2] << 16 | static_cast<uint32_t>(b[3]) << 24;
  }
  if (!in || hlen > (1u << 20)) throw Error(path, "header length", "bad");
  std::string header(hlen, '\0');
  in.read(header.data(), hlen);
  std::smatch m;
  if (!std::regex_search(header, m, std::regex("'descr':\\s*'([^']+)'"))) throw Error(path, "descr", "missing");
  const std::string descr = m[1];
  if (std::regex_search(header, std::regex("'fortran_order':\\s*True"))) throw Error(path, "fortran_order", "Fortran order is not supported");
  if (!std::regex_search(header, m, std::regex("'shape':\\s*\\(([^)]*)\\)"))) throw Error(path, "shape", "missing");
  NpyArray a;
  const std::string dims = m[1];
  const std::regex digits("\\d+");
  std::sregex_iterator it(dims.begin(), dims.end(), digits), end;
  for (; it != end; ++it) a.shape.push_back(std::stoll(it->str()));
  const int64_t n = shape_numel(a.shape);
  size_t width = 0;
  if (descr == "<f4" || descr == "<i4") width = 4;
  else if (descr == "<f8" || descr == "<i8") width = 8;
  else if (descr == "|u1" || descr == "|i1") width = 1;
  else throw Error(path, "descr", "unsupported dtype '" + descr + "'");
  std::vector<char> raw(n * width);
  in.read(raw.data(), static_cast<std::streamsize>(raw.size()));
  if (!in) throw Error(path, "data", "file shorter than its shape " + shape_to_string(a.shape) + " needs");
  a.values.resize(n);
  for (int64_t i = 0; i < n; ++i) {
    const char* p = raw.data() + i * width;
    if (descr == "<f4") { float v; std::memcpy(&v, p, 4); a.values[i] = v; }
    else if (descr == "<f8") { double v; std::memcpy(&v, p, 8); a.values[i] = v; }
    else if (descr == "<i4") { int32_t v; std::memcpy(&v, p, 4); a.values[i] = v; }
    else if (descr == "<i8") { int64_t v; std::memcpy(&v, p, 8); a.values[i] = static_cast<double>(v); }
    else if (descr == "|u1") a.values[i] = static_cast<unsigned char>(*p);
    else a.values[i] = static_cast<signed char>(*p);
  }
  return a;
}

NpyWriter::NpyWriter(const std::string& path, const Shape& shape) : file_(path), expected_(shape_numel(shape)) {
  std::string dims;
  for (size_t i = 0; i < shape.size(); ++i) dims += std::to_string(shape[i]) + (shape.size() == 1 || i + 1 < shape.size() ? "," : "");
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
  const size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  const uint16_t hlen = static_cast<uint16_t>(header.size());
  const char lead[10] = {'\x93', 'N', 'U', 'M', 'P', 'Y', 1, 0, static_cast<char>(hlen & 0xff), static_cast<char>(hlen >> 8)};
  file_.write(lead, 10);
  file_.write(header.data(), header.size());
}

void NpyWriter::append(const float* values, int64_t n) {
  if (n < 0 || written_ + n > expected_)
    throw Error(file_.path(), "", "internal: " + std::to_string(written_ + n) + " values for a shape of " + std::to_string(expected_));
  file_.write(values, static_cast<uint64_t>(n) * sizeof(float));
  written_ += n;
}

void NpyWriter::commit() {
  if (written_ != expected_)
    throw Error(file_.path(), "", "internal: " + std::to_string(written_) + " values written for a shape of " + std::to_string(expected_));
  file_.commit();
}

void write_npy(const std::string& path, const Shape& shape, const std::vector<float>& values) {
  NpyWriter w(path, shape);
  w.append(values.data(), static_cast<int64_t>(values.size()));
  w.commit();
}

void write_npy(const std::string& path, const Tensor& host) {
  NpyWriter w(path, host.shape());
  w.append(host.data(), host.numel());
  w.commit();
}

}  // namespace ss
