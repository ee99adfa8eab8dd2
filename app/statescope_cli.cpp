// statescope-cli: the engine without a display.
//   statescope-cli info   --model DIR
//   statescope-cli logits --model DIR --input FILE --out OUT.npy      float32 [tokens, vocab]
//   statescope-cli trace  --model DIR --input FILE --out DIR          .npy per trace + index.json
//   statescope-cli tokens --tokenizer DIR --input FILE [--no-special 1]  JSON: token ids and byte spans
// The input file is tokenized with the model folder's tokenizer.json (BOS as its post-processor
// says), or fed as bytes (token id = byte value) when the folder has no tokenizer.
// Common options: --device cpu|cuda|auto (default auto), --precision fp32|bf16 (default fp32; bf16 =
// BF16 weights and activations with FP32 accumulation and state, CUDA only), --state-stride K
// (trace: the SSM state after every K-th token; default 64; --checkpoint-every is its old name), --max-memory BYTES (logits, trace; default 3/4 of the machine's memory: a run
// whose computed peak is larger is refused before it starts). The backend line of the output names
// the device and the precision that ran. Unknown options are refused; outputs are written to a
// temporary file and renamed into place, never over the input or a file of the model folder.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <new>
#include <string>
#include <vector>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "atomic_file.h"
#include "cli_options.h"
#include "error.h"
#include "model.h"
#include "npy.h"
#include "tokenizer.h"
#include "regular_file.h"
#include "run_memory.h"
#include "trace_store.h"

namespace fs = std::filesystem;

namespace {

constexpr int64_t kMaxInputBytes = 64ll << 20;       // 64 MiB
constexpr int64_t kLogitsBytesPerWrite = 256ll << 20;  // logits held at once before they are written (or 1/16 of --max-memory)

int usage() {
  std::fprintf(stderr,
               "usage: statescope-cli info   --model DIR [--device cpu|cuda|auto] [--precision fp32|bf16]\n"
               "       statescope-cli logits --model DIR --input FILE --out OUT.npy [--device ...] [--max-memory BYTES] [--delta selective|average]\n"
               "       statescope-cli trace  --model DIR --input FILE --out DIR [--device ...] [--state-stride K] [--max-memory BYTES] [--delta ...]\n"
               "  --delta average: the intervention Δ → average (every SSM layer's Δ replaced by its mean over the input: a\n"
               "  time-invariant SSM; core/intervention.h); logits prints bits per token either way\n"
               "       statescope-cli tokens --tokenizer DIR --input FILE [--no-special 1]\n");
  return 2;
}

std::string read_input(const std::string& path) {
  const ss::RegularFile file(path, "--input");
  std::string bytes = file.read_all(kMaxInputBytes);
  if (bytes.empty()) throw ss::Error(path, "--input", "is empty: nothing to run");
  return bytes;
}

// The input's token ids: the folder's tokenizer.json, or one token per byte when it has none
// (Model::tokenize refuses a vocabulary under 256 then).
std::vector<int32_t> tokenize(const ss::Model& m, const std::string& input) {
  std::vector<int32_t> tokens;
  for (const ss::TokenPiece& p : m.tokenize(input)) tokens.push_back(p.id);
  if (tokens.empty()) throw ss::Error("", "--input", "gives no tokens");
  return tokens;
}

// The tokens of --input under the tokenizer.json of --tokenizer (a model folder or just the tokenizer).
int cmd_tokens(const ss::CliOptions& o) {
  const auto tok = ss::Tokenizer::load(o.at("--tokenizer"));
  if (!tok) throw ss::Error(o.at("--tokenizer"), "tokenizer.json", "not found");
  const auto pieces = tok->encode_pieces(read_input(o.at("--input")), !o.has("--no-special"));
  nlohmann::json ids = nlohmann::json::array(), spans = nlohmann::json::array();
  for (const ss::TokenPiece& p : pieces) {
    ids.push_back(p.id);
    spans.push_back({p.begin, p.end});
  }
  std::printf("%s\n", nlohmann::json{{"tokenizer", tok->describe()}, {"ids", ids}, {"spans", spans}}.dump().c_str());
  return 0;
}

void warn_unused(const ss::Model& m) {
  static bool said = false;  // once, when a GPU fault loads the model again on the CPU
  if (const std::string w = ss::unused_tensors_warning(m); !w.empty() && !said) std::fprintf(stderr, "warning: %s\n", w.c_str());
  said = true;
}

// The path as it will resolve (symlinks followed as far as they exist).
fs::path resolved(const std::string& p) {
  std::error_code ec;
  fs::path r = fs::weakly_canonical(fs::absolute(p, ec), ec);
  return ec ? fs::absolute(p) : r;
}

bool is_within(const fs::path& p, const fs::path& root) {
  auto r = root.begin(), q = p.begin();
  for (; r != root.end(); ++r, ++q)
    if (q == p.end() || *q != *r) return false;
  return true;
}

// Refuses an --out that would write over the input, into the model folder or over any file the
// model folder's entries point at (a HuggingFace snapshot links its files into blobs/).
void check_output(const std::string& out, const std::string& input, const std::string& model_dir, bool out_is_folder) {
  const fs::path o = resolved(out), in = resolved(input), dir = resolved(model_dir);
  if (o == in) throw ss::Error(out, "--out", "is the input file; refused (it would be overwritten)");
  if (is_within(o, dir)) throw ss::Error(out, "--out", "is inside the model folder " + dir.string() + "; refused (write the output elsewhere)");
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(model_dir, ec))
    if (resolved(e.path().string()) == o) throw ss::Error(out, "--out", "is the model file " + e.path().string() + " (through a link); refused");
  if (out_is_folder && is_within(in, o)) throw ss::Error(out, "--out", "holds the input file; refused (a trace file could overwrite it)");
  if (!out_is_folder && fs::is_directory(o, ec)) throw ss::Error(out, "--out", "is a folder; logits go to a .npy file");
  if (out_is_folder && fs::exists(o, ec) && !fs::is_directory(o, ec)) throw ss::Error(out, "--out", "exists and is not a folder");
}

void check_memory(const ss::RunMemory& need, int64_t limit, const std::string& what, const std::string& input) {
  if (need.total() <= limit) return;
  throw ss::Error(input, "--input", what + " would need about " + ss::human_bytes(need.total()) + " of memory (" + need.describe() +
                                        "), over the limit of " + ss::human_bytes(limit) + "; use a shorter input or raise --max-memory");
}

int64_t default_memory_limit() {
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page <= 0) return 4ll << 30;
  return static_cast<int64_t>(pages) * page / 4 * 3;
}

void warn_non_finite(const float* v, int64_t n, int64_t row0, int64_t V, int64_t* bad, int64_t* first_row) {
  for (int64_t i = 0; i < n; ++i)
    if (!std::isfinite(v[i])) {
      if (*bad == 0) *first_row = row0 + i / V;
      ++*bad;
    }
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

std::string file_name(const std::string& name, int layer) {
  std::string s = name;
  for (char& ch : s) if (ch == '.') ch = '_';
  return layer < 0 ? s + ".npy" : s + "_L" + std::to_string(layer) + ".npy";
}

bool averaged(const ss::CliOptions& o) { return o.has("--delta") && o.at("--delta") == "average"; }

int cmd_logits(const ss::Model& model, const std::vector<int32_t>& tokens, const ss::CliOptions& o, int64_t limit) {
  const int64_t T = static_cast<int64_t>(tokens.size()), V = model.config().vocab_size;
  // Rows of logits computed and written at once: the whole input when it fits, else pieces, each
  // continuing from the state the previous one left (the file is the same [T, V] either way).
  const int64_t rows = std::max<int64_t>(1, std::min<int64_t>({T, std::min(kLogitsBytesPerWrite, limit / 16) / (V * 4), model.chunk_tokens()}));
  check_memory(ss::logits_run_memory(model, T, rows), limit, "logits of " + std::to_string(T) + " tokens", o.at("--input"));
  ss::NpyWriter out(o.at("--out"), {T, V});
  // Δ → average: the means over the whole input first (one pass), then the pieces use them.
  const ss::Intervention iv = averaged(o) ? model.average_delta(tokens) : ss::Intervention{};
  ss::ModelState state = model.initial_state();
  int64_t bad = 0, first_bad_row = -1;
  double bits = 0;                 // -log2 p(token t+1) summed over t
  std::vector<float> prev_row;     // the last row of the previous piece
  for (int64_t t0 = 0; t0 < T; t0 += rows) {
    const int64_t t1 = std::min(T, t0 + rows);
    const ss::Tensor piece = model.forward(std::vector<int32_t>(tokens.begin() + t0, tokens.begin() + t1), state, {}, true, iv);  // [t1 - t0, V]
    warn_non_finite(piece.data(), piece.numel(), t0, V, &bad, &first_bad_row);
    for (int64_t t = t0; t < t1; ++t) {  // row t - 1 predicts token t
      const float* row = t == t0 ? (prev_row.empty() ? nullptr : prev_row.data()) : piece.data() + (t - 1 - t0) * V;
      if (!row) continue;
      const double mx = *std::max_element(row, row + V);
      double z = 0;
      for (int64_t v = 0; v < V; ++v) z += std::exp(double(row[v]) - mx);
      bits += -(double(row[tokens[size_t(t)]]) - mx - std::log(z)) / std::log(2.0);
    }
    prev_row.assign(piece.data() + (t1 - t0 - 1) * V, piece.data() + (t1 - t0) * V);
    out.append(piece.data(), piece.numel());
  }
  out.commit();
  if (bad)
    std::fprintf(stderr, "warning: %lld of %lld logits are NaN or infinite (the first at token %lld): the model overflowed\n",
                 static_cast<long long>(bad), static_cast<long long>(T * V), static_cast<long long>(first_bad_row));
  std::fprintf(stderr, "%s: %lld tokens on %s -> %s [%lld, %lld]\n", ss::architecture_name(model.config().arch), static_cast<long long>(T),
               model.backend().name().c_str(), o.at("--out").c_str(), static_cast<long long>(T), static_cast<long long>(V));
  if (T > 1)
    std::fprintf(stderr, "%.4f bits per token over %lld predicted tokens (%s)\n", bits / double(T - 1), static_cast<long long>(T - 1),
                 averaged(o) ? "delta averaged: time-invariant SSM" : "selective");
  return 0;
}

int cmd_trace(const ss::Model& model, const std::vector<int32_t>& tokens, const ss::CliOptions& o, int64_t limit) {
  const int64_t T = static_cast<int64_t>(tokens.size());
  ss::TraceRequest req;
  const std::string stride = o.has("--checkpoint-every") ? "--checkpoint-every" : "--state-stride";  // the old name, or the new
  req.state_stride = ss::parse_cli_integer(o.at(stride), stride, 0, 1ll << 30);
  for (int l = 0; l < model.config().n_layers; ++l)  // every layer with attention (Falcon-H1, Zamba2 hybrid): head 0 over the last 64 tokens
    if (model.config().has_kv_cache(l)) req.probs_windows[l] = ss::ProbsWindow{0, std::max<int64_t>(0, T - 64), T};
  check_memory(ss::trace_run_memory(model, req, tokens, T), limit, "a trace of " + std::to_string(T) + " tokens", o.at("--input"));
  ss::TraceStore store(req);
  ss::ModelState state = model.initial_state();
  ss::Intervention iv;
  iv.mean_delta = averaged(o);  // one pass over the whole input (intervention.h)
  model.forward(tokens, state, store.recording(), /*want_logits=*/false, iv);  // records what `req` asks for
  const std::string dir = o.at("--out");
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw ss::Error(dir, "--out", "cannot create the folder (" + ec.message() + ")");
  nlohmann::json index = {{"model", model.dir()}, {"architecture", ss::architecture_name(model.config().arch)},
                          {"backend", model.backend().name()}, {"tokens", T}, {"state_stride", req.state_stride},
                          {"delta", averaged(o) ? "average" : "selective"},
                          {"traces", nlohmann::json::array()}};
  for (const auto& [name, layer] : store.keys()) {
    const ss::Tensor t = store.get(name, layer);
    const std::string file = file_name(name, layer);
    ss::write_npy((fs::path(dir) / file).string(), t);
    nlohmann::json e = {{"name", name}, {"layer", layer}, {"file", file}, {"shape", t.shape()}};
    const auto pos = store.state_positions(name, layer);
    if (!pos.empty()) e["positions"] = pos;
    if (name == ss::trace::kAttnProbs)
      if (const ss::ProbsWindow* w = store.probs_window(layer)) e["probs_window"] = {{"head", w->head}, {"t0", w->t0}, {"t1", w->t1}};
    index["traces"].push_back(e);
  }
  ss::write_file_atomic((fs::path(dir) / "index.json").string(), index.dump(1) + "\n");  // last: its presence means complete
  std::fprintf(stderr, "wrote %zu traces to %s\n", store.keys().size(), dir.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  ss::CliOptions o;
  try {
    o = ss::parse_cli_options(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const ss::Error& e) {
    std::fprintf(stderr, "statescope-cli: error: %s\n", e.what());
    return usage();
  }
  const char* phase = "starting";
  try {
    if (o.command == "tokens") return cmd_tokens(o);
    const int64_t limit = o.has("--max-memory") ? ss::parse_cli_bytes(o.at("--max-memory"), "--max-memory") : default_memory_limit();
    const ss::Precision precision = ss::parse_precision(o.at("--precision"));
    std::string cpu_reason;
    std::unique_ptr<ss::Backend> backend = ss::make_backend(o.at("--device"), precision, &cpu_reason);
    if (!cpu_reason.empty()) std::fprintf(stderr, "note: running on the CPU: %s\n", cpu_reason.c_str());
    // Everything from loading to the last byte written runs on `be`. A GPU fault (out of its memory,
    // a kernel error) throws ss::DeviceError: what was computed is dropped (outputs are written
    // atomically, so nothing half-written stays) and, for --device auto in FP32, it all runs again
    // on the CPU reference with a warning; otherwise the fault is the error.
    auto run = [&](ss::Backend& be) -> int {
      phase = "loading the model";
      auto model = ss::Model::load(o.at("--model"), be);
      warn_unused(*model);
      if (o.command == "info") return cmd_info(*model);
      check_output(o.at("--out"), o.at("--input"), o.at("--model"), o.command == "trace");
      phase = "reading the input";
      const std::vector<int32_t> tokens = tokenize(*model, read_input(o.at("--input")));
      phase = "running the model";
      return o.command == "logits" ? cmd_logits(*model, tokens, o, limit) : cmd_trace(*model, tokens, o, limit);
    };
    try {
      return run(*backend);
    } catch (const ss::DeviceError& e) {
      if (!ss::may_fall_back_to_cpu(o.at("--device"), precision)) throw;
      std::fprintf(stderr, "warning: %s\n", ss::device_fallback_note(e, phase).c_str());
    }
    backend.reset();  // the GPU's memory back before the CPU run
    backend = ss::make_cpu_backend();
    return run(*backend);
  } catch (const ss::DeviceError& e) {
    std::fprintf(stderr, "statescope-cli: error: %s while %s (model %s)%s\n", e.out_of_memory() ? "the GPU ran out of memory" : "the GPU failed",
                 phase, o.at("--model").c_str(),
                 o.at("--precision") == "bf16" ? "; BF16 runs only on the GPU: use --precision fp32 --device auto to fall back to the CPU"
                                              : "; use --device auto (falls back to the CPU) or --device cpu");
    std::fprintf(stderr, "  %s\n", e.what());
    return 1;
  } catch (const ss::Error& e) {
    std::fprintf(stderr, "statescope-cli: error: %s\n", e.what());
    return 1;
  } catch (const std::bad_alloc&) {
    const std::string& what = o.has("--model") ? o.at("--model") : o.at("--tokenizer");
    std::fprintf(stderr, "statescope-cli: error: out of memory while %s (model %s%s%s)\n", phase, what.c_str(),
                 o.has("--input") ? ", input " : "", o.has("--input") ? o.at("--input").c_str() : "");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "statescope-cli: internal error while %s: %s\n", phase, e.what());
    return 3;
  }
}
