#include "json_document.h"

#include <cmath>
#include <fstream>
#include <iterator>
#include <sstream>
#include <vector>

namespace ss {

using json = nlohmann::json;

namespace {

// A character iterator that remembers the furthest point the parser has read.
struct ReadingIterator {
  using iterator_category = std::input_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;

  const char* p = nullptr;
  const char** reach = nullptr;
  reference operator*() const { return *p; }
  ReadingIterator& operator++() {
    ++p;
    if (p > *reach) *reach = p;
    return *this;
  }
  ReadingIterator operator++(int) { ReadingIterator t = *this; ++*this; return t; }
  bool operator==(const ReadingIterator& o) const { return p == o.p; }
  bool operator!=(const ReadingIterator& o) const { return p != o.p; }
};

int line_at(const std::string& text, size_t offset) {
  offset = std::min(offset, text.size());
  return 1 + int(std::count(text.begin(), text.begin() + std::ptrdiff_t(offset), '\n'));
}

std::string escape_token(const std::string& key) {  // RFC 6901
  std::string out;
  for (char c : key) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

// Builds the DOM like json::parse and records the line of every key and array element.
class LineRecorder : public json::json_sax_t {
 public:
  LineRecorder(const std::string& text, const char** reach, std::map<std::string, int>* lines)
      : text_(text), reach_(reach), lines_(lines) {}
  json root;

  bool null() override { return put(json(nullptr)); }
  bool boolean(bool v) override { return put(json(v)); }
  bool number_integer(number_integer_t v) override { return put(json(v)); }
  bool number_unsigned(number_unsigned_t v) override { return put(json(v)); }
  bool number_float(number_float_t v, const string_t&) override { return put(json(v)); }
  bool string(string_t& v) override { return put(json(v)); }
  bool binary(binary_t& v) override { return put(json(v)); }
  bool start_object(std::size_t) override { return open(json::object()); }
  bool start_array(std::size_t) override { return open(json::array()); }
  bool end_object() override { return close(); }
  bool end_array() override { return close(); }
  bool key(string_t& k) override {
    key_ = k;
    (*lines_)[stack_.back().pointer + "/" + escape_token(k)] = current_line();
    return true;
  }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& ex) override {
    error_line = line_at(text_, position == 0 ? 0 : position - 1);
    error = ex.what();
    return false;
  }
  int error_line = 0;
  std::string error;

 private:
  struct Frame {
    json* value;
    std::string pointer;
  };
  int current_line() const {
    // The lexer may have read one character past a number: step back over trailing white space.
    size_t end = size_t(*reach_ - text_.data());
    while (end > 0 && std::isspace(static_cast<unsigned char>(text_[end - 1]))) --end;
    return line_at(text_, end == 0 ? 0 : end - 1);
  }
  // Places v in the current container; returns its pointer.
  std::pair<json*, std::string> place(json v) {
    if (stack_.empty()) {
      root = std::move(v);
      (*lines_)[""] = current_line();
      return {&root, ""};
    }
    Frame& top = stack_.back();
    if (top.value->is_array()) {
      const std::string p = top.pointer + "/" + std::to_string(top.value->size());
      (*lines_)[p] = current_line();
      top.value->push_back(std::move(v));
      return {&top.value->back(), p};
    }
    json& slot = (*top.value)[key_];
    slot = std::move(v);
    return {&slot, top.pointer + "/" + escape_token(key_)};
  }
  bool put(json v) { place(std::move(v)); return true; }
  bool open(json v) {
    auto [ptr, p] = place(std::move(v));
    stack_.push_back({ptr, p});
    return true;
  }
  bool close() { stack_.pop_back(); return true; }

  const std::string& text_;
  const char** reach_;
  std::map<std::string, int>* lines_;
  std::vector<Frame> stack_;
  std::string key_;
};

}  // namespace

JsonDocument::JsonDocument(const std::string& text, std::string file) : file_(std::move(file)) {
  const char* reach = text.data();
  LineRecorder rec(text, &reach, &lines_);
  ReadingIterator first{text.data(), &reach}, last{text.data() + text.size(), &reach};
  const bool ok = json::sax_parse(first, last, &rec, nlohmann::detail::input_format_t::json, /*strict=*/true,
                                  /*ignore_comments=*/false);
  if (!ok) {
    std::string msg = rec.error;
    const size_t cut = msg.find("syntax error");
    if (cut != std::string::npos) msg = msg.substr(cut);
    throw LocatedError(file_, rec.error_line, "JSON", "not valid JSON: " + msg);
  }
  root_ = std::move(rec.root);
}

JsonDocument JsonDocument::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw LocatedError(path, 0, "", "cannot open the file");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return JsonDocument(text, path);
}

int JsonDocument::line(const std::string& pointer) const {
  std::string p = pointer;
  while (true) {
    auto it = lines_.find(p);
    if (it != lines_.end()) return it->second;
    if (p.empty()) return 0;
    p = p.substr(0, p.rfind('/'));
  }
}

std::string JsonDocument::field_name(const std::string& pointer) {
  std::string out;
  size_t i = 0;
  while (i < pointer.size()) {
    size_t next = pointer.find('/', i + 1);
    if (next == std::string::npos) next = pointer.size();
    std::string tok = pointer.substr(i + 1, next - i - 1);
    std::string key;
    for (size_t k = 0; k < tok.size(); ++k) {
      if (tok[k] == '~' && k + 1 < tok.size()) { key += tok[k + 1] == '1' ? '/' : '~'; ++k; }
      else key += tok[k];
    }
    const bool index = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (index) out += "[" + key + "]";
    else out += (out.empty() ? "" : ".") + key;
    i = next;
  }
  return out.empty() ? "(top level)" : out;
}

void JsonDocument::fail(const std::string& pointer, const std::string& message) const {
  throw LocatedError(file_, line(pointer), field_name(pointer), message);
}

// ---------------------------------------------------------------------------------------------

namespace {
const json& object_at(const JsonDocument& doc, const std::string& pointer) {
  const json::json_pointer at(pointer);
  if (!doc.root().contains(at)) doc.fail(pointer, "missing");  // at() would throw nlohmann's out_of_range (found by fuzz_workspace)
  const json& v = doc.root()[at];
  if (!v.is_object()) doc.fail(pointer, std::string("must be an object, got ") + v.type_name());
  return v;
}
}  // namespace

JsonFields::JsonFields(const JsonDocument& doc, std::string pointer)
    : doc_(doc), pointer_(std::move(pointer)), obj_(object_at(doc, pointer_)) {}

bool JsonFields::has(const std::string& key) const { return obj_.contains(key) && !obj_[key].is_null(); }

const json& JsonFields::value(const std::string& key) const {
  if (!has(key)) doc_.fail(at(key), "missing");
  return obj_[key];
}

void JsonFields::fail(const std::string& key, const std::string& message) const { doc_.fail(at(key), message); }

std::string JsonFields::text(const std::string& key) const {
  const json& v = value(key);
  if (!v.is_string()) fail(key, std::string("must be a string, got ") + v.type_name());
  return v.get<std::string>();
}

std::string JsonFields::text_or(const std::string& key, const std::string& fallback) const {
  return has(key) ? text(key) : fallback;
}

int64_t JsonFields::integer(const std::string& key, int64_t lo, int64_t hi) const {
  const json& v = value(key);
  if (!v.is_number_integer()) fail(key, std::string("must be an integer, got ") + v.dump());
  const int64_t x = v.get<int64_t>();
  if (x < lo || x > hi) fail(key, std::to_string(x) + " is out of range [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return x;
}

int64_t JsonFields::integer_or(const std::string& key, int64_t fallback, int64_t lo, int64_t hi) const {
  return has(key) ? integer(key, lo, hi) : fallback;
}

double JsonFields::number_or(const std::string& key, double fallback, double lo, double hi) const {
  if (!has(key)) return fallback;
  const json& v = obj_[key];
  if (!v.is_number()) fail(key, std::string("must be a number, got ") + v.dump());
  const double x = v.get<double>();
  if (!std::isfinite(x) || x < lo || x > hi) fail(key, v.dump() + " is out of range [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return x;
}

bool JsonFields::boolean_or(const std::string& key, bool fallback) const {
  if (!has(key)) return fallback;
  const json& v = obj_[key];
  if (!v.is_boolean()) fail(key, std::string("must be true or false, got ") + v.dump());
  return v.get<bool>();
}

void JsonFields::only(std::initializer_list<const char*> known) const {
  for (auto it = obj_.begin(); it != obj_.end(); ++it) {
    bool ok = false;
    for (const char* k : known) ok = ok || it.key() == k;
    if (!ok) {
      std::string list;
      for (const char* k : known) list += (list.empty() ? "" : ", ") + std::string(k);
      fail(it.key(), "unknown field (known here: " + list + ")");
    }
  }
}

}  // namespace ss
