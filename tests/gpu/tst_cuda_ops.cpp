// Every CUDA backend op against the CPU reference backend on random inputs (FP32, relative L2 error
// within 1e-5), with every GPU allocation poisoned with NaN first so that an element an op forgets
// to write fails the comparison. Lengths include 1 and lengths that are not multiples of any tile or
// chunk, up to 64K for the scans. Where the CPU backend does not have an op yet (Mamba-2 SSD, RoPE,
// attention land with their families), the reference is the double-precision one in
// naive_reference.cpp. Without a usable GPU the suite says why and exits with 77 (CTest: skipped).
#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <functional>
#include <sstream>

#include "backend.h"
#include "gpu_check.h"
#include "naive_reference.h"

using namespace ss;
using namespace ss::gpu_test;

namespace {

constexpr double kTol = 1e-5;

std::unique_ptr<Backend> gpu;
std::unique_ptr<Backend> cpu;
Suite suite("tst_cuda_ops");
Random rng(20240611);

Tensor host(const Tensor& t) { return gpu->to_host(t); }
Tensor dev(const Tensor& t) { return gpu->upload(t); }

// A GPU result against its reference, within kTol (or tol).
void expect(const char* what, const Tensor& ours_dev, const Tensor& ref, double tol = kTol) {
  const Diff d = compare(ours_dev.device() == Device::Cuda ? host(ours_dev) : ours_dev, ref);
  suite.check(d.within(tol) && ours_dev.shape() == ref.shape(),
              std::string(what) + " " + d.text() + (ours_dev.shape() == ref.shape() ? "" : " shape " + ours_dev.shape_string() + " vs " + ref.shape_string()));
}

// The CPU backend's result, or the naive reference where the CPU backend lacks the op.
bool cpu_has(const std::function<void()>& call, std::string* which) {
  try {
    call();
    *which = "cpu";
    return true;
  } catch (const std::logic_error& e) {
    if (!std::strstr(e.what(), "not implemented")) throw;
    *which = "naive (cpu op not implemented yet)";
    return false;
  }
}

// --- memory and row ops ---

void test_memory() {
  suite.run("memory", [] {
    const Tensor a = rng.normal({37, 5});
    const Tensor back = host(dev(a));
    suite.check(std::memcmp(back.data(), a.data(), 4 * a.numel()) == 0, "upload/to_host round trip exact");
    const Tensor c = host(gpu->clone(dev(a)));
    suite.check(std::memcmp(c.data(), a.data(), 4 * a.numel()) == 0, "clone exact");
    const Tensor z = host(gpu->zeros({1000}));
    bool zero = true;
    for (int64_t i = 0; i < z.numel(); ++i) zero &= z.at(i) == 0.0f;
    suite.check(zero, "zeros are zero");
    const Tensor e = host(gpu->empty({16}));
    suite.check(std::isnan(e.at(7)), "empty() is poisoned with NaN in this suite");
  });
}

void test_rows() {
  for (int64_t T : {1, 100, 3000}) {
    suite.run(fmt("embedding(T=%lld)", (long long)T), [T] {
      const Tensor table = rng.normal({256, 72});
      const auto ids = rng.ints(T, 0, 256);
      expect("y", gpu->embedding(dev(table), ids), cpu->embedding(table, ids), 0.0);
    });
  }
  suite.run("embedding rejects id 256", [] {
    bool threw = false;
    try {
      gpu->embedding(dev(rng.normal({256, 4})), {3, 256});
    } catch (const std::out_of_range&) {
      threw = true;
    }
    suite.check(threw, "out_of_range thrown");
  });
  suite.run("gather_rows + scatter_add_rows", [] {
    const Tensor x = rng.normal({50, 33});
    const std::vector<int32_t> rows = {3, 0, 49, 3, 17};
    const std::vector<float> w = {0.5f, -1.25f, 2.0f, 0.75f, 1.0f};
    expect("gather", gpu->gather_rows(dev(x), rows), cpu->gather_rows(x, rows), 0.0);
    const Tensor src = rng.normal({5, 33});
    Tensor yc = rng.normal({50, 33});
    Tensor yg = dev(yc);
    cpu->scatter_add_rows(yc, src, rows, w);
    gpu->scatter_add_rows(yg, dev(src), rows, w);
    expect("scatter_add", yg, yc);
  });
}

void test_linear() {
  struct Case { int64_t T, in, out; bool bias; };
  for (Case c : {Case{1, 16, 32, false}, Case{1, 256, 1024, true}, Case{7, 33, 65, true}, Case{300, 256, 512, false},
                 Case{1000, 1536, 48, true}}) {
    suite.run(fmt("linear(T=%lld in=%lld out=%lld%s)", (long long)c.T, (long long)c.in, (long long)c.out, c.bias ? " bias" : ""), [c] {
      const Tensor x = rng.normal({c.T, c.in}), w = rng.normal({c.out, c.in}, 0, 1.0f / std::sqrt(float(c.in)));
      const Tensor b = rng.normal({c.out});
      const Tensor bd = dev(b);
      expect("y", gpu->linear(dev(x), dev(w), c.bias ? &bd : nullptr), cpu->linear(x, w, c.bias ? &b : nullptr));
    });
  }
}

void test_norms() {
  for (auto [rows, cols] : {std::pair<int64_t, int64_t>{1, 16}, {5, 33}, {1000, 1536}, {70000, 16}}) {
    suite.run(fmt("rms_norm(%lldx%lld)", (long long)rows, (long long)cols), [rows, cols] {
      const Tensor x = rng.normal({rows, cols}, 0.3f, 2.0f), w = rng.normal({cols}, 1.0f, 0.2f);
      expect("y", gpu->rms_norm(dev(x), dev(w), 1e-5f), cpu->rms_norm(x, w, 1e-5f));
      expect("row_norms", gpu->row_norms(dev(x)), cpu->row_norms(x));
    });
  }
  for (auto [rows, cols, group] : {std::tuple<int64_t, int64_t, int>{1, 64, 64}, {9, 96, 32}, {500, 1536, 1536}, {300, 1536, 128}}) {
    suite.run(fmt("rms_norm_gated(%lldx%lld group %d)", (long long)rows, (long long)cols, group), [rows, cols, group] {
      const Tensor x = rng.normal({rows, cols}), z = rng.normal({rows, cols}), w = rng.normal({cols}, 1.0f, 0.2f);
      expect("y", gpu->rms_norm_gated(dev(x), dev(z), dev(w), 1e-6f, group), cpu->rms_norm_gated(x, z, w, 1e-6f, group));
    });
  }
}

void test_elementwise() {
  for (Shape s : {Shape{1, 1}, Shape{7, 33}, Shape{1000, 1536}}) {
    suite.run("elementwise" + shape_to_string(s), [s] {
      const Tensor a = rng.uniform(s, -30.0f, 30.0f), b = rng.normal(s), bias = rng.normal({s[1]});
      const Tensor da = dev(a), db = dev(b), dbias = dev(bias);
      expect("add", gpu->add(da, db), cpu->add(a, b));
      expect("mul", gpu->mul(da, db), cpu->mul(a, b));
      expect("silu", gpu->silu(da), cpu->silu(a));
      expect("silu_mul", gpu->silu_mul(da, db), cpu->silu_mul(a, b));
      expect("softplus", gpu->softplus(da, nullptr), cpu->softplus(a, nullptr));
      expect("softplus+bias", gpu->softplus(da, &dbias), cpu->softplus(a, &bias));
      expect("clamp", gpu->clamp(da, -2.5f, 7.0f), cpu->clamp(a, -2.5f, 7.0f), 0.0);
      const int64_t c0 = s[1] / 3, c1 = s[1] - s[1] / 4;
      expect("slice_cols", gpu->slice_cols(da, c0, c1), cpu->slice_cols(a, c0, c1), 0.0);
      expect("gelu_mul", gpu->gelu_mul(da, db), cpu->gelu_mul(a, b));
      const Tensor n = rng.normal({s[0], s[1] / 2 + 1});  // another width
      expect("concat_cols", gpu->concat_cols(da, dev(n)), cpu->concat_cols(a, n), 0.0);
    });
  }
}

void test_conv1d() {
  struct Case { int64_t T, C; int K; bool bias, silu; };
  for (Case c : {Case{1, 32, 4, true, true}, Case{2, 32, 4, true, true}, Case{3, 100, 4, false, true}, Case{100, 100, 2, true, false},
                 Case{1000, 1536, 4, true, true}}) {
    suite.run(fmt("conv1d_causal(T=%lld C=%lld K=%d%s%s)", (long long)c.T, (long long)c.C, c.K, c.bias ? " bias" : "", c.silu ? " silu" : ""), [c] {
      const Tensor x = rng.normal({c.T, c.C}), w = rng.normal({c.C, c.K}, 0, 0.5f), b = rng.normal({c.C});
      Tensor sc = rng.normal({c.C, c.K - 1});
      Tensor sg = dev(sc);
      const Tensor bd = dev(b);
      const Tensor yg = gpu->conv1d_causal(dev(x), dev(w), c.bias ? &bd : nullptr, sg, c.silu);
      const Tensor yc = cpu->conv1d_causal(x, w, c.bias ? &b : nullptr, sc, c.silu);
      expect("y", yg, yc);
      expect("state", sg, sc, 0.0);
    });
  }
}

// --- Mamba-1 selective scan ---

struct ScanInputs {
  Tensor x, delta, A, B, C, D, z, state;
};

ScanInputs scan_inputs(int64_t T, int64_t Di, int64_t N) {
  ScanInputs s;
  s.x = rng.normal({T, Di});
  s.delta = rng.softplus_normal({T, Di}, -2.5f, 1.0f);
  s.A = rng.uniform({Di, N}, 0.0f, std::log(16.0f));
  for (int64_t i = 0; i < s.A.numel(); ++i) s.A.at(i) = -std::exp(s.A.at(i));
  s.B = rng.normal({T, N});
  s.C = rng.normal({T, N});
  s.D = rng.normal({Di}, 1.0f, 0.3f);
  s.z = rng.normal({T, Di});
  s.state = rng.normal({Di, N});
  return s;
}

void test_selective_scan() {
  struct Case { int64_t T, Di, N; bool z; int64_t every, pos0; };
  std::vector<Case> cases = {{1, 32, 16, true, 0, 0},     {1, 32, 16, true, 4, 3},     {7, 130, 4, false, 0, 0},
                             {64, 64, 16, true, 16, 0},   {100, 130, 16, true, 7, 5},  {1000, 64, 8, true, 64, 0},
                             {4097, 1536, 16, true, 64, 1}, {4097, 96, 32, true, 1000, 0}, {3000, 64, 64, true, 128, 2},
                             {300, 32, 100, true, 64, 0},  {500, 96, 12, true, 50, 0},  {129, 64, 6, false, 0, 3},   {2000, 160, 40, true, 100, 0},  {65536, 64, 16, true, 4096, 0}, {65536, 130, 16, true, 64, 17}};
  for (const Case& c : cases) {
    if (quick_mode() && c.T * c.Di > 1'000'000) continue;
    suite.run(fmt("selective_scan(T=%lld Di=%lld N=%lld%s E=%lld pos0=%lld)%s", (long long)c.T, (long long)c.Di, (long long)c.N,
                  c.z ? " z" : "", (long long)c.every, (long long)c.pos0, c.N > 64 ? " [cpu fallback]" : ""), [c] {
      ScanInputs s = scan_inputs(c.T, c.Di, c.N);
      Tensor x = dev(s.x), dt = dev(s.delta), A = dev(s.A), B = dev(s.B), C = dev(s.C), D = dev(s.D), z = dev(s.z), st = dev(s.state);
      Tensor ck_g, ck_c;
      SelectiveScanArgs g{&x, &dt, &A, &B, &C, &D, c.z ? &z : nullptr, &st, c.pos0, c.every, &ck_g};
      SelectiveScanArgs r{&s.x, &s.delta, &s.A, &s.B, &s.C, &s.D, c.z ? &s.z : nullptr, &s.state, c.pos0, c.every, &ck_c};
      Tensor st0 = gpu->clone(st), yu_g, yu_c;  // the entering state, for the observed run below
      g.y_ungated = &yu_g;
      r.y_ungated = &yu_c;
      const Tensor yg = gpu->selective_scan(g);
      const Tensor yc = cpu->selective_scan(r);
      expect("y", yg, yc);
      expect("state", st, s.state);
      if (c.every) expect(fmt("strided states[%lld]", (long long)ck_c.size(0)).c_str(), ck_g, ck_c);
      if (c.z) expect("y before the gate", yu_g, yu_c);
      // Observation only: without the strided states and y before the gate, y and the state are
      // bit for bit the same.
      SelectiveScanArgs plain{&x, &dt, &A, &B, &C, &D, c.z ? &z : nullptr, &st0, c.pos0, 0, nullptr};
      const Tensor yp = host(gpu->selective_scan(plain)), yo = host(yg);
      const Tensor sp = host(st0), so = host(st);
      const bool same = std::memcmp(yp.data(), yo.data(), 4 * yp.numel()) == 0 && std::memcmp(sp.data(), so.data(), 4 * sp.numel()) == 0;
      suite.check(same, same ? "y, state bit-identical without the observation-only outputs" : "y or state differ without the observation-only outputs");
    });
  }
  suite.run("selective_scan_step x300 = selective_scan (GPU only)", [] {
    const int64_t T = 300, Di = 64, N = 16;
    ScanInputs s = scan_inputs(T, Di, N);
    Tensor x = dev(s.x), dt = dev(s.delta), A = dev(s.A), B = dev(s.B), C = dev(s.C), D = dev(s.D), z = dev(s.z);
    Tensor st_one = dev(s.state), ck;
    SelectiveScanArgs one{&x, &dt, &A, &B, &C, &D, &z, &st_one, 0, 0, &ck};
    const Tensor y_one = host(gpu->selective_scan(one));
    // Steps, token by token.
    Tensor st_step = dev(s.state);
    Tensor y_steps = Tensor::zeros({T, Di});
    for (int64_t t = 0; t < T; ++t) {
      Tensor xt = gpu->slice_cols(x.reshaped({1, T * Di}), t * Di, (t + 1) * Di), dtt = gpu->slice_cols(dt.reshaped({1, T * Di}), t * Di, (t + 1) * Di);
      Tensor zt = gpu->slice_cols(z.reshaped({1, T * Di}), t * Di, (t + 1) * Di);
      Tensor Bt = gpu->slice_cols(B.reshaped({1, T * N}), t * N, (t + 1) * N), Ct = gpu->slice_cols(C.reshaped({1, T * N}), t * N, (t + 1) * N);
      SelectiveScanArgs a{&xt, &dtt, &A, &Bt, &Ct, &D, &zt, &st_step, t, 0, nullptr};
      const Tensor yt = host(gpu->selective_scan_step(a));
      std::memcpy(y_steps.data() + t * Di, yt.data(), 4 * Di);
    }
    expect("steps y", dev(y_steps), y_one);
    expect("steps state", st_step, host(st_one));
  });
}

// --- Mamba-2 SSD ---

void test_ssd() {
  struct Case { int64_t T, H, P, G, N, every, pos0; };
  std::vector<Case> cases = {{1, 4, 16, 1, 16, 0, 0},   {1, 4, 16, 2, 64, 4, 3},    {63, 4, 16, 2, 16, 8, 0},
                             {64, 4, 8, 1, 128, 16, 0}, {65, 6, 16, 3, 64, 10, 5},  {1000, 4, 16, 2, 32, 64, 0},
                             {1000, 8, 64, 1, 128, 100, 0}, {777, 4, 16, 1, 256, 50, 0}, {200, 4, 8, 2, 12, 16, 0},
                             {65536, 4, 8, 1, 64, 4096, 0}};
  for (const Case& c : cases) {
    if (quick_mode() && c.T * c.H * c.P > 1'000'000) continue;
    suite.run(fmt("ssd(T=%lld H=%lld P=%lld G=%lld N=%lld E=%lld pos0=%lld)%s", (long long)c.T, (long long)c.H, (long long)c.P, (long long)c.G,
                  (long long)c.N, (long long)c.every, (long long)c.pos0, c.N == 12 ? " [cpu fallback]" : ""), [c] {
      const Tensor x = rng.normal({c.T, c.H, c.P}), delta = rng.softplus_normal({c.T, c.H}, -2.0f, 1.0f);
      Tensor A = rng.uniform({c.H}, 0.0f, std::log(16.0f));
      for (int64_t i = 0; i < c.H; ++i) A.at(i) = -std::exp(A.at(i));
      const Tensor B = rng.normal({c.T, c.G, c.N}), C = rng.normal({c.T, c.G, c.N}), D = rng.normal({c.H}, 1.0f, 0.3f);
      Tensor st = rng.normal({c.H, c.P, c.N});
      Tensor xg = dev(x), dtg = dev(delta), Ag = dev(A), Bg = dev(B), Cg = dev(C), Dg = dev(D), stg = dev(st), ck_g, ck_r;
      SsdArgs g{&xg, &dtg, &Ag, &Bg, &Cg, &Dg, 64, &stg, c.pos0, c.every, &ck_g};
      SsdArgs r{&x, &delta, &A, &B, &C, &D, 64, &st, c.pos0, c.every, &ck_r};
      Tensor yg, yr;
      std::string which;
      if (!cpu_has([&] { yg = c.T == 1 ? gpu->ssd_step(g) : gpu->ssd_chunked(g); }, &which))
        return suite.skip("the CPU fallback needs the CPU SSD, which has not landed yet");
      if (!cpu_has([&] { yr = c.T == 1 ? cpu->ssd_step(r) : cpu->ssd_chunked(r); }, &which)) yr = naive_ssd(r);
      suite.check(true, "vs " + which);
      expect("y", yg, yr);
      expect("state", stg, st);
      if (c.every) expect(fmt("strided states[%lld]", (long long)ck_r.size(0)).c_str(), ck_g, ck_r);
    });
  }
}

// --- RoPE, KV cache, attention ---

void test_rope() {
  for (auto [T, H, hd, pos0, theta] : {std::tuple<int64_t, int64_t, int64_t, int64_t, float>{1, 2, 8, 0, 10000.0f}, {5, 3, 64, 7, 10000.0f},
                                       {100, 4, 128, 60000, 500000.0f}, {33, 2, 96, 1000, 10000.0f}}) {
    suite.run(fmt("rope(T=%lld H=%lld hd=%lld pos0=%lld theta=%g)", (long long)T, (long long)H, (long long)hd, (long long)pos0, theta), [=] {
      Tensor x = rng.normal({T, H, hd});
      Tensor xg = dev(x), xr = x;
      gpu->rope(xg, pos0, theta);
      std::string which;
      if (!cpu_has([&] { cpu->rope(xr, pos0, theta); }, &which)) naive_rope(xr, pos0, theta);
      suite.check(true, "vs " + which);
      expect("x", xg, xr);
    });
  }
  // Partial rotary (Bamba: the first half of each head): the rotated dims as a whole-head RoPE of a
  // head that narrow, the other dims unchanged.
  for (auto [T, H, hd, r, pos0] : {std::tuple<int64_t, int64_t, int64_t, int64_t, int64_t>{7, 3, 16, 8, 5}, {40, 2, 64, 32, 1000}, {3, 4, 12, 6, 0}}) {
    suite.run(fmt("rope partial(T=%lld H=%lld hd=%lld rotary_dim=%lld pos0=%lld)", (long long)T, (long long)H, (long long)hd, (long long)r, (long long)pos0), [=] {
      Tensor x = rng.normal({T, H, hd});
      Tensor xg = dev(x), xr = cpu->clone(x);  // x itself stays as it was
      gpu->rope(xg, pos0, 10000.0f, r);
      cpu->rope(xr, pos0, 10000.0f, r);
      expect("x vs cpu", xg, xr);
      Tensor narrow = Tensor::zeros({T, H, r});  // the first r dims of each head, rotated as whole heads
      for (int64_t i = 0; i < T * H; ++i) std::copy(x.data() + i * hd, x.data() + i * hd + r, narrow.data() + i * r);
      cpu->rope(narrow, pos0, 10000.0f);
      double worst = 0;
      for (int64_t i = 0; i < T * H; ++i)
        for (int64_t d = 0; d < hd; ++d) {
          const float want = d < r ? narrow.data()[i * r + d] : x.data()[i * hd + d];
          worst = std::max(worst, double(std::abs(xr.data()[i * hd + d] - want)));
        }
      suite.check(worst == 0.0, fmt("cpu partial = whole-head RoPE of the first %lld dims, rest unchanged (max diff %g)", (long long)r, worst));
    });
  }
}

void test_kv_and_attention() {
  suite.run("kv_append grows and keeps every position", [] {
    KvCache cache;
    std::vector<Tensor> ks, vs;
    for (int64_t T : {5, 1, 70, 200}) {
      ks.push_back(rng.normal({T, 2, 16}));
      vs.push_back(rng.normal({T, 2, 16}));
      gpu->kv_append(cache, dev(ks.back()), dev(vs.back()));
    }
    suite.check(cache.length == 276 && cache.capacity() >= 276, fmt("length %lld capacity %lld", (long long)cache.length, (long long)cache.capacity()));
    const Tensor k = host(cache.k), v = host(cache.v);
    int64_t bad = 0, pos = 0;
    for (size_t i = 0; i < ks.size(); ++i)
      for (int64_t t = 0; t < ks[i].size(0); ++t, ++pos)
        for (int64_t h = 0; h < 2; ++h)
          for (int64_t e = 0; e < 16; ++e) {
            bad += k.at((h * cache.capacity() + pos) * 16 + e) != ks[i].at((t * 2 + h) * 16 + e);
            bad += v.at((h * cache.capacity() + pos) * 16 + e) != vs[i].at((t * 2 + h) * 16 + e);
          }
    suite.check(bad == 0, fmt("%lld positions differ", (long long)bad));
  });

  struct Case { int64_t T, pos0, Hq, Hkv, hd; bool window; };
  std::vector<Case> cases = {{1, 0, 4, 4, 8, true},     {1, 37, 4, 2, 64, true},     {17, 0, 8, 2, 64, true},
                             {300, 50, 4, 4, 128, true},  {100, 0, 4, 1, 12, false},  {129, 3, 2, 2, 96, true},
                             {65, 0, 2, 1, 256, false},  {40, 10, 2, 2, 6, true},   {2048, 0, 4, 2, 64, true}};
  for (const Case& c : cases) {
    if (quick_mode() && c.T > 1000) continue;
    suite.run(fmt("attention(T=%lld pos0=%lld Hq=%lld Hkv=%lld hd=%lld%s)%s", (long long)c.T, (long long)c.pos0, (long long)c.Hq, (long long)c.Hkv,
                  (long long)c.hd, c.window ? " probs window" : "", c.hd % 4 ? " [cpu fallback]" : ""), [c] {
      const int64_t L = c.pos0 + c.T;
      const Tensor k = rng.normal({L, c.Hkv, c.hd}), v = rng.normal({L, c.Hkv, c.hd}), q = rng.normal({c.T, c.Hq, c.hd});
      KvCache kg, kc;
      gpu->kv_append(kg, dev(k), dev(v));
      // The host cache for the references, laid out as the contract says: [Hkv, L, hd].
      kc.k = Tensor::zeros({c.Hkv, L, c.hd});
      kc.v = Tensor::zeros({c.Hkv, L, c.hd});
      for (int64_t t = 0; t < L; ++t)
        for (int64_t h = 0; h < c.Hkv; ++h)
          for (int64_t e = 0; e < c.hd; ++e) {
            kc.k.at((h * L + t) * c.hd + e) = k.at((t * c.Hkv + h) * c.hd + e);
            kc.v.at((h * L + t) * c.hd + e) = v.at((t * c.Hkv + h) * c.hd + e);
          }
      kc.length = L;
      // A probs window that straddles the start of this call: only its rows from pos0 on come back.
      const ProbsWindow w{static_cast<int>(c.Hq - 1), std::max<int64_t>(0, c.pos0 - 5), std::min<int64_t>(L, c.pos0 + 40)};
      const int64_t W = w.t1 - w.t0;
      Tensor probs_g, probs_r;
      const Tensor qg = dev(q);
      AttentionArgs g{&qg, &kg, c.pos0, 1.0f / std::sqrt(float(c.hd)), std::nullopt, nullptr};
      AttentionArgs r{&q, &kc, c.pos0, g.scale, std::nullopt, nullptr};
      const AttentionArgs plain = g;
      if (c.window) {
        g.probs_window = r.probs_window = w;
        g.probs = &probs_g;
        r.probs = &probs_r;
      }
      Tensor og, orf;
      std::string which;
      if (!cpu_has([&] { og = gpu->attention(g); }, &which))
        return suite.skip("the CPU fallback needs the CPU attention, which has not landed yet");
      if (!cpu_has([&] { orf = cpu->attention(r); }, &which)) orf = naive_attention(r);
      suite.check(true, "vs " + which);
      expect("out", og, orf);
      if (c.window) {
        const int64_t r0 = std::max(w.t0, c.pos0) - w.t0, r1 = std::min(w.t1, c.pos0 + c.T) - w.t0;
        suite.check(probs_g.shape() == Shape({r1 - r0, W}) && probs_r.shape() == probs_g.shape(),
                    "probs " + probs_g.shape_string() + " vs ref " + probs_r.shape_string());
        expect(fmt("probs[%lld rows]", (long long)(r1 - r0)).c_str(), probs_g, probs_r);
        // Observation only: the output without the probabilities is bit for bit the same.
        const Tensor op = host(gpu->attention(plain)), oo = host(og);
        const bool same = std::memcmp(op.data(), oo.data(), 4 * op.numel()) == 0;
        suite.check(same, same ? "out bit-identical without the probabilities" : "out differs without the probabilities");
      }
    });
  }
}

}  // namespace

int main() {
  std::string why;
  gpu = make_poisoned_cuda_backend(&why);
  if (!gpu) {
    std::printf("SKIP   : tst_cuda_ops: no CUDA GPU can be used: %s\n", why.c_str());
    return kSkipExitCode;
  }
  cpu = make_cpu_backend();
  std::printf("Config: %s%s\n", gpu->name().c_str(), quick_mode() ? " (quick mode: longest inputs skipped)" : "");
  test_memory();
  test_rows();
  test_linear();
  test_norms();
  test_elementwise();
  test_conv1d();
  test_selective_scan();
  test_ssd();
  test_rope();
  test_kv_and_attention();
  const int status = suite.finish();
  gpu.reset();  // free the backend (and cuBLAS's workspace) before the CUDA runtime shuts down
  cpu.reset();
  return status;
}
