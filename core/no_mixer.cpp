// The mixer of a layer that has none (Nemotron-H's MLP layers, "-" in hybrid_override_pattern): the
// layer is only its feed-forward. Model skips the mixer step for it; it carries no state.
#include <stdexcept>

#include "layer.h"

namespace ss {

namespace {

class NoMixer final : public Mixer {
 public:
  MixerKind kind() const override { return MixerKind::None; }
  LayerState initial_state(Backend&) const override { return LayerState{}; }
  Tensor forward(Backend&, const Tensor&, LayerState&, const Tracer&, int, const LayerIntervention&) const override { return fail(); }
  Tensor step(Backend&, const Tensor&, LayerState&, const Tracer&, int, const LayerIntervention&) const override { return fail(); }

 private:
  static Tensor fail() { throw std::logic_error("this layer has no sequence mixer (Model runs only its feed-forward)"); }
};

}  // namespace

std::unique_ptr<Mixer> make_no_mixer() { return std::make_unique<NoMixer>(); }

}  // namespace ss
