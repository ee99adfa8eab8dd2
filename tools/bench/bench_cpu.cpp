// CPU benchmark (issue 2): full forward of a 4-layer d_model-256 byte model on 4 KB, and the
// per-byte recurrent step, for each family; beside Eigen's own matrix-multiply rate measured in the
// same run, and the cost of tracing the views' data. Prints a markdown table.
//   build/tools/bench/statescope-bench-cpu [--bytes 4096] [--steps 512] [--families mamba,mamba2,llama,jamba]
// Run it pinned to one core for the single-core figures: taskset -c 0 build/tools/bench/statescope-bench-cpu
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "backend.h"
#include "model.h"
#include "random_model_folder.h"
#include "trace_store.h"

using namespace ss;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

template <class F>
double median_seconds(int reps, F&& f) {
  std::vector<double> t;
  for (int i = 0; i < reps; ++i) {
    const auto t0 = Clock::now();
    f();
    t.push_back(seconds_since(t0));
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

double eigen_gemm_gflops() {
  const int n = 1024;
  RowMatrix a = RowMatrix::Random(n, n), b = RowMatrix::Random(n, n), c(n, n);
  c.noalias() = a * b;  // warm-up
  const double s = median_seconds(5, [&] { c.noalias() = a * b; });
  return 2.0 * n * n * n / s / 1e9;
}

// Floating-point work of one forward over T tokens (multiply-adds count 2; an exp counts 1).
double forward_flops(const ModelConfig& c, double T) {
  const double D = c.d_model, V = c.vocab_size;
  double f = 2 * T * D * V;  // LM head
  for (int l = 0; l < c.n_layers; ++l) {
    // A Falcon-H1 layer (attention + Mamba-2 side by side) counts both mixers.
    const MixerKind kinds[2] = {c.mixers[l] == MixerKind::AttentionMamba2 ? MixerKind::Mamba2 : c.mixers[l],
                                c.mixers[l] == MixerKind::AttentionMamba2 ? MixerKind::Attention : MixerKind::None};
    for (const MixerKind kind : kinds) switch (kind) {
      case MixerKind::Mamba: {
        const double Di = c.mamba.d_inner, N = c.mamba.d_state, R = c.mamba.dt_rank, K = c.mamba.d_conv;
        f += 2 * T * D * 2 * Di + 2 * T * Di * (R + 2 * N) + 2 * T * R * Di + 2 * T * Di * D;  // projections
        f += 2 * T * Di * K + T * Di * N * 7;  // conv; scan: exp, 2 mul-adds for h, 1 for y
        break;
      }
      case MixerKind::Mamba2: {
        const auto& m = c.mamba2;
        const double Di = m.d_inner, GN = double(m.n_groups) * m.d_state, H = m.n_heads, P = m.head_dim, N = m.d_state, Q = m.chunk_size;
        f += 2 * T * D * (2 * Di + 2 * GN + H) + 2 * T * Di * D;
        f += 2 * T * Q * N * m.n_groups + 2 * T * Q * H * P;  // C B^T and (L ∘ C B^T) x inside chunks
        f += 2 * 2 * T * H * P * N;                            // chunk states in, state readout
        break;
      }
      case MixerKind::Attention: {
        const auto& a = c.attn;
        f += 2 * T * D * (a.n_heads + 2.0 * a.n_kv_heads) * a.head_dim + 2 * T * a.n_heads * a.head_dim * D;
        f += 2 * 2 * (T * T / 2) * a.n_heads * a.head_dim;  // causal QK^T and PV
        break;
      }
      case MixerKind::None: break;
      case MixerKind::AttentionMamba2: break;  // split above
    }
    if (c.shared_block(l) >= 0) {  // a Zamba2 hybrid layer: its use of a shared block, then its own linear
      const auto& a = c.attn;
      const double r = c.zamba2.adapter_rank, I = c.ffn.intermediate;
      const double q = a.n_heads * double(a.head_dim), kv = a.n_kv_heads * double(a.head_dim);
      f += 2 * T * 2 * D * (q + 2 * kv) + 2 * T * q * D;                 // q, k, v on concat(x, x_0) [T, 2D]; o
      if (c.zamba2.attention_adapters) f += 2 * T * r * (3 * 2 * D + q + 2 * kv);  // q, k, v adapters
      f += 2 * 2 * (T * T / 2) * q;                                       // causal QK^T and PV
      f += 2 * T * D * 2 * I + 2 * T * I * D + 2 * T * r * (D + 2 * I);  // gate_up (+ its adapter), down
      f += 2 * T * D * D;                                                 // the layer's own linear
    }
    const double mlp_mats = c.ffn.mlp == MlpKind::Relu2 ? 2 : 3;  // Nemotron-H's MLP has no gate
    const double shared = 3 * 2 * T * D * double(c.ffn.shared_intermediate);  // Granite's shared MLP (0 elsewhere)
    if (c.ffns[l] == FfnKind::Mlp) f += c.ffn.shared_intermediate ? shared : mlp_mats * 2 * T * D * c.ffn.intermediate;
    if (c.ffns[l] == FfnKind::Moe) f += 2 * T * D * c.ffn.n_experts + c.ffn.top_k * 3 * 2 * T * D * c.ffn.intermediate + shared;
  }
  return f;
}

TraceRequest views_request(const ModelConfig& c, int64_t T) {
  TraceRequest r;
  r.names = {trace::kLogits, trace::kResidualNorm, trace::kStateBytes, trace::kKvBytes, trace::kMambaDelta,
             trace::kMambaStridedStates, trace::kMamba2Delta, trace::kMamba2StridedStates, trace::kAttnProbs, trace::kMoeExperts};
  r.state_stride = 256;
  for (int l = 0; l < c.n_layers; ++l)
    if (c.has_kv_cache(l)) r.probs_windows[l] = ProbsWindow{0, T - 256, T};
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  int64_t bytes = 4096, steps = 512;
  std::string families = "mamba,mamba2,llama,jamba";
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]) == "--help" || std::string(argv[i]) == "-h") {
      std::printf("usage: statescope-bench-cpu [--bytes 4096] [--steps 512] [--families mamba,mamba2,llama,jamba]\n"
                  "  families: mamba, mamba2, llama, jamba, falcon_mamba, bamba, nemotron_h, granite_hybrid, falcon_h1, zamba2\n");
      return 0;
    }
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    if (k == "--bytes") bytes = std::stoll(argv[i + 1]);
    else if (k == "--steps") steps = std::stoll(argv[i + 1]);
    else if (k == "--families") families = argv[i + 1];
  }
  std::mt19937 rng(3);
  std::vector<int32_t> tokens(bytes);
  for (auto& t : tokens) t = 32 + rng() % 95;  // printable ASCII

  const double gemm = eigen_gemm_gflops();
  std::printf("Eigen sgemm 1024^3 in this run: %.1f GFLOP/s\n\n", gemm);
  std::printf("| family | params | forward %lld B (s) | GFLOP | GFLOP/s | vs Eigen gemm | traced/untraced | step (ms/byte) |\n", (long long)bytes);
  std::printf("|---|---:|---:|---:|---:|---:|---:|---:|\n");
  auto be = make_cpu_backend();
  std::stringstream fams(families);
  for (std::string fam; std::getline(fams, fam, ',');) {
    const std::string dir = (std::filesystem::temp_directory_path() / ("statescope-bench-" + fam)).string();
    testkit::write_random_model_folder(testkit::bench_config(fam), dir, 7);
    std::unique_ptr<Model> m;
    try {
      m = Model::load(dir, *be);
    } catch (const std::exception& e) {
      std::printf("| %s | (cannot load: %s) |\n", fam.c_str(), e.what());
      continue;
    }
    const ModelConfig& c = m->config();
    auto run_plain = [&] { ModelState s = m->initial_state(); m->forward(tokens, s); };
    run_plain();  // warm-up
    const double t_plain = median_seconds(3, run_plain);
    const double t_traced = median_seconds(3, [&] {
      ModelState s = m->initial_state();
      TraceStore store(views_request(c, bytes));
      m->forward(tokens, s, store.recording());
    });
    ModelState s = m->initial_state();
    m->forward({tokens.begin(), tokens.begin() + 256}, s);
    const auto t0 = Clock::now();
    for (int64_t i = 0; i < steps; ++i) m->step(tokens[(256 + i) % bytes], s);
    const double step_ms = seconds_since(t0) / steps * 1e3;
    const double gflop = forward_flops(c, double(bytes)) / 1e9;
    std::printf("| %s | %.2fM | %.3f | %.1f | %.1f | %.0f%% | %.2f | %.3f |\n", architecture_name(c.arch), m->parameter_count() / 1e6,
                t_plain, gflop, gflop / t_plain, 100.0 * gflop / t_plain / gemm, t_traced / t_plain, step_ms);
    std::filesystem::remove_all(dir);
  }
  return 0;
}
