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

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
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

namespace ss::test {

void write_safetensors(const std::string& path, const std::map<std::string, Tensor>& tensors) {
  nlohmann::json header = nlohmann::json::object();
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    const uint64_t bytes = t.numel() * 4;
    header[name] = {{"dtype", "F32"}, {"shape", t.shape()}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string h = header.dump();
  h.append((8 - h.size() % 8) % 8, ' ');
  std::ofstream out(path, std::ios::binary);
  const uint64_t len = h.size();
  for (int i = 0; i < 8; ++i) out.put(static_cast<char>(len >> (8 * i) & 0xff));
  out.write(h.data(), static_cast<std::streamsize>(h.size()));
  for (const auto& [name, t] : tensors) out.write(reinterpret_cast<const char*>(t.data()), t.numel() * 4);
}

void write_raw_safetensors(const std::string& path, const std::string& header, size_t data_bytes, uint64_t claimed_len) {
  std::ofstream out(path, std::ios::binary);
  const uint64_t len = claimed_len ? claimed_len : header.size();
  for (int i = 0; i < 8; ++i) out.put(static_cast<char>(len >> (8 * i) & 0xff));
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  std::string zeros(data_bytes, '\0');
  out.write(zeros.data(), static_cast<std::streamsize>(zeros.size()));
}

nlohmann::json tiny_mamba_config(const TinyMamba& s) {
  return {{"architectures", {"MambaForCausalLM"}}, {"model_type", "mamba"}, {"vocab_size", s.vocab},
          {"hidden_size", s.d_model}, {"num_hidden_layers", s.n_layers}, {"state_size", s.d_state},
          {"conv_kernel", s.d_conv}, {"expand", s.expand}, {"intermediate_size", s.expand * s.d_model},
          {"time_step_rank", s.dt_rank}, {"use_bias", s.proj_bias}, {"use_conv_bias", s.conv_bias},
          {"tie_word_embeddings", s.tied}, {"layer_norm_epsilon", 1e-5}};
}

std::string make_tiny_mamba(const TinyMamba& s, const std::string& dir) {
  std::mt19937 rng(s.seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_real_distribution<float> uni(0.0f, 1.0f);
  auto randn = [&](Shape shape, float scale, float mean = 0.0f) {
    Tensor t = Tensor::zeros(shape);
    for (int64_t i = 0; i < t.numel(); ++i) t.at(i) = mean + scale * normal(rng);
    return t;
  };
  const int64_t D = s.d_model, Di = s.expand * s.d_model, N = s.d_state, R = s.dt_rank, K = s.d_conv, V = s.vocab;
  std::map<std::string, Tensor> w;
  w["backbone.embeddings.weight"] = randn({V, D}, 1.0f);
  w["backbone.norm_f.weight"] = randn({D}, 0.2f, 1.0f);
  if (!s.tied) w["lm_head.weight"] = randn({V, D}, 0.3f);
  for (int l = 0; l < s.n_layers; ++l) {
    const std::string p = "backbone.layers." + std::to_string(l) + ".";
    w[p + "norm.weight"] = randn({D}, 0.2f, 1.0f);
    w[p + "mixer.in_proj.weight"] = randn({2 * Di, D}, 1.0f / std::sqrt(float(D)));
    w[p + "mixer.conv1d.weight"] = randn({Di, 1, K}, 0.4f);
    if (s.conv_bias) w[p + "mixer.conv1d.bias"] = randn({Di}, 0.1f);
    w[p + "mixer.x_proj.weight"] = randn({R + 2 * N, Di}, 1.0f / std::sqrt(float(Di)));
    w[p + "mixer.dt_proj.weight"] = randn({Di, R}, 0.5f);
    Tensor dt_bias = Tensor::zeros({Di});
    for (int64_t i = 0; i < Di; ++i) {  // softplus(bias) spans about 0.001 .. 0.5
      const float dt = std::exp(std::log(0.001f) + uni(rng) * (std::log(0.5f) - std::log(0.001f)));
      dt_bias.at(i) = dt + std::log(-std::expm1(-dt));
    }
    w[p + "mixer.dt_proj.bias"] = dt_bias;
    Tensor a_log = Tensor::zeros({Di, N});
    for (int64_t i = 0; i < Di * N; ++i) a_log.at(i) = std::log(1.0f + 15.0f * uni(rng));
    w[p + "mixer.A_log"] = a_log;
    w[p + "mixer.D"] = randn({Di}, 0.3f, 1.0f);
    w[p + "mixer.out_proj.weight"] = randn({D, Di}, 1.0f / std::sqrt(float(Di)));
    if (s.proj_bias) {
      w[p + "mixer.in_proj.bias"] = randn({2 * Di}, 0.1f);
      w[p + "mixer.out_proj.bias"] = randn({D}, 0.1f);
    }
  }
  fs::create_directories(dir);
  write_safetensors((fs::path(dir) / "model.safetensors").string(), w);
  std::ofstream((fs::path(dir) / "config.json").string()) << tiny_mamba_config(s).dump(2);
  return dir;
}

}  // namespace ss::test
