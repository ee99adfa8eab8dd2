// The BF16 tensor-core attention (kernels/attention_bf16.h) against the CPU reference attention
// (core/cpu_attention.cpp) fed the same BF16-rounded q, k, v as float: the output (FP32 and BF16
// output) and one head's probability window within 1e-2 relative L2, for every compiled tile shape.
// Lengths 1 .. 4097 (not multiples of any tile), pos0 > 0 over a prefilled cache whose capacity is
// larger than its length, grouped-query heads, hd 64 and 128. Every device buffer starts as NaN
// (0xFF bytes: NaN in both FP32 and BF16), so an output never written or a cache slot past the keys
// a query may see that leaks into a result fails the comparison. Calls the kernel directly: the
// CudaBackend's precision plumbing is not part of this suite. Exit 77 (skipped) without a GPU of
// compute capability 8.0 or newer, or without kernels built for one.
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "attention_bf16.h"
#include "backend.h"
#include "gpu_check.h"

using namespace ss;
using namespace ss::gpu_test;

namespace {

constexpr double kTol = 1e-2;

std::unique_ptr<Backend> cpu;
Suite suite("tst_cuda_attention_bf16");
Random rng(20251123);

void cuda_ok(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(e));
}

// Round to nearest even, as __float2bfloat16_rn (inputs here are finite).
uint16_t bf16_bits(float x) {
  uint32_t u;
  std::memcpy(&u, &x, 4);
  u += 0x7FFFu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}
float bf16_value(uint16_t b) {
  const uint32_t u = uint32_t(b) << 16;
  float x;
  std::memcpy(&x, &u, 4);
  return x;
}
// t rounded to BF16 in place; returns the BF16 bits.
std::vector<uint16_t> round_bf16(Tensor& t) {
  std::vector<uint16_t> bits(t.numel());
  for (int64_t i = 0; i < t.numel(); ++i) {
    bits[i] = bf16_bits(t.at(i));
    t.at(i) = bf16_value(bits[i]);
  }
  return bits;
}

// A device buffer filled with 0xFF bytes (NaN as FP32 and as BF16).
struct DeviceBuffer {
  void* ptr = nullptr;
  size_t bytes = 0;
  explicit DeviceBuffer(size_t n) : bytes(n) {
    cuda_ok(cudaMalloc(&ptr, n), "cudaMalloc");
    cuda_ok(cudaMemset(ptr, 0xFF, n), "cudaMemset");
  }
  ~DeviceBuffer() { cudaFree(ptr); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  template <class T> T* as() const { return static_cast<T*>(ptr); }
  void put(const void* src, size_t n, size_t offset = 0) {
    cuda_ok(cudaMemcpy(static_cast<char*>(ptr) + offset, src, n, cudaMemcpyHostToDevice), "upload");
  }
  Tensor floats(const Shape& s) const {  // FP32 contents
    Tensor t = Tensor::zeros(s);
    cuda_ok(cudaMemcpy(t.data(), ptr, 4 * t.numel(), cudaMemcpyDeviceToHost), "download");
    return t;
  }
  Tensor bf16s_as_floats(const Shape& s) const {  // BF16 contents widened
    Tensor t = Tensor::zeros(s);
    std::vector<uint16_t> b(t.numel());
    cuda_ok(cudaMemcpy(b.data(), ptr, 2 * b.size(), cudaMemcpyDeviceToHost), "download");
    for (int64_t i = 0; i < t.numel(); ++i) t.at(i) = bf16_value(b[i]);
    return t;
  }
};

void expect(const std::string& what, const Tensor& ours, const Tensor& ref) {
  const Diff d = compare(ours, ref);
  suite.check(d.within(kTol), what + " " + d.text());
}

struct Case {
  int64_t T, pos0, Hq, Hkv, hd;
};

void test_case(const Case& c) {
  const int64_t L = c.pos0 + c.T, cap = L + 37;  // the cache holds L positions of a larger capacity
  const int n_variants = cuda::attention_bf16_variants(c.hd);
  suite.run(fmt("attention_bf16(T=%lld pos0=%lld Hq=%lld Hkv=%lld hd=%lld) x %d tile shapes", (long long)c.T, (long long)c.pos0,
                (long long)c.Hq, (long long)c.Hkv, (long long)c.hd, n_variants),
            [&] {
              Tensor q = rng.normal({c.T, c.Hq, c.hd}, 0.0f, 1.5f);
              Tensor k = rng.normal({c.Hkv, L, c.hd}), v = rng.normal({c.Hkv, L, c.hd});  // the cache layout [Hkv, L, hd]
              const std::vector<uint16_t> qb = round_bf16(q), kb = round_bf16(k), vb = round_bf16(v);
              // Reference on the rounded values, with one window of the last head straddling pos0.
              KvCache kc;
              kc.k = k;
              kc.v = v;
              kc.length = L;
              const ProbsWindow w{static_cast<int>(c.Hq - 1), std::max<int64_t>(0, c.pos0 - 5), std::min<int64_t>(L, c.pos0 + 40)};
              const int64_t W = w.t1 - w.t0;
              Tensor probs_ref;  // [r1 - r0, W], the rows of this call
              AttentionArgs r{&q, &kc, c.pos0, 1.0f / std::sqrt(float(c.hd)), w, &probs_ref};
              const Tensor ref = cpu->attention(r);

              DeviceBuffer dq(2 * qb.size()), dk(2 * c.Hkv * cap * c.hd), dv(2 * c.Hkv * cap * c.hd);
              dq.put(qb.data(), 2 * qb.size());
              for (int64_t h = 0; h < c.Hkv; ++h) {  // positions L .. cap stay NaN
                dk.put(kb.data() + h * L * c.hd, 2 * L * c.hd, 2 * h * cap * c.hd);
                dv.put(vb.data() + h * L * c.hd, 2 * L * c.hd, 2 * h * cap * c.hd);
              }
              const int64_t r0 = std::max(w.t0, c.pos0) - w.t0, r1 = std::min(w.t1, c.pos0 + c.T) - w.t0;  // window rows in this call
              // Every tile shape with FP32 output; then the default shape once more with BF16 output.
              for (int run = 0; run <= n_variants; ++run) {
                const int variant = run < n_variants ? run : 0;
                const bool bf16_out = run == n_variants;
                DeviceBuffer dout((bf16_out ? 2 : 4) * c.T * c.Hq * c.hd), dlse(4 * c.T * c.Hq), dprobs(4 * W * W);
                cuda::AttentionBf16Params p;
                p.q = dq.as<__nv_bfloat16>(), p.k = dk.as<__nv_bfloat16>(), p.v = dv.as<__nv_bfloat16>();
                if (bf16_out)
                  p.out_bf16 = dout.as<__nv_bfloat16>();
                else
                  p.out = dout.as<float>();
                p.lse = dlse.as<float>();
                p.T = c.T, p.Hq = c.Hq, p.Hkv = c.Hkv, p.hd = c.hd, p.capacity = cap, p.pos0 = c.pos0, p.scale = r.scale;
                p.tile_variant = variant;
                cuda::attention_bf16(p, nullptr);
                if (r1 > r0) cuda::attention_bf16_window(p, w.head, w.t0, W, r0, r1, dprobs.as<float>() + r0 * W, nullptr);
                cuda_ok(cudaDeviceSynchronize(), "attention_bf16");
                const std::string tag = fmt("[%s%s]", cuda::attention_bf16_variant_name(c.hd, variant),
                                            bf16_out ? ", bf16 out" : "");
                const Shape shape{c.T, c.Hq, c.hd};
                expect("out" + tag, bf16_out ? dout.bf16s_as_floats(shape) : dout.floats(shape), ref);
                if (r1 <= r0) continue;
                const Tensor pg = dprobs.floats({W, W});
                int64_t touched = 0;  // rows before this call must stay untouched (NaN)
                for (int64_t i = 0; i < r0 * W; ++i) touched += !std::isnan(pg.at(i));
                const Tensor pg_rows = Tensor::from({r1 - r0, W}, std::vector<float>(pg.data() + r0 * W, pg.data() + r1 * W));
                const Diff d = compare(pg_rows, probs_ref);
                suite.check(d.within(kTol) && touched == 0,
                            fmt("probs%s[%lld rows] %s, %lld entries before the call written", tag.c_str(), (long long)(r1 - r0),
                                d.text().c_str(), (long long)touched));
              }
            });
}

}  // namespace

int main() {
  int n_devices = 0;
  if (cudaGetDeviceCount(&n_devices) != cudaSuccess || n_devices == 0) {
    std::printf("SKIP   : tst_cuda_attention_bf16: no CUDA GPU can be used\n");
    return kSkipExitCode;
  }
  if (!cuda::attention_bf16_supported(64) || !cuda::attention_bf16_supported(128)) {
    std::printf("SKIP   : tst_cuda_attention_bf16: needs compute capability >= 8.0 and kernels built for it (the FP32 kernel is the "
                "fallback, tested in tst_cuda_ops)\n");
    return kSkipExitCode;
  }
  cpu = make_cpu_backend();
  cudaDeviceProp prop{};
  cudaGetDeviceProperties(&prop, 0);
  std::printf("Config: %s (sm_%d%d)%s\n", prop.name, prop.major, prop.minor, quick_mode() ? " (quick mode: T <= 100 only)" : "");
  suite.run("supported head sizes: 64 and 128 only", [] {
    bool others = false;
    for (int64_t hd : {0, 8, 32, 96, 100, 256}) others |= cuda::attention_bf16_supported(hd);
    suite.check(!others, "no other hd claims support");
  });
  const Case cases[] = {{1, 0, 4, 4, 64},     {1, 37, 4, 1, 128},   {17, 0, 8, 2, 64},    {64, 0, 4, 4, 128},  {100, 50, 4, 1, 64},
                        {100, 3, 2, 2, 128},  {1000, 0, 4, 1, 64},  {1000, 129, 8, 2, 128}, {4097, 70, 4, 1, 64}, {4097, 0, 4, 1, 128}};
  for (const Case& c : cases) {
    if (quick_mode() && c.T > 100) continue;  // compute-sanitizer runs: small sizes only
    test_case(c);
  }
  const int status = suite.finish();
  cpu.reset();
  return status;
}
