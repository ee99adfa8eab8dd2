// Fuzz target: a workspace file (.statescope). An accepted file must survive a round trip: written
// back and read again, it gives the same state.
#include <string>

#include "error.h"
#include "fuzz_target.h"
#include "workspace_file.h"

void fuzz_one(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const ss::WorkspaceState s = ss::workspace_from_json(text, "fuzz.statescope");
    if (!(ss::workspace_from_json(ss::workspace_to_json(s), "again.statescope") == s)) __builtin_trap();
  } catch (const ss::Error&) {
  }
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) { fuzz_one(data, size); return 0; }
