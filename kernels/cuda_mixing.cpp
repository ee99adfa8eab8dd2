// CudaBackend: the sequence-mixing ops (conv1d, Mamba-1 scan, Mamba-2 SSD, RoPE, KV cache,
// attention), with CPU fallbacks for shapes the kernels do not cover.
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "attention.h"
#include "attention_bf16.h"
#include "bf16_convert.h"
#include "conv1d.h"
#include "cuda_backend_impl.h"
#include "cuda_check.h"
#include "rope.h"
#include "selective_scan.h"
#include "ssd_chunked_bf16.h"
#include "ssd_scan.h"

namespace ss {

namespace {

// Strided states in a call of T tokens from pos0: absolute positions p in [pos0, pos0 + T) with (p + 1) % E == 0.
int64_t strided_count(int64_t pos0, int64_t T, int64_t E) { return E > 0 ? (pos0 + T) / E - pos0 / E : 0; }

}  // namespace

Tensor CudaBackend::conv1d_causal(const Tensor& x, const Tensor& w, const Tensor* bias, Tensor& state, bool apply_silu) {
  const int64_t T = x.size(0), C = x.size(1), K = w.size(1);
  if (w.size(0) != C || state.size(0) != C || state.size(1) != K - 1)
    throw std::invalid_argument("conv1d_causal: x " + x.shape_string() + ", w " + w.shape_string() + ", state " + state.shape_string());
  Tensor y = empty({T, C});            // [T, C]
  Tensor next = empty({C, K - 1});     // [C, K-1]
  const bool has_bias = bias && !bias->empty();
  cuda::conv1d_causal(dev_in(x, "conv1d_causal", "x"), dev_in(w, "conv1d_causal", "w"),
                      has_bias ? dev_in(*bias, "conv1d_causal", "bias") : nullptr, dev_in(state, "conv1d_causal", "state"), y.data(),
                      next.data(), T, C, static_cast<int>(K), apply_silu, stream_);
  if (next.numel())
    SS_CUDA(cudaMemcpyAsync(state.data(), next.data(), sizeof(float) * next.numel(), cudaMemcpyDeviceToDevice, stream_));
  return y;
}

// --- Mamba-1 ---

// What every scan launch shares once `p` holds the inputs x, Δ, B, C, z (FP32 or BF16): A, D, the
// state, y (and y before the gate when asked), the strided states (the kernels' "checkpoints");
// then the plan and the kernels.
Tensor CudaBackend::launch_scan(const SelectiveScanArgs& a, cuda::SelectiveScanParams& p) {
  const int64_t T = a.x->size(0), Di = a.x->size(1), N = a.A->size(1);
  Tensor y = empty({T, Di});  // [T, Di]
  p.A = dev_in(*a.A, "selective_scan", "A");
  p.D = dev_in(*a.D, "selective_scan", "D");
  p.y = y.data();
  p.state = dev_out(*a.state, "selective_scan", "state");
  p.T = T, p.Di = Di, p.N = N, p.pos0 = a.pos0;
  if (a.z && a.y_ungated) {
    *a.y_ungated = empty({T, Di});  // [T, Di]
    p.y_ungated = a.y_ungated->data();
  }
  if (a.state_stride > 0 && a.states) {
    *a.states = empty({strided_count(a.pos0, T, a.state_stride), Di, N});  // [C, Di, N]
    p.checkpoints = a.states->data();
    p.every = a.state_stride;
  }
  const cuda::ScanPlan plan = cuda::plan_selective_scan(p);
  Tensor ws = plan.workspace_floats ? empty({plan.workspace_floats}) : Tensor();
  cuda::selective_scan(p, plan, ws.empty() ? nullptr : ws.data(), stream_);
  return y;
}

Tensor CudaBackend::selective_scan(const SelectiveScanArgs& a) {
  const int64_t T = a.x->size(0), Di = a.x->size(1), N = a.A->size(1);
  if (a.delta->shape() != a.x->shape() || a.A->size(0) != Di || a.B->size(0) != T || a.B->size(1) != N ||
      a.C->shape() != a.B->shape() || a.D->numel() != Di || a.state->size(0) != Di || a.state->size(1) != N ||
      (a.z && a.z->shape() != a.x->shape()))
    throw std::invalid_argument("selective_scan: inconsistent shapes (x " + a.x->shape_string() + ", A " + a.A->shape_string() + ", B " +
                                a.B->shape_string() + ", state " + a.state->shape_string() + ")");
  if (N > cuda::kSelectiveScanMaxN) return scan_on_cpu(a);
  if (precision_ == Precision::bf16 && Di % 2 == 0) return scan_bf16(a);  // odd d_inner: the FP32 kernel
  cuda::SelectiveScanParams p;
  p.x = dev_in(*a.x, "selective_scan", "x");
  p.delta = dev_in(*a.delta, "selective_scan", "delta");
  p.B = dev_in(*a.B, "selective_scan", "B");
  p.C = dev_in(*a.C, "selective_scan", "C");
  p.z = a.z ? dev_in(*a.z, "selective_scan", "z") : nullptr;
  return launch_scan(a, p);
}

// bf16 mode: x, Δ, z, B, C rounded to BF16 once (one buffer), then the BF16-input instance of the
// same kernels; A, D, the state, y and the checkpoints stay FP32.
Tensor CudaBackend::scan_bf16(const SelectiveScanArgs& a) {
  const int64_t T = a.x->size(0), Di = a.x->size(1), N = a.A->size(1);
  const int64_t n_x = T * Di, n_b = T * N;
  // One buffer for the five arrays, each starting 16-byte aligned.
  std::shared_ptr<void> inputs = device_bytes(2 * static_cast<size_t>((a.z ? 3 : 2) * n_x + 2 * n_b) + 5 * 16);
  auto* base = static_cast<unsigned char*>(inputs.get());
  size_t offset = 0;
  auto convert = [&](const Tensor& t, const char* what) {
    void* dst = base + offset;
    cuda::to_bf16(dev_in(t, "selective_scan", what), dst, t.numel(), stream_);
    offset += 2 * static_cast<size_t>(t.numel());
    offset = (offset + 15) / 16 * 16;  // keep every array 16-byte aligned
    return dst;
  };
  cuda::SelectiveScanParams p;
  p.input = cuda::ScanInput::bf16;
  p.x = convert(*a.x, "x");            // [T, Di] bf16
  p.delta = convert(*a.delta, "delta");  // [T, Di] bf16
  p.B = convert(*a.B, "B");            // [T, N] bf16
  p.C = convert(*a.C, "C");            // [T, N] bf16
  p.z = a.z ? convert(*a.z, "z") : nullptr;  // [T, Di] bf16
  return launch_scan(a, p);
}

Tensor CudaBackend::selective_scan_step(const SelectiveScanArgs& a) {
  if (a.x->size(0) != 1) throw std::invalid_argument("selective_scan_step: expects one token, got " + a.x->shape_string());
  return selective_scan(a);  // one token is one chunk: the output pass alone, the recurrence itself
}

Tensor CudaBackend::scan_on_cpu(const SelectiveScanArgs& a) {
  Tensor x = to_host(*a.x), dt = to_host(*a.delta), A = to_host(*a.A), B = to_host(*a.B), C = to_host(*a.C), D = to_host(*a.D);
  Tensor z = a.z ? to_host(*a.z) : Tensor(), state = to_host(*a.state), states, y_ungated;
  SelectiveScanArgs h = a;
  h.x = &x, h.delta = &dt, h.A = &A, h.B = &B, h.C = &C, h.D = &D, h.z = a.z ? &z : nullptr, h.state = &state, h.states = &states;
  h.y_ungated = a.y_ungated ? &y_ungated : nullptr;
  Tensor y = cpu_.selective_scan(h);
  copy_into(*a.state, state);
  if (a.states && !states.empty()) *a.states = upload(states);
  if (a.y_ungated && !y_ungated.empty()) *a.y_ungated = upload(y_ungated);
  return upload(y);
}

// --- Mamba-2 ---

Tensor CudaBackend::ssd_chunked(const SsdArgs& a) {
  const int64_t T = a.x->size(0), H = a.x->size(1), P = a.x->size(2), G = a.B->size(1), N = a.B->size(2);
  if (a.delta->size(0) != T || a.delta->size(1) != H || a.A->numel() != H || a.B->size(0) != T || a.C->shape() != a.B->shape() ||
      a.D->numel() != H || G <= 0 || H % G || a.state->size(0) != H || a.state->size(1) != P || a.state->size(2) != N)
    throw std::invalid_argument("ssd: inconsistent shapes (x " + a.x->shape_string() + ", B " + a.B->shape_string() + ", state " +
                                a.state->shape_string() + ")");
  if (!cuda::ssd_supported(N)) return ssd_on_cpu(a);
  if (precision_ == Precision::bf16) {  // the tensor-core SSD where it covers the shapes
    // Its strided states fall on chunk ends only. Other strides must not change the kernel that
    // computes y and the state: the BF16 kernel runs without them, and an FP32 run from a copy of the
    // entering state produces them (observation only; its y and final state are dropped).
    const bool side = a.state_stride > 0 && a.states && a.state_stride % 64 != 0;
    SsdArgs main = a;
    if (side) main.state_stride = 0, main.states = nullptr;
    Tensor entering = side ? clone(*a.state) : Tensor();  // [H, P, N]
    Tensor y = ssd_bf16(main);
    if (!y.empty()) {
      if (side) {
        SsdArgs obs = a;
        obs.state = &entering;
        ssd_fp32(obs);
      }
      return y;
    }
  }
  return ssd_fp32(a);
}

Tensor CudaBackend::ssd_fp32(const SsdArgs& a) {
  const int64_t T = a.x->size(0), H = a.x->size(1), P = a.x->size(2), G = a.B->size(1), N = a.B->size(2);
  Tensor y = empty({T, H, P});  // [T, H, P]
  cuda::SsdParams p;
  p.x = dev_in(*a.x, "ssd", "x");
  p.delta = dev_in(*a.delta, "ssd", "delta");
  p.A = dev_in(*a.A, "ssd", "A");
  p.B = dev_in(*a.B, "ssd", "B");
  p.C = dev_in(*a.C, "ssd", "C");
  p.D = dev_in(*a.D, "ssd", "D");
  p.y = y.data();
  p.state = dev_out(*a.state, "ssd", "state");
  p.T = T, p.H = H, p.P = P, p.G = G, p.N = N, p.pos0 = a.pos0;
  if (a.state_stride > 0 && a.states) {
    *a.states = empty({strided_count(a.pos0, T, a.state_stride), H, P, N});  // [C, H, P, N]
    p.checkpoints = a.states->data();
    p.every = a.state_stride;
  }
  const cuda::SsdPlan plan = cuda::plan_ssd(p);
  Tensor ws = plan.workspace_floats ? empty({plan.workspace_floats}) : Tensor();
  cuda::ssd(p, plan, ws.empty() ? nullptr : ws.data(), stream_);
  return y;
}

// SSD in bf16 mode: x, B, C rounded to BF16, tensor-core products, FP32 Δ, A, D, state, y. Returns an
// empty tensor when the kernel does not cover the call (then the FP32 path runs).
Tensor CudaBackend::ssd_bf16(const SsdArgs& a) {
  const int64_t T = a.x->size(0), H = a.x->size(1), P = a.x->size(2), G = a.B->size(1), N = a.B->size(2);
  cuda::SsdBf16Params p;
  p.T = T, p.H = H, p.P = P, p.G = G, p.N = N, p.pos0 = a.pos0;
  p.chunk = 64;
  p.every = a.state_stride > 0 && a.states ? a.state_stride : 0;
  if (p.every % p.chunk != 0) return Tensor();  // its strided states fall on chunk ends only (the caller sees to that)
  Tensor y = empty({T, H, P});  // [T, H, P]
  p.y = y.data();
  if (!cuda::ssd_bf16_supported(p)) return Tensor();
  auto bf16_copy = [&](const Tensor& t, const char* what) {  // same shape, BF16
    std::shared_ptr<void> b = device_bytes(2 * static_cast<size_t>(t.numel()));
    cuda::to_bf16(dev_in(t, "ssd", what), b.get(), t.numel(), stream_);
    return b;
  };
  const std::shared_ptr<void> xb = bf16_copy(*a.x, "x"), Bb = bf16_copy(*a.B, "B"), Cb = bf16_copy(*a.C, "C");
  p.x = static_cast<const __nv_bfloat16*>(xb.get());
  p.B = static_cast<const __nv_bfloat16*>(Bb.get());
  p.C = static_cast<const __nv_bfloat16*>(Cb.get());
  p.delta = dev_in(*a.delta, "ssd", "delta");
  p.A = dev_in(*a.A, "ssd", "A");
  p.D = dev_in(*a.D, "ssd", "D");
  p.state = dev_out(*a.state, "ssd", "state");
  if (p.every) {
    *a.states = empty({strided_count(a.pos0, T, p.every), H, P, N});  // [C, H, P, N]
    p.checkpoints = a.states->data();
  }
  const cuda::SsdBf16Plan plan = cuda::plan_ssd_bf16(p);
  Tensor ws = plan.workspace_floats ? empty({plan.workspace_floats}) : Tensor();
  cuda::ssd_bf16(p, plan, ws.empty() ? nullptr : ws.data(), stream_);
  return y;
}

Tensor CudaBackend::ssd_step(const SsdArgs& a) {
  if (a.x->size(0) != 1) throw std::invalid_argument("ssd_step: expects one token, got " + a.x->shape_string());
  return ssd_chunked(a);
}

Tensor CudaBackend::ssd_on_cpu(const SsdArgs& a) {
  Tensor x = to_host(*a.x), dt = to_host(*a.delta), A = to_host(*a.A), B = to_host(*a.B), C = to_host(*a.C), D = to_host(*a.D);
  Tensor state = to_host(*a.state), states;
  SsdArgs h = a;
  h.x = &x, h.delta = &dt, h.A = &A, h.B = &B, h.C = &C, h.D = &D, h.state = &state, h.states = &states;
  Tensor y = a.x->size(0) == 1 ? cpu_.ssd_step(h) : cpu_.ssd_chunked(h);
  copy_into(*a.state, state);
  if (a.states && !states.empty()) *a.states = upload(states);
  return upload(y);
}

// --- attention ---

void CudaBackend::rope(Tensor& x, int64_t pos0, float theta, int64_t rotary_dim) {
  if (x.rank() != 3) throw std::invalid_argument("rope: expects [T, H, hd], got " + x.shape_string());
  const int64_t r = rotary_dim > 0 ? rotary_dim : x.size(2);
  if (r % 2 || r > x.size(2)) throw std::invalid_argument("rope: rotary_dim " + std::to_string(r) + " must be even and at most hd of " + x.shape_string());
  cuda::rope(dev_out(x, "rope", "x"), theta, x.size(0), x.size(1), x.size(2), r, pos0, stream_);
}

void CudaBackend::kv_append(KvCache& cache, const Tensor& k, const Tensor& v) {
  if (k.rank() != 3 || v.shape() != k.shape()) throw std::invalid_argument("kv_append: k " + k.shape_string() + ", v " + v.shape_string());
  const int64_t T = k.size(0), Hkv = k.size(1), hd = k.size(2);
  if (!cache.k.empty() && (cache.k.size(0) != Hkv || cache.k.size(2) != hd))
    throw std::invalid_argument("kv_append: k " + k.shape_string() + " does not fit the cache " + cache.k.shape_string());
  if (cache.length + T > cache.capacity()) {  // grow: double, at least 64 positions
    const int64_t cap = std::max({cache.length + T, 2 * cache.capacity(), int64_t(64)});
    Tensor nk = empty({Hkv, cap, hd}), nv = empty({Hkv, cap, hd});  // [Hkv, cap, hd]
    if (cache.length > 0) {
      const size_t row = sizeof(float) * hd, old_pitch = row * cache.capacity(), new_pitch = row * cap;
      SS_CUDA(cudaMemcpy2DAsync(nk.data(), new_pitch, cache.k.data(), old_pitch, row * cache.length, Hkv, cudaMemcpyDeviceToDevice, stream_));
      SS_CUDA(cudaMemcpy2DAsync(nv.data(), new_pitch, cache.v.data(), old_pitch, row * cache.length, Hkv, cudaMemcpyDeviceToDevice, stream_));
    }
    cache.k = nk;
    cache.v = nv;
  }
  cuda::kv_write(dev_out(cache.k, "kv_append", "cache.k"), dev_in(k, "kv_append", "k"), T, Hkv, hd, cache.capacity(), cache.length, stream_);
  cuda::kv_write(dev_out(cache.v, "kv_append", "cache.v"), dev_in(v, "kv_append", "v"), T, Hkv, hd, cache.capacity(), cache.length, stream_);
  cache.length += T;
}

// The rows of the probs window whose queries are in this call, into a.probs ([R, W], allocated
// here): `fill(head, t0, W, r0, r1, rows)` writes window rows r0..r1-1 ([r1 - r0, W]) to device memory `rows`.
void CudaBackend::write_probs(const AttentionArgs& a, int64_t T, int64_t Hq, const ProbsFill& fill) {
  const ProbsWindow& w = *a.probs_window;
  const int64_t W = w.t1 - w.t0;
  if (w.head < 0 || w.head >= Hq || w.t0 < 0 || W <= 0)
    throw std::invalid_argument("attention: probs window head " + std::to_string(w.head) + " of " + std::to_string(Hq) + " [" +
                                std::to_string(w.t0) + ", " + std::to_string(w.t1) + ")");
  const int64_t r0 = std::max(w.t0, a.pos0) - w.t0, r1 = std::min(w.t1, a.pos0 + T) - w.t0;  // window rows in this call
  *a.probs = empty({std::max<int64_t>(r1 - r0, 0), W});  // [R, W]
  if (r1 > r0) fill(w.head, w.t0, W, r0, r1, a.probs->data());
}

Tensor CudaBackend::attention(const AttentionArgs& a) {
  const Tensor& q = *a.q;
  const KvCache& c = *a.cache;
  if (q.rank() != 3 || c.k.empty()) throw std::invalid_argument("attention: q " + q.shape_string() + " or an empty cache");
  const int64_t T = q.size(0), Hq = q.size(1), hd = q.size(2), Hkv = c.k.size(0);
  if (c.k.size(2) != hd || Hkv <= 0 || Hq % Hkv || c.length < a.pos0 + T)
    throw std::invalid_argument("attention: q " + q.shape_string() + " vs cache " + c.k.shape_string() + " holding " +
                                std::to_string(c.length) + " positions (pos0 " + std::to_string(a.pos0) + ")");
  if (!cuda::attention_supported(hd)) return attention_on_cpu(a);
  if (precision_ == Precision::bf16 && cuda::attention_bf16_supported(hd)) return attention_bf16(a);
  Tensor out = empty({T, Hq, hd});  // [T, Hq, hd]
  const bool want_probs = a.probs_window && a.probs;
  Tensor lse = want_probs ? empty({T, Hq}) : Tensor();
  cuda::AttentionParams p;
  p.q = dev_in(q, "attention", "q");
  p.k = dev_in(c.k, "attention", "cache.k");
  p.v = dev_in(c.v, "attention", "cache.v");
  p.out = out.data();
  p.lse = want_probs ? lse.data() : nullptr;
  p.T = T, p.Hq = Hq, p.Hkv = Hkv, p.hd = hd, p.capacity = c.capacity(), p.pos0 = a.pos0, p.scale = a.scale;
  cuda::attention(p, stream_);
  if (want_probs)
    write_probs(a, T, Hq, [&](int64_t head, int64_t t0, int64_t W, int64_t r0, int64_t r1, float* rows) {
      cuda::attention_window(p, head, t0, W, r0, r1, rows, stream_);
    });
  return out;
}

// The BF16 copy of a KV cache, kept per cache storage and extended by the positions appended since
// the last call (positions below `converted` never change: caches only grow; a shorter cache on the
// same storage is converted again).
const CudaBackend::Bf16Cache& CudaBackend::bf16_cache(const KvCache& c) {
  const int64_t Hkv = c.k.size(0), cap = c.capacity(), hd = c.k.size(2);
  auto same_owner = [](const std::weak_ptr<float>& e, const Tensor& t) {
    const std::shared_ptr<float> o = e.lock();
    return o && !o.owner_before(t.storage()) && !t.storage().owner_before(o);
  };
  auto it = bf16_caches_.find(c.k.data());
  if (it == bf16_caches_.end() || !same_owner(it->second.k_owner, c.k) || !same_owner(it->second.v_owner, c.v) ||
      it->second.capacity != cap || it->second.converted > c.length) {
    for (auto e = bf16_caches_.begin(); e != bf16_caches_.end();) e = e->second.k_owner.expired() ? bf16_caches_.erase(e) : std::next(e);
    Bf16Cache fresh;
    fresh.k_owner = c.k.storage();
    fresh.v_owner = c.v.storage();
    fresh.capacity = cap;
    fresh.k = device_bytes(2 * static_cast<size_t>(Hkv * cap * hd));  // [Hkv, cap, hd] bf16
    fresh.v = device_bytes(2 * static_cast<size_t>(Hkv * cap * hd));
    it = bf16_caches_.insert_or_assign(c.k.data(), std::move(fresh)).first;
  }
  Bf16Cache& b = it->second;
  if (b.converted < c.length) {
    for (int64_t h = 0; h < Hkv; ++h) {  // positions [converted, length) of each head
      const int64_t off = (h * cap + b.converted) * hd, n = (c.length - b.converted) * hd;
      cuda::to_bf16(c.k.data() + off, static_cast<uint16_t*>(b.k.get()) + off, n, stream_);
      cuda::to_bf16(c.v.data() + off, static_cast<uint16_t*>(b.v.get()) + off, n, stream_);
    }
    b.converted = c.length;
  }
  return b;
}

// Attention in bf16 mode: q and the cache as BF16 on tensor cores, FP32 accumulation, softmax and output.
Tensor CudaBackend::attention_bf16(const AttentionArgs& a) {
  const Tensor& q = *a.q;
  const KvCache& c = *a.cache;
  const int64_t T = q.size(0), Hq = q.size(1), hd = q.size(2), Hkv = c.k.size(0);
  const Bf16Cache& kv = bf16_cache(c);
  std::shared_ptr<void> qb = device_bytes(2 * static_cast<size_t>(q.numel()));  // [T, Hq, hd] bf16
  cuda::to_bf16(dev_in(q, "attention", "q"), qb.get(), q.numel(), stream_);
  Tensor out = empty({T, Hq, hd});  // [T, Hq, hd]
  const bool want_probs = a.probs_window && a.probs;
  Tensor lse = want_probs ? empty({T, Hq}) : Tensor();
  cuda::AttentionBf16Params p;
  p.q = static_cast<const __nv_bfloat16*>(qb.get());
  p.k = static_cast<const __nv_bfloat16*>(kv.k.get());
  p.v = static_cast<const __nv_bfloat16*>(kv.v.get());
  p.out = out.data();
  p.lse = want_probs ? lse.data() : nullptr;
  p.T = T, p.Hq = Hq, p.Hkv = Hkv, p.hd = hd, p.capacity = c.capacity(), p.pos0 = a.pos0, p.scale = a.scale;
  cuda::attention_bf16(p, stream_);
  if (want_probs)
    write_probs(a, T, Hq, [&](int64_t head, int64_t t0, int64_t W, int64_t r0, int64_t r1, float* rows) {
      cuda::attention_bf16_window(p, head, t0, W, r0, r1, rows, stream_);
    });
  return out;
}

Tensor CudaBackend::attention_on_cpu(const AttentionArgs& a) {
  Tensor q = to_host(*a.q);
  KvCache c;
  c.k = to_host(a.cache->k);
  c.v = to_host(a.cache->v);
  c.length = a.cache->length;
  AttentionArgs h = a;
  h.q = &q;
  h.cache = &c;
  Tensor probs;  // [R, W] host
  if (a.probs) h.probs = &probs;
  Tensor out = cpu_.attention(h);
  if (a.probs) *a.probs = upload(probs);
  return upload(out);
}

}  // namespace ss
