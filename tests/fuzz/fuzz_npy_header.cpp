// Fuzz target: the header dict of a .npy file (the text after the length), as read_npy parses it.
#include <string>

#include "error.h"
#include "fuzz_target.h"
#include "npy.h"

void fuzz_one(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const ss::NpyHeader h = ss::parse_npy_header(text, "fuzz.npy");
    if (ss::shape_numel(h.shape) < 0 || ss::shape_numel(h.shape) > (int64_t(1) << 40)) __builtin_trap();
  } catch (const ss::Error&) {
  }
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) { fuzz_one(data, size); return 0; }
