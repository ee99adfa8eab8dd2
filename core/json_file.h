// Reading the JSON files of a model folder (config.json, model.safetensors.index.json, the
// safetensors header) with the checks every one of them needs: a size cap before reading, at most
// kMaxJsonDepth levels of nesting, no key given twice in one object (Python keeps the last, a
// C++ reader may keep either: one of the two would be dropped without a word), and errors that give
// the byte position but never echo the file's bytes (the file may be anything a link points at).
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace ss {

inline constexpr int kMaxJsonDepth = 64;

// `relaxed`: the bare tokens NaN, Infinity and -Infinity (Python's json writes them) outside strings
// become the strings "NaN", "Infinity", "-Infinity", which number fields accept. Throws ss::Error
// naming `path` and `field` (or the key given twice).
nlohmann::json parse_json_text(const std::string& text, const std::string& path, bool relaxed, const std::string& field = "");

// A regular file of at most `max_bytes`, parsed as above.
nlohmann::json read_json_file(const std::string& path, uint64_t max_bytes, bool relaxed = true);

}  // namespace ss
