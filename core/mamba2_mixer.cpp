// Mamba-2 mixer. TODO(helper: mamba2) the real implementation.
#include "error.h"
#include "layer.h"

namespace ss {

std::unique_ptr<Mixer> load_mamba2_mixer(Checkpoint& ck, const ModelConfig&, const std::string& prefix, Backend&) {
  throw Error(ck.dir(), prefix, "Mamba-2 layers are not implemented yet");
}

}  // namespace ss
