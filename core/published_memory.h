// Memory of published models at long contexts, from their configurations:
//   KV cache bytes  = 2 · attention_layers · kv_heads · head_dim · T · bytes_per_value
//   SSM state bytes = Σ over SSM layers of (state + conv state) values · bytes_per_value   (flat in T)
// The configurations are the published ones (config.json of each release); see published_models().
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ss {

struct PublishedModel {
  std::string name;
  int attention_layers = 0;
  int kv_heads = 0;
  int head_dim = 0;
  int64_t ssm_state_values = 0;  // all SSM layers together (0 for pure attention)
  std::string note;              // where the numbers come from
};

const std::vector<PublishedModel>& published_models();

int64_t kv_cache_bytes(int attention_layers, int kv_heads, int head_dim, int64_t tokens, int bytes_per_value);
// KV cache plus fixed state of `m` after `tokens` tokens.
int64_t published_memory_bytes(const PublishedModel& m, int64_t tokens, int bytes_per_value);
// "1.34 GB", "512 KB" (powers of 1000, as the figures are usually quoted).
std::string human_bytes(double bytes);

}  // namespace ss
