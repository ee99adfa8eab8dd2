#include "aligned_text.h"

#include <algorithm>

namespace ss {

AlignedText AlignedText::sub(size_t pos, size_t len) const {
  AlignedText t;
  t.append(*this, pos, len);
  return t;
}

void AlignedText::append(std::string_view text, int32_t begin, int32_t end) {
  // The first byte takes the whole span, the others an empty span at its end: tokens that split
  // the new text still tile the input (the one holding the first byte gets the input bytes).
  if (text.empty()) return;
  s.append(text);
  src_begin.push_back(begin);
  src_end.push_back(end);
  src_begin.insert(src_begin.end(), text.size() - 1, end);
  src_end.insert(src_end.end(), text.size() - 1, end);
}

void AlignedText::append(const AlignedText& t, size_t pos, size_t len) {
  s.append(t.s, pos, len);
  src_begin.insert(src_begin.end(), t.src_begin.begin() + pos, t.src_begin.begin() + pos + len);
  src_end.insert(src_end.end(), t.src_end.begin() + pos, t.src_end.begin() + pos + len);
}

void AlignedText::prepend(std::string_view text) {
  const int32_t at = src_begin.empty() ? 0 : src_begin.front();
  s.insert(0, text);
  src_begin.insert(src_begin.begin(), text.size(), at);
  src_end.insert(src_end.begin(), text.size(), at);
}

AlignedText AlignedText::replaced(std::string_view from, std::string_view to) const {
  if (from.empty()) return *this;
  AlignedText out;
  size_t i = 0;
  while (i < s.size()) {
    const size_t hit = s.find(from, i);
    const size_t stop = hit == std::string::npos ? s.size() : hit;
    out.append(*this, i, stop - i);
    if (hit == std::string::npos) break;
    out.append(to, begin_of(hit, from.size()), end_of(hit, from.size()));
    i = hit + from.size();
  }
  return out;
}

int32_t AlignedText::begin_of(size_t pos, size_t len) const {
  int32_t b = src_begin[pos];
  for (size_t k = pos + 1; k < pos + len; ++k) b = std::min(b, src_begin[k]);
  return b;
}

int32_t AlignedText::end_of(size_t pos, size_t len) const {
  int32_t e = src_end[pos];
  for (size_t k = pos + 1; k < pos + len; ++k) e = std::max(e, src_end[k]);
  return e;
}

namespace {

// Unicode 15, Table 3-7: the allowed range of the second byte after each lead byte (later bytes
// are always 80..BF). Returns false for bytes that cannot start a sequence.
bool lead_info(unsigned char c, int* len, unsigned char* lo, unsigned char* hi) {
  *lo = 0x80;
  *hi = 0xBF;
  if (c < 0x80) { *len = 1; return true; }
  if (c >= 0xC2 && c <= 0xDF) { *len = 2; return true; }
  if (c >= 0xE0 && c <= 0xEF) {
    *len = 3;
    if (c == 0xE0) *lo = 0xA0;
    if (c == 0xED) *hi = 0x9F;
    return true;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    *len = 4;
    if (c == 0xF0) *lo = 0x90;
    if (c == 0xF4) *hi = 0x8F;
    return true;
  }
  return false;
}

// Bytes from s[i] that are a well-formed sequence (returns its length) or, when negative, the
// length of the maximal ill-formed subpart to replace by one U+FFFD.
int scan(std::string_view s, size_t i) {
  int len;
  unsigned char lo, hi;
  if (!lead_info(static_cast<unsigned char>(s[i]), &len, &lo, &hi)) return -1;
  for (int k = 1; k < len; ++k) {
    if (i + k >= s.size()) return -k;
    const unsigned char c = static_cast<unsigned char>(s[i + k]);
    const unsigned char l = k == 1 ? lo : 0x80, h = k == 1 ? hi : 0xBF;
    if (c < l || c > h) return -k;
  }
  return len;
}

}  // namespace

int utf8_sequence_length(std::string_view s, size_t i) {
  const int n = scan(s, i);
  return n > 0 ? n : 0;
}

AlignedText decode_utf8_replacing(std::string_view bytes) {
  AlignedText t;
  t.s.reserve(bytes.size());
  t.src_begin.reserve(bytes.size());
  t.src_end.reserve(bytes.size());
  size_t i = 0;
  while (i < bytes.size()) {
    const int n = scan(bytes, i);
    const int32_t b = static_cast<int32_t>(i);
    if (n > 0) {
      for (int k = 0; k < n; ++k) {  // each byte of a valid character keeps its own position
        t.s.push_back(bytes[i + k]);
        t.src_begin.push_back(b + k);
        t.src_end.push_back(b + k + 1);
      }
      i += n;
    } else {
      t.append("\xEF\xBF\xBD", b, b - n);
      i += -n;
    }
  }
  return t;
}

const std::array<char32_t, 256>& byte_to_unicode() {
  static const std::array<char32_t, 256> table = [] {
    std::array<char32_t, 256> m{};
    char32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      m[b] = printable ? static_cast<char32_t>(b) : next++;
    }
    return m;
  }();
  return table;
}

std::string utf8_encode(char32_t c) {
  std::string out;
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
  return out;
}

char32_t utf8_decode_at(std::string_view s, size_t i) {
  const auto u = [&](size_t k) { return static_cast<char32_t>(static_cast<unsigned char>(s[i + k])); };
  switch (utf8_sequence_length(s, i)) {
    case 1: return u(0);
    case 2: return ((u(0) & 0x1F) << 6) | (u(1) & 0x3F);
    case 3: return ((u(0) & 0x0F) << 12) | ((u(1) & 0x3F) << 6) | (u(2) & 0x3F);
    case 4: return ((u(0) & 0x07) << 18) | ((u(1) & 0x3F) << 12) | ((u(2) & 0x3F) << 6) | (u(3) & 0x3F);
    default: return 0xFFFD;
  }
}

bool is_white_space(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) ||
         c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

std::vector<DisplayUnit> display_units(std::string_view bytes) {
  std::vector<DisplayUnit> out;
  size_t i = 0;
  while (i < bytes.size()) {
    const int n = utf8_sequence_length(bytes, i);
    if (n > 0) out.push_back({i, i + n, true}), i += n;
    else out.push_back({i, i + 1, false}), ++i;
  }
  return out;
}

}  // namespace ss
