#include "token_spans.h"

#include <algorithm>

#include "aligned_text.h"
#include "tokenizer.h"

namespace ss {

int64_t TokenSpans::token_at_byte(int64_t b) const {
  if (end.empty()) return 0;
  const auto it = std::upper_bound(end.begin(), end.end(), b);  // first token ending after byte b
  return std::min<int64_t>(it - end.begin(), static_cast<int64_t>(end.size()) - 1);
}

std::string token_label(const Tokenizer& tok, const TokenPiece& piece, std::string_view text) {
  if (piece.end <= piece.begin) return tok.token(piece.id);  // inserted: "<s>", "▁"
  const std::string_view span = text.substr(piece.begin, piece.end - piece.begin);
  std::string out;
  for (const DisplayUnit& u : display_units(span)) {
    const std::string_view unit = span.substr(u.begin, u.end - u.begin);
    if (!u.character) {
      static const char* hex = "0123456789abcdef";
      const auto c = static_cast<uint8_t>(unit[0]);
      out += '<';
      out += hex[c >> 4];
      out += hex[c & 15];
      out += '>';
    } else if (unit == " ") {
      out += "\u2423";  // ␣
    } else if (unit == "\n") {
      out += "\u21b5";  // ↵
    } else if (unit == "\t") {
      out += "\u21e5";  // ⇥
    } else if (unit == "\r") {
      out += "\u240d";  // ␍
    } else if (unit.size() == 1 && (static_cast<uint8_t>(unit[0]) < 0x20 || unit[0] == 0x7f)) {
      out += "<" + std::to_string(static_cast<int>(unit[0])) + ">";
    } else {
      out += unit;
    }
  }
  return out;
}

std::string vocab_label(const Tokenizer& tok, int32_t id) {
  const std::string bytes = tok.token_bytes(id);
  return token_label(tok, TokenPiece{id, 0, static_cast<int64_t>(bytes.size()), false}, bytes);
}

}  // namespace ss
