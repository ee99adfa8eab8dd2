// The normalisers and pre-tokenizers of tokenizer.json that StateScope runs, each as the `tokenizers`
// library defines it, working on AlignedText so every byte keeps its span in the input.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "aligned_text.h"
#include "split_pattern.h"

namespace ss {

class NormalizerStep {
 public:
  virtual ~NormalizerStep() = default;
  virtual AlignedText apply(const AlignedText& t) const = 0;
};

// {"type": "Prepend", "prepend": P}: P before a non-empty piece.
class PrependNormalizer : public NormalizerStep {
 public:
  explicit PrependNormalizer(std::string p) : prepend_(std::move(p)) {}
  AlignedText apply(const AlignedText& t) const override;
 private:
  std::string prepend_;
};

// {"type": "Replace", "pattern": {"String": S} or {"Regex": R}, "content": C}
class ReplaceNormalizer : public NormalizerStep {
 public:
  ReplaceNormalizer(const std::string& pattern, bool regex, std::string content)
      : pattern_(pattern, regex), content_(std::move(content)) {}
  AlignedText apply(const AlignedText& t) const override;
 private:
  SplitPattern pattern_;
  std::string content_;
};

// {"type": "NFC"}: Unicode canonical composition (ICU). Normalised one segment at a time (ICU's
// normalisation boundaries), so a changed segment stands for its input bytes. Null when this build
// has no ICU (make_nfc_normalizer then returns null and the parser refuses the tokenizer).
std::unique_ptr<NormalizerStep> make_nfc_normalizer();

// A pre-tokenizer hands each of its pieces to `sink` as soon as it is cut (no list of all words of
// a large input is ever held).
using PieceSink = std::function<void(const AlignedText&)>;

class PreTokenizerStep {
 public:
  virtual ~PreTokenizerStep() = default;
  virtual void apply(const AlignedText& piece, const PieceSink& sink) const = 0;
};

// {"type": "Split", "pattern": ..., "behavior": ..., "invert": ...}
class SplitPreTokenizer : public PreTokenizerStep {
 public:
  SplitPreTokenizer(const std::string& pattern, bool regex, SplitBehavior b, bool invert)
      : pattern_(pattern, regex), behavior_(b), invert_(invert) {}
  void apply(const AlignedText& piece, const PieceSink& sink) const override;
 private:
  SplitPattern pattern_;
  SplitBehavior behavior_;
  bool invert_;
};

// {"type": "ByteLevel", "add_prefix_space": ..., "use_regex": ...}: a space before a piece that
// does not start with one, GPT-2's regex split. (The byte-to-character mapping itself is folded
// into the vocabulary: the BPE runs on bytes.)
class ByteLevelPreTokenizer : public PreTokenizerStep {
 public:
  ByteLevelPreTokenizer(bool add_prefix_space, bool use_regex);
  void apply(const AlignedText& piece, const PieceSink& sink) const override;
 private:
  bool add_prefix_space_;
  std::unique_ptr<SplitPattern> regex_;  // null when use_regex is false
};

// {"type": "Metaspace", "replacement": "▁", "prepend_scheme": always|first|never, "split": ...}
class MetaspacePreTokenizer : public PreTokenizerStep {
 public:
  enum class Prepend { Always, First, Never };
  MetaspacePreTokenizer(std::string replacement, Prepend prepend, bool split);
  void apply(const AlignedText& piece, const PieceSink& sink) const override;
 private:
  std::string replacement_;
  Prepend prepend_;
  std::unique_ptr<SplitPattern> split_;  // null when split is false
};

}  // namespace ss
