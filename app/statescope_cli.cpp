// statescope-cli: the engine without a display.
//   statescope-cli info   --model DIR
//   statescope-cli logits --model DIR --input FILE --out OUT.npy      float32 [tokens, vocab]
// The input file is tokenized with the folder's tokenizer.json (BOS as its post-processor says), or
// fed as bytes (token id = byte value) when the folder has no tokenizer.
//   statescope-cli trace  --model DIR --input FILE --out DIR          .npy per trace + index.json
//   statescope-cli tokens --tokenizer DIR --input FILE [--no-special 1]  JSON: ids and byte spans
// Common options: --device cpu|cuda|auto (default auto), --precision fp32|bf16 (default fp32; bf16 =
// BF16 weights and activations with FP32 accumulation and state, CUDA only), --checkpoint-every K
// (trace; default 64). The backend line of the output names the device and the precision that ran.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "error.h"
#include "model.h"
#include "npy.h"
#include "tokenizer.h"
#include "trace_store.h"

namespace fs = std::filesystem;

namespace {

constexpr int64_t kMaxInputBytes = 64ll << 20;  // 64 MiB

int usage() {
  std::fprintf(stderr,
               "usage: statescope-cli info   --model DIR [--device cpu|cuda|auto] [--precision fp32|bf16]\n"
               "       statescope-cli logits --model DIR --input FILE --out OUT.npy [--device ...]\n"
               "       statescope-cli trace  --model DIR --input FILE --out DIR [--device ...] [--checkpoint-every K]\n"
               "       statescope-cli tokens --tokenizer DIR --input FILE [--no-special 1]\n");
  return 2;
}

std::string read_input(const std::string& path) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) throw ss::Error(path, "--input", "cannot read (" + ec.message() + ")");
  if (static_cast<int64_t>(size) > kMaxInputBytes) throw ss::Error(path, "--input", "is " + std::to_string(size) + " bytes; the limit is " + std::to_string(kMaxInputBytes));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ss::Error(path, "--input", "cannot open");
  std::string bytes(size, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(size));
  if (bytes.empty()) throw ss::Error(path, "--input", "is empty: nothing to run");
  return bytes;
}

// The input's token ids: the folder's tokenizer.json, or one token per byte when it has none.
std::vector<int32_t> tokenize(const ss::Model& m, const std::string& input) {
  std::vector<int32_t> tokens;
  for (const ss::TokenPiece& p : m.tokenize(input)) tokens.push_back(p.id);
  if (tokens.empty()) throw ss::Error("", "--input", "gives no tokens");
  return tokens;
}

int cmd_info(const ss::Model& m) {
  const ss::ModelConfig& c = m.config();
  std::printf("model:        %s\n", m.dir().c_str());
  std::printf("architecture: %s\n", ss::architecture_name(c.arch));
  std::printf("backend:      %s\n", m.backend().name().c_str());
  std::printf("layers:       %d  (d_model %d, vocab %d)\n", c.n_layers, c.d_model, c.vocab_size);
  if (m.tokenizer()) std::printf("tokenizer:    %s  (%s)\n", m.tokenizer()->describe().c_str(), m.tokenizer()->path().c_str());
  else std::printf("tokenizer:    none: token id = byte value\n");
  std::printf("schedule:     ");
  for (int i = 0; i < c.n_layers; ++i) std::printf("%s%s%s", i ? " " : "", ss::mixer_name(c.mixers[i]), c.ffns[i] == ss::FfnKind::Moe ? "+moe" : c.ffns[i] == ss::FfnKind::Mlp ? "+mlp" : "");
  std::printf("\nparameters:   %lld\n", static_cast<long long>(m.parameter_count()));
  std::printf("state bytes:  %lld  (fixed, all SSM layers, fp32)\n", static_cast<long long>(m.state_bytes()));
  std::printf("KV bytes/token: %lld  (all attention layers, fp32)\n", static_cast<long long>(m.kv_bytes_per_token()));
  return 0;
}

// The tokens of --input under the tokenizer.json of --tokenizer (a model folder or just the tokenizer).
int cmd_tokens(std::map<std::string, std::string>& opt) {
  if (!opt.count("--tokenizer")) throw ss::Error("", "--tokenizer", "required");
  if (!opt.count("--input")) throw ss::Error("", "--input", "required");
  const auto tok = ss::Tokenizer::load(opt["--tokenizer"]);
  if (!tok) throw ss::Error(opt["--tokenizer"], "tokenizer.json", "not found");
  const auto pieces = tok->encode_pieces(read_input(opt["--input"]), !opt.count("--no-special"));
  nlohmann::json ids = nlohmann::json::array(), spans = nlohmann::json::array();
  for (const ss::TokenPiece& p : pieces) {
    ids.push_back(p.id);
    spans.push_back({p.begin, p.end});
  }
  std::printf("%s\n", nlohmann::json{{"tokenizer", tok->describe()}, {"ids", ids}, {"spans", spans}}.dump().c_str());
  return 0;
}

std::string file_name(const std::string& name, int layer) {
  std::string s = name;
  for (char& ch : s) if (ch == '.') ch = '_';
  return layer < 0 ? s + ".npy" : s + "_L" + std::to_string(layer) + ".npy";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  const std::string cmd = argv[1];
  std::map<std::string, std::string> opt{{"--device", "auto"}, {"--precision", "fp32"}, {"--checkpoint-every", "64"}};
  for (int i = 2; i < argc; ++i) {
    const std::string key = argv[i];
    if (key.rfind("--", 0) != 0 || i + 1 >= argc) {
      std::fprintf(stderr, "statescope-cli: option '%s' needs a value\n", key.c_str());
      return usage();
    }
    opt[key] = argv[++i];
  }
  try {
    if (cmd == "tokens") return cmd_tokens(opt);
    if (!opt.count("--model")) throw ss::Error("", "--model", "required");
    auto backend = ss::make_backend(opt["--device"], ss::parse_precision(opt["--precision"]));
    auto model = ss::Model::load(opt["--model"], *backend);
    if (cmd == "info") return cmd_info(*model);
    if (cmd != "logits" && cmd != "trace") return usage();
    if (!opt.count("--input")) throw ss::Error("", "--input", "required");
    if (!opt.count("--out")) throw ss::Error("", "--out", "required");
    const std::vector<int32_t> tokens = tokenize(*model, read_input(opt["--input"]));
    ss::ModelState state = model->initial_state();

    if (cmd == "logits") {
      ss::Tensor logits = model->forward(tokens, state);  // [T, V]
      ss::write_npy(opt["--out"], logits);
      std::fprintf(stderr, "%s: %zu tokens on %s -> %s %s\n", ss::architecture_name(model->config().arch), tokens.size(),
                   backend->name().c_str(), opt["--out"].c_str(), logits.shape_string().c_str());
      return 0;
    }

    ss::TraceRequest req;
    req.checkpoint_every = std::stoll(opt["--checkpoint-every"]);
    for (int l = 0; l < model->config().n_layers; ++l)  // attention: the last 64 tokens' window of head 0
      if (model->config().mixers[l] == ss::MixerKind::Attention) {
        const int64_t T = static_cast<int64_t>(tokens.size());
        req.windows[{ss::trace::kAttnProbs, l}] = ss::TraceWindow{0, std::max<int64_t>(0, T - 64), T};
      }
    ss::TraceStore store(req);
    model->forward(tokens, state, &store, /*want_logits=*/false);
    fs::create_directories(opt["--out"]);
    nlohmann::json index = {{"model", model->dir()}, {"architecture", ss::architecture_name(model->config().arch)},
                            {"backend", backend->name()}, {"tokens", tokens.size()}, {"checkpoint_every", req.checkpoint_every},
                            {"traces", nlohmann::json::array()}};
    for (const auto& [name, layer] : store.keys()) {
      const ss::Tensor t = store.get(name, layer);
      const std::string file = file_name(name, layer);
      ss::write_npy((fs::path(opt["--out"]) / file).string(), t);
      nlohmann::json e = {{"name", name}, {"layer", layer}, {"file", file}, {"shape", t.shape()}};
      const auto pos = store.checkpoint_positions(name, layer);
      if (!pos.empty()) e["positions"] = pos;
      if (auto w = store.window(name, layer)) e["window"] = {{"head", w->head}, {"t0", w->t0}, {"t1", w->t1}};
      index["traces"].push_back(e);
    }
    std::ofstream((fs::path(opt["--out"]) / "index.json").string()) << index.dump(1) << "\n";
    std::fprintf(stderr, "wrote %zu traces to %s\n", store.keys().size(), opt["--out"].c_str());
    return 0;
  } catch (const ss::Error& e) {
    std::fprintf(stderr, "statescope-cli: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "statescope-cli: internal error: %s\n", e.what());
    return 3;
  }
}
