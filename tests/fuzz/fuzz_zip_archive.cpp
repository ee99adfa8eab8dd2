// Fuzz target: the ZIP central directory reader (torch.save's container). Whatever it accepts must
// give entries whose data lies inside the input.
#include <string_view>

#include "error.h"
#include "fuzz_target.h"
#include "zip_archive.h"

void fuzz_one(const uint8_t* data, size_t size) {
  try {
    for (const auto& [name, e] : ss::parse_zip_directory(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.pt"))
      if (e.data_offset > size || e.size > size - e.data_offset || name != e.name) __builtin_trap();
  } catch (const ss::Error&) {
  }
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) { fuzz_one(data, size); return 0; }
