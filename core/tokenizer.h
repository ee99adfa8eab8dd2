// Tokenizer: a HuggingFace tokenizer.json (plus tokenizer_config.json's added tokens) of the two
// kinds nearly every checkpoint ships, with token ids equal to the `tokenizers` library's:
//   byte-level BPE       GPT-2, GPT-NeoX, Llama-3, Qwen: ByteLevel pre-tokenizer (optionally after a
//                        Split regex, run with PCRE2), merges over bytes
//   SentencePiece BPE    Llama-2, Mistral, Jamba: "▁" for spaces (Prepend/Replace normalisers or the
//                        Metaspace pre-tokenizer), merges over characters, <0xXX> byte fallback
// Anything else (WordPiece, Unigram, WordLevel, normalisers or pre-tokenizers not listed in
// tokenizer.cpp) is refused with an ss::Error naming the file and the field.
//
// Input: the raw bytes of a file. They are read as UTF-8, each maximal invalid subsequence replaced
// by U+FFFD (what Python's bytes.decode("utf-8", errors="replace") gives a transformers user).
//
// For views (no Qt here): encode_pieces() gives every token with its byte span [begin, end) in the
// input. Spans follow the input in order and never overlap; a token made of part of a character
// (byte-level BPE splitting a multi-byte character) covers just those bytes; a token that stands
// for inserted text (the BOS, a prepended "▁" alone) has an empty span at its position. Show a
// span's bytes with display_units() (aligned_text.h): whole characters as text, the rest as bytes.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "aligned_text.h"
#include "bpe_model.h"
#include "split_pattern.h"

namespace ss {

class NormalizerStep;    // tokenizer_steps.h
class PreTokenizerStep;

enum class TokenizerKind { ByteLevelBpe, SentencePieceBpe };
const char* tokenizer_kind_name(TokenizerKind k);  // "byte-level BPE", "SentencePiece BPE"

struct AddedMatcher {  // an added token as matched in text
  std::string match;      // its content (normalised when `normalized`)
  int32_t id;
  bool special, lstrip, rstrip, normalized;
};

struct TokenPiece {
  int32_t id = 0;
  int64_t begin = 0, end = 0;  // byte span in the input
  bool special = false;        // an added special token or one the post-processor inserted
};

class Tokenizer {
 public:
  // Reads dir/tokenizer.json (and dir/tokenizer_config.json when present). Returns nullptr when the
  // folder holds no tokenizer files at all. Throws ss::Error for a tokenizer it refuses, and for a
  // folder that has only slow-tokenizer files (vocab.json + merges.txt, tokenizer.model).
  static std::unique_ptr<Tokenizer> load(const std::string& dir);
  // Parses a tokenizer.json text; `path` names it in errors. `config` is tokenizer_config.json or null.
  static std::unique_ptr<Tokenizer> from_json(const std::string& json_text, const std::string& path,
                                              const std::string& config_text = "", const std::string& config_path = "");
  ~Tokenizer();

  // Token ids of `input` (raw bytes). `add_special`: the post-processor's tokens (e.g. the BOS).
  std::vector<int32_t> encode(std::string_view input, bool add_special = true) const;
  std::vector<TokenPiece> encode_pieces(std::string_view input, bool add_special = true) const;

  TokenizerKind kind() const { return kind_; }
  const std::string& path() const { return path_; }
  int32_t vocab_size() const { return static_cast<int32_t>(tokens_.size()); }  // largest id + 1
  int32_t added_count() const { return static_cast<int32_t>(matchers_.size()); }
  size_t merge_count() const { return bpe_->merge_count(); }
  const std::string& token(int32_t id) const;  // as written in tokenizer.json ("" for unused ids)
  std::string token_bytes(int32_t id) const;   // the bytes it stands for ("Ġthe" -> " the", <0x0A> -> "\n")
  std::vector<int32_t> prefix_ids() const { return prefix_; }  // what the post-processor puts before
  std::vector<int32_t> suffix_ids() const { return suffix_; }  // and after the text
  std::string describe() const;  // one line for `info`: kind, vocabulary, merges, added, BOS/EOS

 private:
  Tokenizer() = default;
  AlignedText normalize(const AlignedText& t) const;
  // Runs pre-tokenizer steps step.. on `t`, each resulting word to `word`.
  void pre_tokenize(const AlignedText& t, size_t step, const std::function<void(const AlignedText&)>& word) const;
  using WordCache = std::unordered_map<std::string, std::vector<BpeModel::Symbol>>;  // one encode call's words
  void model(const AlignedText& word, std::vector<TokenPiece>& out, WordCache& cache) const;

  friend class TokenizerParser;
  TokenizerKind kind_ = TokenizerKind::ByteLevelBpe;
  std::string path_;
  std::vector<std::string> tokens_;  // [vocab_size] id -> token string
  std::vector<AddedMatcher> matchers_;  // the added tokens
  std::vector<std::unique_ptr<NormalizerStep>> norm_;
  std::vector<std::unique_ptr<PreTokenizerStep>> pre_;
  std::unique_ptr<BpeModel> bpe_;
  bool byte_level_ = false;
  std::vector<int32_t> prefix_, suffix_;
};

}  // namespace ss
