#include "tokenizer_steps.h"

namespace ss {

namespace {

void append_pieces(const AlignedText& piece, const std::vector<std::pair<size_t, size_t>>& ranges, std::vector<AlignedText>& out) {
  for (const auto& [b, e] : ranges) out.push_back(piece.sub(b, e - b));
}

}  // namespace

AlignedText PrependNormalizer::apply(const AlignedText& t) const {
  AlignedText out = t;
  if (out.size()) out.prepend(prepend_);
  return out;
}

AlignedText ReplaceNormalizer::apply(const AlignedText& t) const {
  AlignedText out;
  size_t prev = 0;
  for (const auto& [b, e] : pattern_.matches(t.s)) {
    out.append(t, prev, b - prev);
    if (e > b) out.append(content_, t.begin_of(b, e - b), t.end_of(b, e - b));
    else out.append(content_, t.size() > b ? t.src_begin[b] : (t.size() ? t.src_end.back() : 0),
                    t.size() > b ? t.src_begin[b] : (t.size() ? t.src_end.back() : 0));
    prev = e;
  }
  out.append(t, prev, t.size() - prev);
  return out;
}

void SplitPreTokenizer::apply(const AlignedText& piece, std::vector<AlignedText>& out) const {
  append_pieces(piece, pattern_.split(piece.s, behavior_, invert_), out);
}

ByteLevelPreTokenizer::ByteLevelPreTokenizer(bool add_prefix_space, bool use_regex) : add_prefix_space_(add_prefix_space) {
  if (use_regex) regex_ = std::make_unique<SplitPattern>(kGpt2SplitRegex, true);
}

void ByteLevelPreTokenizer::apply(const AlignedText& piece, std::vector<AlignedText>& out) const {
  AlignedText t = piece;
  if (add_prefix_space_ && (t.s.empty() || t.s[0] != ' ')) t.prepend(" ");
  if (!regex_) {
    out.push_back(std::move(t));
    return;
  }
  append_pieces(t, regex_->split(t.s, SplitBehavior::Isolated, false), out);
}

MetaspacePreTokenizer::MetaspacePreTokenizer(std::string replacement, Prepend prepend, bool split)
    : replacement_(std::move(replacement)), prepend_(prepend) {
  if (split) split_ = std::make_unique<SplitPattern>(replacement_, false);
}

void MetaspacePreTokenizer::apply(const AlignedText& piece, std::vector<AlignedText>& out) const {
  AlignedText t = piece.replaced(" ", replacement_);
  const bool starts = t.s.rfind(replacement_, 0) == 0;
  // "first": only the piece that starts the input (not one after an added token)
  const bool first = t.size() && t.src_begin[0] == 0;
  if (!starts && (prepend_ == Prepend::Always || (prepend_ == Prepend::First && first))) t.prepend(replacement_);
  if (!split_) {
    out.push_back(std::move(t));
    return;
  }
  append_pieces(t, split_->split(t.s, SplitBehavior::MergedWithNext, false), out);
}

}  // namespace ss
