// MLP and mixture-of-experts feed-forward. TODO(helper: attention) the real implementation.
#include "error.h"
#include "layer.h"

namespace ss {

std::unique_ptr<FeedForward> load_mlp(Checkpoint& ck, const ModelConfig&, const std::string& prefix, Backend&) {
  throw Error(ck.dir(), prefix, "MLP layers are not implemented yet");
}
std::unique_ptr<FeedForward> load_moe(Checkpoint& ck, const ModelConfig&, const std::string& prefix, Backend&) {
  throw Error(ck.dir(), prefix, "MoE layers are not implemented yet");
}

}  // namespace ss
