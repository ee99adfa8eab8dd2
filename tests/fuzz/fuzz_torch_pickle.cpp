// Fuzz target: the restricted unpickler (data.pkl of a torch.save state dict), as TorchCheckpoint
// runs it. Whatever it accepts must be a state dict whose views lie inside their storages.
#include <string_view>

#include "error.h"
#include "fuzz_target.h"
#include "torch_pickle.h"

void fuzz_one(const uint8_t* data, size_t size) {
  try {
    const auto dict = ss::parse_torch_pickle(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.pt");
    for (const auto& [name, t] : dict) {
      if (t.shape.size() != t.stride.size()) __builtin_trap();
      unsigned __int128 last = t.offset;
      bool empty = false;
      for (size_t d = 0; d < t.shape.size(); ++d) {
        if (t.shape[d] < 0 || t.stride[d] < 0) __builtin_trap();
        if (t.shape[d] == 0) empty = true;
        else last += static_cast<unsigned __int128>(t.shape[d] - 1) * static_cast<uint64_t>(t.stride[d]);
      }
      if (!empty && last >= t.storage_numel) __builtin_trap();
    }
  } catch (const ss::Error&) {
  }
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) { fuzz_one(data, size); return 0; }
