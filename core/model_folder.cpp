#include "model_folder.h"

#include <cmath>
#include <filesystem>

#include "error.h"
#include "json_file.h"
#include "regular_file.h"
#include "torch_checkpoint.h"

namespace ss {

namespace fs = std::filesystem;
using json = nlohmann::json;

std::map<std::string, std::string> parse_weight_map(const json& j, const std::string& index) {
  if (!j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object())
    throw Error(index, "weight_map", "missing or not an object");
  std::map<std::string, std::string> out;
  for (auto it = j["weight_map"].begin(); it != j["weight_map"].end(); ++it) {
    if (!it.value().is_string()) throw Error(index, "weight_map." + it.key(), "shard name is not a string");
    const std::string shard = it.value().get<std::string>();
    if (shard.empty() || shard.find('/') != std::string::npos || shard.find('\\') != std::string::npos || shard == "." || shard == ".." ||
        shard.find('\0') != std::string::npos)
      throw Error(index, "weight_map." + it.key(), "shard '" + shard + "' is not a plain file name in the model folder");
    out.emplace(it.key(), shard);
  }
  return out;
}

ModelFolder::ModelFolder(std::string dir) : dir_(std::move(dir)) {
  std::error_code ec;
  if (!fs::is_directory(dir_, ec))
    throw Error(dir_, "", fs::exists(dir_, ec) ? "not a model folder (not a directory)" : "not a model folder (no such directory)");
  config_path_ = (fs::path(dir_) / "config.json").string();
  if (!fs::exists(fs::symlink_status(config_path_, ec))) throw Error(config_path_, "", "missing: a model folder needs config.json");
  check_stays_in_folder(config_path_, dir_);
  config_ = read_json_file(config_path_, kMaxConfigBytes);
  if (!config_.is_object()) throw Error(config_path_, "", "is not a JSON object");

  auto open = [](const std::string& file, bool torch) -> std::unique_ptr<WeightFile> {
    if (torch) return std::make_unique<TorchCheckpoint>(file);
    return std::make_unique<SafetensorsFile>(file);
  };
  bool found = false;
  for (const bool torch : {false, true}) {
    const std::string single = (fs::path(dir_) / (torch ? "pytorch_model.bin" : "model.safetensors")).string();
    const std::string index = single + ".index.json";
    if (fs::exists(fs::symlink_status(single, ec))) {
      weights_path_ = single;
      check_stays_in_folder(single, dir_);
      shards_.push_back(open(single, torch));
      for (const std::string& name : shards_.back()->names()) where_[name] = shards_.back().get();
    } else if (fs::exists(fs::symlink_status(index, ec))) {
      weights_path_ = index;
      check_stays_in_folder(index, dir_);
      const json j = read_json_file(index, kMaxIndexBytes);  // a key twice in weight_map is refused there
      std::map<std::string, WeightFile*> by_file;
      for (const auto& [name, shard] : parse_weight_map(j, index)) {
        WeightFile*& file = by_file[shard];
        if (!file) {
          const std::string shard_path = (fs::path(dir_) / shard).string();
          check_stays_in_folder(shard_path, dir_);
          shards_.push_back(open(shard_path, torch));
          file = shards_.back().get();
        }
        if (!file->contains(name)) throw Error(file->path(), name, "listed in " + index + " but not in this shard");
        where_[name] = file;
      }
    } else {
      continue;
    }
    found = true;
    break;
  }
  if (!found)
    throw Error(dir_, "model.safetensors",
                "missing: the folder has none of model.safetensors, model.safetensors.index.json, pytorch_model.bin, pytorch_model.bin.index.json");
}

bool ModelFolder::has(const std::string& name) const { return where_.count(name) != 0; }

std::string ModelFolder::file_of(const std::string& name) const {
  auto it = where_.find(name);
  return it == where_.end() ? weights_path_ : it->second->path();
}

Shape ModelFolder::shape_of(const std::string& name) const {
  auto it = where_.find(name);
  if (it == where_.end()) throw Error(weights_path_, name, "tensor missing from the checkpoint");
  return it->second->shape_of(name);
}

Tensor ModelFolder::get(const std::string& name, const Shape& expected) {
  const Shape actual = shape_of(name);
  if (actual != expected)
    throw Error(file_of(name), name, "shape " + shape_to_string(actual) + " but the config implies " + shape_to_string(expected));
  Tensor t = where_.at(name)->read(name);
  int64_t bad = 0, first = -1;
  const float* v = t.data();
  for (int64_t i = 0; i < t.numel(); ++i)
    if (!std::isfinite(v[i])) {
      if (first < 0) first = i;
      ++bad;
    }
  if (bad)
    throw Error(file_of(name), name, std::to_string(bad) + " of " + std::to_string(t.numel()) + " values are NaN or infinite (the first at flat index " +
                std::to_string(first) + "): every output would be NaN; refused");
  used_.insert(name);
  return t;
}

std::vector<std::string> ModelFolder::unused() const {
  std::set<std::string> out;
  for (const auto& shard : shards_)  // every tensor of every opened file, listed in the index or not
    for (const std::string& name : shard->names())
      if (!used_.count(name)) out.insert(name);
  return {out.begin(), out.end()};
}

std::vector<std::string> ModelFolder::names() const {
  std::vector<std::string> out;
  for (const auto& [name, file] : where_) out.push_back(name);
  return out;
}

int64_t ModelFolder::parameter_count() const {
  int64_t n = 0;
  for (const auto& [name, file] : where_) n += shape_numel(file->shape_of(name));
  return n;
}

bool ModelFolder::same_data(const std::string& a, const std::string& b) const {
  auto x = where_.find(a), y = where_.find(b);
  return x != where_.end() && y != where_.end() && x->second == y->second && x->second->same_data(a, b);
}

}  // namespace ss
