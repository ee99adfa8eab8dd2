// Tensor: a row-major float32 array on one device (host memory or a CUDA device).
//
// Dimension order is row-major: the LAST dimension is contiguous. A tensor of shape [T, D] holds
// token t's D values at data()[t * D .. t * D + D). Everything in the model core uses this order;
// Eigen maps it with RowMajor matrices (see `rows()`), and the CUDA kernels index it the same way.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <Eigen/Core>

namespace ss {

using Shape = std::vector<int64_t>;

enum class Device { Cpu, Cuda };

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MatrixMap = Eigen::Map<RowMatrix>;
using ConstMatrixMap = Eigen::Map<const RowMatrix>;
using VectorMap = Eigen::Map<Eigen::VectorXf>;
using ConstVectorMap = Eigen::Map<const Eigen::VectorXf>;

class Tensor {
 public:
  Tensor() = default;
  // Wraps storage that a backend allocated; `storage` owns (and frees) it.
  Tensor(std::shared_ptr<float> storage, Shape shape, Device device);

  // A host tensor, zero-filled.
  static Tensor zeros(Shape shape);
  // A host tensor holding a copy of `values` (values.size() must equal the shape's element count).
  static Tensor from(Shape shape, std::vector<float> values);

  bool empty() const { return !storage_; }
  float* data() const { return storage_.get(); }
  const std::shared_ptr<float>& storage() const { return storage_; }  // who owns data() (shared by reshaped views)
  const Shape& shape() const { return shape_; }
  int rank() const { return static_cast<int>(shape_.size()); }
  int64_t size(int dim) const;  // negative dims count from the end
  int64_t numel() const;
  Device device() const { return device_; }
  std::string shape_string() const;  // "[T, D]" style, for messages

  // Same storage, another shape with the same element count.
  Tensor reshaped(Shape shape) const;

  // Rows [a, b) along dim 0, sharing this tensor's storage (no copy; host or device).
  Tensor row_range(int64_t a, int64_t b) const;

  // Host-only views through Eigen. `rows()` folds all leading dims: shape [a, b, c] -> (a*b) x c.
  MatrixMap rows() const;
  VectorMap flat() const;
  float& at(int64_t i) const { return storage_.get()[i]; }

 private:
  std::shared_ptr<float> storage_;
  Shape shape_;
  Device device_ = Device::Cpu;
};

int64_t shape_numel(const Shape& shape);
// Host storage for n floats, 64-byte aligned. Its deleter is a HostStorageFree, which also says how
// many bytes were allocated (std::get_deleter, through any view of it: MemoryTally counts them).
std::shared_ptr<float> allocate_host(int64_t n);
struct HostStorageFree {
  size_t bytes = 0;
  void operator()(float* p) const;
};
std::string shape_to_string(const Shape& shape);

}  // namespace ss
