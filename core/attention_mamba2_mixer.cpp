// The mixer of a Falcon-H1 layer (FalconH1DecoderLayer): attention and a Mamba-2 mixer side by side,
// both reading the same normalised input, their outputs summed.
//
// Shapes: T tokens, D d_model.
//   out = mamba2(x) + attention(x)     [T, D]   (each [T, D]; Falcon-H1's multipliers are folded
//                                              into the two mixers' weights: attention_mixer.cpp,
//                                              mamba2_mixer.cpp)
// The layer's state holds both: the SSM's conv and SSM state and the attention's KV cache
// (LayerState has a field for each; the two mixers touch only their own). Each part traces under the
// layer's index with its own names (trace::kMamba2*, trace::kAttn*), so one layer shows its Δ, its
// state and its attention probabilities. Δ → average (intervention.h) changes the Mamba-2 part only.
#include "layer.h"

namespace ss {

namespace {

class AttentionMamba2Mixer final : public Mixer {
 public:
  AttentionMamba2Mixer(std::unique_ptr<Mixer> attention, std::unique_ptr<Mixer> mamba2)
      : attention_(std::move(attention)), mamba2_(std::move(mamba2)) {}

  MixerKind kind() const override { return MixerKind::AttentionMamba2; }

  LayerState initial_state(Backend& be) const override {
    LayerState s = mamba2_->initial_state(be);  // conv and SSM state
    s.kv = attention_->initial_state(be).kv;    // an empty KV cache
    return s;
  }

  Tensor forward(Backend& be, const Tensor& x, LayerState& s, const Tracer& cb, int il, const LayerIntervention& iv) const override {
    const Tensor m = mamba2_->forward(be, x, s, cb, il, iv);     // [T, D]
    const Tensor a = attention_->forward(be, x, s, cb, il, iv);  // [T, D]
    return be.add(m, a);
  }
  Tensor step(Backend& be, const Tensor& x, LayerState& s, const Tracer& cb, int il, const LayerIntervention& iv) const override {
    const Tensor m = mamba2_->step(be, x, s, cb, il, iv);        // [1, D]
    const Tensor a = attention_->step(be, x, s, cb, il, iv);     // [1, D]
    return be.add(m, a);
  }

  int64_t state_bytes() const override { return mamba2_->state_bytes(); }
  int64_t kv_bytes(int64_t positions) const override { return attention_->kv_bytes(positions); }
  Tensor ssm_A() const override { return mamba2_->ssm_A(); }
  Tensor ssm_D() const override { return mamba2_->ssm_D(); }

 private:
  std::unique_ptr<Mixer> attention_;
  std::unique_ptr<Mixer> mamba2_;
};

}  // namespace

std::unique_ptr<Mixer> make_attention_mamba2_mixer(std::unique_ptr<Mixer> attention, std::unique_ptr<Mixer> mamba2) {
  return std::make_unique<AttentionMamba2Mixer>(std::move(attention), std::move(mamba2));
}

}  // namespace ss
