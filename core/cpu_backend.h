// CpuBackend: the reference implementation of every Backend op, on the host with Eigen.
// Op families live in their own files: cpu_backend.cpp (memory, row ops), cpu_scan.cpp (conv1d,
// Mamba-1 selective scan), cpu_ssd.cpp (Mamba-2 SSD), cpu_attention.cpp (RoPE, KV cache, attention,
// expert gather/scatter).
#pragma once

#include "backend.h"

namespace ss {

class CpuBackend final : public Backend {
 public:
  std::string name() const override { return "cpu"; }
  Device device() const override { return Device::Cpu; }
  int64_t memory_available() const override;

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
};

// Shared by the scan's parallel and step forms (and by state recomputation in analysis):
// advances h [Di, N] by one token and returns nothing; y_out[d] = h[d,:]·C + D[d] x[d].
void selective_scan_token(float* h, const float* x, const float* delta, const float* A, const float* B, const float* C,
                          const float* D, float* y_out, int64_t Di, int64_t N);

// Shared by the SSD's step form and by state recomputation in analysis (semiseparable.cpp): advances
// h [H, P, N] by one token (x [H, P], delta [H], A [H], B and C [G, N], D [H]); y_out [H, P] gets
// h C + D x per head. Head hd reads group hd / (H / G).
void ssd_token(float* h, const float* x, const float* delta, const float* A, const float* B, const float* C, const float* D,
               float* y_out, int64_t H, int64_t P, int64_t N, int64_t G);

}  // namespace ss
