// A small Qt-free test harness for the GPU suites, so they run on GPU machines that have no Qt.
// Output reads like QtTest's: one "PASS   :" / "FAIL!  :" / "SKIP   :" line per case with the
// measured errors, then "Totals: P passed, F failed, S skipped". Exit status: 0 all passed, 1 a
// failure, 77 (CTest SKIP_RETURN_CODE) when no GPU can be used.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "backend.h"
#include "model.h"

namespace ss::gpu_test {

constexpr int kSkipExitCode = 77;

// The agreement of a GPU result with a reference.
struct Diff {
  double rel = 0;         // ||ours - ref|| / ||ref||
  int64_t nonfinite = 0;  // NaN or Inf in ours (a poisoned element never written, or worse)
  bool same_size = true;
  bool within(double tol) const { return same_size && nonfinite == 0 && rel <= tol; }
  std::string text() const;  // "rel 3.1e-07" or "rel 3.1e-07, 12 non-finite"
};
Diff compare(const Tensor& ours, const Tensor& ref);  // host tensors

class Suite {
 public:
  explicit Suite(std::string name) : name_(std::move(name)) {}
  // Runs one case; an exception fails it. The case reports through pass/fail/skip or check.
  void run(const std::string& name, const std::function<void()>& body);
  void check(bool ok, const std::string& detail);  // the current case passes only if every check holds
  void skip(const std::string& why);               // the current case is skipped
  int finish();                                    // prints the totals; the exit status

 private:
  std::string name_, current_;
  bool case_failed_ = false, case_skipped_ = false;
  std::string details_;
  int passed_ = 0, failed_ = 0, skipped_ = 0;
};

// Random host tensors (never zeros: they hide unwritten outputs).
class Random {
 public:
  explicit Random(unsigned seed) : rng_(seed) {}
  Tensor normal(const Shape& shape, float mean = 0.0f, float stddev = 1.0f);
  Tensor uniform(const Shape& shape, float lo, float hi);
  Tensor softplus_normal(const Shape& shape, float mean, float stddev);  // softplus(N(mean, sd)) > 0
  std::vector<int32_t> ints(int64_t n, int32_t lo, int32_t hi);            // in [lo, hi)
  std::mt19937& engine() { return rng_; }

 private:
  std::mt19937 rng_;
};

// The CUDA backend with poisoned allocations, or nullptr with the reason.
std::unique_ptr<Backend> make_poisoned_cuda_backend(std::string* why_not);
// Quick mode (STATESCOPE_GPU_TEST_QUICK=1, used under compute-sanitizer): the longest inputs are skipped.
bool quick_mode();

// printf-style formatting, for case names.
std::string fmt(const char* f, ...) __attribute__((format(printf, 1, 2)));
// n byte tokens that read like text, one in four replaced by a random byte.
std::vector<int32_t> random_bytes(int64_t n, unsigned seed);
// Loads `dir` on both backends; false (the current case skipped) when the CPU path lacks a layer kind.
bool load_both(Suite& suite, Backend& cpu, Backend& gpu, const std::string& dir, std::unique_ptr<Model>& mc,
               std::unique_ptr<Model>& mg);

// The logits of `tokens` through one model three ways, each [T, V]: one forward, one step per token,
// and a forward of the first `split` tokens followed by steps; with the states each run ends in.
struct StepForward {
  Tensor forward, steps, mixed;
  ModelState forward_state, steps_state, mixed_state;
};
StepForward step_vs_forward(const Model& m, const std::vector<int32_t>& tokens, int64_t split);

}  // namespace ss::gpu_test
