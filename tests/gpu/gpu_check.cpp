#include "gpu_check.h"

#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "error.h"

namespace ss::gpu_test {

std::string Diff::text() const {
  std::ostringstream s;
  if (!same_size) return "size mismatch";
  s.precision(2);
  s << std::scientific << "rel " << rel;
  if (nonfinite) s << ", " << nonfinite << " non-finite";
  return s.str();
}

Diff compare(const Tensor& ours, const Tensor& ref) {
  Diff d;
  if (ours.numel() != ref.numel()) {
    d.same_size = false;
    return d;
  }
  double num = 0, den = 0;
  for (int64_t i = 0; i < ours.numel(); ++i) {
    const double o = ours.data()[i], r = ref.data()[i];
    if (!std::isfinite(o)) {
      ++d.nonfinite;
      continue;
    }
    num += (o - r) * (o - r);
    den += r * r;
  }
  d.rel = den > 0 ? std::sqrt(num / den) : std::sqrt(num);
  return d;
}

void Suite::run(const std::string& name, const std::function<void()>& body) {
  current_ = name;
  case_failed_ = case_skipped_ = false;
  details_.clear();
  try {
    body();
  } catch (const std::exception& e) {
    case_failed_ = true;
    details_ += std::string(details_.empty() ? "" : "; ") + "exception: " + e.what();
  }
  const char* tag = case_failed_ ? "FAIL!  " : case_skipped_ ? "SKIP   " : "PASS   ";
  (case_failed_ ? failed_ : case_skipped_ ? skipped_ : passed_)++;
  std::printf("%s: %s::%s %s\n", tag, name_.c_str(), name.c_str(), details_.c_str());
  std::fflush(stdout);
}

void Suite::check(bool ok, const std::string& detail) {
  if (!ok) case_failed_ = true;
  details_ += (details_.empty() ? "" : "; ") + detail + (ok ? "" : " <-- FAILED");
}

void Suite::skip(const std::string& why) {
  case_skipped_ = true;
  details_ += (details_.empty() ? "" : "; ") + why;
}

int Suite::finish() {
  std::printf("Totals: %d passed, %d failed, %d skipped\n", passed_, failed_, skipped_);
  return failed_ ? 1 : 0;
}

Tensor Random::normal(const Shape& shape, float mean, float stddev) {
  std::normal_distribution<float> n(mean, stddev);
  Tensor t = Tensor::zeros(shape);
  for (int64_t i = 0; i < t.numel(); ++i) t.at(i) = n(rng_);
  return t;
}

Tensor Random::uniform(const Shape& shape, float lo, float hi) {
  std::uniform_real_distribution<float> u(lo, hi);
  Tensor t = Tensor::zeros(shape);
  for (int64_t i = 0; i < t.numel(); ++i) t.at(i) = u(rng_);
  return t;
}

Tensor Random::softplus_normal(const Shape& shape, float mean, float stddev) {
  Tensor t = normal(shape, mean, stddev);
  for (int64_t i = 0; i < t.numel(); ++i) t.at(i) = std::log1p(std::exp(t.at(i)));
  return t;
}

std::vector<int32_t> Random::ints(int64_t n, int32_t lo, int32_t hi) {
  std::uniform_int_distribution<int32_t> u(lo, hi - 1);
  std::vector<int32_t> v(n);
  for (auto& x : v) x = u(rng_);
  return v;
}

std::unique_ptr<Backend> make_poisoned_cuda_backend(std::string* why_not) {
  setenv("STATESCOPE_CUDA_POISON", "1", 1);
  try {
    return make_backend("cuda");
  } catch (const std::exception& e) {
    if (why_not) *why_not = e.what();
    return nullptr;
  }
}

bool quick_mode() {
  const char* v = std::getenv("STATESCOPE_GPU_TEST_QUICK");
  return v && *v && *v != '0';
}

std::string fmt(const char* f, ...) {
  char buf[256];
  va_list ap;
  va_start(ap, f);
  std::vsnprintf(buf, sizeof buf, f, ap);
  va_end(ap);
  return buf;
}

std::vector<int32_t> random_bytes(int64_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<int32_t> t(n);
  const std::string text = "The state space model reads every byte once; attention keeps them all. ";
  for (int64_t i = 0; i < n; ++i) t[i] = rng() % 4 ? static_cast<unsigned char>(text[i % text.size()]) : static_cast<int32_t>(rng() % 256);
  return t;
}

bool load_both(Suite& suite, Backend& cpu, Backend& gpu, const std::string& dir, std::unique_ptr<Model>& mc,
               std::unique_ptr<Model>& mg) {
  try {
    mc = Model::load(dir, cpu);
  } catch (const Error& e) {
    if (!std::strstr(e.what(), "not implemented")) throw;
    suite.skip(std::string("CPU path: ") + e.what());
    return false;
  }
  mg = Model::load(dir, gpu);
  return true;
}

StepForward step_vs_forward(const Model& m, const std::vector<int32_t>& tokens, int64_t split) {
  StepForward r;
  const int64_t T = static_cast<int64_t>(tokens.size());
  r.forward_state = m.initial_state();
  r.forward = m.forward(tokens, r.forward_state);  // [T, V]
  const int64_t V = r.forward.size(1);
  r.steps_state = m.initial_state();
  r.mixed_state = m.initial_state();
  r.steps = Tensor::zeros({T, V});
  r.mixed = Tensor::zeros({T, V});
  for (int64_t t = 0; t < T; ++t) std::memcpy(r.steps.data() + t * V, m.step(tokens[t], r.steps_state).data(), sizeof(float) * V);
  const Tensor head = m.forward(std::vector<int32_t>(tokens.begin(), tokens.begin() + split), r.mixed_state);  // [split, V]
  std::memcpy(r.mixed.data(), head.data(), sizeof(float) * split * V);
  for (int64_t t = split; t < T; ++t) std::memcpy(r.mixed.data() + t * V, m.step(tokens[t], r.mixed_state).data(), sizeof(float) * V);
  return r;
}

}  // namespace ss::gpu_test
