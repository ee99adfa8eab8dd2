// SplitPattern: the pattern of a tokenizer.json `Split` pre-tokenizer (or GPT-2's ByteLevel regex),
// compiled with PCRE2 in UTF + Unicode-property mode, and the splitting it drives: where the
// pattern matches, and the five ways `tokenizers` turns matches into pieces.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ss {

enum class SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };

class SplitPattern {
 public:
  // `regex` false: `pattern` is a literal string. Throws std::invalid_argument with PCRE2's message
  // (the caller names the file and field).
  SplitPattern(const std::string& pattern, bool regex);
  ~SplitPattern();
  SplitPattern(const SplitPattern&) = delete;
  SplitPattern& operator=(const SplitPattern&) = delete;

  // Every match in `text` (valid UTF-8), left to right, as [begin, end) byte offsets; an empty
  // match moves the search on by one character.
  std::vector<std::pair<size_t, size_t>> matches(std::string_view text) const;

  // The pieces of `text` as [begin, end) byte offsets, empty pieces dropped, as the `tokenizers`
  // library splits a string with this pattern, `behavior` and `invert`.
  std::vector<std::pair<size_t, size_t>> split(std::string_view text, SplitBehavior behavior, bool invert) const;

 private:
  struct Code;
  std::unique_ptr<Code> code_;
};

// GPT-2's pre-tokenizer regex (the ByteLevel pre-tokenizer with use_regex = true).
extern const char* const kGpt2SplitRegex;

}  // namespace ss
