// statescope-soak: does stepping through a long text in the recurrent mode keep memory bounded?
// (issue 13, item 8). Two levels, on the CPU backend (the reference; --device for another):
//   model        Model::step, one token at a time, --tokens of them: the state is fixed-size, so the
//                resident memory must not grow (an SSM; an attention layer's KV cache grows by
//                kv_bytes_per_token per token, which is reported as the expected growth).
//   exploration  Exploration::append of one byte at a time (what the explorer's stepper does): it
//                keeps per-token results (the byte, its surprisal, the mean Δ of each SSM layer) and
//                snapshots (bounded by the snapshot budget), so the growth must stay within that
//                accounting; also reports the time per step at the start and at the end.
//   session      Session::step of one byte at a time through a text of --tokens bytes (the explorer's
//                stepper without the window: the document hands each step to the worker, which
//                appends it to the model), waiting for the worker after each; no views are built.
//                The same accounting as `exploration` (the text, and the rest to feed, are held
//                once: 2 bytes per token more).
// The resident set size (VmRSS of /proc/self/status) is sampled --samples times; the report is the
// growth after a warm-up of the first 1 % of the tokens, against what is expected. Exit status 1 when
// the unexplained growth exceeds --slack MB (default 16).
//
//   statescope-soak --model DIR [--level model|exploration|session] [--tokens 1000000] [--samples 10]
//                   [--device cpu] [--slack 16]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "backend.h"
#include "error.h"
#include "exploration.h"
#include "model.h"
#include "session.h"

namespace {

double rss_mb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::atof(line.c_str() + 6) / 1024.0;  // kB
  return -1;
}

// Text-like bytes, deterministic: the same soak measures the same thing.
uint8_t byte_at(int64_t i) {
  static const char kText[] = "A selective state space model keeps a fixed state; attention keeps every key. ";
  const uint64_t h = static_cast<uint64_t>(i) * 0x9E3779B97F4A7C15ull;
  return (h >> 60) == 0 ? static_cast<uint8_t>(h >> 32) : static_cast<uint8_t>(kText[i % (sizeof kText - 1)]);
}

int usage() {
  std::fprintf(stderr, "usage: statescope-soak --model DIR [--level model|exploration|session] [--tokens N] [--samples K] [--device cpu] [--slack MB]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string model_dir, level = "model", device = "cpu";
  int64_t tokens = 1000000, samples = 10;
  double slack_mb = 16;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    if (i + 1 >= argc) return usage();
    const std::string v = argv[++i];
    if (k == "--model") model_dir = v;
    else if (k == "--level") level = v;
    else if (k == "--tokens") tokens = std::atoll(v.c_str());
    else if (k == "--samples") samples = std::atoll(v.c_str());
    else if (k == "--device") device = v;
    else if (k == "--slack") slack_mb = std::atof(v.c_str());
    else return usage();
  }
  if (model_dir.empty() || tokens < 100 || samples < 1 || (level != "model" && level != "exploration" && level != "session")) return usage();
  try {
    const int64_t warm = std::max<int64_t>(tokens / 100, 16);
    std::vector<std::pair<int64_t, double>> rss;  // (tokens done, MB)
    double expected_mb = 0;                         // growth after the warm-up that the design accounts for
    std::string expected_what;
    double us_first = 0, us_last = 0;
    const auto t0 = std::chrono::steady_clock::now();
    auto sample_at = [&](int64_t k) { return k == warm || (k > warm && (k - warm) % std::max<int64_t>((tokens - warm) / samples, 1) == 0) || k == tokens; };
    if (level == "model") {
      auto backend = ss::make_backend(device);
      auto model = ss::Model::load(model_dir, *backend);
      ss::ModelState state = model->initial_state();
      const double kv = double(model->kv_bytes_per_token());
      expected_mb = kv * double(tokens - warm) / 1e6 / 1.048576;
      expected_what = kv > 0 ? "KV cache: " + std::to_string(int64_t(kv)) + " B/token" : "none: a fixed state of " + std::to_string(model->state_bytes()) + " B";
      for (int64_t k = 1; k <= tokens; ++k) {
        const ss::Tensor logits = model->step(byte_at(k - 1), state);
        if (k == 1000) us_first = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count() / 1000;
        if (sample_at(k)) {
          backend->to_host(logits);  // waits for the device
          rss.emplace_back(k, rss_mb());
        }
      }
    } else {
      // exploration: the model directly; session: through the session's document and worker.
      std::unique_ptr<ss::Session> session;
      std::unique_ptr<ss::Exploration> own;
      const ss::Exploration* ex = nullptr;
      if (level == "session") {
        session = std::make_unique<ss::Session>();
        session->set_views({});
        std::string err;
        if (!session->open_model(model_dir, device, "fp32", &err)) throw std::runtime_error(err);
        std::vector<uint8_t> text(tokens);
        for (int64_t i = 0; i < tokens; ++i) text[i] = byte_at(i);
        session->set_text(std::move(text));
        session->select_token(0);
        session->begin_stepping();  // the text cut after byte 0: every other byte is a step
        session->wait_idle();
        session->run_on_worker([&](ss::Engine& e, const ss::Document& d) { ex = e.exploration(d, 0); });
      } else {
        own = ss::Exploration::open(model_dir, ss::make_backend(device));
        ex = own.get();
      }
      for (int64_t k = 1; k <= tokens; ++k) {
        const auto s0 = std::chrono::steady_clock::now();
        if (session) {
          if (k > 1) session->step(1);
          session->wait_idle();
        } else {
          own->append({byte_at(k - 1)});
        }
        const double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - s0).count();
        if (k <= 1000) us_first += us / 1000;
        if (k > tokens - 1000) us_last += us / 1000;
        if (sample_at(k)) rss.emplace_back(k, rss_mb());
        if (k == warm) {
          // Per token kept for the whole text: the byte, its surprisal, the mean Δ of each SSM layer
          // (vectors grow by doubling: up to 2x); snapshots: at most the budget, spacing doubling.
          int ssm = 0;
          for (ss::MixerKind m : ex->config().mixers) ssm += m != ss::MixerKind::Attention;
          const double per_token = 1 + 4 + 4.0 * ssm + double(ex->model().kv_bytes_per_token()) + (session ? 2 : 0);
          const double snaps = std::min<double>(double(ex->snapshot_bytes()) * double(tokens) / double(ex->snapshot_every()) * 2,
                                                double(ss::Exploration::kSnapshotBudget));
          expected_mb = (2 * per_token * double(tokens) + snaps) / 1048576.0;
          expected_what = "per-token results " + std::to_string(int64_t(per_token)) + " B/token (x2 for vector growth) + snapshots of " +
                          std::to_string(ex->snapshot_bytes()) + " B (at most " + std::to_string(ss::Exploration::kSnapshotBudget >> 20) + " MB)";
        }
      }
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("statescope-soak: %s, level %s, %lld tokens in %.1f s, %s\n", model_dir.c_str(), level.c_str(), static_cast<long long>(tokens), seconds,
                device.c_str());
    std::printf("%12s %10s\n", "tokens", "RSS MB");
    for (const auto& [k, mb] : rss) std::printf("%12lld %10.1f\n", static_cast<long long>(k), mb);
    const double growth = rss.back().second - rss.front().second;
    double peak = 0;
    for (const auto& s : rss) peak = std::max(peak, s.second);
    std::printf("growth after the warm-up (%lld tokens): %.1f MB (peak %.1f MB); expected at most %.1f MB (%s)\n",
                static_cast<long long>(warm), growth, peak, expected_mb, expected_what.c_str());
    if (level != "model") std::printf("time per step: %.1f us over the first 1000, %.1f us over the last 1000\n", us_first, us_last);
    else std::printf("time per step: %.1f us (first 1000), %.1f us on average\n", us_first, seconds * 1e6 / double(tokens));
    const bool ok = growth <= expected_mb + slack_mb;
    std::printf("%s: unexplained growth %.1f MB %s the slack of %.1f MB\n", ok ? "PASS" : "FAIL", growth - expected_mb, ok ? "within" : "over", slack_mb);
    return ok ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "statescope-soak: error: %s\n", e.what());
    return 1;
  }
}
