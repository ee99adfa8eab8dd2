// CPU reference for the Mamba-2 SSD (chunked matrix form and recurrent step).
// TODO(helper: mamba2) replace with the real implementation.
#include <stdexcept>

#include "cpu_backend.h"

namespace ss {

Tensor CpuBackend::ssd_chunked(const SsdArgs&) { throw std::logic_error("ssd_chunked: not implemented yet"); }
Tensor CpuBackend::ssd_step(const SsdArgs&) { throw std::logic_error("ssd_step: not implemented yet"); }

}  // namespace ss
