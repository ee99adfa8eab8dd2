// ModelFolder: a model folder as it comes: config.json plus the weights, looked for in this order:
// model.safetensors, a sharded set (model.safetensors.index.json naming each tensor's shard),
// pytorch_model.bin (torch.save: HuggingFace's older format and mamba_ssm's), or its sharded set
// (pytorch_model.bin.index.json). torch.save files are read by a restricted unpickler that runs
// nothing (torch_checkpoint.h).
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "safetensors.h"
#include "tensor.h"
#include "weight_file.h"

namespace ss {

// The weight_map of a model.safetensors.index.json: tensor name -> shard file name, each shard a
// plain file name in the folder (no '/', '\\', "." or ".."). Throws ss::Error naming `path` and key.
std::map<std::string, std::string> parse_weight_map(const nlohmann::json& index, const std::string& path);

class ModelFolder {
 public:
  // Opens the folder and validates config.json and every safetensors header. Every file must be a
  // regular file in the folder (or a link into it, or into the blobs/ of a HuggingFace cache
  // snapshot); the JSON files are capped at the sizes below. Throws ss::Error.
  explicit ModelFolder(std::string dir);

  static constexpr uint64_t kMaxConfigBytes = 4ull << 20;  // published config.json files are < 100 KB
  static constexpr uint64_t kMaxIndexBytes = 32ull << 20;  // the largest published indexes are a few MB

  const std::string& dir() const { return dir_; }
  const std::string& config_path() const { return config_path_; }
  const nlohmann::json& config() const { return config_; }

  bool has(const std::string& name) const;
  // The tensor as float32, checked against `expected` (an error names the file and tensor if it
  // differs) and refused if any value is NaN or infinite (the model would compute NaN from it).
  Tensor get(const std::string& name, const Shape& expected);
  // Tensors in the files that no get() has read so far (after loading: what the config leaves out,
  // e.g. a conv bias beside use_conv_bias = false), sorted.
  std::vector<std::string> unused() const;
  // The stored shape without reading the data.
  Shape shape_of(const std::string& name) const;
  std::vector<std::string> names() const;
  int64_t parameter_count() const;
  // Whether two tensors hold the same data (a tied lm_head that torch.save kept beside the embedding).
  bool same_data(const std::string& a, const std::string& b) const;
  // Counts a tensor as used without reading it (the tied lm_head above).
  void mark_used(const std::string& name) { used_.insert(name); }
  // The file that holds a tensor (for error messages); the index file if the name is unknown.
  std::string file_of(const std::string& name) const;

 private:
  std::string dir_;
  std::string config_path_;
  std::string weights_path_;  // model.safetensors, pytorch_model.bin or an index json
  nlohmann::json config_;
  std::vector<std::unique_ptr<WeightFile>> shards_;
  std::map<std::string, WeightFile*> where_;
  std::set<std::string> used_;
};

}  // namespace ss
