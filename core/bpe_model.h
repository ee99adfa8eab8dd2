// BpeModel: the `model` of a tokenizer.json of type BPE. A word (one pre-tokenized piece) starts as
// one symbol per unit (a byte for byte-level vocabularies, a UTF-8 character otherwise); units
// missing from the vocabulary become <0xXX> byte tokens (byte_fallback) or the unknown token; then
// adjacent symbols are merged, always the pair of lowest merge rank first (leftmost on ties), until
// no listed merge applies. This is the algorithm of the `tokenizers` library (Word::merge_all).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ss {

class BpeModel {
 public:
  struct Options {
    bool byte_units = false;     // units are bytes (byte-level BPE), else UTF-8 characters
    bool byte_fallback = false;  // unknown characters as <0xXX> tokens
    bool ignore_merges = false;  // a word found whole in the vocabulary is one token
    bool fuse_unk = false;       // consecutive unknown units become one unknown token
    int32_t unk_id = -1;         // -1: no unknown token (unknown units are dropped, as in `tokenizers`)
  };
  struct Symbol {
    int32_t id;
    uint32_t begin, end;  // byte span inside the word
  };

  // `vocab` maps each token's unit string (for byte-level vocabularies: the raw bytes) to its id.
  // `merges` are pairs of unit strings in rank order. Throws std::invalid_argument naming the merge
  // index when a merge names a token the vocabulary lacks (the caller adds file and field).
  BpeModel(std::unordered_map<std::string, int32_t> vocab, const std::vector<std::pair<std::string, std::string>>& merges,
           Options options);

  // Appends the tokens of one word to `out`.
  void tokenize(std::string_view word, std::vector<Symbol>& out) const;

  const Options& options() const { return opt_; }
  size_t merge_count() const { return merges_.size(); }

 private:
  struct Merge {
    int32_t rank;
    int32_t new_id;
  };
  static uint64_t key(int32_t a, int32_t b) { return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b); }

  std::unordered_map<std::string, int32_t> vocab_;
  std::unordered_map<uint64_t, Merge> merges_;
  int32_t byte_ids_[256];  // <0xXX> ids for byte fallback (-1 when absent)
  Options opt_;
};

}  // namespace ss
