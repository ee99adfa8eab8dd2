// CudaBackend: the class behind make_cuda_backend (internal to kernels/ and its tests).
//
// Memory: device tensors come from cudaMallocAsync on the legacy default stream (the pool keeps
// freed blocks for reuse) and return to it when the last Tensor holding them goes. Every op is
// enqueued on that one stream; to_host synchronises. With STATESCOPE_CUDA_POISON=1 every new
// allocation is filled with NaN first, so an element an op forgets to write shows up in tests.
//
// Shapes a kernel does not cover (selective scan N > 64, SSD N not of the form 4..32 * 2^k, head
// dims not a multiple of 4 or above 256) run on the CPU reference, through copies (slow, correct).
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include "backend.h"
#include "cpu_backend.h"

namespace ss {

class CudaBackend final : public Backend {
 public:
  CudaBackend(int device, const cudaDeviceProp& prop);
  ~CudaBackend() override;

  std::string name() const override { return name_; }
  Device device() const override { return Device::Cuda; }

  Tensor empty(const Shape& shape) override;
  Tensor zeros(const Shape& shape) override;
  Tensor upload(const Tensor& host) override;
  Tensor to_host(const Tensor& t) override;
  Tensor clone(const Tensor& t) override;

  Tensor embedding(const Tensor& table, const std::vector<int32_t>& ids) override;
  Tensor linear(const Tensor& x, const Tensor& w, const Tensor* bias) override;
  Tensor rms_norm(const Tensor& x, const Tensor& w, float eps) override;
  Tensor rms_norm_gated(const Tensor& x, const Tensor& z, const Tensor& w, float eps, int group_size) override;
  Tensor add(const Tensor& a, const Tensor& b) override;
  Tensor mul(const Tensor& a, const Tensor& b) override;
  Tensor silu(const Tensor& x) override;
  Tensor silu_mul(const Tensor& gate, const Tensor& up) override;
  Tensor softplus(const Tensor& x, const Tensor* bias) override;
  Tensor clamp(const Tensor& x, float lo, float hi) override;
  Tensor slice_cols(const Tensor& x, int64_t c0, int64_t c1) override;
  Tensor row_norms(const Tensor& x) override;

  Tensor conv1d_causal(const Tensor& x, const Tensor& w, const Tensor* bias, Tensor& state, bool silu) override;
  Tensor selective_scan(const SelectiveScanArgs& a) override;
  Tensor selective_scan_step(const SelectiveScanArgs& a) override;
  Tensor ssd_chunked(const SsdArgs& a) override;
  Tensor ssd_step(const SsdArgs& a) override;
  void rope(Tensor& x, int64_t pos0, float theta) override;
  void kv_append(KvCache& cache, const Tensor& k, const Tensor& v) override;
  Tensor attention(const AttentionArgs& a) override;

  Tensor gather_rows(const Tensor& x, const std::vector<int32_t>& rows) override;
  void scatter_add_rows(Tensor& y, const Tensor& src, const std::vector<int32_t>& rows, const std::vector<float>& weights) override;

  cudaStream_t stream() const { return stream_; }
  void synchronize();

 private:
  // A device copy of a small host array (indices, weights).
  template <class T>
  std::shared_ptr<T> upload_array(const std::vector<T>& values);
  void copy_into(Tensor& dst, const Tensor& src);  // same element count, any devices
  Tensor scan_on_cpu(const SelectiveScanArgs& a);
  Tensor ssd_on_cpu(const SsdArgs& a);
  Tensor attention_on_cpu(const AttentionArgs& a);

  std::string name_;
  cudaStream_t stream_ = nullptr;  // the legacy default stream
  cublasHandle_t cublas_ = nullptr;
  bool poison_ = false;
  CpuBackend cpu_;
};

// Device pointer of a tensor the backend may read, after checking it lives on the GPU.
const float* dev_in(const Tensor& t, const char* op, const char* what);
float* dev_out(Tensor& t, const char* op, const char* what);

}  // namespace ss
