// Fuzz target: model.safetensors.index.json. Every shard name accepted must be a plain file name in
// the model folder.
#include <string>

#include "model_folder.h"
#include "error.h"
#include "fuzz_target.h"
#include "json_file.h"

void fuzz_one(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const nlohmann::json j = ss::parse_json_text(text, "model.safetensors.index.json", /*relaxed=*/true);
    for (const auto& [name, shard] : ss::parse_weight_map(j, "model.safetensors.index.json"))
      if (shard.empty() || shard == "." || shard == ".." || shard.find('/') != std::string::npos || shard.find('\\') != std::string::npos)
        __builtin_trap();
  } catch (const ss::Error&) {
  }
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) { fuzz_one(data, size); return 0; }
