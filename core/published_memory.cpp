#include "published_memory.h"

#include <cstdio>

namespace ss {

const std::vector<PublishedModel>& published_models() {
  // Mamba layers: d_inner · (d_state + d_conv - 1) values; Mamba-2: heads · head_dim · d_state + conv channels · (d_conv - 1).
  static const std::vector<PublishedModel> models = {
      {"Llama-2-7B", 32, 32, 128, 0, "32 layers, 32 heads (no GQA), head_dim 128"},
      {"Llama-2-70B", 80, 8, 128, 0, "80 layers, GQA with 8 KV heads, head_dim 128"},
      {"Mixtral 8x7B", 32, 8, 128, 0, "32 layers, 8 KV heads, head_dim 128 (experts do not add cache)"},
      {"Jamba v0.1 (52B)", 4, 8, 128, 28LL * 8192 * (16 + 3), "4 attention + 28 Mamba layers (d_inner 8192, N 16)"},
      {"Mamba-2.8B", 0, 0, 0, 64LL * 5120 * (16 + 3), "64 Mamba layers, d_inner 5120, N 16, conv 4"},
      {"Mamba2-2.7B", 0, 0, 0, 64LL * (80 * 64 * 128 + (5120 + 2 * 128) * 3), "64 Mamba-2 layers, 80 heads × 64, N 128"},
  };
  return models;
}

int64_t kv_cache_bytes(int attention_layers, int kv_heads, int head_dim, int64_t tokens, int bytes_per_value) {
  return 2LL * attention_layers * kv_heads * head_dim * tokens * bytes_per_value;
}

int64_t published_memory_bytes(const PublishedModel& m, int64_t tokens, int bytes_per_value) {
  return kv_cache_bytes(m.attention_layers, m.kv_heads, m.head_dim, tokens, bytes_per_value) +
         m.ssm_state_values * bytes_per_value;
}

std::string human_bytes(double b) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB", "PB"};
  int u = 0;
  while (b >= 1000 && u < 5) { b /= 1000; ++u; }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : (b < 10 ? "%.2f %s" : (b < 100 ? "%.1f %s" : "%.0f %s")), b, units[u]);
  return buf;
}

}  // namespace ss
