// Fuzz target: tokenizer.json. An accepted tokenizer must encode a fixed text (ASCII, UTF-8,
// invalid UTF-8 and control bytes) to ids inside its vocabulary.
#include <string>

#include "error.h"
#include "fuzz_target.h"
#include "tokenizer.h"

void fuzz_one(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const auto tok = ss::Tokenizer::from_json(text, "tokenizer.json");
    if (!tok) return;
    static const char kProbe[] = "Hello, world! 12 caf\xc3\xa9 \xe4\xb8\xad\xe6\x96\x87 \xff\xfe\t\n  end";
    static const std::string probe(kProbe, sizeof kProbe - 1);
    for (int32_t id : tok->encode(probe))
      if (id < 0 || id >= tok->vocab_size()) __builtin_trap();
  } catch (const ss::Error&) {
  }
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) { fuzz_one(data, size); return 0; }
