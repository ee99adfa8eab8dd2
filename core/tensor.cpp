#include "tensor.h"

#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>

namespace ss {

int64_t shape_numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string shape_to_string(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

Tensor::Tensor(std::shared_ptr<float> storage, Shape shape, Device device)
    : storage_(std::move(storage)), shape_(std::move(shape)), device_(device) {}

std::shared_ptr<float> allocate_host(int64_t n) {
  // 64-byte aligned, so that Eigen's vector code sees the same alignment on every run and the
  // results do not depend on where the allocator happened to place a buffer.
  const size_t bytes = ((static_cast<size_t>(n > 0 ? n : 1) * sizeof(float) + 63) / 64) * 64;
  void* p = std::aligned_alloc(64, bytes);
  if (!p) throw std::bad_alloc();
  return std::shared_ptr<float>(static_cast<float*>(p), HostStorageFree{bytes});
}

void HostStorageFree::operator()(float* p) const { std::free(p); }

Tensor Tensor::zeros(Shape shape) {
  const int64_t n = shape_numel(shape);
  std::shared_ptr<float> storage = allocate_host(n);
  std::memset(storage.get(), 0, static_cast<size_t>(n > 0 ? n : 0) * sizeof(float));
  return Tensor(std::move(storage), std::move(shape), Device::Cpu);
}

Tensor Tensor::from(Shape shape, std::vector<float> values) {
  if (static_cast<int64_t>(values.size()) != shape_numel(shape))
    throw std::invalid_argument("Tensor::from: " + std::to_string(values.size()) + " values for shape " +
                                shape_to_string(shape));
  Tensor t = zeros(std::move(shape));
  if (!values.empty()) std::memcpy(t.data(), values.data(), values.size() * sizeof(float));
  return t;
}

int64_t Tensor::size(int dim) const {
  const int r = rank();
  if (dim < 0) dim += r;
  if (dim < 0 || dim >= r) throw std::out_of_range("Tensor::size: dim out of range for " + shape_string());
  return shape_[dim];
}

int64_t Tensor::numel() const { return storage_ ? shape_numel(shape_) : 0; }

std::string Tensor::shape_string() const { return shape_to_string(shape_); }

Tensor Tensor::reshaped(Shape shape) const {
  if (shape_numel(shape) != numel())
    throw std::invalid_argument("Tensor::reshaped: " + shape_string() + " -> " + shape_to_string(shape));
  return Tensor(storage_, std::move(shape), device_);
}

Tensor Tensor::row_range(int64_t a, int64_t b) const {
  if (rank() == 0 || a < 0 || b < a || b > shape_[0])
    throw std::invalid_argument("Tensor::row_range: rows [" + std::to_string(a) + ", " + std::to_string(b) + ") of " + shape_string());
  Shape shape = shape_;
  shape[0] = b - a;
  const int64_t row = shape_[0] ? numel() / shape_[0] : 0;
  return Tensor(std::shared_ptr<float>(storage_, storage_.get() + a * row), std::move(shape), device_);  // aliasing: keeps the whole storage alive
}

MatrixMap Tensor::rows() const {
  if (device_ != Device::Cpu) throw std::logic_error("Tensor::rows: not a host tensor");
  const int64_t cols = rank() ? shape_.back() : 1;
  const int64_t r = cols ? numel() / cols : 0;
  return MatrixMap(data(), r, cols);
}

VectorMap Tensor::flat() const {
  if (device_ != Device::Cpu) throw std::logic_error("Tensor::flat: not a host tensor");
  return VectorMap(data(), numel());
}

}  // namespace ss
