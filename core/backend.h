// Backend: the closed set of operations the models are written in. The CPU backend (cpu_backend.cpp,
// Eigen) is the reference; the CUDA backend (kernels/) implements the same table and is tested
// against it op by op. Tensors passed to a backend live on its device (`device()`); outputs are new
// tensors on that device. All layouts are row-major (see tensor.h).
//
// Shape letters: T tokens in this call, D model width, Di inner width, N state dims, H heads,
// P head dim, G groups, K conv kernel, E experts, V vocab.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "tensor.h"

namespace ss {

// Keys and values of every past position of one attention layer, on the backend's device.
struct KvCache {
  Tensor k;                // [Hkv, capacity, hd]
  Tensor v;                // [Hkv, capacity, hd]
  int64_t length = 0;      // positions held
  int64_t capacity() const { return k.empty() ? 0 : k.size(1); }
};

// Some op arguments ask for observation-only outputs (strided states, the scan's output before its
// gate, probabilities): they are written next to the op's results and never change them.

// Mamba-1 selective scan over T tokens from state h:
//   h_t = exp(Δ_t A) ∘ h_{t-1} + (Δ_t x_t) B_t^T ;  y_t = h_t C_t + D ∘ x_t ;  y_t *= silu(z_t) if z given.
struct SelectiveScanArgs {
  const Tensor* x = nullptr;      // [T, Di]   scan input u
  const Tensor* delta = nullptr;  // [T, Di]   Δ after softplus
  const Tensor* A = nullptr;      // [Di, N]   negative: -exp(A_log)
  const Tensor* B = nullptr;      // [T, N]
  const Tensor* C = nullptr;      // [T, N]
  const Tensor* D = nullptr;      // [Di]
  const Tensor* z = nullptr;      // [T, Di]   optional gate
  Tensor* state = nullptr;        // [Di, N]   h before token 0; overwritten with h after the last token
  int64_t pos0 = 0;               // absolute position of token 0
  int64_t state_stride = 0;       // E > 0: save h after every absolute position p with (p + 1) % E == 0
  Tensor* states = nullptr;       // out [C, Di, N], C = number of such p in this call (allocated by the op)
  Tensor* y_ungated = nullptr;    // out [T, Di] when z is given: y before the gate (allocated by the op)
};

// Mamba-2 SSD over T tokens from state h (per head h: A scalar, B/C shared by the heads of a group):
//   h_t = exp(Δ_t A) h_{t-1} + Δ_t x_t B_t^T ;  y_t = h_t C_t + D x_t.
struct SsdArgs {
  const Tensor* x = nullptr;      // [T, H, P]
  const Tensor* delta = nullptr;  // [T, H]    Δ after softplus and clamp
  const Tensor* A = nullptr;      // [H]       negative: -exp(A_log)
  const Tensor* B = nullptr;      // [T, G, N]
  const Tensor* C = nullptr;      // [T, G, N]
  const Tensor* D = nullptr;      // [H]
  int chunk_size = 64;            // chunked (parallel) form only
  Tensor* state = nullptr;        // [H, P, N] in/out
  int64_t pos0 = 0;
  int64_t state_stride = 0;       // as SelectiveScanArgs
  Tensor* states = nullptr;       // out [C, H, P, N] (allocated by the op)
};

// A probs window: the queries and keys [t0, t1) of one attention head whose probabilities a run records.
struct ProbsWindow {
  int head = 0;
  int64_t t0 = 0;
  int64_t t1 = 0;
};

// Causal attention of T queries at positions pos0.. against a cache holding positions 0..pos0+T-1.
struct AttentionArgs {
  const Tensor* q = nullptr;      // [T, Hq, hd] (RoPE already applied)
  const KvCache* cache = nullptr;
  int64_t pos0 = 0;
  float scale = 1.0f;             // usually 1/sqrt(hd)
  std::optional<ProbsWindow> probs_window;  // optional: one head's probabilities over a window
  Tensor* probs = nullptr;        // out [R, W] (allocated by the op, W = t1 - t0): the rows of the window
                                  // whose queries are in this call (positions max(t0, pos0) .. min(t1,
                                  // pos0 + T) - 1; R may be 0), cols = keys t0..; keys after a row's query are 0
};

// The arithmetic a backend runs. fp32: FP32 everywhere (the CPU reference; the CUDA default).
// bf16 (CUDA only): weights and activations enter the matrix products and the Mamba-1 scan rounded to
// BF16, with FP32 accumulation; SSM states, softmax, norms, scans' recurrences and every output stay FP32.
enum class Precision { fp32, bf16 };
const char* precision_name(Precision p);            // "fp32", "bf16"
Precision parse_precision(const std::string& text);  // "fp32" or "bf16"; throws ss::Error otherwise

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;  // "cpu" or "cuda (device name, sm_XY, fp32|bf16)"
  virtual Device device() const = 0;
  virtual Precision precision() const { return Precision::fp32; }
  // Bytes this backend's tensors may still take: MemAvailable (/proc/meminfo) on the CPU, the free
  // device memory (cudaMemGetInfo) on CUDA; -1 when unknown. Model::load checks the weights fit.
  virtual int64_t memory_available() const { return -1; }

  // --- memory ---
  virtual Tensor empty(const Shape& shape) = 0;              // uninitialised
  virtual Tensor zeros(const Shape& shape) = 0;
  virtual Tensor upload(const Tensor& host) = 0;             // a copy on this device
  virtual Tensor to_host(const Tensor& t) = 0;               // a host copy
  // A host copy whose contents are valid only after wait_host_copies(); `t` must not be written
  // before then. The CUDA backend copies on a second stream into reused pinned memory, so the copy
  // overlaps the ops enqueued after it (what the Tracer uses). Default: to_host.
  virtual Tensor to_host_async(const Tensor& t) { return to_host(t); }
  virtual void wait_host_copies() {}
  virtual Tensor clone(const Tensor& t) = 0;

  // --- token and row ops ---
  virtual Tensor embedding(const Tensor& table, const std::vector<int32_t>& ids) = 0;  // table [V, D] -> [T, D]
  virtual Tensor linear(const Tensor& x, const Tensor& w, const Tensor* bias) = 0;     // [T, in] x [out, in]^T (+ [out]) -> [T, out]
  virtual Tensor rms_norm(const Tensor& x, const Tensor& w, float eps) = 0;            // [T, D] -> [T, D]
  virtual Tensor rms_norm_gated(const Tensor& x, const Tensor& z, const Tensor& w,     // rms_norm(x * silu(z)) over
                                float eps, int group_size) = 0;                        // groups of group_size columns
  virtual Tensor add(const Tensor& a, const Tensor& b) = 0;                            // same shapes
  virtual Tensor mul(const Tensor& a, const Tensor& b) = 0;                            // same shapes
  virtual Tensor silu(const Tensor& x) = 0;
  virtual Tensor silu_mul(const Tensor& gate, const Tensor& up) = 0;                   // silu(gate) * up
  virtual Tensor gelu_mul(const Tensor& gate, const Tensor& up) = 0;                   // gelu(gate) * up, exact (erf) GELU
  virtual Tensor softplus(const Tensor& x, const Tensor* bias) = 0;                    // softplus(x + bias[col])
  virtual Tensor clamp(const Tensor& x, float lo, float hi) = 0;
  virtual Tensor slice_cols(const Tensor& x, int64_t c0, int64_t c1) = 0;             // [T, n] -> [T, c1 - c0]
  virtual Tensor concat_cols(const Tensor& a, const Tensor& b) = 0;                    // [T, n], [T, m] -> [T, n + m]
  virtual Tensor row_norms(const Tensor& x) = 0;                                       // [T, D] -> [T] L2 norms

  // --- sequence mixing ---
  // Causal depthwise conv1d: x [T, C], w [C, K], bias [C] or null. `state` [C, K-1] holds the K-1
  // inputs before x and is updated to the last K-1 inputs. Applies SiLU after when `silu`.
  virtual Tensor conv1d_causal(const Tensor& x, const Tensor& w, const Tensor* bias, Tensor& state, bool silu) = 0;
  virtual Tensor selective_scan(const SelectiveScanArgs& a) = 0;       // parallel form, [T, Di]
  virtual Tensor selective_scan_step(const SelectiveScanArgs& a) = 0;  // recurrent form, T = 1
  virtual Tensor ssd_chunked(const SsdArgs& a) = 0;                    // chunked matrix form, [T, H, P]
  virtual Tensor ssd_step(const SsdArgs& a) = 0;                       // recurrent form, T = 1
  // In place on [T, H, hd] (rotate-half; the angle pos * theta^(-2i/r) in double, see cpu_attention.cpp) on
  // the first r = rotary_dim dims of each head (0: all hd; Bamba rotates half), the others left as they are.
  virtual void rope(Tensor& x, int64_t pos0, float theta, int64_t rotary_dim = 0) = 0;
  virtual void kv_append(KvCache& cache, const Tensor& k, const Tensor& v) = 0;  // k, v [T, Hkv, hd]; capacity doubles when full
  virtual Tensor attention(const AttentionArgs& a) = 0;                // [T, Hq, hd]

  // --- mixture of experts ---
  virtual Tensor gather_rows(const Tensor& x, const std::vector<int32_t>& rows) = 0;  // [T, D] -> [R, D]
  // y[rows[i]] += weights[i] * src[i]
  virtual void scatter_add_rows(Tensor& y, const Tensor& src, const std::vector<int32_t>& rows,
                                const std::vector<float>& weights) = 0;
};

// A failure of the device under a backend other than the CPU one: out of its memory, a kernel or
// driver error. Whatever the run had computed is discarded (never shown); callers that opened the
// model with "auto" run it again on the CPU reference (`device_fallback_note` words the message).
class DeviceError : public std::runtime_error {
 public:
  DeviceError(const std::string& what, bool out_of_memory) : std::runtime_error(what), out_of_memory_(out_of_memory) {}
  bool out_of_memory() const { return out_of_memory_; }

 private:
  bool out_of_memory_;
};

// The CPU reference backend (always available).
std::unique_ptr<Backend> make_cpu_backend();

// "cpu", "cuda" or "auto": cuda when built with CUDA and a GPU is present, else cpu. Throws ss::Error
// for "cuda" when no GPU can be used, saying why. Precision::bf16 needs the CUDA backend ("cpu", or
// "auto" without a GPU, throws: the CPU backend is the FP32 reference). When "auto" in a CUDA build
// finds no usable GPU, `*cpu_reason` (if given) says why the CPU backend was chosen.
std::unique_ptr<Backend> make_backend(const std::string& device, Precision precision = Precision::fp32,
                                      std::string* cpu_reason = nullptr);
// Whether a model opened with `device`/`precision` may be rerun on the CPU after a DeviceError: only
// "auto" in FP32 (asking for "cuda" means the GPU or an error; BF16 has no CPU path).
bool may_fall_back_to_cpu(const std::string& device, Precision precision);
// The message shown when a DeviceError sends a run to the CPU: what failed (`e.what()`), that nothing
// it computed is shown, and that the CPU reference runs instead (slower).
std::string device_fallback_note(const DeviceError& e, const std::string& while_doing);

}  // namespace ss
