// The encoding pipeline, in the `tokenizers` library's order: split off added tokens (those matched
// on the raw text first), normalise each remaining piece, split off the added tokens matched on
// normalised text, pre-tokenize into words, BPE each word, then the post-processor's tokens.
// Parsing and validation of tokenizer.json live in tokenizer_parser.cpp.
#include "tokenizer.h"

#include <algorithm>
#include <array>

#include "tokenizer_steps.h"

namespace ss {

const char* tokenizer_kind_name(TokenizerKind k) {
  return k == TokenizerKind::ByteLevelBpe ? "byte-level BPE" : "SentencePiece BPE";
}

Tokenizer::~Tokenizer() = default;

const std::string& Tokenizer::token(int32_t id) const {
  static const std::string none;
  return id >= 0 && id < vocab_size() ? tokens_[id] : none;
}

std::string Tokenizer::token_bytes(int32_t id) const {
  const std::string& t = token(id);
  for (const AddedMatcher& a : matchers_)
    if (a.id == id) return t;  // added tokens are their content
  if (byte_level_) {  // every character stands for one byte
    static const auto inverse = [] {
      std::array<int, 0x200> m;
      m.fill(-1);
      for (int b = 0; b < 256; ++b) m[byte_to_unicode()[b]] = b;
      return m;
    }();
    std::string out;
    for (size_t i = 0; i < t.size();) {
      const int n = std::max(1, utf8_sequence_length(t, i));
      const char32_t c = utf8_decode_at(t, i);
      if (c < inverse.size() && inverse[c] >= 0) out.push_back(static_cast<char>(inverse[c]));
      else out.append(t, i, n);
      i += n;
    }
    return out;
  }
  if (t.size() == 6 && t.rfind("<0x", 0) == 0 && t[5] == '>') return std::string(1, static_cast<char>(std::stoi(t.substr(3, 2), nullptr, 16)));
  std::string out;
  for (size_t i = 0; i < t.size();) {  // "▁" (U+2581) stands for a space
    if (t.compare(i, 3, "\xE2\x96\x81") == 0) out.push_back(' '), i += 3;
    else out.push_back(t[i++]);
  }
  return out;
}

std::string Tokenizer::describe() const {
  std::string s = std::string(tokenizer_kind_name(kind_)) + ", " + std::to_string(vocab_size()) + " tokens (" +
                  std::to_string(merge_count()) + " merges, " + std::to_string(matchers_.size()) + " added)";
  auto names = [&](const std::vector<int32_t>& ids) {
    std::string n;
    for (int32_t id : ids) n += (n.empty() ? "" : " ") + token(id);
    return n;
  };
  s += prefix_.empty() ? ", no BOS" : ", prepends " + names(prefix_);
  if (!suffix_.empty()) s += ", appends " + names(suffix_);
  return s;
}

std::vector<int32_t> Tokenizer::encode(std::string_view input, bool add_special) const {
  std::vector<int32_t> ids;
  for (const TokenPiece& p : encode_pieces(input, add_special)) ids.push_back(p.id);
  return ids;
}

namespace {

struct Segment {
  bool added = false;
  TokenPiece token;  // when added
  AlignedText text;  // otherwise
};

}  // namespace

// Splits `text` on the added tokens whose `normalized` flag equals `normalized_tokens`: leftmost
// match first, the longest at that position (aho-corasick LeftmostLongest in `tokenizers`), lstrip /
// rstrip taking the whitespace beside the match.
static std::vector<Segment> split_on(const AlignedText& text, const std::vector<AddedMatcher>& tokens) {
  std::vector<Segment> out;
  if (tokens.empty()) {
    out.push_back({false, {}, text});
    return out;
  }
  const std::string& s = text.s;
  std::array<std::vector<const AddedMatcher*>, 256> by_first;  // candidates by their first byte
  for (const AddedMatcher& m : tokens)
    if (!m.match.empty()) by_first[static_cast<unsigned char>(m.match[0])].push_back(&m);
  size_t done = 0;  // text before this is emitted
  size_t i = 0;
  while (i < s.size()) {
    const AddedMatcher* best = nullptr;
    for (const AddedMatcher* m : by_first[static_cast<unsigned char>(s[i])])
      if (s.compare(i, m->match.size(), m->match) == 0 && (!best || m->match.size() > best->match.size())) best = m;
    if (!best) {
      ++i;
      continue;
    }
    size_t start = i, stop = i + best->match.size();
    if (best->lstrip)
      while (start > done) {
        size_t k = start - 1;
        while (k > done && (static_cast<unsigned char>(s[k]) & 0xC0) == 0x80) --k;
        if (!is_white_space(utf8_decode_at(s, k))) break;
        start = k;
      }
    if (best->rstrip)
      while (stop < s.size()) {
        const int n = std::max(1, utf8_sequence_length(s, stop));
        if (!is_white_space(utf8_decode_at(s, stop))) break;
        stop += n;
      }
    if (start > done) out.push_back({false, {}, text.sub(done, start - done)});
    Segment seg;
    seg.added = true;
    seg.token = {best->id, text.begin_of(start, stop - start), text.end_of(start, stop - start), best->special};
    out.push_back(std::move(seg));
    done = i = stop;
  }
  if (done < s.size()) out.push_back({false, {}, text.sub(done, s.size() - done)});
  return out;
}

std::vector<TokenPiece> Tokenizer::encode_pieces(std::string_view input, bool add_special) const {
  // Copies of the (9 bytes per input byte) aligned text are avoided where a step has nothing to do.
  std::vector<TokenPiece> out;
  if (add_special)
    for (int32_t id : prefix_) out.push_back({id, 0, 0, true});
  const AlignedText text = decode_utf8_replacing(input);
  std::vector<AddedMatcher> raw, normalized;
  for (const AddedMatcher& m : matchers_) (m.normalized ? normalized : raw).push_back(m);
  WordCache cache;
  const PieceSink to_model = [&](const AlignedText& w) { model(w, out, cache); };
  auto run_words = [&](const AlignedText& t) { pre_tokenize(t, 0, to_model); };
  auto run_normalized = [&](const AlignedText& t) {
    if (normalized.empty()) return run_words(t);
    for (Segment& seg : split_on(t, normalized)) {
      if (seg.added) out.push_back(seg.token);
      else run_words(seg.text);
    }
  };
  auto run_piece = [&](const AlignedText& t) {
    if (norm_.empty()) return run_normalized(t);
    run_normalized(normalize(t));
  };
  if (raw.empty()) {
    run_piece(text);
  } else {
    for (Segment& seg : split_on(text, raw)) {
      if (seg.added) out.push_back(seg.token);
      else run_piece(seg.text);
    }
  }
  if (add_special)
    for (int32_t id : suffix_) out.push_back({id, static_cast<int64_t>(input.size()), static_cast<int64_t>(input.size()), true});
  return out;
}

AlignedText Tokenizer::normalize(const AlignedText& t) const {
  if (norm_.empty()) return t;
  AlignedText cur = norm_[0]->apply(t);
  for (size_t i = 1; i < norm_.size(); ++i) cur = norm_[i]->apply(cur);
  return cur;
}

void Tokenizer::pre_tokenize(const AlignedText& t, size_t step, const PieceSink& word) const {
  if (step == pre_.size()) {
    if (t.size()) word(t);
    return;
  }
  pre_[step]->apply(t, [&](const AlignedText& piece) { pre_tokenize(piece, step + 1, word); });
}

void Tokenizer::model(const AlignedText& word, std::vector<TokenPiece>& out, WordCache& cache) const {
  // Words repeat (the, of, spaces): each distinct short word goes through BPE once per call.
  constexpr size_t kCachedWordBytes = 64, kCacheWords = 1 << 16;
  std::vector<BpeModel::Symbol> local;
  const std::vector<BpeModel::Symbol>* syms = &local;
  if (word.size() <= kCachedWordBytes) {
    auto it = cache.find(word.s);
    if (it == cache.end()) {
      bpe_->tokenize(word.s, local);
      if (cache.size() < kCacheWords) it = cache.emplace(word.s, std::move(local)).first;
    }
    if (it != cache.end()) syms = &it->second;
  } else {
    bpe_->tokenize(word.s, local);
  }
  for (const auto& sym : *syms)
    out.push_back({sym.id, word.begin_of(sym.begin, sym.end - sym.begin), word.end_of(sym.begin, sym.end - sym.begin), false});
}

}  // namespace ss
