// Errors the core reports to its callers: always with the file and the field at fault.
#pragma once

#include <stdexcept>
#include <string>

namespace ss {

// A model file, config value or input that the core refuses. `file` is the path the problem is in,
// `field` the JSON key, tensor name or header field; what() reads "file: field: message".
class Error : public std::runtime_error {
 public:
  Error(std::string file, std::string field, const std::string& message)
      : std::runtime_error(compose(file, field, message)), file_(std::move(file)), field_(std::move(field)) {}

  const std::string& file() const { return file_; }
  const std::string& field() const { return field_; }

 private:
  static std::string compose(const std::string& file, const std::string& field, const std::string& message) {
    std::string s = file.empty() ? std::string() : file + ": ";
    if (!field.empty()) s += field + ": ";
    return s + message;
  }
  std::string file_;
  std::string field_;
};

}  // namespace ss
