// CudaBackend: the class behind make_cuda_backend (internal to kernels/ and its tests).
//
// Memory: device tensors come from cudaMallocAsync on the legacy default stream (the pool keeps
// freed blocks for reuse) and return to it when the last Tensor holding them goes. Every op is
// enqueued on that one stream; to_host synchronises. With STATESCOPE_CUDA_POISON=1 every new
// allocation is filled with NaN first, so an element an op forgets to write shows up in tests.
//
// Host copies (to_host, to_host_async) land in page-locked buffers from a reused pool; to_host_async
// copies on a second stream after an event, so a trace copy overlaps the ops enqueued after it.
//
// Precision::bf16: linear() multiplies a BF16 copy of the weight (made once per weight, keyed by the
// weight tensor's storage) by the activations rounded to BF16, FP32 accumulation and output (cuBLAS
// GemmEx on sm_80+; on older GPUs the same rounded values in FP32 storage through SGEMM). The Mamba-1
// scan reads x, Δ, z, B, C as BF16 (FP32 state). Attention (head dims 64 and 128, sm_80+) runs on
// tensor cores from BF16 q and a BF16 copy of the KV cache, kept per cache and extended by each
// append. The Mamba-2 SSD (P 64, N 64/128, sm_80+) runs the BF16 tensor-core kernel on BF16 copies of
// x, B, C (FP32 Δ, A, D, state); other shapes keep the FP32 kernel.
//
// Shapes a kernel does not cover (selective scan N > 64, SSD N not of the form 4..32 * 2^k, head
// dims not a multiple of 4 or above 256) run on the CPU reference, through copies (slow, correct).
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

#include "backend.h"
#include "cpu_backend.h"
#include "pinned_host_pool.h"

namespace ss::cuda {
struct SelectiveScanParams;
}

namespace ss {

class CudaBackend final : public Backend {
 public:
  CudaBackend(int device, const cudaDeviceProp& prop, Precision precision = Precision::fp32);
  ~CudaBackend() override;

  std::string name() const override { return name_; }
  Device device() const override { return Device::Cuda; }
  Precision precision() const override { return precision_; }
  int64_t memory_available() const override;

  Tensor empty(const Shape& shape) override;
  Tensor zeros(const Shape& shape) override;
  Tensor upload(const Tensor& host) override;
  Tensor to_host(const Tensor& t) override;
  Tensor to_host_async(const Tensor& t) override;
  void wait_host_copies() override;
  Tensor clone(const Tensor& t) override;

  Tensor embedding(const Tensor& table, const std::vector<int32_t>& ids) override;
  Tensor linear(const Tensor& x, const Tensor& w, const Tensor* bias) override;
  Tensor rms_norm(const Tensor& x, const Tensor& w, float eps) override;
  Tensor rms_norm_gated(const Tensor& x, const Tensor& z, const Tensor& w, float eps, int group_size) override;
  Tensor add(const Tensor& a, const Tensor& b) override;
  Tensor mul(const Tensor& a, const Tensor& b) override;
  Tensor silu(const Tensor& x) override;
  Tensor silu_mul(const Tensor& gate, const Tensor& up) override;
  Tensor gelu_mul(const Tensor& gate, const Tensor& up) override;
  Tensor softplus(const Tensor& x, const Tensor* bias) override;
  Tensor clamp(const Tensor& x, float lo, float hi) override;
  Tensor slice_cols(const Tensor& x, int64_t c0, int64_t c1) override;
  Tensor concat_cols(const Tensor& a, const Tensor& b) override;
  Tensor row_norms(const Tensor& x) override;

  Tensor conv1d_causal(const Tensor& x, const Tensor& w, const Tensor* bias, Tensor& state, bool silu) override;
  Tensor selective_scan(const SelectiveScanArgs& a) override;
  Tensor selective_scan_step(const SelectiveScanArgs& a) override;
  Tensor ssd_chunked(const SsdArgs& a) override;
  Tensor ssd_step(const SsdArgs& a) override;
  void rope(Tensor& x, int64_t pos0, float theta, int64_t rotary_dim = 0) override;
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
  std::shared_ptr<void> device_bytes(size_t bytes);  // uninitialised device memory, stream-ordered
  // bf16 mode: the weight's BF16 copy (FP32 storage of BF16 values when !bf16_gemm_), made on first use.
  const void* bf16_weight(const Tensor& w);
  Tensor linear_bf16(const Tensor& x, const Tensor& w);
  Tensor scan_bf16(const SelectiveScanArgs& a);
  Tensor launch_scan(const SelectiveScanArgs& a, cuda::SelectiveScanParams& p);
  Tensor scan_on_cpu(const SelectiveScanArgs& a);
  Tensor ssd_on_cpu(const SsdArgs& a);
  Tensor attention_on_cpu(const AttentionArgs& a);
  Tensor attention_bf16(const AttentionArgs& a);  // bf16 mode, attention_bf16_supported(hd)
  using ProbsFill = std::function<void(int64_t head, int64_t t0, int64_t W, int64_t r0, int64_t r1, float* rows)>;
  void write_probs(const AttentionArgs& a, int64_t T, int64_t Hq, const ProbsFill& fill);
  Tensor ssd_fp32(const SsdArgs& a);              // the FP32 kernel (shapes checked by ssd_chunked)
  Tensor ssd_bf16(const SsdArgs& a);              // bf16 mode; empty when the kernel does not cover the call
  struct Bf16Cache {
    std::weak_ptr<float> k_owner, v_owner;  // the FP32 cache's storage
    int64_t capacity = 0, converted = 0;    // positions of every head converted so far
    std::shared_ptr<void> k, v;             // [Hkv, capacity, hd] BF16
  };
  const Bf16Cache& bf16_cache(const KvCache& c);

  std::string name_;
  Precision precision_ = Precision::fp32;
  bool bf16_gemm_ = false;         // BF16 operands in cuBLAS (sm_80+); else BF16-rounded FP32 through SGEMM
  cudaStream_t stream_ = nullptr;  // the legacy default stream
  cudaStream_t copy_stream_ = nullptr;  // device-to-host trace copies (non-blocking: overlaps stream_)
  cudaEvent_t copy_ready_ = nullptr;    // recorded on stream_ before each async copy
  std::vector<Tensor> copies_in_flight_;  // sources of async copies, alive until wait_host_copies()
  std::shared_ptr<cuda::PinnedHostPool> host_pool_;
  cublasHandle_t cublas_ = nullptr;
  bool poison_ = false;
  CpuBackend cpu_;
  struct Bf16Weight {
    std::weak_ptr<float> owner;  // the FP32 weight's storage: a reused address is not the same weight
    int64_t numel = 0;
    std::shared_ptr<void> data;  // [out, in] BF16 (or BF16-rounded FP32)
  };
  std::unordered_map<const float*, Bf16Weight> bf16_weights_;
  std::unordered_map<const float*, Bf16Cache> bf16_caches_;  // keyed by the FP32 cache's k storage
};

// Device pointer of a tensor the backend may read, after checking it lives on the GPU.
const float* dev_in(const Tensor& t, const char* op, const char* what);
float* dev_out(Tensor& t, const char* op, const char* what);

}  // namespace ss
