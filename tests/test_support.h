// Helpers shared by the tests: fixtures, reference arrays, error measures.
#pragma once

#include <string>
#include <vector>

#include "npy.h"
#include "tensor.h"

namespace ss::test {

std::string fixtures_dir();                                  // tests/fixtures
std::vector<std::string> fixture_names();                    // sub-folders holding config.json
std::vector<int32_t> read_input(const std::string& path);    // bytes as token ids
double rel_l2(const Tensor& ours, const NpyArray& ref);      // ||ours - ref|| / ||ref||
double rel_l2(const Tensor& a, const Tensor& b);
int64_t argmax_mismatches(const Tensor& ours, const NpyArray& ref);  // rows whose argmax differs
std::string temp_dir(const std::string& tag);                // a fresh empty folder
void write_file(const std::string& path, const std::string& bytes);
std::string read_text(const std::string& path);

}  // namespace ss::test

#include <map>
#include <nlohmann/json.hpp>

namespace ss::test {

// Writes an F32 safetensors file holding `tensors`.
void write_safetensors(const std::string& path, const std::map<std::string, Tensor>& tensors);
// A safetensors file with a hand-written header and `data_bytes` zero bytes after it.
void write_raw_safetensors(const std::string& path, const std::string& header, size_t data_bytes, uint64_t claimed_len = 0);

// A random Mamba-1 model folder (config + weights with O(1) activations). Returns its path.
struct TinyMamba {
  int d_model = 16, n_layers = 2, d_state = 4, d_conv = 4, expand = 2, dt_rank = 2, vocab = 256;
  bool tied = true, proj_bias = false, conv_bias = true;
  unsigned seed = 1;
};
std::string make_tiny_mamba(const TinyMamba& spec, const std::string& dir);
nlohmann::json tiny_mamba_config(const TinyMamba& spec);

}  // namespace ss::test
