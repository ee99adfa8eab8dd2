// Reading tokenizer.json (and tokenizer_config.json) into a Tokenizer: every field checked, anything
// StateScope does not run exactly refused with the file and the JSON path of the field.
#include <array>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "error.h"
#include "tokenizer.h"
#include "tokenizer_steps.h"

namespace ss {

using nlohmann::json;

class TokenizerParser {
 public:
  TokenizerParser(Tokenizer& t, std::string path) : t_(t), path_(std::move(path)) {}

  [[noreturn]] void fail(const std::string& field, const std::string& msg) const { throw Error(path_, field, msg); }

  const json& at(const json& j, const char* key, const std::string& field) const {
    if (!j.is_object() || !j.contains(key)) fail(field.empty() ? key : field + "." + key, "missing");
    return j.at(key);
  }
  bool flag(const json& j, const char* key, bool fallback, const std::string& field) const {
    if (!j.contains(key) || j.at(key).is_null()) return fallback;
    if (!j.at(key).is_boolean()) fail(field + "." + key, "must be true or false");
    return j.at(key).get<bool>();
  }
  std::string text(const json& j, const char* key, const std::string& field) const {
    const json& v = at(j, key, field);
    if (!v.is_string()) fail(field + "." + key, "must be a string");
    return v.get<std::string>();
  }
  int32_t id(const json& v, const std::string& field) const {
    if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() >= kMaxId)
      fail(field, "must be a token id (an integer 0.." + std::to_string(kMaxId - 1) + ")");
    return static_cast<int32_t>(v.get<int64_t>());
  }
  std::pair<std::string, bool> pattern(const json& j, const std::string& field) const {
    const json& p = at(j, "pattern", field);
    if (p.is_object() && p.contains("String") && p["String"].is_string()) return {p["String"].get<std::string>(), false};
    if (p.is_object() && p.contains("Regex") && p["Regex"].is_string()) return {p["Regex"].get<std::string>(), true};
    fail(field + ".pattern", "must be {\"String\": ...} or {\"Regex\": ...}");
  }
  template <class F>
  auto compiled(const std::string& field, F make) const {
    try {
      return make();
    } catch (const std::invalid_argument& e) {
      fail(field + ".pattern", e.what());
    }
  }

  void normalizer(const json& j, const std::string& field) {
    if (j.is_null()) return;
    const std::string type = text(j, "type", field);
    if (type == "Sequence") {
      const json& list = at(j, "normalizers", field);
      if (!list.is_array()) fail(field + ".normalizers", "must be a list");
      for (size_t i = 0; i < list.size(); ++i) normalizer(list[i], field + ".normalizers[" + std::to_string(i) + "]");
    } else if (type == "Prepend") {
      t_.norm_.push_back(std::make_unique<PrependNormalizer>(text(j, "prepend", field)));
    } else if (type == "Replace") {
      const auto pat = pattern(j, field);  // not a structured binding: clang 14 cannot capture one in a lambda
      const std::string& p = pat.first;
      const bool regex = pat.second;
      const std::string content = text(j, "content", field);
      t_.norm_.push_back(compiled(field, [&] { return std::make_unique<ReplaceNormalizer>(p, regex, content); }));
    } else if (type == "NFC") {
      auto nfc = make_nfc_normalizer();
      if (!nfc) fail(field + ".type", "normaliser NFC needs ICU, which this build of StateScope lacks (install libicu-dev and rebuild)");
      t_.norm_.push_back(std::move(nfc));
    } else {
      fail(field + ".type", "normaliser \"" + type + "\" is not supported (StateScope runs NFC, Prepend, Replace and Sequence "
                            "of them; anything else would give token ids that differ from the tokenizers library's)");
    }
  }

  void pre_tokenizer(const json& j, const std::string& field) {
    if (j.is_null()) return;
    const std::string type = text(j, "type", field);
    if (t_.byte_level_) fail(field + ".type", "\"" + type + "\" after a ByteLevel pre-tokenizer is not supported");
    if (type == "Sequence") {
      const json& list = at(j, "pretokenizers", field);
      if (!list.is_array()) fail(field + ".pretokenizers", "must be a list");
      for (size_t i = 0; i < list.size(); ++i) pre_tokenizer(list[i], field + ".pretokenizers[" + std::to_string(i) + "]");
    } else if (type == "Split") {
      const auto pat = pattern(j, field);  // not a structured binding: clang 14 cannot capture one in a lambda
      const std::string& p = pat.first;
      const bool regex = pat.second;
      static const std::map<std::string, SplitBehavior> behaviors = {
          {"Removed", SplitBehavior::Removed}, {"Isolated", SplitBehavior::Isolated},
          {"MergedWithPrevious", SplitBehavior::MergedWithPrevious}, {"MergedWithNext", SplitBehavior::MergedWithNext},
          {"Contiguous", SplitBehavior::Contiguous}};
      const std::string b = text(j, "behavior", field);
      if (!behaviors.count(b)) fail(field + ".behavior", "unknown split behavior \"" + b + "\"");
      const bool invert = flag(j, "invert", false, field);
      t_.pre_.push_back(compiled(field, [&] { return std::make_unique<SplitPreTokenizer>(p, regex, behaviors.at(b), invert); }));
    } else if (type == "ByteLevel") {
      t_.pre_.push_back(std::make_unique<ByteLevelPreTokenizer>(flag(j, "add_prefix_space", true, field), flag(j, "use_regex", true, field)));
      t_.byte_level_ = true;
    } else if (type == "Metaspace") {
      const std::string rep = j.contains("replacement") ? text(j, "replacement", field) : "\xE2\x96\x81";
      auto scheme = MetaspacePreTokenizer::Prepend::Always;
      if (j.contains("prepend_scheme")) {
        const std::string s = text(j, "prepend_scheme", field);
        if (s == "first") scheme = MetaspacePreTokenizer::Prepend::First;
        else if (s == "never") scheme = MetaspacePreTokenizer::Prepend::Never;
        else if (s != "always") fail(field + ".prepend_scheme", "must be always, first or never, not \"" + s + "\"");
      } else if (!flag(j, "add_prefix_space", true, field)) {
        scheme = MetaspacePreTokenizer::Prepend::Never;
      }
      t_.pre_.push_back(std::make_unique<MetaspacePreTokenizer>(rep, scheme, flag(j, "split", true, field)));
    } else {
      fail(field + ".type", "pre-tokenizer \"" + type + "\" is not supported (StateScope runs Split, ByteLevel, Metaspace "
                            "and Sequence of them)");
    }
  }

  // Token string as the BPE sees it: byte-level vocabularies spell each byte as one character.
  bool unit_string(const std::string& token, std::string* out) const {
    if (!t_.byte_level_) {
      *out = token;
      return true;
    }
    static const auto inverse = [] {
      std::array<int, 0x200> m;
      m.fill(-1);
      for (int b = 0; b < 256; ++b) m[byte_to_unicode()[b]] = b;
      return m;
    }();
    out->clear();
    for (size_t i = 0; i < token.size();) {
      const int n = utf8_sequence_length(token, i);
      if (n == 0) return false;
      const char32_t c = utf8_decode_at(token, i);
      if (c >= inverse.size() || inverse[c] < 0) return false;
      out->push_back(static_cast<char>(inverse[c]));
      i += n;
    }
    return true;
  }

  void set_token(int32_t id, const std::string& s) {
    if (static_cast<size_t>(id) >= t_.tokens_.size()) t_.tokens_.resize(id + 1);
    t_.tokens_[id] = s;
  }

  void model(const json& m) {
    const std::string f = "model";
    if (!m.is_object()) fail(f, "must be an object");
    const std::string type = m.contains("type") ? text(m, "type", f) : (m.contains("merges") ? "BPE" : "?");
    if (type != "BPE")
      fail(f + ".type", "\"" + type + "\" tokenizers are not supported (StateScope runs BPE: byte-level or SentencePiece-style)");
    if (m.contains("dropout") && !m["dropout"].is_null() && !(m["dropout"].is_number() && m["dropout"].get<double>() == 0.0))
      fail(f + ".dropout", "BPE dropout samples a different tokenization each time; only null or 0 is supported");
    for (const char* k : {"continuing_subword_prefix", "end_of_word_suffix"})
      if (m.contains(k) && !m[k].is_null() && !(m[k].is_string() && m[k].get<std::string>().empty()))
        fail(f + "." + k, "is not supported (word-piece style BPE)");
    const json& vocab = at(m, "vocab", f);
    if (!vocab.is_object()) fail(f + ".vocab", "must be an object token -> id");
    std::unordered_map<std::string, int32_t> units;
    units.reserve(vocab.size());
    std::string u;
    for (const auto& [tok, v] : vocab.items()) {
      const int32_t i = id(v, f + ".vocab[\"" + tok + "\"]");
      if (static_cast<size_t>(i) < t_.tokens_.size() && !t_.tokens_[i].empty())
        fail(f + ".vocab[\"" + tok + "\"]", "id " + std::to_string(i) + " is also \"" + t_.tokens_[i] + "\"");
      set_token(i, tok);
      if (unit_string(tok, &u)) units.emplace(u, i);
    }
    const json& merges = at(m, "merges", f);
    if (!merges.is_array()) fail(f + ".merges", "must be a list");
    std::vector<std::pair<std::string, std::string>> pairs;
    pairs.reserve(merges.size());
    for (size_t r = 0; r < merges.size(); ++r) {
      const json& e = merges[r];
      std::string a, b;
      if (e.is_string()) {
        const std::string s = e.get<std::string>();
        const size_t sp = s.find(' ');
        if (sp == std::string::npos || s.find(' ', sp + 1) != std::string::npos)
          fail(f + ".merges[" + std::to_string(r) + "]", "\"" + s + "\" is not two tokens separated by one space");
        a = s.substr(0, sp), b = s.substr(sp + 1);
      } else if (e.is_array() && e.size() == 2 && e[0].is_string() && e[1].is_string()) {
        a = e[0].get<std::string>(), b = e[1].get<std::string>();
      } else {
        fail(f + ".merges[" + std::to_string(r) + "]", "must be \"a b\" or [\"a\", \"b\"]");
      }
      std::string ua, ub;
      if (!unit_string(a, &ua) || !unit_string(b, &ub)) fail(f + ".merges[" + std::to_string(r) + "]", "not byte-level tokens");
      pairs.emplace_back(ua, ub);
    }
    BpeModel::Options o;
    o.byte_units = t_.byte_level_;
    o.byte_fallback = flag(m, "byte_fallback", false, f);
    o.ignore_merges = flag(m, "ignore_merges", false, f);
    o.fuse_unk = flag(m, "fuse_unk", false, f);
    if (m.contains("unk_token") && !m["unk_token"].is_null()) {
      const std::string unk = text(m, "unk_token", f);
      if (!vocab.contains(unk)) fail(f + ".unk_token", "\"" + unk + "\" is not in the vocabulary");
      o.unk_id = vocab[unk].get<int32_t>();
    }
    try {
      t_.bpe_ = std::make_unique<BpeModel>(std::move(units), pairs, o);
    } catch (const std::invalid_argument& e) {
      fail(f + ".merges", e.what());
    }
  }

  void added(const json& list, const std::string& field, bool from_config) {
    if (list.is_null()) return;
    auto one = [&](const json& a, const std::string& fa, int32_t i) {
      for (const AddedMatcher& m : t_.matchers_)
        if (m.id == i) return;  // tokenizer.json's own entry wins
      const std::string content = text(a, "content", fa);
      if (content.empty()) fail(fa + ".content", "is empty");
      if (flag(a, "single_word", false, fa)) fail(fa + ".single_word", "single_word added tokens are not supported");
      // tokenizers: special tokens are matched on the raw text unless they say otherwise
      const bool special = flag(a, "special", false, fa);
      AddedMatcher m{content, i, special, flag(a, "lstrip", false, fa), flag(a, "rstrip", false, fa), flag(a, "normalized", !special, fa)};
      if (static_cast<size_t>(i) < t_.tokens_.size() && !t_.tokens_[i].empty() && t_.tokens_[i] != content)
        fail(fa + ".id", "id " + std::to_string(i) + " is \"" + t_.tokens_[i] + "\" in the vocabulary, not \"" + content + "\"");
      set_token(i, content);
      t_.matchers_.push_back(m);
    };
    if (from_config) {
      if (!list.is_object()) fail(field, "must be an object id -> token");
      for (const auto& [k, a] : list.items()) {
        int64_t i = -1;
        try { i = std::stoll(k); } catch (...) {}
        if (i < 0 || i >= kMaxId) fail(field + "[\"" + k + "\"]", "key must be a token id");
        one(a, field + "[\"" + k + "\"]", static_cast<int32_t>(i));
      }
      return;
    }
    if (!list.is_array()) fail(field, "must be a list");
    for (size_t k = 0; k < list.size(); ++k) {
      const std::string fa = field + "[" + std::to_string(k) + "]";
      one(list[k], fa, id(at(list[k], "id", fa), fa + ".id"));
    }
  }

  // Post-processor: the ids it puts before and after the text.
  void post_processor(const json& j, const std::string& field) {
    if (j.is_null()) return;
    const std::string type = text(j, "type", field);
    if (type == "ByteLevel") return;  // offsets only
    if (type == "Sequence") {
      const json& list = at(j, "processors", field);
      if (!list.is_array()) fail(field + ".processors", "must be a list");
      for (size_t i = 0; i < list.size(); ++i) post_processor(list[i], field + ".processors[" + std::to_string(i) + "]");
    } else if (type == "TemplateProcessing") {
      const json& single = at(j, "single", field);
      const json& specials = at(j, "special_tokens", field);
      if (!single.is_array()) fail(field + ".single", "must be a list");
      bool seen_a = false;
      for (size_t i = 0; i < single.size(); ++i) {
        const std::string fi = field + ".single[" + std::to_string(i) + "]";
        if (single[i].contains("Sequence")) {
          if (seen_a) fail(fi, "the sequence appears twice");
          seen_a = true;
        } else if (single[i].contains("SpecialToken")) {
          const std::string name = text(single[i]["SpecialToken"], "id", fi + ".SpecialToken");
          if (!specials.contains(name)) fail(field + ".special_tokens", "has no \"" + name + "\"");
          const json& ids = at(specials[name], "ids", field + ".special_tokens[\"" + name + "\"]");
          for (size_t k = 0; k < ids.size(); ++k)
            (seen_a ? t_.suffix_ : t_.prefix_).push_back(id(ids[k], field + ".special_tokens[\"" + name + "\"].ids[" + std::to_string(k) + "]"));
        } else {
          fail(fi, "must be a Sequence or a SpecialToken");
        }
      }
    } else if (type == "RobertaProcessing" || type == "BertProcessing") {
      for (const char* k : {"cls", "sep"}) {
        const json& p = at(j, k, field);
        if (!p.is_array() || p.size() != 2) fail(field + "." + k, "must be [token, id]");
        (std::string(k) == "cls" ? t_.prefix_ : t_.suffix_).push_back(id(p[1], field + "." + k + "[1]"));
      }
    } else {
      fail(field + ".type", "post-processor \"" + type + "\" is not supported");
    }
  }

  static constexpr int64_t kMaxId = 1 << 24;

 private:
  Tokenizer& t_;
  std::string path_;
};

std::unique_ptr<Tokenizer> Tokenizer::from_json(const std::string& json_text, const std::string& path, const std::string& config_text,
                                                const std::string& config_path) {
  std::unique_ptr<Tokenizer> t(new Tokenizer());
  t->path_ = path;
  json j;
  try {
    j = json::parse(json_text);
  } catch (const json::exception& e) {
    throw Error(path, "", std::string("not valid JSON: ") + e.what());
  }
  if (!j.is_object()) throw Error(path, "", "must be a JSON object");
  TokenizerParser p(*t, path);
  if (j.contains("truncation") && !j["truncation"].is_null()) {}  // ignored: StateScope never truncates
  p.normalizer(j.value("normalizer", json()), "normalizer");
  p.pre_tokenizer(j.value("pre_tokenizer", json()), "pre_tokenizer");
  p.model(p.at(j, "model", ""));
  p.added(j.value("added_tokens", json()), "added_tokens", false);
  p.post_processor(j.value("post_processor", json()), "post_processor");
  t->kind_ = t->byte_level_ ? TokenizerKind::ByteLevelBpe : TokenizerKind::SentencePieceBpe;
  if (!config_text.empty()) {
    json c;
    try {
      c = json::parse(config_text);
    } catch (const json::exception& e) {
      throw Error(config_path, "", std::string("not valid JSON: ") + e.what());
    }
    if (c.is_object() && c.contains("added_tokens_decoder")) {
      TokenizerParser pc(*t, config_path);
      pc.added(c["added_tokens_decoder"], "added_tokens_decoder", true);
    }
  }
  // Normalised added tokens are matched in normalised text, so their pattern is normalised too.
  for (AddedMatcher& m : t->matchers_)
    if (m.normalized) {
      AlignedText a;
      a.append(m.match, 0, 0);
      m.match = t->normalize(a).s;
    }
  for (int32_t i : t->prefix_) if (t->token(i).empty()) throw Error(path, "post_processor", "inserts id " + std::to_string(i) + ", which is no token");
  for (int32_t i : t->suffix_) if (t->token(i).empty()) throw Error(path, "post_processor", "inserts id " + std::to_string(i) + ", which is no token");
  return t;
}

std::unique_ptr<Tokenizer> Tokenizer::load(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path d(dir);
  const std::string path = (d / "tokenizer.json").string();
  if (!fs::exists(path, ec)) {
    for (const char* slow : {"vocab.json", "merges.txt", "tokenizer.model", "vocab.txt"})
      if (fs::exists(d / slow, ec))
        throw Error((d / slow).string(), "",
                    "a tokenizer without tokenizer.json: StateScope reads tokenizer.json only (and will not feed raw bytes to a "
                    "model that has a tokenizer). Write one with transformers: "
                    "AutoTokenizer.from_pretrained(DIR).save_pretrained(DIR)");
    return nullptr;
  }
  auto read = [](const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) throw Error(p, "", "cannot open");
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  const std::string config_path = (d / "tokenizer_config.json").string();
  const std::string config = fs::exists(config_path, ec) ? read(config_path) : std::string();
  return from_json(read(path), path, config, config_path);
}

}  // namespace ss
