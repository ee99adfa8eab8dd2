// Fuzz target: a lesson file (assets/lessons/*.json), as the classroom loads it.
#include <string>

#include "error.h"
#include "fuzz_target.h"
#include "lesson.h"

void fuzz_one(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    (void)ss::parse_lesson(text, "fuzz.json");
  } catch (const ss::Error&) {
  }
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) { fuzz_one(data, size); return 0; }
