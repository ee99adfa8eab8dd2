// Interventions: deliberate changes of a model's math, named as such (a Recording only observes;
// an Intervention changes the results). The explorer shows an intervened model column as such.
//
// Δ → average (the selectivity lesson): every SSM layer's step Δ_t [T, Di] (Mamba-1, per channel) or
// [T, H] (Mamba-2, per head) is replaced, before discretisation, by its mean over the whole text,
// each layer on its own actual input in the intervened run (so layer l's mean is taken after layers
// 0..l-1 were already averaged). Ā = exp(Δ̄ A) and the B̄ = Δ̄ B scaling no longer depend on the token:
// a time-invariant SSM with the model's other weights. B_t, C_t and the gate z_t stay selective (they
// still depend on the token); only the step size stops selecting. Attention layers are untouched.
//
// Exactness. The mean over the whole text is not causal, so Model::forward computes it in one pass
// over the whole text from a fresh state (never in chunks, whatever chunk_tokens is: a layer's mean
// needs all of that layer's Δ before its scan runs) and returns the means it used in `delta_means`.
// Given those means, Δ̄ is a constant and the model is causal again: forward from any state, in any
// chunks, forward_through and step give the same results as the one pass (to rounding, as without
// the intervention). What cannot be computed exactly is refused with an ss::Error: a forward with
// the intervention and no means that does not start at position 0, and a step with no means.
#pragma once

#include <cstdint>
#include <vector>

#include "backend.h"
#include "tensor.h"

namespace ss {

struct Intervention {
  bool mean_delta = false;  // Δ → average over the whole text (a time-invariant SSM); see above
  // Per layer (size n_layers): the averaged Δ on the host, [Di] Mamba-1, [H] Mamba-2, empty for
  // layers without an SSM. Empty vector: computed by the call (whole text, position 0) and written
  // back by Model::forward(..., Intervention*). Set: used as they are.
  std::vector<Tensor> delta_means;

  bool active() const { return mean_delta; }
};

// What the intervention asks of one SSM layer (Model passes it to the mixer; attention ignores it).
struct LayerIntervention {
  bool mean_delta = false;
  const Tensor* delta_mean = nullptr;  // host [C]: the mean to use; null: the mean of this call's Δ
  Tensor* delta_mean_out = nullptr;    // out (host [C]): the mean used
};

// Δ [T, C] on `be` -> [T, C] whose every row is the layer's mean (li.delta_mean, or the column mean
// of `delta` accumulated in double on the host); writes the mean to li.delta_mean_out. The mean is
// computed on the host from a copy of Δ and the result uploaded (composed of to_host and upload:
// the same arithmetic on every backend, so no new device op). Throws ss::Error on a mean of the
// wrong size.
Tensor delta_average(Backend& be, const Tensor& delta, const LayerIntervention& li);

}  // namespace ss
