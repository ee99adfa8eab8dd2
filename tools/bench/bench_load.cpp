// statescope-bench-load: how loading scales with a checkpoint's size (issue 12, item 5).
//
//   statescope-bench-load write DIR [--layers 52] [--d-model 2048] [--vocab 50280] [--seed 1]
//       writes a random Mamba-1 checkpoint in bf16 (config.json + model.safetensors, transformers'
//       names) of about 1.5 B parameters with the defaults (d_model 2048, 52 layers: mamba-1.4b's
//       shapes with 4 more layers), streamed tensor by tensor (the writer never holds the model).
//       Values are scaled as the fixtures' are (O(1) activations; no NaN or inf).
//   statescope-bench-load to-torch DIR OUT
//       the same tensors as a torch.save-style pytorch_model.bin in OUT (a stored ZIP: data.pkl, one
//       storage entry per tensor; CRC fields left 0, so only for StateScope's reader) plus config.json.
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
#include "safetensors.h"

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

// A pickle of the state dict as torch.save writes it (protocol 2; see tests/fixtures/torch_tensors).
class PickleWriter {
 public:
  std::string bytes = std::string("\x80\x02", 2);
  void op(char c) { bytes += c; }
  void global(const std::string& module, const std::string& name) { bytes += "c" + module + "\n" + name + "\n"; }
  void str(const std::string& s) {
    bytes += 'X';
    le(s.size(), 4);
    bytes += s;
  }
  void integer(int64_t v) {  // BININT (signed 32-bit) is enough for the sizes here
    bytes += 'J';
    le(static_cast<uint64_t>(v), 4);
  }
  void le(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) bytes += static_cast<char>(v >> (8 * i) & 0xff);
  }
};

int to_torch(const std::string& dir, const std::string& out_dir) {
  ss::SafetensorsFile st(dir + "/model.safetensors");
  ss::RegularFile file(dir + "/model.safetensors");
  ss::MappedFile map(file);
  fs::create_directories(out_dir);
  fs::copy_file(dir + "/config.json", out_dir + "/config.json", fs::copy_options::overwrite_existing);
  const uint64_t data_start = file.size() - [&] {
    uint64_t n = 0;
    for (const auto& [name, e] : st.entries()) n = std::max(n, e.end);
    return n;
  }();

  PickleWriter p;
  p.global("collections", "OrderedDict");
  p.op(')');
  p.op('R');
  p.op('(');
  std::vector<std::pair<std::string, const ss::SafetensorsEntry*>> order;
  for (const auto& [name, e] : st.entries()) {
    const std::string key = std::to_string(order.size());
    order.emplace_back(key, &e);
    p.str(name);
    p.global("torch._utils", "_rebuild_tensor_v2");
    p.op('(');
    p.op('(');
    p.str("storage");
    p.global("torch", e.dtype == ss::DType::BF16 ? "BFloat16Storage" : e.dtype == ss::DType::F16 ? "HalfStorage" : "FloatStorage");
    p.str(key);
    p.str("cpu");
    p.integer(static_cast<int64_t>((e.end - e.begin) / ss::dtype_bytes(e.dtype)));
    p.op('t');
    p.op('Q');
    p.integer(0);
    p.op('(');
    for (int64_t d : e.shape) p.integer(d);
    p.op('t');
    p.op('(');
    int64_t stride = 1;
    std::vector<int64_t> strides(e.shape.size());
    for (size_t d = e.shape.size(); d-- > 0;) {
      strides[d] = stride;
      stride *= e.shape[d];
    }
    for (int64_t s : strides) p.integer(s);
    p.op('t');
    p.op('\x89');
    p.global("collections", "OrderedDict");
    p.op(')');
    p.op('R');
    p.op('t');
    p.op('R');
  }
  p.op('u');
  p.op('.');

  // The ZIP: local header + data per entry, then the central directory and its end (no ZIP64: the
  // file stays under 4 GiB here; refused otherwise).
  std::ofstream out(out_dir + "/pytorch_model.bin", std::ios::binary);
  struct Central { std::string name; uint64_t size, offset; };
  std::vector<Central> central;
  uint64_t at = 0;
  auto u = [&out](uint64_t v, int n) { for (int i = 0; i < n; ++i) out.put(static_cast<char>(v >> (8 * i) & 0xff)); };
  auto entry = [&](const std::string& name, const unsigned char* data, uint64_t size) {
    if (at + size > 0xffffffffull) throw ss::Error(out_dir, "pytorch_model.bin", "over 4 GiB: this writer has no ZIP64");
    central.push_back({name, size, at});
    u(0x04034b50, 4); u(20, 2); u(0, 2); u(0, 2); u(0, 4); u(0, 4); u(size, 4); u(size, 4); u(name.size(), 2); u(0, 2);
    out.write(name.data(), static_cast<std::streamsize>(name.size()));
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    at += 30 + name.size() + size;
  };
  entry("archive/data.pkl", reinterpret_cast<const unsigned char*>(p.bytes.data()), p.bytes.size());
  entry("archive/byteorder", reinterpret_cast<const unsigned char*>("little"), 6);
  for (const auto& [key, e] : order) entry("archive/data/" + key, map.data() + data_start + e->begin, e->end - e->begin);
  const uint64_t cd_at = at;
  for (const Central& c : central) {
    u(0x02014b50, 4); u(20, 2); u(20, 2); u(0, 2); u(0, 2); u(0, 4); u(0, 4); u(c.size, 4); u(c.size, 4); u(c.name.size(), 2);
    u(0, 2); u(0, 2); u(0, 2); u(0, 2); u(0, 4); u(c.offset, 4);
    out.write(c.name.data(), static_cast<std::streamsize>(c.name.size()));
    at += 46 + c.name.size();
  }
  u(0x06054b50, 4); u(0, 2); u(0, 2); u(central.size(), 2); u(central.size(), 2); u(at - cd_at, 4); u(cd_at, 4); u(0, 2);
  out.close();
  if (!out) throw ss::Error(out_dir, "pytorch_model.bin", "write failed");
  std::printf("wrote %s/pytorch_model.bin: %zu tensors, %llu bytes\n", out_dir.c_str(), order.size(), static_cast<unsigned long long>(at + 22));
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
    std::fprintf(stderr, "usage: %s write DIR [--layers N] [--d-model N] [--vocab N] [--seed N] | to-torch DIR OUT | load DIR [--memory-limit BYTES]\n", argv[0]);
    return 2;
  }
  const std::string cmd = argv[1], dir = argv[2];
  int layers = 52, d_model = 2048, vocab = 50280;
  uint64_t seed = 1;
  int64_t limit = -1;
  if (cmd == "to-torch") {
    try {
      return argc == 4 ? to_torch(dir, argv[3]) : 2;
    } catch (const ss::Error& e) {
      std::fprintf(stderr, "%s\n", e.what());
      return 1;
    }
  }
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
