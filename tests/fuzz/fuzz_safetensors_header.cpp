// Fuzz target: the safetensors header. Input: 8 bytes (little-endian) = the size of the data section,
// then the header's JSON text; parse_safetensors_header validates it as SafetensorsFile does.
#include <string>

#include "error.h"
#include "fuzz_target.h"
#include "safetensors.h"

void fuzz_one(const uint8_t* data, size_t size) {
  if (size < 8) return;
  uint64_t data_bytes = 0;
  for (int i = 7; i >= 0; --i) data_bytes = data_bytes << 8 | data[i];
  const std::string header(reinterpret_cast<const char*>(data + 8), size - 8);
  try {
    const auto entries = ss::parse_safetensors_header(header, data_bytes, "fuzz.safetensors");
    for (const auto& [name, e] : entries)  // what the loader relies on
      if (e.end < e.begin || e.end > data_bytes || ss::shape_numel(e.shape) * static_cast<int64_t>(ss::dtype_bytes(e.dtype)) != static_cast<int64_t>(e.end - e.begin))
        __builtin_trap();
  } catch (const ss::Error&) {
  }
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) { fuzz_one(data, size); return 0; }
