#include "intervention.h"

#include <algorithm>
#include <string>

#include "error.h"

namespace ss {

Tensor delta_average(Backend& be, const Tensor& delta, const LayerIntervention& li) {
  const int64_t T = delta.size(0), C = delta.numel() / std::max<int64_t>(T, 1);
  Tensor mean = Tensor::zeros({C});  // [C]
  if (li.delta_mean) {
    if (li.delta_mean->numel() != C)
      throw Error("", "intervention", "the averaged Δ has " + std::to_string(li.delta_mean->numel()) + " values where this layer has " +
                                          std::to_string(C) + " channels or heads (means of another model?)");
    for (int64_t c = 0; c < C; ++c) mean.at(c) = li.delta_mean->at(c);
  } else {
    const Tensor h = be.to_host(delta);  // [T, C]
    std::vector<double> sum(C, 0.0);
    for (int64_t t = 0; t < T; ++t)
      for (int64_t c = 0; c < C; ++c) sum[c] += h.at(t * C + c);
    for (int64_t c = 0; c < C; ++c) mean.at(c) = static_cast<float>(sum[c] / static_cast<double>(T));
  }
  Tensor out = Tensor::zeros(delta.shape());  // [T, C] every row the mean
  for (int64_t t = 0; t < T; ++t)
    for (int64_t c = 0; c < C; ++c) out.at(t * C + c) = mean.at(c);
  if (li.delta_mean_out) *li.delta_mean_out = mean;
  return be.upload(out);
}

}  // namespace ss
