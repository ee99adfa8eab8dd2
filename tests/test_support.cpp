#include "test_support.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>

namespace fs = std::filesystem;

namespace ss::test {

std::string fixtures_dir() { return STATESCOPE_FIXTURES; }

std::vector<std::string> fixture_names() {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(fixtures_dir(), ec))
    if (fs::exists(e.path() / "config.json")) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<int32_t> read_input(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::vector<int32_t> t;
  char c;
  while (in.get(c)) t.push_back(static_cast<unsigned char>(c));
  return t;
}

double rel_l2(const Tensor& ours, const NpyArray& ref) {
  if (static_cast<int64_t>(ref.values.size()) != ours.numel()) return INFINITY;
  double num = 0, den = 0;
  for (int64_t i = 0; i < ours.numel(); ++i) {
    const double d = ours.data()[i] - ref.values[i];
    num += d * d;
    den += ref.values[i] * ref.values[i];
  }
  return std::sqrt(num / std::max(den, 1e-300));
}

double rel_l2(const Tensor& a, const Tensor& b) {
  if (a.numel() != b.numel()) return INFINITY;
  double num = 0, den = 0;
  for (int64_t i = 0; i < a.numel(); ++i) {
    const double d = double(a.data()[i]) - b.data()[i];
    num += d * d;
    den += double(b.data()[i]) * b.data()[i];
  }
  return std::sqrt(num / std::max(den, 1e-300));
}

int64_t argmax_mismatches(const Tensor& ours, const NpyArray& ref) {
  const int64_t V = ours.size(-1), T = ours.numel() / V;
  int64_t bad = 0;
  for (int64_t t = 0; t < T; ++t) {
    const float* o = ours.data() + t * V;
    const double* r = ref.values.data() + t * V;
    if (std::max_element(o, o + V) - o != std::max_element(r, r + V) - r) ++bad;
  }
  return bad;
}

std::string temp_dir(const std::string& tag) {
  static std::mt19937_64 rng(std::random_device{}());
  fs::path p = fs::temp_directory_path() / ("statescope-" + tag + "-" + std::to_string(rng()));
  fs::create_directories(p);
  return p.string();
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace ss::test
