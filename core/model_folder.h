// ModelFolder: a HuggingFace model folder as it comes: config.json plus either model.safetensors or a
// sharded set (model.safetensors.index.json naming each tensor's shard).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "safetensors.h"
#include "tensor.h"

namespace ss {

class ModelFolder {
 public:
  // Opens the folder and validates config.json and every safetensors header. Throws ss::Error.
  explicit ModelFolder(std::string dir);

  const std::string& dir() const { return dir_; }
  const std::string& config_path() const { return config_path_; }
  const nlohmann::json& config() const { return config_; }

  bool has(const std::string& name) const;
  // The tensor as float32, checked against `expected` (an error names the file and tensor if it differs).
  Tensor get(const std::string& name, const Shape& expected);
  // The stored shape without reading the data.
  Shape shape_of(const std::string& name) const;
  std::vector<std::string> names() const;
  int64_t parameter_count() const;
  // The file that holds a tensor (for error messages); the index file if the name is unknown.
  std::string file_of(const std::string& name) const;

 private:
  std::string dir_;
  std::string config_path_;
  std::string weights_path_;  // model.safetensors or the index json
  nlohmann::json config_;
  std::vector<std::unique_ptr<SafetensorsFile>> shards_;
  std::map<std::string, SafetensorsFile*> where_;
};

}  // namespace ss
