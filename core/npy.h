// Reading and writing NumPy .npy files (version 1/2 headers, little-endian, C order).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "atomic_file.h"
#include "tensor.h"

namespace ss {

struct NpyArray {
  Shape shape;
  std::vector<double> values;  // converted from the file's <f4 / <f8 / <i4 / <i8 / |u1
};

// Throws ss::Error naming the file and the header field on anything unexpected: a header over
// 1 MiB, a key or value numpy does not write, a dimension that is not a non-negative integer, more
// than 2^40 values, a file shorter than its shape.
NpyArray read_npy(const std::string& path);

struct NpyHeader {
  std::string descr;
  bool fortran_order = false;
  Shape shape;
};
// The header dict (the text after the length), checked as above; split out for the fuzz harness.
NpyHeader parse_npy_header(const std::string& text, const std::string& path);
// Written atomically (atomic_file.h): `path` is never left half-written.
void write_npy(const std::string& path, const Tensor& host);              // as <f4
void write_npy(const std::string& path, const Shape& shape, const std::vector<float>& values);

// A float32 .npy of a known shape written in pieces (rows of logits as they are computed), then
// put in place by commit(), which checks that exactly shape_numel(shape) values came.
class NpyWriter {
 public:
  NpyWriter(const std::string& path, const Shape& shape);
  void append(const float* values, int64_t n);
  void commit();

 private:
  AtomicFile file_;
  int64_t expected_ = 0;
  int64_t written_ = 0;
};

}  // namespace ss
