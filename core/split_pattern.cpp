#include "split_pattern.h"

#include <algorithm>
#include <stdexcept>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

namespace ss {

const char* const kGpt2SplitRegex = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

struct SplitPattern::Code {
  pcre2_code* code = nullptr;
  ~Code() { pcre2_code_free(code); }
};

SplitPattern::SplitPattern(const std::string& pattern, bool regex) : code_(std::make_unique<Code>()) {
  // UTF + UCP: \s, \p{L}, \w and case-insensitive matching follow Unicode, as Oniguruma does in
  // the `tokenizers` library.
  const uint32_t options = regex ? PCRE2_UTF | PCRE2_UCP : PCRE2_UTF | PCRE2_LITERAL;
  int err = 0;
  PCRE2_SIZE offset = 0;
  code_->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), options, &err, &offset, nullptr);
  if (!code_->code) {
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(err, msg, sizeof msg);
    throw std::invalid_argument("pattern does not compile at offset " + std::to_string(offset) + ": " +
                                reinterpret_cast<const char*>(msg));
  }
  pcre2_jit_compile(code_->code, PCRE2_JIT_COMPLETE);  // falls back to the interpreter if JIT is unavailable
}

SplitPattern::~SplitPattern() = default;

std::vector<std::pair<size_t, size_t>> SplitPattern::matches(std::string_view text) const {
  std::vector<std::pair<size_t, size_t>> out;
  pcre2_match_data* md = pcre2_match_data_create_from_pattern(code_->code, nullptr);
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  size_t start = 0;
  uint32_t flags = 0;
  while (start <= text.size()) {
    const int rc = pcre2_match(code_->code, subject, text.size(), start, flags | PCRE2_NO_UTF_CHECK, md, nullptr);
    if (rc == PCRE2_ERROR_NOMATCH) {
      if (flags == 0) break;
      // No non-empty match at an empty match's position: move on by one character.
      flags = 0;
      ++start;
      while (start < text.size() && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) ++start;
      continue;
    }
    if (rc < 0) {
      pcre2_match_data_free(md);
      PCRE2_UCHAR msg[256];
      pcre2_get_error_message(rc, msg, sizeof msg);
      throw std::runtime_error(std::string("PCRE2 match failed: ") + reinterpret_cast<const char*>(msg));
    }
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
    out.emplace_back(ov[0], ov[1]);
    start = ov[1];
    flags = ov[0] == ov[1] ? PCRE2_NOTEMPTY_ATSTART | PCRE2_ANCHORED : 0;
  }
  pcre2_match_data_free(md);
  return out;
}

std::vector<std::pair<size_t, size_t>> SplitPattern::split(std::string_view text, SplitBehavior behavior, bool invert) const {
  // (offsets, is_match) covering the whole text, as tokenizers' Pattern::find_matches
  struct Part { size_t b, e; bool match; };
  std::vector<Part> parts;
  size_t prev = 0;
  for (const auto& [b, e] : matches(text)) {
    if (prev != b) parts.push_back({prev, b, false});
    parts.push_back({b, e, true});
    prev = e;
  }
  if (prev != text.size() || text.empty()) parts.push_back({prev, text.size(), false});
  if (invert)
    for (Part& p : parts) p.match = !p.match;

  std::vector<Part> kept;  // match == true here means "remove"
  bool previous_match = false;
  switch (behavior) {
    case SplitBehavior::Removed:
      kept = parts;
      break;
    case SplitBehavior::Isolated:
      for (const Part& p : parts) kept.push_back({p.b, p.e, false});
      break;
    case SplitBehavior::Contiguous:
      for (const Part& p : parts) {
        if (p.match == previous_match && !kept.empty()) kept.back().e = p.e;
        else kept.push_back({p.b, p.e, false});
        previous_match = p.match;
      }
      break;
    case SplitBehavior::MergedWithPrevious:
      for (const Part& p : parts) {
        if (p.match && !previous_match && !kept.empty()) kept.back().e = p.e;
        else kept.push_back({p.b, p.e, false});
        previous_match = p.match;
      }
      break;
    case SplitBehavior::MergedWithNext:
      for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
        if (it->match && !previous_match && !kept.empty()) kept.back().b = it->b;
        else kept.push_back({it->b, it->e, false});
        previous_match = it->match;
      }
      std::reverse(kept.begin(), kept.end());
      break;
  }
  std::vector<std::pair<size_t, size_t>> out;
  for (const Part& p : kept)
    if (!p.match && p.e > p.b) out.emplace_back(p.b, p.e);
  return out;
}

}  // namespace ss
