// A restricted unpickler for the data.pkl of a torch.save state dict: an interpreter of the pickle
// opcodes a state dict is made of, that calls nothing. GLOBAL may name only
//   collections.OrderedDict, torch._utils._rebuild_tensor_v2, torch._utils._rebuild_parameter,
//   torch.FloatStorage, torch.BFloat16Storage, torch.HalfStorage
// and REDUCE may apply only the first three (to build dicts and tensor descriptions); any other
// global (os.system, builtins.eval, ...) is refused at the GLOBAL opcode, before anything else is
// read, naming the file and the global. Opcodes that build arbitrary objects (INST, OBJ, NEWOBJ,
// EXT*, the text PERSID) are refused. Every length, memo index and integer is bounds-checked.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "safetensors.h"  // DType
#include "tensor.h"

namespace ss {

// One tensor of the state dict: a strided view of a storage (the zip entry data/<storage_key>).
struct TorchTensorRef {
  std::string storage_key;
  DType dtype = DType::F32;
  uint64_t storage_numel = 0;     // elements the storage holds (its entry must have this many)
  uint64_t offset = 0;            // storage offset, in elements
  Shape shape;
  std::vector<int64_t> stride;    // in elements, one per dimension
};

// The state dict (name -> tensor, in the pickle's order) of `bytes` (data.pkl). `path` and `entry`
// name the file in errors ("path: entry at byte N: message"). Throws ss::Error.
std::vector<std::pair<std::string, TorchTensorRef>> parse_torch_pickle(std::string_view bytes, const std::string& path,
                                                                       const std::string& entry = "data.pkl");

// The limits: data.pkl size, stack depth, items in all containers together.
inline constexpr uint64_t kMaxPickleBytes = 64ull << 20;
inline constexpr size_t kMaxPickleStack = 1u << 20;
inline constexpr size_t kMaxPickleItems = 16u << 20;

}  // namespace ss
