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

}  // namespace ss::test
