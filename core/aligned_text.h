// AlignedText: UTF-8 text in which every byte remembers the input bytes it came from, so a token
// made from normalised text still knows its byte span in the user's input. Plus the UTF-8 helpers
// the tokenizer needs (decoding with replacement, character lengths, GPT-2's byte-to-unicode map).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ss {

struct AlignedText {
  std::string s;                  // valid UTF-8
  std::vector<int32_t> src_begin;  // [s.size()] first input byte this byte came from
  std::vector<int32_t> src_end;    // [s.size()] one past the last (== src_begin for inserted text)

  size_t size() const { return s.size(); }
  AlignedText sub(size_t pos, size_t len) const;
  void append(std::string_view text, int32_t begin, int32_t end);  // text standing for input [begin, end)
  void append(const AlignedText& t, size_t pos, size_t len);
  // Inserts `text` before everything; it comes from no input byte (an empty span at the start).
  void prepend(std::string_view text);
  // Every occurrence of `from` replaced by `to`, which stands for the replaced bytes' span.
  AlignedText replaced(std::string_view from, std::string_view to) const;
  int32_t begin_of(size_t pos, size_t len) const;  // input span of s[pos, pos+len)
  int32_t end_of(size_t pos, size_t len) const;
};

// The input bytes as text, each maximal invalid UTF-8 subsequence replaced by U+FFFD (exactly as
// Python's bytes.decode("utf-8", errors="replace")); the replacement keeps the invalid bytes' span.
AlignedText decode_utf8_replacing(std::string_view bytes);

// Length of the well-formed UTF-8 sequence at s[i] (1..4), or 0 when s[i..] is not one.
int utf8_sequence_length(std::string_view s, size_t i);

// GPT-2's byte-level alphabet: byte -> the code point that stands for it in a byte-level vocabulary.
const std::array<char32_t, 256>& byte_to_unicode();
std::string utf8_encode(char32_t c);
char32_t utf8_decode_at(std::string_view s, size_t i);  // the code point of a well-formed sequence at s[i]
bool is_white_space(char32_t c);  // Unicode's White_Space property (what Rust's char::is_whitespace tests)

// How a view shows a token's bytes: each well-formed UTF-8 character as one unit, every other byte
// (part of a character split between tokens, or invalid UTF-8) as a unit of its own, to be drawn as
// a byte (e.g. "<E2>"), never as U+FFFD. Offsets are relative to `bytes`.
struct DisplayUnit {
  size_t begin, end;
  bool character;  // false: a lone byte
};
std::vector<DisplayUnit> display_units(std::string_view bytes);

}  // namespace ss
