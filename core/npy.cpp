#include "npy.h"

#include <cstring>

#include "error.h"
#include "regular_file.h"

namespace ss {

namespace {

// The header dict numpy writes: {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }.
// A small parser for exactly that (Python literals: quoted strings, True/False, a tuple of
// non-negative integers); no regex (a 1 MB header once overflowed std::regex's recursion).
class NpyHeaderParser {
 public:
  NpyHeaderParser(const std::string& text, const std::string& path) : s_(text), path_(path) {}

  NpyHeader parse() {
    NpyHeader h;
    bool descr = false, order = false, shape = false;
    expect('{');
    while (true) {
      skip_space();
      if (peek() == '}') { ++i_; break; }
      const std::string key = string_literal("key");
      expect(':');
      if (key == "descr") { h.descr = string_literal("descr"); descr = true; }
      else if (key == "fortran_order") { h.fortran_order = boolean(); order = true; }
      else if (key == "shape") { h.shape = tuple(); shape = true; }
      else throw Error(path_, "header", "unexpected key (a .npy header has descr, fortran_order and shape)");
      skip_space();
      if (peek() == ',') { ++i_; continue; }
      expect('}');
      break;
    }
    if (!descr) throw Error(path_, "descr", "missing");
    if (!order) throw Error(path_, "fortran_order", "missing");
    if (!shape) throw Error(path_, "shape", "missing");
    return h;
  }

 private:
  char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  void skip_space() { while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_; }
  void expect(char c) {
    skip_space();
    if (peek() != c) throw Error(path_, "header", std::string("expected '") + c + "' at byte " + std::to_string(i_) + " of the header");
    ++i_;
  }
  std::string string_literal(const char* what) {
    skip_space();
    const char q = peek();
    if (q != '\'' && q != '"') throw Error(path_, what, "expected a quoted string at byte " + std::to_string(i_) + " of the header");
    const size_t close = s_.find(q, i_ + 1);
    if (close == std::string::npos || close - i_ > 64) throw Error(path_, what, "unterminated or over-long string");
    std::string out = s_.substr(i_ + 1, close - i_ - 1);
    i_ = close + 1;
    return out;
  }
  bool boolean() {
    skip_space();
    if (s_.compare(i_, 4, "True") == 0) { i_ += 4; return true; }
    if (s_.compare(i_, 5, "False") == 0) { i_ += 5; return false; }
    throw Error(path_, "fortran_order", "is not True or False");
  }
  Shape tuple() {
    expect('(');
    Shape shape;
    while (true) {
      skip_space();
      if (peek() == ')') { ++i_; break; }
      if (peek() < '0' || peek() > '9') throw Error(path_, "shape", "a dimension is not a non-negative integer");
      int64_t v = 0;
      while (peek() >= '0' && peek() <= '9') {
        v = v * 10 + (peek() - '0');
        if (v > (int64_t(1) << 40)) throw Error(path_, "shape", "a dimension is absurdly large");
        ++i_;
      }
      shape.push_back(v);
      if (shape.size() > 32) throw Error(path_, "shape", "more than 32 dimensions");
      skip_space();
      if (peek() == ',') { ++i_; continue; }
      expect(')');
      break;
    }
    return shape;
  }

  const std::string& s_;
  const std::string& path_;
  size_t i_ = 0;
};

}  // namespace

NpyHeader parse_npy_header(const std::string& text, const std::string& path) {
  NpyHeader h = NpyHeaderParser(text, path).parse();
  int64_t n = 1;
  for (int64_t d : h.shape) {
    if (d && n > (int64_t(1) << 40) / d) throw Error(path, "shape", "holds more than 2^40 values");
    n *= d;
  }
  return h;
}

NpyArray read_npy(const std::string& path) {
  const RegularFile file(path);
  const uint64_t size = file.size();
  unsigned char lead[12];
  if (size < 10) throw Error(path, "magic", "not a .npy file (too short)");
  file.read_at(0, lead, 10, "magic");
  if (std::memcmp(lead, "\x93NUMPY", 6) != 0) throw Error(path, "magic", "not a .npy file");
  uint64_t hlen = 0, offset = 0;
  if (lead[6] == 1) {
    hlen = lead[8] | lead[9] << 8;
    offset = 10;
  } else if (lead[6] == 2 || lead[6] == 3) {
    if (size < 12) throw Error(path, "header length", "file too short");
    file.read_at(10, lead + 10, 2, "header length");
    hlen = lead[8] | lead[9] << 8 | lead[10] << 16 | static_cast<uint64_t>(lead[11]) << 24;
    offset = 12;
  } else {
    throw Error(path, "version", "unsupported .npy version " + std::to_string(lead[6]));
  }
  if (hlen > (1u << 20)) throw Error(path, "header length", "over the limit of 1 MiB");
  if (hlen > size - offset) throw Error(path, "header length", "longer than the file (truncated?)");
  std::string text(hlen, '\0');
  file.read_at(offset, text.data(), hlen, "header");
  const NpyHeader h = parse_npy_header(text, path);
  if (h.fortran_order) throw Error(path, "fortran_order", "Fortran order is not supported");
  size_t width = 0;
  if (h.descr == "<f4" || h.descr == "<i4") width = 4;
  else if (h.descr == "<f8" || h.descr == "<i8") width = 8;
  else if (h.descr == "|u1" || h.descr == "|i1") width = 1;
  else throw Error(path, "descr", "unsupported dtype (StateScope reads <f4, <f8, <i4, <i8, |u1, |i1)");
  NpyArray a;
  a.shape = h.shape;
  const int64_t n = shape_numel(a.shape);
  if (static_cast<uint64_t>(n) * width > size - offset - hlen)
    throw Error(path, "data", "file shorter than its shape " + shape_to_string(a.shape) + " needs");
  std::vector<char> raw(static_cast<size_t>(n) * width);
  file.read_at(offset + hlen, raw.data(), raw.size(), "data");
  a.values.resize(n);
  for (int64_t i = 0; i < n; ++i) {
    const char* p = raw.data() + i * width;
    if (h.descr == "<f4") { float v; std::memcpy(&v, p, 4); a.values[i] = v; }
    else if (h.descr == "<f8") { double v; std::memcpy(&v, p, 8); a.values[i] = v; }
    else if (h.descr == "<i4") { int32_t v; std::memcpy(&v, p, 4); a.values[i] = v; }
    else if (h.descr == "<i8") { int64_t v; std::memcpy(&v, p, 8); a.values[i] = static_cast<double>(v); }
    else if (h.descr == "|u1") a.values[i] = static_cast<unsigned char>(*p);
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
