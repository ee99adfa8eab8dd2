// statescope-bench-load: how loading scales with a checkpoint's size (issue 12, item 5).
//
//   statescope-bench-load write DIR [--layers 52] [--d-model 2048] [--vocab 50280] [--seed 1]
//       writes a random Mamba-1 checkpoint in bf16 (config.json + model.safetensors, transformers'
//       names) of about 1.5 B parameters with the defaults (d_model 2048, 52 layers: mamba-1.4b's
//       shapes with 4 more layers), streamed tensor by tensor (the writer never holds the model).
//       Values are scaled as the fixtures' are (O(1) activations; no NaN or inf).
//   statescope-bench-load load DIR [--memory-limit BYTES]
//       Model::load on the CPU backend, then a forward pass over 16 bytes; prints the file size,
//       the parameters, the bytes load_bytes() predicted, the load time and whether the logits are
//       finite. Run under /usr/bin/time -v for the peak resident memory (docs/benchmarks.md).
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "backend.h"
#include "error.h"
#include "model.h"
#include "model_folder.h"
#include "run_memory.h"

namespace fs = std::filesystem;

namespace {

struct Spec {
  std::string name;
  std::vector<int64_t> shape;
  enum Kind { Linear, Norm, Conv, Bias, ALog, D, DtBias } kind;
};

uint16_t to_bf16(float f) {  // round to nearest even
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return static_cast<uint16_t>((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

int write(const std::string& dir, int layers, int d_model, int vocab, uint64_t seed) {
  const int64_t D = d_model, Di = 2 * D, N = 16, K = 4, R = (D + 15) / 16, V = vocab;
  fs::create_directories(dir);
  const nlohmann::json config = {{"architectures", {"MambaForCausalLM"}}, {"model_type", "mamba"}, {"hidden_size", D},
                                 {"num_hidden_layers", layers}, {"state_size", N}, {"expand", 2}, {"conv_kernel", K},
                                 {"time_step_rank", "auto"}, {"vocab_size", V}, {"tie_word_embeddings", true},
                                 {"use_bias", false}, {"use_conv_bias", true}, {"layer_norm_epsilon", 1e-5}};
  std::ofstream(dir + "/config.json") << config.dump(2);

  std::vector<Spec> specs = {{"backbone.embeddings.weight", {V, D}, Spec::Linear}};
  for (int l = 0; l < layers; ++l) {
    const std::string p = "backbone.layers." + std::to_string(l) + ".";
    specs.push_back({p + "norm.weight", {D}, Spec::Norm});
    specs.push_back({p + "mixer.in_proj.weight", {2 * Di, D}, Spec::Linear});
    specs.push_back({p + "mixer.conv1d.weight", {Di, 1, K}, Spec::Conv});
    specs.push_back({p + "mixer.conv1d.bias", {Di}, Spec::Bias});
    specs.push_back({p + "mixer.x_proj.weight", {R + 2 * N, Di}, Spec::Linear});
    specs.push_back({p + "mixer.dt_proj.weight", {Di, R}, Spec::Linear});
    specs.push_back({p + "mixer.dt_proj.bias", {Di}, Spec::DtBias});
    specs.push_back({p + "mixer.A_log", {Di, N}, Spec::ALog});
    specs.push_back({p + "mixer.D", {Di}, Spec::D});
    specs.push_back({p + "mixer.out_proj.weight", {D, Di}, Spec::Linear});
  }
  specs.push_back({"backbone.norm_f.weight", {D}, Spec::Norm});

  nlohmann::json header = nlohmann::json::object();
  uint64_t offset = 0, params = 0;
  for (const Spec& s : specs) {
    uint64_t n = 1;
    for (int64_t d : s.shape) n *= static_cast<uint64_t>(d);
    header[s.name] = {{"dtype", "BF16"}, {"shape", s.shape}, {"data_offsets", {offset, offset + 2 * n}}};
    offset += 2 * n;
    params += n;
  }
  std::string h = header.dump();
  h.append((8 - h.size() % 8) % 8, ' ');
  std::ofstream out(dir + "/model.safetensors", std::ios::binary);
  const uint64_t len = h.size();
  for (int i = 0; i < 8; ++i) out.put(static_cast<char>(len >> (8 * i) & 0xff));
  out.write(h.data(), static_cast<std::streamsize>(h.size()));

  // The tensors in the header's order (nlohmann sorts keys): uniform values of the wanted spread.
  uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;
  auto uniform = [&x] {  // xorshift64*, in [0, 1)
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    return static_cast<float>((x * 0x2545f4914f6cdd1dull) >> 40) / 16777216.0f;
  };
  std::vector<uint16_t> buf;
  for (auto it = header.begin(); it != header.end(); ++it) {
    const Spec* s = nullptr;
    for (const Spec& c : specs)
      if (c.name == it.key()) s = &c;
    uint64_t n = 1;
    for (int64_t d : s->shape) n *= static_cast<uint64_t>(d);
    buf.resize(n);
    const float fan_in = static_cast<float>(s->shape.size() == 2 ? s->shape[1] : 1);
    for (uint64_t i = 0; i < n; ++i) {
      const float u = uniform();
      float v = 0;
      switch (s->kind) {
        case Spec::Linear: v = (2 * u - 1) * std::sqrt(3.0f / fan_in) * (s->name.find("embed") != std::string::npos ? 0.5f * std::sqrt(fan_in) : 1.0f); break;
        case Spec::Norm: v = 1.0f + 0.2f * (2 * u - 1); break;
        case Spec::Conv: v = 0.3f * (2 * u - 1); break;
        case Spec::Bias: v = 0.1f * (2 * u - 1); break;
        case Spec::ALog: v = std::log(1.0f + 15.0f * u); break;
        case Spec::D: v = 1.0f + 0.3f * (2 * u - 1); break;
        case Spec::DtBias: {
          const float dt = std::exp(std::log(1e-3f) + u * (std::log(0.1f) - std::log(1e-3f)));
          v = dt + std::log(-std::expm1(-dt));
          break;
        }
      }
      buf[i] = to_bf16(v);
    }
    out.write(reinterpret_cast<const char*>(buf.data()), static_cast<std::streamsize>(2 * n));
  }
  out.close();
  if (!out) {
    std::fprintf(stderr, "write failed: %s\n", dir.c_str());
    return 1;
  }
  std::printf("wrote %s: %llu parameters, model.safetensors %llu bytes (bf16)\n", dir.c_str(), static_cast<unsigned long long>(params),
              static_cast<unsigned long long>(8 + h.size() + offset));
  return 0;
}

int load(const std::string& dir, int64_t memory_limit) {
  auto be = ss::make_cpu_backend();
  uint64_t file_bytes = 0;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".safetensors" || e.path().extension() == ".bin") file_bytes += e.file_size();
  int64_t predicted = 0;
  {
    ss::ModelFolder ck(dir);
    predicted = ss::Model::load_bytes(ss::parse_model_config(ck.config(), ck.config_path()), ck, *be);
  }
  const auto t0 = std::chrono::steady_clock::now();
  auto model = ss::Model::load(dir, *be, ss::LoadOptions{memory_limit});
  const double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const std::string text = "Mamba reads bytes";
  std::vector<int32_t> ids(text.begin(), text.end());
  ss::ModelState state = model->initial_state();
  const auto t1 = std::chrono::steady_clock::now();
  const ss::Tensor logits = model->forward(ids, state);
  const double fwd_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  bool finite = true;
  for (int64_t i = 0; i < logits.numel(); ++i) finite = finite && std::isfinite(logits.data()[i]);
  std::printf("file %s (%llu bytes), %lld parameters, load_bytes %s, load %.2f s, forward(%zu tokens) %.2f s, logits finite: %s\n",
              ss::human_bytes(static_cast<int64_t>(file_bytes)).c_str(), static_cast<unsigned long long>(file_bytes),
              static_cast<long long>(model->parameter_count()), ss::human_bytes(predicted).c_str(), load_s, ids.size(), fwd_s, finite ? "yes" : "NO");
  return finite ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s write DIR [--layers N] [--d-model N] [--vocab N] [--seed N] | load DIR [--memory-limit BYTES]\n", argv[0]);
    return 2;
  }
  const std::string cmd = argv[1], dir = argv[2];
  int layers = 52, d_model = 2048, vocab = 50280;
  uint64_t seed = 1;
  int64_t limit = -1;
  for (int i = 3; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const long long v = std::atoll(argv[i + 1]);
    if (k == "--layers") layers = static_cast<int>(v);
    else if (k == "--d-model") d_model = static_cast<int>(v);
    else if (k == "--vocab") vocab = static_cast<int>(v);
    else if (k == "--seed") seed = static_cast<uint64_t>(v);
    else if (k == "--memory-limit") limit = v;
    else { std::fprintf(stderr, "unknown option %s\n", k.c_str()); return 2; }
  }
  try {
    if (cmd == "write") return write(dir, layers, d_model, vocab, seed);
    if (cmd == "load") return load(dir, limit);
  } catch (const ss::Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  std::fprintf(stderr, "unknown command %s\n", cmd.c_str());
  return 2;
}
