// The fuzz driver for any compiler (libFuzzer needs clang's runtime, which a machine may lack):
// replays every file of a seed corpus, then N deterministic mutations of them (bit flips, byte
// insertions and deletions, repeated and spliced ranges, tokens that parsers trip on), each under a
// 10 s alarm so a hang is a failure too.
//   fuzz_replay_X CORPUS_DIR [--mutations N] [--seed S] [--only K --write FILE]
// --only K runs just the K-th mutation (0-based, as numbered in a failure report) and writes it.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "fuzz_target.h"

namespace fs = std::filesystem;

namespace {

const char* const kTokens[] = {"{", "}", "[", "]", "\"", ",", ":", "\\", "\\u0000", "\\ud800", "NaN", "Infinity", "-Infinity",
                               "null", "true", "1e309", "-1", "0", "18446744073709551615", "18446744073709551616",
                               "9223372036854775807", "4294967296", "1.5", "\"__metadata__\"", "\"dtype\"", "\"F32\"",
                               "\"BF16\"", "\"shape\"", "\"data_offsets\"", "\"weight_map\"", "\"architectures\"",
                               "\"hidden_act\"", "\"rope_parameters\"", "--model", "--input", "--out", "--max-memory",
                               "--checkpoint-every", "--delta", "\"delta\"", "\"average\"", "K", "G", "T", "../", "/", std::string(1, '\0').c_str()};

std::string mutate(std::string s, const std::vector<std::string>& corpus, std::mt19937_64& rng) {
  auto pick = [&rng](size_t n) { return n ? static_cast<size_t>(rng() % n) : 0; };
  const int rounds = 1 + static_cast<int>(rng() % 4);
  for (int r = 0; r < rounds; ++r) {
    switch (rng() % 7) {
      case 0:  // flip a bit
        if (!s.empty()) s[pick(s.size())] ^= static_cast<char>(1 << (rng() % 8));
        break;
      case 1:  // insert a random byte
        s.insert(s.begin() + static_cast<std::ptrdiff_t>(pick(s.size() + 1)), static_cast<char>(rng() & 0xff));
        break;
      case 2:  // delete a range
        if (!s.empty()) {
          const size_t at = pick(s.size());
          s.erase(at, 1 + pick(std::min<size_t>(64, s.size() - at)));
        }
        break;
      case 3:  // repeat a range
        if (!s.empty() && s.size() < (1u << 20)) {
          const size_t at = pick(s.size()), n = 1 + pick(std::min<size_t>(256, s.size() - at));
          s.insert(at, s.substr(at, n));
        }
        break;
      case 4: {  // insert a token
        const std::string tok = kTokens[pick(std::size(kTokens))];
        s.insert(pick(s.size() + 1), tok.empty() ? std::string(1, '\0') : tok);
        break;
      }
      case 5: {  // splice with another corpus entry
        const std::string& other = corpus[pick(corpus.size())];
        if (!other.empty()) s = s.substr(0, pick(s.size() + 1)) + other.substr(pick(other.size()));
        break;
      }
      case 6:  // replace a digit run's digit
        for (size_t i = pick(s.size()); i < s.size(); ++i)
          if (s[i] >= '0' && s[i] <= '9') { s[i] = static_cast<char>('0' + rng() % 10); break; }
        break;
    }
  }
  return s;
}

volatile long g_current = -1;  // the mutation running (-1: a seed), for the report of a crash

void report_and_die(int sig) {
  char buf[96];
  const int n = std::snprintf(buf, sizeof buf, "\nfuzz finding: signal %d at mutation %ld (rerun with --only %ld --write FILE)\n", sig, g_current, g_current);
  if (n > 0) (void)!::write(2, buf, static_cast<size_t>(n));
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

void run(const std::string& input) {
  ::alarm(10);
  fuzz_one(reinterpret_cast<const uint8_t*>(input.data()), input.size());
  ::alarm(0);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR [--mutations N] [--seed S] [--only K --write FILE]\n", argv[0]);
    return 2;
  }
  long mutations = 2000, only = -1;
  unsigned long long seed = 1;
  std::string write;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--mutations") mutations = std::stol(v);
    else if (k == "--seed") seed = std::stoull(v);
    else if (k == "--only") only = std::stol(v);
    else if (k == "--write") write = v;
    else { std::fprintf(stderr, "unknown option %s\n", k.c_str()); return 2; }
  }
  for (int sig : {SIGSEGV, SIGABRT, SIGALRM, SIGILL, SIGFPE, SIGBUS}) ::signal(sig, report_and_die);
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(argv[1]))
    if (e.is_regular_file()) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::vector<std::string> corpus;
  for (const fs::path& f : files) {
    std::ifstream in(f, std::ios::binary);
    corpus.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  if (corpus.empty()) { std::fprintf(stderr, "%s: empty corpus\n", argv[1]); return 2; }
  if (only < 0)
    for (size_t i = 0; i < corpus.size(); ++i) {
      std::fprintf(stderr, "seed %s\n", files[i].filename().c_str());
      run(corpus[i]);
    }
  std::mt19937_64 rng(seed);
  for (long k = 0; k < mutations; ++k) {
    const std::string input = mutate(corpus[rng() % corpus.size()], corpus, rng);
    if (only >= 0 && k != only) continue;
    if (only >= 0 && !write.empty()) std::ofstream(write, std::ios::binary) << input;
    if (only < 0 && k % 1000 == 0) std::fprintf(stderr, "mutation %ld\n", k);
    g_current = k;
    run(input);
  }
  std::printf("%s: %zu seeds and %ld mutations, no finding\n", argv[0], corpus.size(), only >= 0 ? 1 : mutations);
  return 0;
}
