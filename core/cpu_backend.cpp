#include "cpu_backend.h"

#include <malloc.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "error.h"

namespace ss {

namespace {

void require_same(const Tensor& a, const Tensor& b, const char* op) {
  if (a.shape() != b.shape())
    throw std::invalid_argument(std::string(op) + ": shapes " + a.shape_string() + " and " + b.shape_string() + " differ");
}

inline float silu_f(float v) { return v / (1.0f + std::exp(-v)); }

}  // namespace

std::unique_ptr<Backend> make_cpu_backend() {
  // Ops allocate their outputs; keep freed blocks for reuse instead of returning each large one to
  // the kernel (which would page-fault and zero it again on the next call).
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
  return std::make_unique<CpuBackend>();
}

Tensor CpuBackend::empty(const Shape& shape) {
  return Tensor(allocate_host(shape_numel(shape)), shape, Device::Cpu);
}
Tensor CpuBackend::zeros(const Shape& shape) { return Tensor::zeros(shape); }
Tensor CpuBackend::upload(const Tensor& host) { return clone(host); }

int64_t CpuBackend::memory_available() const {
  std::ifstream in("/proc/meminfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("MemAvailable:", 0) == 0) {
      std::istringstream fields(line.substr(13));
      int64_t kb = -1;
      fields >> kb;
      return kb < 0 ? -1 : kb * 1024;
    }
  return -1;
}
Tensor CpuBackend::to_host(const Tensor& t) { return clone(t); }
Tensor CpuBackend::clone(const Tensor& t) {
  Tensor out = empty(t.shape());
  if (t.numel()) std::memcpy(out.data(), t.data(), t.numel() * sizeof(float));
  return out;
}

Tensor CpuBackend::embedding(const Tensor& table, const std::vector<int32_t>& ids) {
  const int64_t V = table.size(0), D = table.size(1);
  Tensor out = empty({static_cast<int64_t>(ids.size()), D});  // [T, D]
  for (size_t t = 0; t < ids.size(); ++t) {
    if (ids[t] < 0 || ids[t] >= V) throw std::out_of_range("embedding: token id " + std::to_string(ids[t]) + " outside [0, " + std::to_string(V) + ")");
    std::memcpy(out.data() + t * D, table.data() + ids[t] * D, D * sizeof(float));
  }
  return out;
}

Tensor CpuBackend::linear(const Tensor& x, const Tensor& w, const Tensor* bias) {
  const int64_t T = x.size(0), in = x.size(-1), out_dim = w.size(0);
  if (w.size(1) != in) throw std::invalid_argument("linear: x " + x.shape_string() + " vs w " + w.shape_string());
  Tensor y = empty({T, out_dim});  // [T, out]
  MatrixMap Y = y.rows();
  const MatrixMap X = x.reshaped({T, in}).rows();
  const MatrixMap W = w.rows();
  if (T == 1) Y.row(0).noalias() = W * X.row(0).transpose();  // matrix-vector: the step path
  else Y.noalias() = X * W.transpose();
  if (bias && !bias->empty()) Y.rowwise() += bias->flat().transpose();
  return y;
}

Tensor CpuBackend::rms_norm(const Tensor& x, const Tensor& w, float eps) {
  Tensor y = empty(x.shape());
  const MatrixMap X = x.rows();
  MatrixMap Y = y.rows();
  const auto W = w.flat().transpose().array();
  for (int64_t t = 0; t < X.rows(); ++t) {
    const float inv = 1.0f / std::sqrt(X.row(t).squaredNorm() / static_cast<float>(X.cols()) + eps);
    Y.row(t) = (X.row(t).array() * inv) * W;
  }
  return y;
}

Tensor CpuBackend::rms_norm_gated(const Tensor& x, const Tensor& z, const Tensor& w, float eps, int group_size) {
  require_same(x, z, "rms_norm_gated");
  Tensor y = empty(x.shape());
  const MatrixMap X = x.rows(), Z = z.rows();
  MatrixMap Y = y.rows();
  const int64_t cols = X.cols();
  if (group_size <= 0 || cols % group_size) throw std::invalid_argument("rms_norm_gated: bad group size");
  for (int64_t t = 0; t < X.rows(); ++t) {
    for (int64_t c = 0; c < cols; ++c) Y(t, c) = X(t, c) * silu_f(Z(t, c));
    for (int64_t g0 = 0; g0 < cols; g0 += group_size) {
      auto seg = Y.row(t).segment(g0, group_size);
      const float inv = 1.0f / std::sqrt(seg.squaredNorm() / static_cast<float>(group_size) + eps);
      seg = (seg.array() * inv * w.flat().segment(g0, group_size).transpose().array()).matrix();
    }
  }
  return y;
}

Tensor CpuBackend::add(const Tensor& a, const Tensor& b) {
  require_same(a, b, "add");
  Tensor y = empty(a.shape());
  y.flat() = a.flat() + b.flat();
  return y;
}

Tensor CpuBackend::mul(const Tensor& a, const Tensor& b) {
  require_same(a, b, "mul");
  Tensor y = empty(a.shape());
  y.flat() = a.flat().cwiseProduct(b.flat());
  return y;
}

Tensor CpuBackend::silu(const Tensor& x) {
  Tensor y = empty(x.shape());
  const auto v = x.flat().array();
  y.flat().array() = v / (1.0f + (-v).exp());
  return y;
}

Tensor CpuBackend::silu_mul(const Tensor& gate, const Tensor& up) {
  require_same(gate, up, "silu_mul");
  Tensor y = empty(gate.shape());
  const auto g = gate.flat().array();
  y.flat().array() = g / (1.0f + (-g).exp()) * up.flat().array();
  return y;
}

// gelu(g) = g * Φ(g) = 0.5 g (1 + erf(g / sqrt(2))), as torch's nn.functional.gelu (approximate="none").
Tensor CpuBackend::gelu_mul(const Tensor& gate, const Tensor& up) {
  require_same(gate, up, "gelu_mul");
  Tensor y = empty(gate.shape());
  const float* g = gate.data();
  const float* u = up.data();
  float* o = y.data();
  for (int64_t i = 0; i < gate.numel(); ++i) o[i] = 0.5f * g[i] * (1.0f + std::erf(g[i] * 0.70710678118654752f)) * u[i];
  return y;
}

Tensor CpuBackend::softplus(const Tensor& x, const Tensor* bias) {
  Tensor y = empty(x.shape());
  MatrixMap Y = y.rows();
  Y = x.rows();
  if (bias && !bias->empty()) Y.rowwise() += bias->flat().transpose();
  // softplus(v) = log1p(exp(v)) = max(v, 0) + log1p(exp(-|v|)), written with vectorised exp and log:
  // log1p(u) = log(w) * u / (w - 1) with w = 1 + u (exact to rounding; u itself when w rounds to 1).
  auto v = y.flat().array();
  const Eigen::ArrayXf u = (-v.abs()).exp();
  const Eigen::ArrayXf w = 1.0f + u;
  v = v.max(0.0f) + (w == 1.0f).select(u, w.log() * u / (w - 1.0f));
  return y;
}

Tensor CpuBackend::clamp(const Tensor& x, float lo, float hi) {
  Tensor y = empty(x.shape());
  y.flat() = x.flat().cwiseMax(lo).cwiseMin(hi);
  return y;
}

Tensor CpuBackend::slice_cols(const Tensor& x, int64_t c0, int64_t c1) {
  const MatrixMap X = x.rows();
  if (c0 < 0 || c1 > X.cols() || c0 > c1) throw std::out_of_range("slice_cols: [" + std::to_string(c0) + ", " + std::to_string(c1) + ") of " + x.shape_string());
  Tensor y = empty({X.rows(), c1 - c0});
  y.rows() = X.middleCols(c0, c1 - c0);
  return y;
}

Tensor CpuBackend::concat_cols(const Tensor& a, const Tensor& b) {
  const MatrixMap A = a.rows(), B = b.rows();
  if (A.rows() != B.rows()) throw std::invalid_argument("concat_cols: " + a.shape_string() + " and " + b.shape_string() + " differ in rows");
  Tensor y = empty({A.rows(), A.cols() + B.cols()});
  y.rows().leftCols(A.cols()) = A;
  y.rows().rightCols(B.cols()) = B;
  return y;
}

Tensor CpuBackend::row_norms(const Tensor& x) {
  const MatrixMap X = x.rows();
  Tensor y = empty({X.rows()});
  y.flat() = X.rowwise().norm();
  return y;
}

Tensor CpuBackend::gather_rows(const Tensor& x, const std::vector<int32_t>& rows) {
  const MatrixMap X = x.rows();
  Tensor y = empty({static_cast<int64_t>(rows.size()), X.cols()});
  MatrixMap Y = y.rows();
  for (size_t i = 0; i < rows.size(); ++i) {
    if (rows[i] < 0 || rows[i] >= X.rows()) throw std::out_of_range("gather_rows: row index");
    Y.row(i) = X.row(rows[i]);
  }
  return y;
}

void CpuBackend::scatter_add_rows(Tensor& y, const Tensor& src, const std::vector<int32_t>& rows, const std::vector<float>& weights) {
  MatrixMap Y = y.rows();
  const MatrixMap S = src.rows();
  if (rows.size() != weights.size() || static_cast<int64_t>(rows.size()) != S.rows()) throw std::invalid_argument("scatter_add_rows: sizes");
  for (size_t i = 0; i < rows.size(); ++i) {
    if (rows[i] < 0 || rows[i] >= Y.rows()) throw std::out_of_range("scatter_add_rows: row index");
    Y.row(rows[i]) += weights[i] * S.row(i);
  }
}

}  // namespace ss
