// Fuzz target: statescope-cli's command line. The bytes split at NUL into argv[1..]; accepted options
// are then parsed as numbers the way the CLI does. Also the number parsers on the whole text.
#include <string>
#include <vector>

#include "cli_options.h"
#include "error.h"
#include "fuzz_target.h"

void fuzz_one(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> args;
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i)
    if (i == text.size() || text[i] == '\0') {
      args.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  try {
    const ss::CliOptions o = ss::parse_cli_options(args);
    for (const char* stride : {"--state-stride", "--checkpoint-every"})
      if (o.has(stride)) ss::parse_cli_integer(o.at(stride), stride, 0, 1ll << 30);
    if (o.has("--max-memory") && ss::parse_cli_bytes(o.at("--max-memory"), "--max-memory") < 1) __builtin_trap();
  } catch (const ss::Error&) {
  }
  try {
    const int64_t v = ss::parse_cli_integer(text, "n", 0, 1ll << 30);
    if (v < 0 || v > (1ll << 30)) __builtin_trap();
  } catch (const ss::Error&) {
  }
  try {
    const int64_t v = ss::parse_cli_bytes(text, "b");
    if (v < 1 || v > (1ll << 50)) __builtin_trap();
  } catch (const ss::Error&) {
  }
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) { fuzz_one(data, size); return 0; }
