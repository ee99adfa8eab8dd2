// The BF16 tensor-core Mamba-2 SSD (kernels/ssd_chunked_bf16.h) against the CPU reference ssd_chunked,
// fed the same BF16-rounded x, B and C as float (Δ, A, D and the state are FP32 on both sides): y, the
// final state and the checkpoints within 1e-2 relative L2. Lengths that are not multiples of the chunk
// (1 .. 65537), a nonzero initial state, pos0 > 0 (a partial first chunk), G = 1, 2 and 3, both chunk
// sizes and both y types. Every output buffer is filled with NaN first, so an element the kernel
// forgets to write fails the comparison. Without a GPU that can run the BF16 kernels (compute
// capability 8.0+, a build with sm_80+ code) the suite says why and exits with 77 (CTest: skipped).
#include <cuda_runtime.h>

#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <vector>

#include "backend.h"
#include "gpu_check.h"
#include "ssd_chunked_bf16.h"

using namespace ss;
using namespace ss::gpu_test;

namespace {

constexpr double kTol = 1e-2;

std::unique_ptr<Backend> cpu;
Suite suite("tst_cuda_ssd_bf16");
Random rng(20251123);

void cuda_ok(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(e));
}

uint16_t bf16_bits(float f) {  // round to nearest even (inputs here are finite)
  uint32_t u;
  std::memcpy(&u, &f, 4);
  u += 0x7FFFu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}

float bf16_value(uint16_t b) {
  const uint32_t u = uint32_t(b) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// A device buffer, NaN-filled (0xFF bytes: NaN in FP32 and BF16) unless uploaded.
struct DevBuf {
  void* p = nullptr;
  size_t bytes = 0;
  explicit DevBuf(size_t n) : bytes(n) {
    cuda_ok(cudaMalloc(&p, std::max<size_t>(bytes, 4)), "cudaMalloc");
    cuda_ok(cudaMemset(p, 0xFF, std::max<size_t>(bytes, 4)), "cudaMemset");
  }
  DevBuf(DevBuf&& o) noexcept : p(o.p), bytes(o.bytes) { o.p = nullptr; }
  DevBuf(const DevBuf&) = delete;
  ~DevBuf() { cudaFree(p); }
  template <class T>
  T* as() const { return static_cast<T*>(p); }
};

DevBuf upload_f32(const Tensor& t) {
  DevBuf d(4 * t.numel());
  cuda_ok(cudaMemcpy(d.p, t.data(), d.bytes, cudaMemcpyHostToDevice), "upload");
  return d;
}

// t rounded to BF16 in place (the reference's input), and its BF16 bits on the device.
DevBuf upload_bf16(Tensor& t) {
  std::vector<uint16_t> bits(t.numel());
  for (int64_t i = 0; i < t.numel(); ++i) {
    bits[i] = bf16_bits(t.at(i));
    t.at(i) = bf16_value(bits[i]);
  }
  DevBuf d(2 * bits.size());
  cuda_ok(cudaMemcpy(d.p, bits.data(), d.bytes, cudaMemcpyHostToDevice), "upload");
  return d;
}

Tensor download_f32(const DevBuf& d, const Shape& shape) {
  Tensor t = Tensor::zeros(shape);
  cuda_ok(cudaMemcpy(t.data(), d.p, 4 * t.numel(), cudaMemcpyDeviceToHost), "download");
  return t;
}

Tensor download_bf16(const DevBuf& d, const Shape& shape) {
  Tensor t = Tensor::zeros(shape);
  std::vector<uint16_t> bits(t.numel());
  cuda_ok(cudaMemcpy(bits.data(), d.p, 2 * bits.size(), cudaMemcpyDeviceToHost), "download");
  for (int64_t i = 0; i < t.numel(); ++i) t.at(i) = bf16_value(bits[i]);
  return t;
}

void expect(const char* what, const Tensor& ours, const Tensor& ref) {
  const Diff d = compare(ours, ref);
  suite.check(d.within(kTol), std::string(what) + " " + d.text());
}

struct Case {
  int64_t T, H, G, N, every, pos0;
  int chunk;
  bool y_bf16;
};

void run_case(const Case& c) {
  const int64_t P = 64;
  Tensor x = rng.normal({c.T, c.H, P}), delta = rng.softplus_normal({c.T, c.H}, -2.0f, 1.0f);
  Tensor A = rng.uniform({c.H}, 0.0f, std::log(16.0f));
  for (int64_t i = 0; i < c.H; ++i) A.at(i) = -std::exp(A.at(i));
  Tensor B = rng.normal({c.T, c.G, c.N}), C = rng.normal({c.T, c.G, c.N}), D = rng.normal({c.H}, 1.0f, 0.3f);
  Tensor st = rng.normal({c.H, P, c.N});  // nonzero initial state
  DevBuf xd = upload_bf16(x), Bd = upload_bf16(B), Cd = upload_bf16(C);  // x, B, C now hold the rounded values
  DevBuf dtd = upload_f32(delta), Ad = upload_f32(A), Dd = upload_f32(D), std_ = upload_f32(st);

  // Reference: the CPU chunked form on the same (rounded) inputs.
  Tensor st_ref = st, ck_ref;
  SsdArgs r{&x, &delta, &A, &B, &C, &D, 64, &st_ref, c.pos0, c.every, &ck_ref};
  const Tensor y_ref = cpu->ssd_chunked(r);
  const int64_t n_ck = c.every > 0 ? ck_ref.size(0) : 0;

  DevBuf yd((c.y_bf16 ? 2 : 4) * c.T * c.H * P), ckd(4 * std::max<int64_t>(n_ck, 1) * c.H * P * c.N);
  cuda::SsdBf16Params p;
  p.x = xd.as<__nv_bfloat16>();
  p.delta = dtd.as<float>();
  p.A = Ad.as<float>();
  p.B = Bd.as<__nv_bfloat16>();
  p.C = Cd.as<__nv_bfloat16>();
  p.D = Dd.as<float>();
  if (c.y_bf16) p.y_bf16 = yd.as<__nv_bfloat16>();
  else p.y = yd.as<float>();
  p.state = std_.as<float>();
  p.checkpoints = c.every > 0 ? ckd.as<float>() : nullptr;
  p.T = c.T, p.H = c.H, p.P = P, p.G = c.G, p.N = c.N, p.pos0 = c.pos0, p.every = c.every, p.chunk = c.chunk;
  std::string why;
  if (!cuda::ssd_bf16_supported(p, &why)) return suite.check(false, "unsupported: " + why);
  const cuda::SsdBf16Plan plan = cuda::plan_ssd_bf16(p);
  DevBuf ws(4 * std::max<int64_t>(plan.workspace_floats, 1));
  cuda::ssd_bf16(p, plan, ws.as<float>(), nullptr);
  cuda_ok(cudaDeviceSynchronize(), "ssd_bf16");
  suite.check(true, fmt("%lld chunks in %lld segments", (long long)plan.n_chunks, (long long)plan.n_segs));

  const Tensor y = c.y_bf16 ? download_bf16(yd, {c.T, c.H, P}) : download_f32(yd, {c.T, c.H, P});
  expect("y", y, y_ref);
  expect("state", download_f32(std_, {c.H, P, c.N}), st_ref);
  if (c.every > 0) {
    suite.check(n_ck > 0, fmt("%lld checkpoints", (long long)n_ck));
    expect("checkpoints", download_f32(ckd, {n_ck, c.H, P, c.N}), ck_ref);
  }
}

void test_ssd_bf16() {
  const std::vector<Case> cases = {
      {1, 4, 1, 128, 0, 0, 64, false},        {1, 4, 2, 64, 64, 63, 64, true},        // one token; one that completes a chunk
      {63, 4, 2, 128, 64, 1, 64, false},      {64, 4, 1, 128, 64, 0, 64, false},      //
      {65, 4, 2, 64, 64, 100, 64, true},      {65, 2, 1, 128, 128, 100, 128, false},  // partial first chunk (pos0 100)
      {1000, 4, 1, 128, 128, 37, 64, false},  {1000, 4, 2, 128, 256, 0, 128, false},  //
      {4097, 8, 2, 128, 1024, 3, 64, true},   {4097, 6, 3, 64, 512, 0, 128, false},   //
      {65537, 4, 1, 128, 4096, 5, 64, false}, {65537, 4, 2, 64, 8192, 0, 128, true},  // many segments
  };
  for (const Case& c : cases) {
    if (quick_mode() && c.T > 5000) continue;
    suite.run(fmt("ssd_bf16(T=%lld H=%lld G=%lld N=%lld Q=%d E=%lld pos0=%lld y=%s)", (long long)c.T, (long long)c.H, (long long)c.G,
                  (long long)c.N, c.chunk, (long long)c.every, (long long)c.pos0, c.y_bf16 ? "bf16" : "fp32"),
              [c] { run_case(c); });
  }
}

void test_restrictions() {
  suite.run("ssd_bf16_supported names what it does not cover", [] {
    cuda::SsdBf16Params p;
    float dummy = 0;
    p.y = &dummy;
    p.T = 100, p.H = 4, p.P = 64, p.G = 1, p.N = 128, p.chunk = 64;
    std::string why;
    bool ok = cuda::ssd_bf16_supported(p, &why);  // evaluated before the message that quotes `why`
    suite.check(ok, "P 64, N 128, Q 64 supported " + why);
    p.checkpoints = &dummy, p.every = 100;
    ok = !cuda::ssd_bf16_supported(p, &why) && why.find("multiple of the chunk") != std::string::npos;
    suite.check(ok, "E 100, Q 64: " + why);
    p.every = 128;
    ok = cuda::ssd_bf16_supported(p, &why);
    suite.check(ok, "E 128, Q 64 supported");
    p.P = 32;
    ok = !cuda::ssd_bf16_supported(p, &why) && why.find("head dim") != std::string::npos;
    suite.check(ok, "P 32: " + why);
  });
}

}  // namespace

int main() {
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
    std::printf("SKIP   : tst_cuda_ssd_bf16: no CUDA GPU can be used\n");
    return kSkipExitCode;
  }
  cuda::SsdBf16Params probe;
  float dummy = 0;
  probe.y = &dummy;
  probe.P = 64, probe.N = 64, probe.H = 1, probe.chunk = 64;
  std::string why;
  if (!cuda::ssd_bf16_supported(probe, &why)) {
    std::printf("SKIP   : tst_cuda_ssd_bf16: %s\n", why.c_str());
    return kSkipExitCode;
  }
  cudaDeviceProp prop{};
  cudaGetDeviceProperties(&prop, 0);
  cpu = make_cpu_backend();
  std::printf("Config: %s (sm_%d%d)%s\n", prop.name, prop.major, prop.minor, quick_mode() ? " (quick mode: longest inputs skipped)" : "");
  test_restrictions();
  test_ssd_bf16();
  const int status = suite.finish();
  cpu.reset();
  return status;
}
