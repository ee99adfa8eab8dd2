// CPU reference for RoPE, the KV cache and causal attention.
// TODO(helper: attention) replace with the real implementation.
#include <stdexcept>

#include "cpu_backend.h"

namespace ss {

void CpuBackend::rope(Tensor&, int64_t, float) { throw std::logic_error("rope: not implemented yet"); }
void CpuBackend::kv_append(KvCache&, const Tensor&, const Tensor&) { throw std::logic_error("kv_append: not implemented yet"); }
Tensor CpuBackend::attention(const AttentionArgs&) { throw std::logic_error("attention: not implemented yet"); }

}  // namespace ss
