// Whole models on the GPU against the same models on the CPU reference backend: every fixture (and
// transformers' own float64 logits), random 4-layer models of every family (testkit), the recurrent
// step form against the parallel form on the GPU, and the traces a GPU run records (Δ, state
// checkpoints, final states). A family whose CPU path has not landed yet is reported as skipped.
// Without a usable GPU the suite says why and exits with 77 (CTest: skipped).
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>

#include "backend.h"
#include "error.h"
#include "gpu_check.h"
#include "model.h"
#include "npy.h"
#include "observation_case.h"
#include "random_model_folder.h"
#include "test_support.h"
#include "trace_store.h"

using namespace ss;
using namespace ss::gpu_test;

namespace {

constexpr double kTol = 1e-5;  // CUDA vs CPU, FP32 both
// testkit::bench_config's families (4 layers, d 256): every architecture StateScope runs.
const char* const kFamilies[] = {"mamba",      "mamba2",         "llama",     "jamba", "falcon_mamba", "bamba",
                                 "nemotron_h", "granite_hybrid", "falcon_h1", "zamba2"};

std::unique_ptr<Backend> gpu;
std::unique_ptr<Backend> cpu;
Suite suite("tst_cuda_models");

bool load_both(const std::string& dir, std::unique_ptr<Model>& mc, std::unique_ptr<Model>& mg) {
  return gpu_test::load_both(suite, *cpu, *gpu, dir, mc, mg);
}

void expect(const char* what, const Tensor& ours, const Tensor& ref, double tol = kTol) {
  const Diff d = compare(ours.device() == Device::Cuda ? gpu->to_host(ours) : ours, ref.device() == Device::Cuda ? gpu->to_host(ref) : ref);
  suite.check(d.within(tol), std::string(what) + " " + d.text());
}

void compare_states(const ModelState& g, const ModelState& c) {
  for (size_t l = 0; l < c.layers.size(); ++l) {
    if (!c.layers[l].ssm_state.empty()) expect(("ssm_state L" + std::to_string(l)).c_str(), g.layers[l].ssm_state, c.layers[l].ssm_state);
    if (!c.layers[l].conv_state.empty()) expect(("conv_state L" + std::to_string(l)).c_str(), g.layers[l].conv_state, c.layers[l].conv_state);
  }
}

void test_fixtures() {
  for (const std::string& name : test::fixture_names()) {
    suite.run("fixture(" + name + ")", [&] {
      const std::string dir = test::fixtures_dir() + "/" + name;
      std::unique_ptr<Model> mc, mg;
      if (!load_both(dir, mc, mg)) return;
      const auto tokens = test::read_input(dir + "/reference/input.bin");
      ModelState sc = mc->initial_state(), sg = mg->initial_state();
      const Tensor lc = mc->forward(tokens, sc), lg = mg->forward(tokens, sg);
      expect("logits vs cpu", lg, lc);
      compare_states(sg, sc);
      const NpyArray ref = read_npy(dir + "/reference/logits.npy");
      const double err = test::rel_l2(lg, ref);
      char buf[96];
      std::snprintf(buf, sizeof buf, "logits vs transformers rel %.2e (< 1e-4), %lld argmax mismatches", err,
                    (long long)test::argmax_mismatches(lg, ref));
      suite.check(err < 1e-4 && test::argmax_mismatches(lg, ref) == 0, buf);
    });
  }
}

std::string random_model(const std::string& family) {
  static std::map<std::string, std::string> made;
  if (!made.count(family)) made[family] = testkit::write_random_model_folder(testkit::bench_config(family), test::temp_dir("gpu-" + family), 7);
  return made[family];
}

void test_random_models() {
  for (const std::string family : kFamilies) {
    for (int64_t T : {1, 1000, 65536}) {
      if (T > 4096 && (quick_mode() || family != "mamba")) continue;  // the CPU side of 64K is slow for attention
      suite.run("random " + family + " (4 layers, d 256) T=" + std::to_string(T), [&] {
        std::unique_ptr<Model> mc, mg;
        if (!load_both(random_model(family), mc, mg)) return;
        const auto tokens = random_bytes(T, 11);
        ModelState sc = mc->initial_state(), sg = mg->initial_state();
        expect("logits vs cpu", mg->forward(tokens, sg), mc->forward(tokens, sc));
        compare_states(sg, sc);
      });
    }
  }
}

void test_step_vs_forward() {
  for (const std::string family : kFamilies) {
    suite.run("GPU step x64 = GPU forward(40) + 24 steps = GPU forward(64): " + family, [&] {
      std::unique_ptr<Model> mc, mg;
      if (!load_both(random_model(family), mc, mg)) return;
      const StepForward r = step_vs_forward(*mg, random_bytes(64, 5), 40);
      expect("steps vs forward", r.steps, r.forward);
      expect("forward+steps vs forward", r.mixed, r.forward);
      compare_states(r.steps_state, r.forward_state);
    });
  }
}

void test_traces() {
  suite.run("traces of a GPU run = traces of a CPU run (mamba, T=300, checkpoints every 16)", [] {
    std::unique_ptr<Model> mc, mg;
    if (!load_both(random_model("mamba"), mc, mg)) return;
    TraceRequest req;
    req.state_stride = 16;
    TraceStore tc(req), tg(req);
    const auto tokens = random_bytes(300, 3);
    ModelState sc = mc->initial_state(), sg = mg->initial_state();
    mc->forward(tokens, sc, tc.recording());
    mg->forward(tokens, sg, tg.recording());
    int compared = 0;
    for (const auto& [name, layer] : tc.keys()) {
      if (!tg.has(name, layer)) {
        suite.check(false, name + " L" + std::to_string(layer) + " missing from the GPU trace");
        continue;
      }
      const Tensor a = tg.get(name, layer), b = tc.get(name, layer);
      const Diff d = compare(a, b);
      if (!d.within(kTol) || a.shape() != b.shape()) suite.check(false, name + " L" + std::to_string(layer) + " " + d.text());
      ++compared;
    }
    suite.check(compared > 10, std::to_string(compared) + " traced tensors compared");
  });
}

// Long inputs run as consecutive forwards of chunk_tokens() tokens (Model::forward): the same logits,
// states and traces as one call. Chunks of 256 here so that short inputs cross several boundaries.
void test_chunked_forward() {
  for (const std::string family : kFamilies) {
    suite.run("GPU forward(1000) in chunks of 256 = one GPU forward(1000), traces included: " + family, [&] {
      std::unique_ptr<Model> mc, mg;
      if (!load_both(random_model(family), mc, mg)) return;
      const auto tokens = random_bytes(1000, 9);
      TraceRequest req;
      req.state_stride = 16;
      const int attn = [&] {
        for (int l = 0; l < mg->config().n_layers; ++l)
          if (mg->config().has_kv_cache(l)) return l;  // Falcon-H1's attention, Zamba2's shared attention too
        return -1;
      }();
      if (attn >= 0) req.probs_windows[attn] = ProbsWindow{0, 700, 1000};  // crosses the chunk at 768
      TraceStore whole(req), chunked(req);
      ModelState sw = mg->initial_state(), sc = mg->initial_state();
      const Tensor lw = mg->forward(tokens, sw, whole.recording());
      mg->set_chunk_tokens(256);
      const Tensor lc = mg->forward(tokens, sc, chunked.recording());
      mg->set_chunk_tokens(Model::kDefaultChunkTokens);
      expect("logits", lc, lw);
      compare_states(sc, sw);
      suite.check(sc.position == 1000, "position " + std::to_string(sc.position));
      int compared = 0;
      for (const auto& [name, layer] : whole.keys()) {
        const Tensor a = chunked.get(name, layer), b = whole.get(name, layer);
        const Diff d = compare(a, b);
        if (!d.within(kTol) || a.shape() != b.shape())
          suite.check(false, name + " L" + std::to_string(layer) + " " + d.text() + " " + a.shape_string() + " vs " + b.shape_string());
        if (chunked.state_positions(name, layer) != whole.state_positions(name, layer))
          suite.check(false, name + " L" + std::to_string(layer) + ": checkpoint positions differ");
        ++compared;
      }
      suite.check(compared > 8 && chunked.keys() == whole.keys(), std::to_string(compared) + " traced tensors compared");
    });
  }
}


// Δ → average (core/intervention.h) on the GPU: the same means (computed on the host from each
// backend's own Δ) and logits as the CPU reference, and the means reproduce the one pass in chunks.
void test_delta_average() {
  for (const std::string family : kFamilies) {
    if (family == "llama") continue;  // no SSM layer
    suite.run("Δ → average on the GPU = on the CPU: " + family, [&] {
      std::unique_ptr<Model> mc, mg;
      if (!load_both(random_model(family), mc, mg)) return;
      const auto tokens = random_bytes(300, 11);
      Intervention iv;
      iv.mean_delta = true;
      ModelState sc = mc->initial_state(), sg = mg->initial_state();
      const Tensor lc = mc->forward(tokens, sc, {}, true, iv), lg = mg->forward(tokens, sg, {}, true, iv);
      expect("logits vs cpu", lg, lc);
      const Intervention mc_means = mc->average_delta(tokens), mg_means = mg->average_delta(tokens);
      for (size_t l = 0; l < mc_means.delta_means.size(); ++l)
        if (!mc_means.delta_means[l].empty()) expect(("delta mean L" + std::to_string(l)).c_str(), mg_means.delta_means[l], mc_means.delta_means[l]);
      ModelState sch = mg->initial_state();
      mg->set_chunk_tokens(64);
      const Tensor lch = mg->forward(tokens, sch, {}, true, mg_means);
      mg->set_chunk_tokens(Model::kDefaultChunkTokens);
      expect("chunks with the means vs one pass", lch, lg, 1e-4);
    });
  }
}

// Tracing only observes (core/trace.h): the shared case, on this suite's backends.
void test_observation() { check_observation(suite, load_both, random_model); }

}  // namespace

int main() {
  std::string why;
  gpu = make_poisoned_cuda_backend(&why);
  if (!gpu) {
    std::printf("SKIP   : tst_cuda_models: no CUDA GPU can be used: %s\n", why.c_str());
    return kSkipExitCode;
  }
  cpu = make_cpu_backend();
  std::printf("Config: %s%s\n", gpu->name().c_str(), quick_mode() ? " (quick mode: longest inputs skipped)" : "");
  test_fixtures();
  test_random_models();
  test_step_vs_forward();
  test_traces();
  test_chunked_forward();
  test_delta_average();
  test_observation();
  const int status = suite.finish();
  gpu.reset();  // free the backend (and cuBLAS's workspace) before the CUDA runtime shuts down
  cpu.reset();
  return status;
}
