#include "bpe_model.h"

#include <cstdio>
#include <queue>
#include <stdexcept>

#include "aligned_text.h"

namespace ss {

BpeModel::BpeModel(std::unordered_map<std::string, int32_t> vocab, const std::vector<std::pair<std::string, std::string>>& merges,
                   Options options)
    : vocab_(std::move(vocab)), opt_(options) {
  merges_.reserve(merges.size());
  for (size_t r = 0; r < merges.size(); ++r) {
    const auto& [a, b] = merges[r];
    const auto ia = vocab_.find(a), ib = vocab_.find(b), im = vocab_.find(a + b);
    const std::string what = "merge " + std::to_string(r) + " (\"" + a + "\" + \"" + b + "\")";
    if (ia == vocab_.end()) throw std::invalid_argument(what + ": \"" + a + "\" is not in the vocabulary");
    if (ib == vocab_.end()) throw std::invalid_argument(what + ": \"" + b + "\" is not in the vocabulary");
    if (im == vocab_.end()) throw std::invalid_argument(what + ": the merged token is not in the vocabulary");
    // The first listing of a pair keeps its rank, as a Rust HashMap built by collect() would not
    // guarantee; tokenizer files list each pair once.
    merges_.emplace(key(ia->second, ib->second), Merge{static_cast<int32_t>(r), im->second});
  }
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    const auto it = vocab_.find(name);
    byte_ids_[b] = it == vocab_.end() ? -1 : it->second;
  }
}

void BpeModel::tokenize(std::string_view word, std::vector<Symbol>& out) const {
  if (word.empty()) return;
  if (opt_.ignore_merges) {
    const auto it = vocab_.find(std::string(word));
    if (it != vocab_.end()) {
      out.push_back({it->second, 0, static_cast<uint32_t>(word.size())});
      return;
    }
  }
  // Initial symbols, one per unit (see the header for unknown units).
  struct Sym {
    int32_t id;
    uint32_t begin, end;
    int prev, next;
  };
  std::vector<Sym> syms;
  syms.reserve(word.size());
  bool unk_pending = false;
  uint32_t unk_begin = 0, unk_end = 0;
  auto add = [&](int32_t id, uint32_t b, uint32_t e) {
    syms.push_back({id, b, e, static_cast<int>(syms.size()) - 1, -1});
  };
  size_t i = 0;
  while (i < word.size()) {
    size_t n = 1;
    if (!opt_.byte_units) {
      const int len = utf8_sequence_length(word, i);
      n = len > 0 ? static_cast<size_t>(len) : 1;
    }
    const uint32_t b = static_cast<uint32_t>(i), e = static_cast<uint32_t>(i + n);
    i += n;
    const auto it = vocab_.find(std::string(word.substr(b, n)));
    if (it != vocab_.end()) {
      if (unk_pending) add(opt_.unk_id, unk_begin, unk_end), unk_pending = false;
      add(it->second, b, e);
      continue;
    }
    if (opt_.byte_fallback) {
      bool all = true;
      for (uint32_t k = b; k < e; ++k) all = all && byte_ids_[static_cast<unsigned char>(word[k])] >= 0;
      if (all) {
        for (uint32_t k = b; k < e; ++k) add(byte_ids_[static_cast<unsigned char>(word[k])], k, k + 1);
        continue;
      }
    }
    if (opt_.unk_id < 0) continue;  // `tokenizers` drops a unit it cannot represent
    if (unk_pending && opt_.fuse_unk) {
      unk_end = e;
    } else {
      if (unk_pending) add(opt_.unk_id, unk_begin, unk_end);
      unk_pending = true;
      unk_begin = b;
      unk_end = e;
    }
  }
  if (unk_pending) add(opt_.unk_id, unk_begin, unk_end);
  if (!syms.empty()) syms.back().next = -1;
  for (size_t k = 0; k + 1 < syms.size(); ++k) syms[k].next = static_cast<int>(k + 1);

  // Merges: a min-heap on (rank, position of the left symbol), stale entries skipped.
  struct Cand {
    int32_t rank;
    int pos;
    int32_t new_id;
    bool operator>(const Cand& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
  };
  std::priority_queue<Cand, std::vector<Cand>, std::greater<Cand>> heap;
  auto push_pair = [&](int left) {
    if (left < 0 || syms[left].next < 0) return;
    const auto it = merges_.find(key(syms[left].id, syms[syms[left].next].id));
    if (it != merges_.end()) heap.push({it->second.rank, left, it->second.new_id});
  };
  for (size_t k = 0; k + 1 < syms.size(); ++k) push_pair(static_cast<int>(k));
  std::vector<bool> gone(syms.size(), false);
  while (!heap.empty()) {
    const Cand c = heap.top();
    heap.pop();
    if (gone[c.pos] || syms[c.pos].next < 0) continue;
    const int right = syms[c.pos].next;
    const auto it = merges_.find(key(syms[c.pos].id, syms[right].id));
    if (it == merges_.end() || it->second.new_id != c.new_id) continue;  // stale
    Sym& s = syms[c.pos];
    s.id = c.new_id;
    s.end = syms[right].end;
    s.next = syms[right].next;
    gone[right] = true;
    if (s.next >= 0) syms[s.next].prev = c.pos;
    push_pair(s.prev);
    push_pair(c.pos);
  }
  for (size_t k = 0; k < syms.size(); ++k)
    if (!gone[k]) out.push_back({syms[k].id, syms[k].begin, syms[k].end});
}

}  // namespace ss
