// The CUDA backend in bf16 mode (Precision::bf16: BF16 weights and activations into the matrix
// products and the Mamba-1 scan, FP32 accumulation and state) against the FP32 CPU reference:
//   - the BF16-input scan and the BF16 linear on BF16-rounded inputs against the CPU ops on the same
//     rounded values (what is left is FP32 arithmetic: held to 1e-4), and on unrounded inputs
//     against the CPU ops on the originals (the BF16 rounding itself: 1e-2);
//   - whole models (random 4-layer models of every family, every fixture): bf16 logits against CPU
//     FP32 logits, relative L2 within 1e-2 (MoE models: up to the first token where bf16 rounding
//     changed an expert choice, see first_routing_flip);
//   - the recurrent step form against the parallel form, both on the GPU in bf16.
// Without a usable GPU the suite says why and exits with 77 (CTest: skipped).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>

#include "backend.h"
#include "error.h"
#include "gpu_check.h"
#include "model.h"
#include "observation_case.h"
#include "random_model_folder.h"
#include "test_support.h"
#include "trace_store.h"

using namespace ss;
using namespace ss::gpu_test;

namespace {

constexpr double kModelTol = 1e-2;    // bf16 GPU logits vs FP32 CPU logits (the bound)
constexpr double kRoundedTol = 1e-4;  // same BF16-rounded inputs on both sides: FP32 arithmetic only
// MoE models whose bf16 run chose other experts than the CPU for some tokens: the logits from the first
// such token on follow another computation, so 1e-2 does not apply to them (it does before it). All
// tokens are then held only to this bound, which still catches a broken path (errors of order 1).
// Measured on the H100: random Jamba 1.00e-2 (17 of 4000 choices differ, the first at token 0),
// fixture jamba_b 3.56e-2 (6 differ, the first at token 7; the 7 tokens before it: 4.6e-3).
constexpr double kRoutingFlipTol = 5e-2;
// Fixtures that bf16 itself cannot hold to kModelTol: transformers' own bf16 forward of them (weights and
// compute in bf16, CPU; tools/tf_bf16_error.py on the GPU machine, 2026-12-01) is this far from its
// float64 reference, where the other families' are 1.1e-2..1.5e-2. Zamba2's hybrid layers chain five
// GEMMs (q/k/v, o, gate_up, down, linear) and feed the original embeddings to every shared block, so
// rounding compounds. The bound for our bf16 path on them: no worse than transformers' bf16 (measured
// 9.4e-2 and 2.5e-2; on the other fixtures ours is about half of transformers', as here).
double model_tolerance(const std::string& fixture) {
  if (fixture == "zamba2_a_f32") return 1.46e-1;
  if (fixture == "zamba2_gqa_f32") return 5.32e-2;
  return kModelTol;
}

std::unique_ptr<Backend> gpu;  // bf16 mode, poisoned allocations
std::unique_ptr<Backend> cpu;
Suite suite("tst_cuda_bf16");

// float -> bf16 -> float, round to nearest even (as __float2bfloat16_rn); inputs here are finite.
float round_bf16(float v) {
  uint32_t u;
  std::memcpy(&u, &v, 4);
  u = (u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u;
  std::memcpy(&v, &u, 4);
  return v;
}
Tensor rounded(const Tensor& t) {
  Tensor r = Tensor::zeros(t.shape());
  for (int64_t i = 0; i < t.numel(); ++i) r.at(i) = round_bf16(t.at(i));
  return r;
}

void expect(const std::string& what, const Tensor& ours, const Tensor& ref, double tol) {
  const Diff d = compare(ours.device() == Device::Cuda ? gpu->to_host(ours) : ours, ref);
  char buf[64];
  std::snprintf(buf, sizeof buf, " (< %.0e)", tol);
  suite.check(d.within(tol), what + " " + d.text() + buf);
}

// --- ops ---

void test_linear() {
  for (auto [T, in, out] : {std::tuple<int64_t, int64_t, int64_t>{1, 64, 96}, {300, 256, 1024}, {4096, 512, 256}, {77, 130, 50}}) {
    suite.run("linear bf16 T=" + std::to_string(T) + " " + std::to_string(in) + "->" + std::to_string(out), [&] {
      Random r(unsigned(T + in + out));
      const Tensor x = r.normal({T, in}), w = r.normal({out, in}, 0.0f, 1.0f / std::sqrt(float(in))), b = r.normal({out});
      const Tensor xr = rounded(x), wr = rounded(w);
      // The backend rounds x and its copy of w itself: feeding the rounded values must match the CPU on them.
      expect("rounded inputs vs cpu", gpu->linear(gpu->upload(xr), gpu->upload(wr), nullptr), cpu->linear(xr, wr, nullptr), kRoundedTol);
      const Tensor bg = gpu->upload(b);
      expect("fp32 inputs vs cpu fp32", gpu->linear(gpu->upload(x), gpu->upload(w), &bg), cpu->linear(x, w, &b), kModelTol);
    });
  }
  suite.run("linear bf16: a new weight at a reused address gets its own bf16 copy", [] {
    Random r(5);
    const Tensor x = r.normal({8, 64});
    for (int i = 0; i < 4; ++i) {  // each weight is freed before the next is allocated: the pool hands back the same block
      const Tensor w = r.normal({32, 64});
      expect("weight " + std::to_string(i), gpu->linear(gpu->upload(rounded(x)), gpu->upload(rounded(w)), nullptr),
             cpu->linear(rounded(x), rounded(w), nullptr), kRoundedTol);
    }
  });
}

struct ScanCase {
  int64_t T, Di, N;
  bool gate;
  int64_t every;
};

void test_scan() {
  std::vector<ScanCase> cases = {{1, 64, 16, true, 0},   {100, 130, 16, true, 16}, {333, 256, 6, false, 50},
                                 {777, 128, 5, true, 64}, {4096, 512, 64, true, 64}, {2000, 96, 40, true, 0}};
  if (!quick_mode()) cases.push_back({65536, 256, 16, true, 4096});
  for (const ScanCase& c : cases) {
    const std::string name = "scan bf16 T=" + std::to_string(c.T) + " Di=" + std::to_string(c.Di) + " N=" + std::to_string(c.N) +
                             (c.gate ? " z" : "") + " E=" + std::to_string(c.every);
    suite.run(name, [&] {
      Random r(unsigned(c.T * 7 + c.Di + c.N));
      const Tensor x = r.normal({c.T, c.Di}), dt = r.softplus_normal({c.T, c.Di}, -2.0f, 1.0f), B = r.normal({c.T, c.N}),
                   C = r.normal({c.T, c.N}), z = r.normal({c.T, c.Di}), D = r.normal({c.Di}, 1.0f, 0.3f), h0 = r.normal({c.Di, c.N}, 0.0f, 0.5f);
      Tensor A = r.uniform({c.Di, c.N}, 0.0f, 2.8f);
      for (int64_t i = 0; i < A.numel(); ++i) A.at(i) = -std::exp(A.at(i));
      for (bool round_inputs : {true, false}) {
        const Tensor xi = round_inputs ? rounded(x) : x, dti = round_inputs ? rounded(dt) : dt, Bi = round_inputs ? rounded(B) : B,
                     Ci = round_inputs ? rounded(C) : C, zi = round_inputs ? rounded(z) : z;
        Tensor hc = cpu->clone(h0), ckc;  // a copy: the scan overwrites its state
        SelectiveScanArgs ac{&xi, &dti, &A, &Bi, &Ci, &D, c.gate ? &zi : nullptr, &hc, 5, c.every, &ckc};
        const Tensor yc = cpu->selective_scan(ac);
        Tensor gx = gpu->upload(xi), gdt = gpu->upload(dti), gA = gpu->upload(A), gB = gpu->upload(Bi), gC = gpu->upload(Ci),
               gD = gpu->upload(D), gz = gpu->upload(zi), hg = gpu->upload(h0), ckg;
        SelectiveScanArgs ag{&gx, &gdt, &gA, &gB, &gC, &gD, c.gate ? &gz : nullptr, &hg, 5, c.every, &ckg};
        const Tensor yg = gpu->selective_scan(ag);
        const double tol = round_inputs ? kRoundedTol : kModelTol;
        const std::string tag = round_inputs ? "rounded inputs: " : "fp32 inputs vs cpu fp32: ";
        expect(tag + "y", yg, yc, tol);
        expect(tag + "state", hg, hc, tol);
        if (c.every) expect(tag + "checkpoints", ckg, ckc, tol);
      }
    });
  }
}

// --- models ---

bool load_both(const std::string& dir, std::unique_ptr<Model>& mc, std::unique_ptr<Model>& mg) {
  return gpu_test::load_both(suite, *cpu, *gpu, dir, mc, mg);
}

std::string random_model(const std::string& family) {
  static std::map<std::string, std::string> made;
  if (!made.count(family)) made[family] = testkit::write_random_model_folder(testkit::bench_config(family), test::temp_dir("bf16-" + family), 7);
  return made[family];
}

// The first token at which the two runs chose different experts in any MoE layer (T when they never
// do): a bf16 rounding that moves a router logit across a near-tie sends the token through other
// experts, a discrete change no tolerance on the rounding covers. Logits before that token are
// untouched by it (causality), so they are held to the bound; the flips are counted and shown.
int64_t first_routing_flip(const TraceStore& a, const TraceStore& b, int64_t T, int* flips) {
  int64_t first = T;
  *flips = 0;
  for (const auto& [name, layer] : a.keys()) {
    if (name != trace::kMoeExperts) continue;
    const Tensor ea = a.get(name, layer), eb = b.get(name, layer);  // [T, K]
    const int64_t K = ea.size(1);
    for (int64_t t = 0; t < T; ++t) {
      std::vector<float> ra(ea.data() + t * K, ea.data() + (t + 1) * K), rb(eb.data() + t * K, eb.data() + (t + 1) * K);
      std::sort(ra.begin(), ra.end());
      std::sort(rb.begin(), rb.end());
      if (ra != rb) {
        ++*flips;
        first = std::min(first, t);
      }
    }
  }
  return first;
}

void compare_models(Model& mc, Model& mg, const std::vector<int32_t>& tokens, double tol = kModelTol) {
  TraceRequest req;
  req.names = {trace::kMoeExperts};
  TraceStore tc(req), tg(req);
  ModelState sc = mc.initial_state(), sg = mg.initial_state();
  const Tensor lc = mc.forward(tokens, sc, tc.recording()), lg = mg.forward(tokens, sg, tg.recording());  // [T, V]
  const int64_t T = lc.size(0), V = lc.size(1);
  int flips = 0;
  const int64_t first = first_routing_flip(tc, tg, T, &flips);
  if (flips == 0) {
    expect("logits", lg, lc, tol);
    return;
  }
  suite.check(true, std::to_string(flips) + " (token, layer) expert choices differ from the CPU's, the first at token " + std::to_string(first));
  expect("all tokens (routing-flip bound)", lg, lc, kRoutingFlipTol);
  if (first >= 1) {
    Tensor pc = Tensor::zeros({first, V}), pg = Tensor::zeros({first, V});
    std::copy(lc.data(), lc.data() + first * V, pc.data());
    std::copy(lg.data(), lg.data() + first * V, pg.data());
    expect("the " + std::to_string(first) + " tokens before the first", pg, pc, tol);
  }
}

void test_models() {
  for (const std::string family : {"mamba", "mamba2", "llama", "jamba"}) {
    suite.run("random " + family + " (4 layers, d 256) T=2000: bf16 logits vs cpu fp32", [&] {
      std::unique_ptr<Model> mc, mg;
      if (!load_both(random_model(family), mc, mg)) return;
      compare_models(*mc, *mg, random_bytes(2000, 11));
    });
  }
  for (const std::string& name : test::fixture_names()) {
    suite.run("fixture(" + name + "): bf16 logits vs cpu fp32", [&] {
      const std::string dir = test::fixtures_dir() + "/" + name;
      std::unique_ptr<Model> mc, mg;
      if (!load_both(dir, mc, mg)) return;
      compare_models(*mc, *mg, test::read_input(dir + "/reference/input.bin"), model_tolerance(name));
    });
  }
}

void test_step_vs_forward() {
  for (const std::string family : {"mamba", "mamba2", "llama", "jamba"}) {
    suite.run("bf16 GPU step x64 = GPU forward(40) + 24 steps = GPU forward(64): " + family, [&] {
      std::unique_ptr<Model> mc, mg;
      if (!load_both(random_model(family), mc, mg)) return;
      const StepForward r = step_vs_forward(*mg, random_bytes(64, 5), 40);
      // Both sides are bf16: they differ only where a different GEMM shape (1 row vs 64) sums in
      // another order and a rounding to bf16 downstream lands on the other side.
      expect("steps vs forward", r.steps, r.forward, kModelTol);
      expect("forward+steps vs forward", r.mixed, r.forward, kModelTol);
    });
  }
}


// Tracing only observes (core/trace.h): the shared case, on this suite's backends.
void test_observation() { check_observation(suite, load_both, random_model); }

}  // namespace

int main() {
  std::string why;
  setenv("STATESCOPE_CUDA_POISON", "1", 1);
  try {
    gpu = make_backend("cuda", Precision::bf16);
  } catch (const std::exception& e) {
    std::printf("SKIP   : tst_cuda_bf16: no CUDA GPU can be used: %s\n", e.what());
    return kSkipExitCode;
  }
  cpu = make_cpu_backend();
  std::printf("Config: %s%s\n", gpu->name().c_str(), quick_mode() ? " (quick mode: longest inputs skipped)" : "");
  suite.run("backend says its precision; the CPU backend has no bf16 mode", [] {
    suite.check(gpu->precision() == Precision::bf16 && gpu->name().find("bf16") != std::string::npos, "name: " + gpu->name());
    bool threw = false;
    try {
      make_backend("cpu", Precision::bf16);
    } catch (const Error&) {
      threw = true;
    }
    suite.check(threw, "make_backend(\"cpu\", bf16) throws");
  });
  test_linear();
  test_scan();
  test_models();
  test_step_vs_forward();
  test_observation();
  const int status = suite.finish();
  gpu.reset();  // free the backend (and cuBLAS's workspace) before the CUDA runtime shuts down
  cpu.reset();
  return status;
}
