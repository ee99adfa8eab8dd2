// The check that observing never changes the computation (core/trace.h): a model run with nothing
// recorded and the same run recording everything give bit-identical logits and states. Used by the
// CPU suite (tst_observation) and the GPU suites, on every family. Qt-free.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model.h"
#include "trace_store.h"

namespace ss::testkit {

// A recording of everything: every trace of every layer, the strided states after every
// `state_stride`-th token, and for each attention layer a probs window of head `head % Hq` over [0, T).
TraceRequest everything_request(const Model& m, int64_t T, int head = 0, int64_t state_stride = 1);

// Runs `tokens` through `m` from a fresh state twice: recording nothing, and recording `everything`
// into `store` (an empty store on entry). Each run is a forward over the first `split` tokens
// (all of them when split >= T) followed by one step per remaining token. Returns "" when logits
// and every layer's final state agree bit for bit, else what differs first.
std::string observation_difference(const Model& m, const std::vector<int32_t>& tokens, int64_t split, TraceStore& store);

// "" when a and b have the same shape and the same bits, else a short description.
std::string bit_difference(const Tensor& a, const Tensor& b);

}  // namespace ss::testkit
