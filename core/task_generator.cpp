#include "task_generator.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <numeric>
#include <string_view>

#include "error.h"
#include "json_file.h"

namespace ss {

namespace {

constexpr std::string_view kKeyLetters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
constexpr std::string_view kValueDigits = "0123456789";
constexpr char kMqarSeparator = '|';
constexpr int kMqarMaxPairs = int(kKeyLetters.size());
constexpr std::string_view kCopyLetters = "abcdefghijklmnop";  // tasks.py COPY_LETTERS: what selcopy-* were trained on
constexpr char kCopyFiller = '.';
constexpr char kCopySeparator = '|';
constexpr std::string_view kInductionAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

std::string junk_bytes() {
  std::string s;
  for (int b = 0x01; b <= 0x08; ++b) s += char(b);
  for (int b = 0x0E; b <= 0x1F; ++b) s += char(b);
  return s;
}

int uniform(std::mt19937_64& rng, int lo, int hi) {  // inclusive
  return std::uniform_int_distribution<int>(lo, hi)(rng);
}
char pick(std::mt19937_64& rng, std::string_view from) { return from[size_t(uniform(rng, 0, int(from.size()) - 1))]; }

bool in(std::string_view set, char c) { return set.find(c) != std::string_view::npos; }

}  // namespace

const char* task_kind_name(TaskKind k) {
  switch (k) {
    case TaskKind::Mqar: return "mqar";
    case TaskKind::Noise: return "noise";
    case TaskKind::SelectiveCopy: return "selective_copy";
    case TaskKind::Induction: return "induction";
  }
  return "?";
}

bool task_kind_from_name(const std::string& s, TaskKind* k) {
  for (TaskKind c : {TaskKind::Mqar, TaskKind::Noise, TaskKind::SelectiveCopy, TaskKind::Induction})
    if (s == task_kind_name(c)) { *k = c; return true; }
  return false;
}

bool folder_task_kind(const std::string& dir, TaskKind* k) {
  const std::string path = dir + "/task.json";
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return false;
  try {
    const nlohmann::json j = read_json_file(path, 1 << 20);
    if (!j.is_object() || !j.contains("task") || !j["task"].is_string()) return false;
    const std::string name = j["task"].get<std::string>();
    if (name == "selective-copying") { *k = TaskKind::SelectiveCopy; return true; }  // tools/train/train_tasks.py's name
    return task_kind_from_name(name, k);
  } catch (const Error&) {
    return false;
  }
}

void validate_task_spec(const TaskSpec& s, const std::string& where) {
  if (s.examples < 1 || s.examples > 1000) throw Error(where, "examples", "must be 1..1000, got " + std::to_string(s.examples));
  switch (s.kind) {
    case TaskKind::Mqar:
      if (s.pairs < 1 || s.pairs > kMqarMaxPairs)
        throw Error(where, "pairs", "must be 1.." + std::to_string(kMqarMaxPairs) + " (one key letter per pair), got " + std::to_string(s.pairs));
      break;
    case TaskKind::Noise:
      if (!(s.p >= 0.0 && s.p <= 1.0)) throw Error(where, "p", "must be in [0, 1], got " + std::to_string(s.p));
      if (s.max_run < 1 || s.max_run > 64) throw Error(where, "max_run", "must be 1..64, got " + std::to_string(s.max_run));
      if (s.content.empty()) throw Error(where, "content", "the text to pad is empty");
      break;
    case TaskKind::SelectiveCopy:
      if (s.length < 1 || s.length > 100000) throw Error(where, "length", "must be 1..100000, got " + std::to_string(s.length));
      if (s.tokens < 1 || s.tokens > s.length)
        throw Error(where, "tokens", "must be 1..length (" + std::to_string(s.length) + "), got " + std::to_string(s.tokens));
      break;
    case TaskKind::Induction:
      if (s.length < 2 || s.length > 100000) throw Error(where, "length", "must be 2..100000, got " + std::to_string(s.length));
      break;
  }
}

TaskExample mqar_example(int num_pairs, std::mt19937_64& rng) {
  if (num_pairs < 1 || num_pairs > kMqarMaxPairs) throw Error("", "pairs", "out of range");
  std::string keys(kKeyLetters);
  std::shuffle(keys.begin(), keys.end(), rng);
  keys.resize(size_t(num_pairs));
  std::string values;
  for (int i = 0; i < num_pairs; ++i) values += pick(rng, kValueDigits);
  TaskExample ex;
  for (int i = 0; i < num_pairs; ++i) {
    if (i) ex.bytes += ' ';
    ex.bytes += keys[size_t(i)];
    ex.bytes += values[size_t(i)];
  }
  std::vector<int> order(static_cast<size_t>(num_pairs));
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), rng);
  ex.bytes += kMqarSeparator;
  for (size_t j = 0; j < order.size(); ++j) {
    if (j) ex.bytes += ' ';
    ex.bytes += keys[size_t(order[j])];
    ex.scored.push_back(int64_t(ex.bytes.size()));
    ex.bytes += values[size_t(order[j])];
  }
  ex.bytes += '\n';
  return ex;
}

TaskExample pad_with_noise(const std::string& content, std::mt19937_64& rng, double p, int max_run) {
  static const std::string junk = junk_bytes();
  std::uniform_real_distribution<double> coin(0.0, 1.0);
  TaskExample ex;
  for (char c : content) {
    ex.bytes += c;
    ex.is_content.push_back(true);
    if (coin(rng) < p) {
      const int run = uniform(rng, 1, max_run);
      for (int r = 0; r < run; ++r) {
        ex.bytes += pick(rng, junk);
        ex.is_content.push_back(false);
      }
    }
  }
  ex.scored = content_targets(ex.is_content);
  return ex;
}

TaskExample selective_copy_example(int num_tokens, int length, std::mt19937_64& rng) {
  if (num_tokens < 1 || num_tokens > length) throw Error("", "tokens", "need 1 <= tokens <= length");
  std::vector<int> places(static_cast<size_t>(length));
  std::iota(places.begin(), places.end(), 0);
  std::shuffle(places.begin(), places.end(), rng);
  places.resize(size_t(num_tokens));
  std::sort(places.begin(), places.end());
  std::string letters;
  for (int i = 0; i < num_tokens; ++i) letters += pick(rng, kCopyLetters);
  TaskExample ex;
  ex.bytes.assign(size_t(length), kCopyFiller);
  for (size_t i = 0; i < places.size(); ++i) ex.bytes[size_t(places[i])] = letters[i];
  ex.bytes += kCopySeparator;
  for (int i = 0; i < num_tokens; ++i) ex.scored.push_back(int64_t(ex.bytes.size()) + i);
  ex.bytes += letters;
  ex.bytes += '\n';
  return ex;
}

TaskExample induction_example(int length, std::mt19937_64& rng) {
  if (length < 2) throw Error("", "length", "must be at least 2");
  std::string segment;
  for (int i = 0; i < length; ++i) segment += pick(rng, kInductionAlphabet);
  TaskExample ex;
  ex.bytes = segment + segment + "\n";
  for (int i = length + 1; i < 2 * length; ++i) ex.scored.push_back(i);
  return ex;
}

TaskExample generate_task(const TaskSpec& spec) {
  validate_task_spec(spec, "");
  std::mt19937_64 rng(spec.seed);
  TaskExample all;
  for (int e = 0; e < spec.examples; ++e) {
    TaskExample ex;
    switch (spec.kind) {
      case TaskKind::Mqar: ex = mqar_example(spec.pairs, rng); break;
      case TaskKind::Noise: ex = pad_with_noise(spec.content, rng, spec.p, spec.max_run); break;
      case TaskKind::SelectiveCopy: ex = selective_copy_example(spec.tokens, spec.length, rng); break;
      case TaskKind::Induction: ex = induction_example(spec.length, rng); break;
    }
    const int64_t shift = int64_t(all.bytes.size());
    all.bytes += ex.bytes;
    all.is_content.insert(all.is_content.end(), ex.is_content.begin(), ex.is_content.end());
    if (spec.kind == TaskKind::Noise) continue;
    for (int64_t s : ex.scored) all.scored.push_back(s + shift);
  }
  // Noise: the targets of the concatenation (the first content byte of a later example is scored too).
  if (spec.kind == TaskKind::Noise) all.scored = content_targets(all.is_content);
  return all;
}

bool is_junk_byte(unsigned char b) { return (b >= 0x01 && b <= 0x08) || (b >= 0x0E && b <= 0x1F); }

std::vector<bool> content_mask(const std::string& bytes) {
  std::vector<bool> m(bytes.size());
  for (size_t i = 0; i < bytes.size(); ++i) m[i] = !is_junk_byte(static_cast<unsigned char>(bytes[i]));
  return m;
}

std::vector<int64_t> content_targets(const std::vector<bool>& mask) {
  std::vector<int64_t> t;
  for (size_t i = 1; i < mask.size(); ++i)
    if (mask[i]) t.push_back(int64_t(i));
  return t;
}

bool mqar_check(const std::string& text, const std::vector<int64_t>& answers) {
  if (text.empty() || text.back() != '\n' || std::count(text.begin(), text.end(), kMqarSeparator) != 1) return false;
  const std::string body = text.substr(0, text.size() - 1);
  const size_t cut = body.find(kMqarSeparator);
  const std::string book = body.substr(0, cut), queries = body.substr(cut + 1);
  auto split = [](const std::string& s) {
    std::vector<std::string> parts;
    size_t start = 0;
    for (size_t i = 0; i <= s.size(); ++i)
      if (i == s.size() || s[i] == ' ') { parts.push_back(s.substr(start, i - start)); start = i + 1; }
    return parts;
  };
  const auto entries = split(book), qs = split(queries);
  std::map<char, char> table;
  for (const auto& e : entries) {
    if (e.size() != 2 || !in(kKeyLetters, e[0]) || !in(kValueDigits, e[1])) return false;
    table[e[0]] = e[1];
  }
  if (table.size() != entries.size() || qs.size() != table.size()) return false;
  std::string qkeys, tkeys;
  for (const auto& q : qs) {
    if (q.empty()) return false;
    qkeys += q[0];
  }
  for (const auto& [k, v] : table) tkeys += k;
  std::sort(qkeys.begin(), qkeys.end());
  if (qkeys != tkeys) return false;
  for (const auto& q : qs)
    if (q.size() != 2 || table[q[0]] != q[1]) return false;
  const int64_t start = int64_t(book.size()) + 1;
  if (answers.size() != qs.size()) return false;
  for (size_t j = 0; j < qs.size(); ++j)
    if (answers[j] != start + 3 * int64_t(j) + 1) return false;
  return true;
}

std::vector<int64_t> mqar_answers(const std::string& bytes) {
  std::vector<int64_t> all;
  size_t line = 0;
  while (line < bytes.size()) {
    const size_t nl = bytes.find('\n', line);
    if (nl == std::string::npos) break;  // an unfinished book is not scored
    const std::string book = bytes.substr(line, nl + 1 - line);
    const size_t cut = book.find(kMqarSeparator);
    if (cut != std::string::npos) {
      std::vector<int64_t> answers;
      for (size_t j = 0; cut + 1 + 3 * j + 1 < book.size() - 1; ++j) answers.push_back(int64_t(cut + 1 + 3 * j + 1));
      if (mqar_check(book, answers))
        for (int64_t a : answers) all.push_back(a + int64_t(line));
    }
    line = nl + 1;
  }
  return all;
}

std::vector<int64_t> selective_copy_answers(const std::string& bytes) {
  std::vector<int64_t> all;
  size_t line = 0;
  while (line < bytes.size()) {
    size_t nl = bytes.find('\n', line);
    if (nl == std::string::npos) nl = bytes.size();
    const size_t cut = bytes.find(kCopySeparator, line);
    if (cut != std::string::npos && cut < nl)
      for (size_t i = cut + 1; i < nl; ++i) all.push_back(int64_t(i));
    line = nl + 1;
  }
  return all;
}

std::vector<int64_t> scored_positions(TaskKind kind, const std::string& bytes) {
  switch (kind) {
    case TaskKind::Mqar: return mqar_answers(bytes);
    case TaskKind::Noise: return content_targets(content_mask(bytes));
    case TaskKind::SelectiveCopy: return selective_copy_answers(bytes);
    case TaskKind::Induction: {
      // Each line is a segment written twice: score the second copy but its first byte.
      std::vector<int64_t> all;
      size_t line = 0;
      while (line < bytes.size()) {
        size_t nl = bytes.find('\n', line);
        if (nl == std::string::npos) nl = bytes.size();
        const size_t n = nl - line;
        if (n >= 4 && n % 2 == 0 && bytes.compare(line, n / 2, bytes, line + n / 2, n / 2) == 0)
          for (size_t i = line + n / 2 + 1; i < nl; ++i) all.push_back(int64_t(i));
        line = nl + 1;
      }
      return all;
    }
  }
  return {};
}

double task_accuracy(const std::string& bytes, const std::vector<int64_t>& scored, const std::vector<int>& predicted) {
  if (scored.empty()) return std::numeric_limits<double>::quiet_NaN();
  int64_t right = 0, counted = 0;
  for (int64_t i : scored) {
    if (i < 0 || size_t(i) >= bytes.size() || size_t(i) >= predicted.size()) continue;
    ++counted;
    right += predicted[size_t(i)] == static_cast<unsigned char>(bytes[size_t(i)]);
  }
  return counted ? double(right) / double(counted) : std::numeric_limits<double>::quiet_NaN();
}

double task_bits_per_byte(const std::vector<int64_t>& scored, const std::vector<float>& surprisal_bits) {
  double sum = 0;
  int64_t n = 0;
  for (int64_t i : scored) {
    if (i < 0 || size_t(i) >= surprisal_bits.size()) continue;
    sum += surprisal_bits[size_t(i)];
    ++n;
  }
  return n ? sum / double(n) : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace ss
