// TokenSpans: a tokenizer model's tokens of one text, each with the bytes it stands for and how the
// views draw it. Small and Qt-free, so frames can carry it to the views.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ss {

class Tokenizer;
struct TokenPiece;

// A tokenizer model's tokens of the text: token t is ids[t] and stands for text bytes
// [begin[t], end[t]) (an empty span for inserted tokens such as the BOS). Immutable once made, so the
// views can hold it while the text moves on.
struct TokenSpans {
  std::vector<int32_t> ids;
  std::vector<int64_t> begin, end;
  std::vector<std::string> labels;  // what to draw for each token (see token_label)
  int64_t token_at_byte(int64_t b) const;  // the first token whose span ends after b (clamped)
};
// How a token is drawn: the characters of its span (space, newline, tab, CR as ␣ ↵ ⇥ ␍, other control
// characters as <10>, a part of a character split between tokens or invalid UTF-8 as <e2> bytes, never
// U+FFFD); a token with an empty span (BOS, an inserted "▁") as its vocabulary entry, e.g. "<s>".
std::string token_label(const Tokenizer& tok, const TokenPiece& piece, std::string_view text);
// Vocabulary entry `id` drawn the same way (the bytes it stands for), for the prediction view.
std::string vocab_label(const Tokenizer& tok, int32_t id);

}  // namespace ss
