// statescope-tokenizer-check: StateScope's token ids against a reference.json written by
// tools/make_tokenizer_fixtures.py (the `tokenizers` library's ids for each case), for any
// tokenizer folder, including ones the repository does not hold.
//   statescope-tokenizer-check TOKENIZER_DIR REFERENCE.json [--verbose]
// Prints one line per mismatching case (first differing position) and a summary; exit status 1 on
// any mismatch, 2 on bad arguments or a refused tokenizer.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "error.h"
#include "tokenizer.h"

namespace {

std::string base64_decode(const std::string& in) {
  static const std::string abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    const size_t v = abc.find(c);
    if (v == std::string::npos) continue;  // padding
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

size_t first_difference(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
  return i;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: statescope-tokenizer-check TOKENIZER_DIR REFERENCE.json [--verbose]\n");
    return 2;
  }
  const bool verbose = argc > 3 && std::string(argv[3]) == "--verbose";
  try {
    const auto t0 = std::chrono::steady_clock::now();
    const auto tok = ss::Tokenizer::load(argv[1]);
    if (!tok) throw ss::Error(argv[1], "tokenizer.json", "not found");
    const double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::ifstream in(argv[2]);
    std::stringstream ss;
    ss << in.rdbuf();
    const nlohmann::json ref = nlohmann::json::parse(ss.str());
    int cases = 0, bad = 0;
    int64_t tokens = 0, bytes = 0;
    const auto t1 = std::chrono::steady_clock::now();
    for (const auto& c : ref.at("cases")) {
      const std::string raw = base64_decode(c.at("input_b64").get<std::string>());
      for (const bool special : {true, false}) {
        const auto want = c.at(special ? "ids" : "ids_no_special").get<std::vector<int32_t>>();
        const auto ids = tok->encode(raw, special);
        if (ids != want) {
          ++bad;
          const size_t k = first_difference(ids, want);
          std::printf("MISMATCH %s (%s): %zu vs %zu tokens, first difference at token %zu: ours %d, tokenizers %d\n",
                      c.at("name").get<std::string>().c_str(), special ? "with specials" : "no specials", ids.size(), want.size(), k,
                      k < ids.size() ? ids[k] : -1, k < want.size() ? want[k] : -1);
          if (verbose) std::printf("  input (base64): %s\n", c.at("input_b64").get<std::string>().c_str());
        }
        tokens += static_cast<int64_t>(want.size());
      }
      bytes += static_cast<int64_t>(raw.size());
      ++cases;
    }
    const double run_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
    std::printf("%s: %s; %d cases (%lld bytes, %lld tokens): %d mismatches; load %.2f s, encode %.2f s\n", argv[1],
                tok->describe().c_str(), cases, static_cast<long long>(bytes), static_cast<long long>(tokens), bad, load_s, run_s);
    return bad ? 1 : 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "statescope-tokenizer-check: %s\n", e.what());
    return 2;
  }
}
