// WeightFile: one file of named tensors as a model folder holds them (a safetensors file, a
// torch.save checkpoint), each read as float32 on the host.
#pragma once

#include <string>
#include <vector>

#include "tensor.h"

namespace ss {

enum class DType { F32, F16, BF16 };  // what a file stores; the compute precision is float32

class WeightFile {
 public:
  virtual ~WeightFile() = default;
  virtual const std::string& path() const = 0;
  virtual std::vector<std::string> names() const = 0;
  virtual bool contains(const std::string& name) const = 0;
  virtual Shape shape_of(const std::string& name) const = 0;  // throws ss::Error when absent
  virtual DType dtype_of(const std::string& name) const = 0;
  // The tensor converted to float32 on the host (F16 and BF16 are widened exactly).
  virtual Tensor read(const std::string& name) = 0;
  // Whether two names hold the same data (one storage, one view): a tied lm_head saved beside the
  // embedding. False when the file cannot tell.
  virtual bool same_data(const std::string& a, const std::string& b) const { (void)a; (void)b; return false; }
};

// Widens `n` values of `dtype` at `src` (little-endian, any alignment) into `dst`.
void widen_to_float(const unsigned char* src, DType dtype, uint64_t n, float* dst);

}  // namespace ss
