// Attention mixer. TODO(helper: attention) the real implementation.
#include "error.h"
#include "layer.h"

namespace ss {

std::unique_ptr<Mixer> load_attention_mixer(Checkpoint& ck, const ModelConfig&, const std::string& prefix, Backend&) {
  throw Error(ck.dir(), prefix, "attention layers are not implemented yet");
}

}  // namespace ss
