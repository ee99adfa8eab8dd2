// JsonDocument: a JSON file parsed with the line of every key and array element, so that a loader
// can say "lesson.json:42: steps[3].models.ssm.layer: 9 is out of range" instead of only the field.
// Parsing goes through nlohmann's SAX interface over an iterator that records how far the lexer
// has read; a key's line is the line where its name ends.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "error.h"

namespace ss {

// An Error that also carries the line (1-based; 0 when unknown). what(): "file:line: field: message".
class LocatedError : public Error {
 public:
  LocatedError(const std::string& file, int line, const std::string& field, const std::string& message)
      : Error(line > 0 ? file + ":" + std::to_string(line) : file, field, message), path_(file), line_(line) {}
  const std::string& path() const { return path_; }
  int line() const { return line_; }

 private:
  std::string path_;
  int line_;
};

class JsonDocument {
 public:
  // Throws LocatedError (field "JSON") naming the line of a syntax error.
  JsonDocument(const std::string& text, std::string file);
  static JsonDocument load(const std::string& path);  // reads the file; LocatedError if unreadable

  const nlohmann::json& root() const { return root_; }
  const std::string& file() const { return file_; }
  // The line of the value at a JSON pointer ("/steps/3/layer"), or of its nearest recorded ancestor.
  int line(const std::string& pointer) const;
  // "/steps/3/models/ssm" -> "steps[3].models.ssm"
  static std::string field_name(const std::string& pointer);
  [[noreturn]] void fail(const std::string& pointer, const std::string& message) const;

 private:
  nlohmann::json root_;
  std::string file_;
  std::map<std::string, int> lines_;  // JSON pointer -> line
};

// Typed access to one object of a JsonDocument; every failure names file, line and field.
class JsonFields {
 public:
  JsonFields(const JsonDocument& doc, std::string pointer);  // fails unless the value is an object

  const std::string& pointer() const { return pointer_; }
  std::string at(const std::string& key) const { return pointer_ + "/" + key; }
  bool has(const std::string& key) const;
  const nlohmann::json& value(const std::string& key) const;  // fails when missing
  std::string text(const std::string& key) const;
  std::string text_or(const std::string& key, const std::string& fallback) const;
  int64_t integer(const std::string& key, int64_t lo, int64_t hi) const;
  int64_t integer_or(const std::string& key, int64_t fallback, int64_t lo, int64_t hi) const;
  double number_or(const std::string& key, double fallback, double lo, double hi) const;
  bool boolean_or(const std::string& key, bool fallback) const;
  // Fails on any key not in `known` (a typo in a hand-written file should not pass silently).
  void only(std::initializer_list<const char*> known) const;
  [[noreturn]] void fail(const std::string& key, const std::string& message) const;

 private:
  const JsonDocument& doc_;
  std::string pointer_;
  const nlohmann::json& obj_;
};

}  // namespace ss
