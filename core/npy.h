// Reading and writing NumPy .npy files (version 1/2 headers, little-endian, C order).
#pragma once

#include <string>
#include <vector>

#include "tensor.h"

namespace ss {

struct NpyArray {
  Shape shape;
  std::vector<double> values;  // converted from the file's <f4 / <f8 / <i4 / <i8 / |u1
};

// Throws ss::Error naming the file and the header field on anything unexpected.
NpyArray read_npy(const std::string& path);
void write_npy(const std::string& path, const Tensor& host);              // as <f4
void write_npy(const std::string& path, const Shape& shape, const std::vector<float>& values);

}  // namespace ss
