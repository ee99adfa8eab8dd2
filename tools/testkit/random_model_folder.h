// Random model folders of every supported family, written as transformers would (config.json +
// model.safetensors with transformers' tensor names), with weights scaled so activations are O(1).
// Used by tests and benchmarks that need models of shapes no fixture has. Qt-free.
#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "tensor.h"

namespace ss::testkit {

// Writes `config` (a transformers config.json object with "architectures") and matching random
// weights into `dir`. Returns dir.
std::string write_random_model_folder(const nlohmann::json& config, const std::string& dir, unsigned seed = 1);

// The benchmark's byte models: 4 layers, d_model 256, otherwise the shapes of the shipped models
// (assets/models/*-bytes); Jamba's experts are wider (256) than the shipped 96.
nlohmann::json bench_config(const std::string& family);  // "mamba", "mamba2", "llama", "jamba", "falcon_mamba", "bamba", "nemotron_h",
                                                        // "granite_hybrid", "falcon_h1", "zamba2"

void write_safetensors_f32(const std::string& path, const std::map<std::string, Tensor>& tensors);

}  // namespace ss::testkit
