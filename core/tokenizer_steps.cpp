#include "tokenizer_steps.h"

#include <algorithm>

#ifdef STATESCOPE_WITH_ICU
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#endif

namespace ss {

namespace {

void append_pieces(const AlignedText& piece, const std::vector<std::pair<size_t, size_t>>& ranges, const PieceSink& sink) {
  for (const auto& [b, e] : ranges) sink(piece.sub(b, e - b));
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

#ifdef STATESCOPE_WITH_ICU
namespace {

class NfcNormalizer : public NormalizerStep {
 public:
  explicit NfcNormalizer(const UNormalizer2* n) : nfc_(n) {}
  AlignedText apply(const AlignedText& t) const override {
    AlignedText out;
    const std::string& s = t.s;
    size_t i = 0;
    while (i < s.size()) {
      size_t j = i + std::max(1, utf8_sequence_length(s, i));
      bool ascii = static_cast<unsigned char>(s[i]) < 0x80;
      while (j < s.size() && !unorm2_hasBoundaryBefore(nfc_, static_cast<UChar32>(utf8_decode_at(s, j)))) {
        ascii = false;
        j += std::max(1, utf8_sequence_length(s, j));
      }
      if (ascii || !change(s.substr(i, j - i))) out.append(t, i, j - i);
      else out.append(normalized_, t.begin_of(i, j - i), t.end_of(i, j - i));
      i = j;
    }
    return out;
  }

 private:
  // Normalises one segment into normalized_; false when NFC leaves it as it is.
  bool change(const std::string& seg) const {
    UErrorCode err = U_ZERO_ERROR;
    std::u16string in(seg.size() + 1, u'\0'), outw(4 * seg.size() + 8, u'\0');
    int32_t n_in = 0;
    u_strFromUTF8(reinterpret_cast<UChar*>(in.data()), static_cast<int32_t>(in.size()), &n_in, seg.data(), static_cast<int32_t>(seg.size()), &err);
    if (U_FAILURE(err)) return false;
    if (unorm2_quickCheck(nfc_, reinterpret_cast<const UChar*>(in.data()), n_in, &err) == UNORM_YES && U_SUCCESS(err)) return false;
    err = U_ZERO_ERROR;
    const int32_t n_out = unorm2_normalize(nfc_, reinterpret_cast<const UChar*>(in.data()), n_in, reinterpret_cast<UChar*>(outw.data()),
                                           static_cast<int32_t>(outw.size()), &err);
    if (U_FAILURE(err)) return false;
    normalized_.assign(4 * static_cast<size_t>(n_out) + 4, '\0');
    int32_t n8 = 0;
    u_strToUTF8(normalized_.data(), static_cast<int32_t>(normalized_.size()), &n8, reinterpret_cast<const UChar*>(outw.data()), n_out, &err);
    if (U_FAILURE(err)) return false;
    normalized_.resize(n8);
    return normalized_ != seg;
  }
  const UNormalizer2* nfc_;
  mutable std::string normalized_;
};

}  // namespace

std::unique_ptr<NormalizerStep> make_nfc_normalizer() {
  UErrorCode err = U_ZERO_ERROR;
  const UNormalizer2* n = unorm2_getNFCInstance(&err);
  if (U_FAILURE(err) || !n) return nullptr;
  return std::make_unique<NfcNormalizer>(n);
}
#else
std::unique_ptr<NormalizerStep> make_nfc_normalizer() { return nullptr; }
#endif

void SplitPreTokenizer::apply(const AlignedText& piece, const PieceSink& sink) const {
  append_pieces(piece, pattern_.split(piece.s, behavior_, invert_), sink);
}

ByteLevelPreTokenizer::ByteLevelPreTokenizer(bool add_prefix_space, bool use_regex) : add_prefix_space_(add_prefix_space) {
  if (use_regex) regex_ = std::make_unique<SplitPattern>(kGpt2SplitRegex, true);
}

void ByteLevelPreTokenizer::apply(const AlignedText& piece, const PieceSink& sink) const {
  if (add_prefix_space_ && (piece.s.empty() || piece.s[0] != ' ')) {
    AlignedText t = piece;
    t.prepend(" ");
    if (regex_) append_pieces(t, regex_->split(t.s, SplitBehavior::Isolated, false), sink);
    else sink(t);
    return;
  }
  if (regex_) append_pieces(piece, regex_->split(piece.s, SplitBehavior::Isolated, false), sink);
  else sink(piece);
}

MetaspacePreTokenizer::MetaspacePreTokenizer(std::string replacement, Prepend prepend, bool split)
    : replacement_(std::move(replacement)), prepend_(prepend) {
  if (split) split_ = std::make_unique<SplitPattern>(replacement_, false);
}

void MetaspacePreTokenizer::apply(const AlignedText& piece, const PieceSink& sink) const {
  AlignedText t = piece.replaced(" ", replacement_);
  const bool starts = t.s.rfind(replacement_, 0) == 0;
  // "first": only the piece that starts the input (not one after an added token)
  const bool first = t.size() && t.src_begin[0] == 0;
  if (!starts && (prepend_ == Prepend::Always || (prepend_ == Prepend::First && first))) t.prepend(replacement_);
  if (!split_) {
    sink(t);
    return;
  }
  append_pieces(t, split_->split(t.s, SplitBehavior::MergedWithNext, false), sink);
}

}  // namespace ss
