// Fuzz target: config.json. The bytes are parsed as the loader does (relaxed JSON, no duplicate keys,
// depth cap), then as a model config; an accepted config must describe a consistent layer schedule.
#include <string>

#include "config.h"
#include "error.h"
#include "fuzz_target.h"
#include "json_file.h"
#include "run_memory.h"

void fuzz_one(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const nlohmann::json j = ss::parse_json_text(text, "config.json", /*relaxed=*/true);
    const ss::ModelConfig c = ss::parse_model_config(j, "config.json");
    if (c.n_layers < 1 || static_cast<int>(c.mixers.size()) != c.n_layers || static_cast<int>(c.ffns.size()) != c.n_layers) __builtin_trap();
    if (ss::activation_floats_per_token(c) <= 0) __builtin_trap();
  } catch (const ss::Error&) {
  }
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) { fuzz_one(data, size); return 0; }
