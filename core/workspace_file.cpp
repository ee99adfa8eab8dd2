#include "workspace_file.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <system_error>

#include "atomic_file.h"
#include "json_document.h"

namespace fs = std::filesystem;

namespace ss {

using json = nlohmann::json;

namespace {
constexpr const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
}

std::string base64_encode(const std::string& in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const uint32_t v = uint32_t(uint8_t(in[i])) << 16 | uint32_t(uint8_t(in[i + 1])) << 8 | uint8_t(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += kAlphabet[(v >> s) & 63];
  }
  if (i < in.size()) {
    uint32_t v = uint32_t(uint8_t(in[i])) << 16;
    if (i + 1 < in.size()) v |= uint32_t(uint8_t(in[i + 1])) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

bool base64_decode(const std::string& text, std::string* out) {
  if (text.size() % 4) return false;
  out->clear();
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  for (size_t i = 0; i < text.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = text[i + size_t(k)];
      if (c == '=' && i + 4 == text.size() && k >= 2) { v[k] = 0; ++pad; continue; }
      if (pad) return false;
      v[k] = value(c);
      if (v[k] < 0) return false;
    }
    const uint32_t x = uint32_t(v[0]) << 18 | uint32_t(v[1]) << 12 | uint32_t(v[2]) << 6 | uint32_t(v[3]);
    out->push_back(char(x >> 16));
    if (pad < 2) out->push_back(char((x >> 8) & 255));
    if (pad < 1) out->push_back(char(x & 255));
  }
  return true;
}

bool is_valid_utf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    const uint8_t c = uint8_t(s[i]);
    const int n = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xE ? 2 : (c >> 3) == 0x1E ? 3 : -1;
    if (n < 0 || i + size_t(n) >= s.size() + (n == 0)) return false;  // a bad lead byte or a cut sequence
    for (int k = 1; k <= n; ++k)
      if ((uint8_t(s[i + size_t(k)]) & 0xC0) != 0x80) return false;
    const uint8_t c1 = n > 0 ? uint8_t(s[i + 1]) : 0;
    if (n == 1 && c < 0xC2) return false;                               // overlong
    if (n == 2 && ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 >= 0xA0))) return false;  // overlong, surrogate
    if (n == 3 && (c > 0xF4 || (c == 0xF0 && c1 < 0x90) || (c == 0xF4 && c1 >= 0x90))) return false;
    i += size_t(n) + 1;
  }
  return true;
}

std::string workspace_to_json(const WorkspaceState& s) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();  // the version first, fields in a readable order
  j["statescope_workspace"] = kWorkspaceFormatVersion;
  if (is_valid_utf8(s.input)) j["input"] = {{"text", s.input}};
  else j["input"] = {{"base64", base64_encode(s.input)}};
  j["models"] = nlohmann::ordered_json::array();
  for (const auto& c : s.columns) {
    nlohmann::ordered_json m = {{"folder", c.folder}, {"layer", c.layer}, {"head", c.head}, {"channel", c.channel}};
    if (c.delta_average) m["delta"] = "average";  // only when intervened: older files read the same
    if (c.attention_part) m["part"] = "attention";  // only for the attention part of a parallel layer
    j["models"].push_back(m);
  }
  j["active_column"] = s.active_column;
  j["device"] = s.device;
  j["precision"] = s.precision;
  j["selection"] = {{"token", s.token}};
  if (s.window) j["selection"]["window"] = {s.window->first, s.window->second};
  j["layout"] = {{"window_state", s.window_state}, {"visible_panels", s.visible_panels}, {"scales", s.scales}, {"dark", s.dark}};
  j["language"] = s.language;
  if (!s.lesson.empty()) j["lesson"] = {{"file", s.lesson}, {"step", s.lesson_step}};
  return j.dump(1) + "\n";
}

WorkspaceState workspace_from_json(const std::string& text, const std::string& path) {
  const JsonDocument doc(text, path);
  if (!doc.root().is_object()) doc.fail("", "a workspace file is a JSON object");
  JsonFields top(doc, "");
  if (!top.has("statescope_workspace")) top.fail("statescope_workspace", "missing: not a StateScope workspace file");
  const int64_t version = top.integer("statescope_workspace", 1, 1000000);
  if (version > kWorkspaceFormatVersion)
    top.fail("statescope_workspace", "this workspace was saved by a newer StateScope (format version " + std::to_string(version) +
                                         "); this one reads version " + std::to_string(kWorkspaceFormatVersion) + ": update StateScope to open it");
  WorkspaceState s;
  JsonFields in(doc, "/input");
  in.only({"text", "base64"});
  if (in.has("text")) s.input = in.text("text");
  else if (!base64_decode(in.text("base64"), &s.input)) in.fail("base64", "is not valid base64");
  const json& models = top.value("models");
  if (!models.is_array()) top.fail("models", "must be a list");
  for (size_t i = 0; i < models.size(); ++i) {
    JsonFields m(doc, "/models/" + std::to_string(i));
    WorkspaceColumn c;
    c.folder = m.text("folder");
    c.layer = int(m.integer_or("layer", 0, 0, 1000));
    c.head = int(m.integer_or("head", 0, 0, 1000));
    c.channel = int(m.integer_or("channel", 0, 0, 1000000));
    const std::string delta = m.text_or("delta", "selective");
    if (delta != "selective" && delta != "average") m.fail("delta", "must be \"selective\" or \"average\", got \"" + delta + "\"");
    c.delta_average = delta == "average";
    const std::string part = m.text_or("part", "ssm");
    if (part != "ssm" && part != "attention") m.fail("part", "must be \"ssm\" or \"attention\", got \"" + part + "\"");
    c.attention_part = part == "attention";
    s.columns.push_back(c);
  }
  s.active_column = int(top.integer_or("active_column", 0, 0, 3));
  s.device = top.text_or("device", "auto");
  s.precision = top.text_or("precision", "fp32");
  JsonFields sel(doc, "/selection");
  s.token = sel.integer("token", 0, int64_t(1) << 40);
  if (sel.has("window")) {
    const json& w = sel.value("window");
    if (!w.is_array() || w.size() != 2 || !w[0].is_number_integer() || !w[1].is_number_integer() || w[0].get<int64_t>() < 0 ||
        w[1].get<int64_t>() < w[0].get<int64_t>())
      sel.fail("window", "must be [start, end) with 0 <= start <= end, got " + w.dump());
    s.window = {w[0].get<int64_t>(), w[1].get<int64_t>()};
  }
  if (top.has("layout")) {
    JsonFields lay(doc, "/layout");
    s.window_state = lay.text_or("window_state", "");
    s.dark = lay.boolean_or("dark", false);
    if (lay.has("visible_panels")) {
      const json& v = lay.value("visible_panels");
      if (!v.is_array()) lay.fail("visible_panels", "must be a list of view names");
      for (size_t i = 0; i < v.size(); ++i) {
        if (!v[i].is_string()) doc.fail("/layout/visible_panels/" + std::to_string(i), "must be a view name");
        s.visible_panels.push_back(v[i].get<std::string>());
      }
    }
    if (lay.has("scales")) {
      JsonFields sc(doc, "/layout/scales");
      for (auto it = lay.value("scales").begin(); it != lay.value("scales").end(); ++it) s.scales[it.key()] = sc.text(it.key());
    }
  }
  s.language = top.text_or("language", "en");
  if (s.language != "en" && s.language != "zh") top.fail("language", "must be \"en\" or \"zh\", got \"" + s.language + "\"");
  if (top.has("lesson")) {
    JsonFields l(doc, "/lesson");
    s.lesson = l.text("file");
    s.lesson_step = int(l.integer_or("step", 0, 0, 100000));
  }
  if (s.active_column >= int(std::max<size_t>(s.columns.size(), 1))) top.fail("active_column", "names a column that the file does not list");
  return s;
}

WorkspaceState load_workspace(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw LocatedError(path, 0, "", "cannot open the workspace file");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return workspace_from_json(text, path);
}

void save_workspace(const WorkspaceState& s, const std::string& path) { write_file_atomic(path, workspace_to_json(s)); }

}  // namespace ss
