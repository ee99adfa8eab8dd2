#include "json_file.h"

#include <unordered_set>
#include <vector>

#include "error.h"
#include "regular_file.h"

namespace ss {

using json = nlohmann::json;

namespace {

std::string relax(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < text.size()) out += text[++i];
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') { in_string = true; out += c; continue; }
    bool replaced = false;
    for (const char* tok : {"-Infinity", "Infinity", "NaN"}) {
      const size_t n = std::char_traits<char>::length(tok);
      if (text.compare(i, n, tok) == 0) {
        out += '"'; out += tok; out += '"';
        i += n - 1;
        replaced = true;
        break;
      }
    }
    if (!replaced) out += c;
  }
  return out;
}

// nlohmann's messages end with "; last read: '<bytes of the file>'": keep what comes before.
std::string describe(const json::exception& e) {
  std::string s = e.what();
  if (const size_t p = s.find("] "); s.rfind("[json.exception", 0) == 0 && p != std::string::npos) s = s.substr(p + 2);
  if (const size_t p = s.find("; last read"); p != std::string::npos) s = s.substr(0, p);
  std::string clean;
  for (unsigned char c : s) clean += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
  return clean;
}

// A key for an error message: printable ASCII, at most 80 characters.
std::string printable(const std::string& key) {
  std::string out;
  for (unsigned char c : key.substr(0, 80)) out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
  return key.size() > 80 ? out + "..." : out;
}

}  // namespace

json parse_json_text(const std::string& text, const std::string& path, bool relaxed, const std::string& field) {
  std::vector<std::unordered_set<std::string>> open_objects;  // keys seen, per object being parsed
  std::string duplicate;
  int too_deep = 0;
  auto check = [&](int depth, json::parse_event_t event, json& parsed) {
    if (depth > kMaxJsonDepth) too_deep = depth;
    switch (event) {
      case json::parse_event_t::object_start: open_objects.emplace_back(); break;
      case json::parse_event_t::object_end: if (!open_objects.empty()) open_objects.pop_back(); break;
      case json::parse_event_t::key:
        if (!open_objects.empty() && !open_objects.back().insert(parsed.get<std::string>()).second && duplicate.empty())
          duplicate = parsed.get<std::string>();
        break;
      default: break;
    }
    if (too_deep || !duplicate.empty()) throw std::runtime_error("stop");  // caught below
    return true;
  };
  try {
    return json::parse(relaxed ? relax(text) : text, check);
  } catch (const json::exception& e) {
    throw Error(path, field, "not valid JSON (" + describe(e) + ")");
  } catch (const std::runtime_error&) {
    if (too_deep) throw Error(path, field, "nested more than " + std::to_string(kMaxJsonDepth) + " levels deep");
    if (!duplicate.empty()) throw Error(path, field.empty() ? printable(duplicate) : field + ": " + printable(duplicate), "key given twice in one object (refused: one of the two values would be silently dropped)");
    throw;
  }
}

json read_json_file(const std::string& path, uint64_t max_bytes, bool relaxed) {
  const RegularFile file(path);
  return parse_json_text(file.read_all(max_bytes), path, relaxed);
}

}  // namespace ss
