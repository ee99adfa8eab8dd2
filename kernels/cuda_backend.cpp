// CudaBackend: construction, memory, and the row-wise ops (embedding, projections through cuBLAS,
// norms, elementwise). The sequence-mixing ops are in cuda_mixing.cpp.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "bf16_convert.h"
#include "cuda_backend.h"
#include "cuda_backend_impl.h"
#include "cuda_check.h"
#include "elementwise.h"
#include "rms_norm.h"
#include "rows.h"

#ifndef STATESCOPE_CUDA_ARCHS
#define STATESCOPE_CUDA_ARCHS "unknown"
#endif

namespace ss {

namespace {

void require_same(const Tensor& a, const Tensor& b, const char* op) {
  if (a.shape() != b.shape())
    throw std::invalid_argument(std::string(op) + ": shapes " + a.shape_string() + " and " + b.shape_string() + " differ");
}

void cublas_check(cublasStatus_t s, const char* what) {
  if (s != CUBLAS_STATUS_SUCCESS)
    throw DeviceError(std::string("cuBLAS: ") + what + " failed with status " + std::to_string(int(s)), s == CUBLAS_STATUS_ALLOC_FAILED);
}

}  // namespace

const float* dev_in(const Tensor& t, const char* op, const char* what) {
  if (t.device() != Device::Cuda) throw std::invalid_argument(std::string(op) + ": " + what + " is not on the GPU");
  return t.data();
}

float* dev_out(Tensor& t, const char* op, const char* what) {
  if (t.device() != Device::Cuda) throw std::invalid_argument(std::string(op) + ": " + what + " is not on the GPU");
  return t.data();
}

std::unique_ptr<Backend> make_cuda_backend(std::string* why_not, Precision precision) {
  auto fail = [&](const std::string& m) -> std::unique_ptr<Backend> {
    if (why_not) *why_not = m;
    return nullptr;
  };
  int count = 0;
  const cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) {
    cudaGetLastError();
    std::string hint;
    if (e == cudaErrorInsufficientDriver)
      hint = ": no NVIDIA driver, or one older than this CUDA " + std::to_string(CUDART_VERSION / 1000) + "." +
             std::to_string(CUDART_VERSION % 1000 / 10) + " build needs";
    if (e == cudaErrorNoDevice) hint = ": no NVIDIA GPU visible";
    return fail(std::string("no usable CUDA driver or device (") + cudaGetErrorString(e) + hint + ")");
  }
  if (count == 0) return fail("no CUDA device found");
  try {
    int dev = 0;
    SS_CUDA(cudaGetDevice(&dev));
    cudaDeviceProp prop{};
    SS_CUDA(cudaGetDeviceProperties(&prop, dev));
    return std::make_unique<CudaBackend>(dev, prop, precision);
  } catch (const DeviceError& ex) {
    return fail(ex.out_of_memory() ? std::string("the GPU's memory is full (") + ex.what() + ")" : std::string(ex.what()));
  } catch (const std::exception& ex) {
    return fail(ex.what());
  }
}

CudaBackend::CudaBackend(int device, const cudaDeviceProp& prop, Precision precision) : precision_(precision) {
  name_ = std::string("cuda (") + prop.name + ", sm_" + std::to_string(prop.major) + std::to_string(prop.minor) + ", " +
          precision_name(precision) + ")";
  bf16_gemm_ = prop.major >= 8;  // BF16 tensor cores from Ampere on
  const char* poison = std::getenv("STATESCOPE_CUDA_POISON");
  poison_ = poison && *poison && *poison != '0';
  // Keep freed blocks in the pool instead of returning them to the driver at every synchronisation.
  cudaMemPool_t pool;
  SS_CUDA(cudaDeviceGetDefaultMemPool(&pool, device));
  uint64_t keep = UINT64_MAX;
  SS_CUDA(cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &keep));
  // Does this build carry code for the device? A one-element kernel launch says so.
  float* probe = nullptr;
  SS_CUDA(cudaMalloc(&probe, sizeof(float)));
  std::string err;
  try {
    cuda::add(probe, probe, probe, 1, stream_);
    SS_CUDA(cudaDeviceSynchronize());
  } catch (const DeviceError& ex) {
    if (ex.out_of_memory()) {  // a full GPU, not a build without code for it
      cudaFree(probe);
      throw;
    }
    err = ex.what();
    cudaGetLastError();
  } catch (const std::exception& ex) {
    err = ex.what();
    cudaGetLastError();
  }
  cudaFree(probe);
  if (!err.empty())
    throw std::runtime_error(std::string("the GPU (") + prop.name + ", sm_" + std::to_string(prop.major) + std::to_string(prop.minor) +
                             ") cannot run this build's kernels (built for CUDA architectures " STATESCOPE_CUDA_ARCHS "): " + err);
  cublas_check(cublasCreate(&cublas_), "cublasCreate");
  cublas_check(cublasSetStream(cublas_, stream_), "cublasSetStream");
  cublas_check(cublasSetMathMode(cublas_, CUBLAS_DEFAULT_MATH), "cublasSetMathMode");  // true FP32, no TF32
  SS_CUDA(cudaStreamCreateWithFlags(&copy_stream_, cudaStreamNonBlocking));
  SS_CUDA(cudaEventCreateWithFlags(&copy_ready_, cudaEventDisableTiming));
  host_pool_ = std::make_shared<cuda::PinnedHostPool>(size_t(1) << 30);  // keep up to 1 GB of idle page-locked buffers (the explorer has one backend per model)
}

CudaBackend::~CudaBackend() {
  if (copy_stream_) cudaStreamSynchronize(copy_stream_);
  copies_in_flight_.clear();
  bf16_weights_.clear();
  if (copy_ready_) cudaEventDestroy(copy_ready_);
  if (copy_stream_) cudaStreamDestroy(copy_stream_);
  if (cublas_) cublasDestroy(cublas_);
}

void CudaBackend::synchronize() { SS_CUDA(cudaStreamSynchronize(stream_)); }

// --- memory ---

Tensor CudaBackend::empty(const Shape& shape) {
  const int64_t n = shape_numel(shape);
  const size_t bytes = sizeof(float) * static_cast<size_t>(n > 0 ? n : 1);
  void* p = nullptr;
  SS_CUDA(cudaMallocAsync(&p, bytes, stream_));
  if (poison_) SS_CUDA(cudaMemsetAsync(p, 0xff, bytes, stream_));  // all-ones bits: NaN
  std::shared_ptr<float> storage(static_cast<float*>(p), [](float* q) { cudaFreeAsync(q, nullptr); });
  return Tensor(std::move(storage), shape, Device::Cuda);
}

Tensor CudaBackend::zeros(const Shape& shape) {
  Tensor t = empty(shape);
  if (t.numel()) SS_CUDA(cudaMemsetAsync(t.data(), 0, sizeof(float) * t.numel(), stream_));
  return t;
}

int64_t CudaBackend::memory_available() const {
  size_t free_bytes = 0, total_bytes = 0;
  if (cudaMemGetInfo(&free_bytes, &total_bytes) != cudaSuccess) {
    (void)cudaGetLastError();  // clear the sticky error; unknown is an answer
    return -1;
  }
  return static_cast<int64_t>(free_bytes);
}

Tensor CudaBackend::upload(const Tensor& host) {
  if (host.device() == Device::Cuda) return clone(host);
  Tensor t = empty(host.shape());
  if (host.numel()) SS_CUDA(cudaMemcpy(t.data(), host.data(), sizeof(float) * host.numel(), cudaMemcpyHostToDevice));
  return t;
}

Tensor CudaBackend::to_host(const Tensor& t) {
  if (t.device() == Device::Cpu) return cpu_.clone(t);
  Tensor h(host_pool_->take(t.numel()), t.shape(), Device::Cpu);
  if (t.numel()) {
    SS_CUDA(cudaMemcpyAsync(h.data(), t.data(), sizeof(float) * t.numel(), cudaMemcpyDeviceToHost, stream_));
    SS_CUDA(cudaStreamSynchronize(stream_));
  }
  return h;
}

Tensor CudaBackend::to_host_async(const Tensor& t) {
  if (t.device() == Device::Cpu) return cpu_.clone(t);
  Tensor h(host_pool_->take(t.numel()), t.shape(), Device::Cpu);
  if (!t.numel()) return h;
  // The copy stream waits for everything enqueued so far on stream_ (t's producer included), then
  // copies while stream_ runs on. t stays alive (its memory not reused) until wait_host_copies().
  SS_CUDA(cudaEventRecord(copy_ready_, stream_));
  SS_CUDA(cudaStreamWaitEvent(copy_stream_, copy_ready_, 0));
  SS_CUDA(cudaMemcpyAsync(h.data(), t.data(), sizeof(float) * t.numel(), cudaMemcpyDeviceToHost, copy_stream_));
  copies_in_flight_.push_back(t);
  return h;
}

void CudaBackend::wait_host_copies() {
  SS_CUDA(cudaStreamSynchronize(copy_stream_));
  copies_in_flight_.clear();
}

Tensor CudaBackend::clone(const Tensor& t) {
  if (t.device() == Device::Cpu) return upload(t);
  Tensor c = empty(t.shape());
  if (t.numel()) SS_CUDA(cudaMemcpyAsync(c.data(), t.data(), sizeof(float) * t.numel(), cudaMemcpyDeviceToDevice, stream_));
  return c;
}

void CudaBackend::copy_into(Tensor& dst, const Tensor& src) {
  if (dst.numel() != src.numel()) throw std::invalid_argument("copy_into: " + dst.shape_string() + " <- " + src.shape_string());
  if (!src.numel()) return;
  const cudaMemcpyKind kind = dst.device() == Device::Cuda ? (src.device() == Device::Cuda ? cudaMemcpyDeviceToDevice : cudaMemcpyHostToDevice)
                                                           : (src.device() == Device::Cuda ? cudaMemcpyDeviceToHost : cudaMemcpyHostToHost);
  SS_CUDA(cudaMemcpy(dst.data(), src.data(), sizeof(float) * src.numel(), kind));
}

std::shared_ptr<void> CudaBackend::device_bytes(size_t bytes) {
  void* p = nullptr;
  SS_CUDA(cudaMallocAsync(&p, bytes ? bytes : 1, stream_));
  return std::shared_ptr<void>(p, [](void* q) { cudaFreeAsync(q, nullptr); });
}

template <class T>
std::shared_ptr<T> CudaBackend::upload_array(const std::vector<T>& values) {
  void* p = nullptr;
  const size_t bytes = sizeof(T) * (values.empty() ? 1 : values.size());
  SS_CUDA(cudaMallocAsync(&p, bytes, stream_));
  std::shared_ptr<T> arr(static_cast<T*>(p), [](T* q) { cudaFreeAsync(q, nullptr); });
  if (!values.empty()) SS_CUDA(cudaMemcpy(p, values.data(), sizeof(T) * values.size(), cudaMemcpyHostToDevice));
  return arr;
}

// --- token and row ops ---

Tensor CudaBackend::embedding(const Tensor& table, const std::vector<int32_t>& ids) {
  const int64_t V = table.size(0), D = table.size(1);
  for (int32_t id : ids)
    if (id < 0 || id >= V) throw std::out_of_range("embedding: token id " + std::to_string(id) + " outside [0, " + std::to_string(V) + ")");
  Tensor out = empty({static_cast<int64_t>(ids.size()), D});  // [T, D]
  auto idx = upload_array(ids);
  cuda::gather_rows(dev_in(table, "embedding", "table"), idx.get(), out.data(), static_cast<int64_t>(ids.size()), D, stream_);
  return out;
}

Tensor CudaBackend::gather_rows(const Tensor& x, const std::vector<int32_t>& rows) {
  const int64_t R = x.numel() / x.size(-1), D = x.size(-1);
  for (int32_t r : rows)
    if (r < 0 || r >= R) throw std::out_of_range("gather_rows: row index");
  Tensor y = empty({static_cast<int64_t>(rows.size()), D});
  auto idx = upload_array(rows);
  cuda::gather_rows(dev_in(x, "gather_rows", "x"), idx.get(), y.data(), static_cast<int64_t>(rows.size()), D, stream_);
  return y;
}

void CudaBackend::scatter_add_rows(Tensor& y, const Tensor& src, const std::vector<int32_t>& rows, const std::vector<float>& weights) {
  const int64_t R = y.numel() / y.size(-1), D = y.size(-1);
  if (rows.size() != weights.size() || static_cast<int64_t>(rows.size()) != src.numel() / std::max<int64_t>(1, src.size(-1)) ||
      src.size(-1) != D)
    throw std::invalid_argument("scatter_add_rows: sizes");
  for (int32_t r : rows)
    if (r < 0 || r >= R) throw std::out_of_range("scatter_add_rows: row index");
  auto idx = upload_array(rows);
  auto w = upload_array(weights);
  cuda::scatter_add_rows(dev_out(y, "scatter_add_rows", "y"), dev_in(src, "scatter_add_rows", "src"), idx.get(), w.get(),
                         static_cast<int64_t>(rows.size()), D, stream_);
}

Tensor CudaBackend::linear(const Tensor& x, const Tensor& w, const Tensor* bias) {
  const int64_t T = x.size(0), in = x.size(-1), out_dim = w.size(0);
  if (w.size(1) != in || x.numel() != T * in) throw std::invalid_argument("linear: x " + x.shape_string() + " vs w " + w.shape_string());
  if (precision_ == Precision::bf16 && T > 0 && out_dim > 0) {
    Tensor y = linear_bf16(x, w);  // [T, out]
    if (bias && !bias->empty()) {
      if (bias->numel() != out_dim) throw std::invalid_argument("linear: bias " + bias->shape_string());
      cuda::add_row_bias(y.data(), dev_in(*bias, "linear", "bias"), T, out_dim, stream_);
    }
    return y;
  }
  Tensor y = empty({T, out_dim});  // [T, out]
  if (T == 0 || out_dim == 0) return y;
  // Row-major y = x w^T is column-major y^T = w^T' x' with w' = w^T [in, out] and x' = x^T [in, T].
  const float one = 1.0f, zero = 0.0f;
  cublas_check(cublasSgemm(cublas_, CUBLAS_OP_T, CUBLAS_OP_N, static_cast<int>(out_dim), static_cast<int>(T), static_cast<int>(in),
                           &one, dev_in(w, "linear", "w"), static_cast<int>(in), dev_in(x, "linear", "x"), static_cast<int>(in), &zero,
                           y.data(), static_cast<int>(out_dim)),
               "cublasSgemm (linear)");
  if (bias && !bias->empty()) {
    if (bias->numel() != out_dim) throw std::invalid_argument("linear: bias " + bias->shape_string());
    cuda::add_row_bias(y.data(), dev_in(*bias, "linear", "bias"), T, out_dim, stream_);
  }
  return y;
}

const void* CudaBackend::bf16_weight(const Tensor& w) {
  auto same_owner = [&](const Bf16Weight& e) {
    const std::shared_ptr<float> owner = e.owner.lock();
    return owner && !owner.owner_before(w.storage()) && !w.storage().owner_before(owner) && e.numel == w.numel();
  };
  auto it = bf16_weights_.find(w.data());
  if (it != bf16_weights_.end() && same_owner(it->second)) return it->second.data.get();
  // A new weight (or an address reused after its weight went): forget the copies of weights gone.
  for (auto e = bf16_weights_.begin(); e != bf16_weights_.end();) e = e->second.owner.expired() ? bf16_weights_.erase(e) : std::next(e);
  Bf16Weight entry;
  entry.owner = w.storage();
  entry.numel = w.numel();
  if (bf16_gemm_) {
    entry.data = device_bytes(2 * static_cast<size_t>(w.numel()));  // [out, in] bf16
    cuda::to_bf16(dev_in(w, "linear", "w"), entry.data.get(), w.numel(), stream_);
  } else {
    entry.data = device_bytes(sizeof(float) * static_cast<size_t>(w.numel()));  // [out, in] bf16 values in fp32
    cuda::round_to_bf16(dev_in(w, "linear", "w"), static_cast<float*>(entry.data.get()), w.numel(), stream_);
  }
  const void* data = entry.data.get();
  bf16_weights_[w.data()] = std::move(entry);
  return data;
}

// y = bf16(x) bf16(w)^T with FP32 accumulation and output.
Tensor CudaBackend::linear_bf16(const Tensor& x, const Tensor& w) {
  const int64_t T = x.size(0), in = x.size(-1), out_dim = w.size(0);
  const void* wb = bf16_weight(w);  // [out, in]
  Tensor y = empty({T, out_dim});   // [T, out]
  const float one = 1.0f, zero = 0.0f;
  if (bf16_gemm_) {
    std::shared_ptr<void> xb = device_bytes(2 * static_cast<size_t>(x.numel()));  // [T, in] bf16
    cuda::to_bf16(dev_in(x, "linear", "x"), xb.get(), x.numel(), stream_);
    cublas_check(cublasGemmEx(cublas_, CUBLAS_OP_T, CUBLAS_OP_N, static_cast<int>(out_dim), static_cast<int>(T), static_cast<int>(in), &one,
                              wb, CUDA_R_16BF, static_cast<int>(in), xb.get(), CUDA_R_16BF, static_cast<int>(in), &zero, y.data(), CUDA_R_32F,
                              static_cast<int>(out_dim), CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
                 "cublasGemmEx (linear, bf16)");
  } else {  // no BF16 tensor cores: the same rounded operands, multiplied exactly in FP32
    Tensor xr = empty({T, in});  // [T, in] bf16 values
    cuda::round_to_bf16(dev_in(x, "linear", "x"), xr.data(), x.numel(), stream_);
    cublas_check(cublasSgemm(cublas_, CUBLAS_OP_T, CUBLAS_OP_N, static_cast<int>(out_dim), static_cast<int>(T), static_cast<int>(in), &one,
                             static_cast<const float*>(wb), static_cast<int>(in), xr.data(), static_cast<int>(in), &zero, y.data(),
                             static_cast<int>(out_dim)),
                 "cublasSgemm (linear, bf16 values)");
  }
  return y;
}

Tensor CudaBackend::rms_norm(const Tensor& x, const Tensor& w, float eps) {
  const int64_t cols = x.size(-1), rows = cols ? x.numel() / cols : 0;
  if (w.numel() != cols) throw std::invalid_argument("rms_norm: x " + x.shape_string() + " vs w " + w.shape_string());
  Tensor y = empty(x.shape());
  cuda::rms_norm(dev_in(x, "rms_norm", "x"), dev_in(w, "rms_norm", "w"), y.data(), rows, cols, eps, stream_);
  return y;
}

Tensor CudaBackend::rms_norm_gated(const Tensor& x, const Tensor& z, const Tensor& w, float eps, int group_size) {
  require_same(x, z, "rms_norm_gated");
  const int64_t cols = x.size(-1), rows = cols ? x.numel() / cols : 0;
  if (group_size <= 0 || cols % group_size) throw std::invalid_argument("rms_norm_gated: bad group size");
  if (w.numel() != cols) throw std::invalid_argument("rms_norm_gated: w " + w.shape_string());
  Tensor y = empty(x.shape());
  cuda::rms_norm_gated(dev_in(x, "rms_norm_gated", "x"), dev_in(z, "rms_norm_gated", "z"), dev_in(w, "rms_norm_gated", "w"), y.data(),
                       rows, cols, group_size, eps, stream_);
  return y;
}

Tensor CudaBackend::add(const Tensor& a, const Tensor& b) {
  require_same(a, b, "add");
  Tensor y = empty(a.shape());
  cuda::add(dev_in(a, "add", "a"), dev_in(b, "add", "b"), y.data(), a.numel(), stream_);
  return y;
}

Tensor CudaBackend::mul(const Tensor& a, const Tensor& b) {
  require_same(a, b, "mul");
  Tensor y = empty(a.shape());
  cuda::mul(dev_in(a, "mul", "a"), dev_in(b, "mul", "b"), y.data(), a.numel(), stream_);
  return y;
}

Tensor CudaBackend::silu(const Tensor& x) {
  Tensor y = empty(x.shape());
  cuda::silu(dev_in(x, "silu", "x"), y.data(), x.numel(), stream_);
  return y;
}

Tensor CudaBackend::silu_mul(const Tensor& gate, const Tensor& up) {
  require_same(gate, up, "silu_mul");
  Tensor y = empty(gate.shape());
  cuda::silu_mul(dev_in(gate, "silu_mul", "gate"), dev_in(up, "silu_mul", "up"), y.data(), gate.numel(), stream_);
  return y;
}

Tensor CudaBackend::gelu_mul(const Tensor& gate, const Tensor& up) {
  require_same(gate, up, "gelu_mul");
  Tensor y = empty(gate.shape());
  cuda::gelu_mul(dev_in(gate, "gelu_mul", "gate"), dev_in(up, "gelu_mul", "up"), y.data(), gate.numel(), stream_);
  return y;
}

Tensor CudaBackend::softplus(const Tensor& x, const Tensor* bias) {
  Tensor y = empty(x.shape());
  const bool has_bias = bias && !bias->empty();
  if (has_bias && bias->numel() != x.size(-1)) throw std::invalid_argument("softplus: bias " + bias->shape_string() + " for " + x.shape_string());
  cuda::softplus(dev_in(x, "softplus", "x"), has_bias ? dev_in(*bias, "softplus", "bias") : nullptr, y.data(), x.numel(), x.size(-1),
                 stream_);
  return y;
}

Tensor CudaBackend::clamp(const Tensor& x, float lo, float hi) {
  Tensor y = empty(x.shape());
  cuda::clamp(dev_in(x, "clamp", "x"), y.data(), x.numel(), lo, hi, stream_);
  return y;
}

Tensor CudaBackend::slice_cols(const Tensor& x, int64_t c0, int64_t c1) {
  const int64_t cols = x.size(-1), rows = cols ? x.numel() / cols : 0;
  if (c0 < 0 || c1 > cols || c0 > c1)
    throw std::out_of_range("slice_cols: [" + std::to_string(c0) + ", " + std::to_string(c1) + ") of " + x.shape_string());
  Tensor y = empty({rows, c1 - c0});
  if (rows && c1 > c0)
    SS_CUDA(cudaMemcpy2DAsync(y.data(), sizeof(float) * (c1 - c0), dev_in(x, "slice_cols", "x") + c0, sizeof(float) * cols,
                              sizeof(float) * (c1 - c0), rows, cudaMemcpyDeviceToDevice, stream_));
  return y;
}

// Two strided copies (no kernel): a's rows into the first n columns of y, b's into the last m.
Tensor CudaBackend::concat_cols(const Tensor& a, const Tensor& b) {
  const int64_t n = a.size(-1), m = b.size(-1), rows = a.size(0);  // both [T, .]
  if (a.rank() != 2 || b.rank() != 2 || b.size(0) != rows) throw std::invalid_argument("concat_cols: " + a.shape_string() + " and " + b.shape_string() + " differ in rows");
  Tensor y = empty({rows, n + m});
  if (rows && n)
    SS_CUDA(cudaMemcpy2DAsync(y.data(), sizeof(float) * (n + m), dev_in(a, "concat_cols", "a"), sizeof(float) * n, sizeof(float) * n, rows,
                              cudaMemcpyDeviceToDevice, stream_));
  if (rows && m)
    SS_CUDA(cudaMemcpy2DAsync(y.data() + n, sizeof(float) * (n + m), dev_in(b, "concat_cols", "b"), sizeof(float) * m, sizeof(float) * m, rows,
                              cudaMemcpyDeviceToDevice, stream_));
  return y;
}

Tensor CudaBackend::row_norms(const Tensor& x) {
  const int64_t cols = x.size(-1), rows = cols ? x.numel() / cols : 0;
  Tensor y = empty({rows});
  cuda::row_norms(dev_in(x, "row_norms", "x"), y.data(), rows, cols, stream_);
  return y;
}

}  // namespace ss
