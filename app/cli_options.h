// The command line of statescope-cli, parsed strictly: a known command, only the options that
// command takes, each given once and with a value; numbers in full (digits only, in range, no
// trailing characters). Every refusal is an ss::Error naming the option.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ss {

struct CliOptions {
  std::string command;                        // info, logits, trace, tokens
  std::map<std::string, std::string> values;  // "--model" -> "DIR"; defaults filled in
  bool has(const std::string& key) const { return values.count(key) != 0; }
  const std::string& at(const std::string& key) const { return values.at(key); }
};

// args = argv[1..]. Throws ss::Error("", "--option", message); an unknown command has field "command".
CliOptions parse_cli_options(const std::vector<std::string>& args);

// A decimal integer in [lo, hi], the whole text (no sign, no spaces, no suffix).
int64_t parse_cli_integer(const std::string& text, const std::string& option, int64_t lo, int64_t hi);
// A byte count: digits with an optional K, M, G or T suffix (powers of 1024), at most 2^50.
int64_t parse_cli_bytes(const std::string& text, const std::string& option);

}  // namespace ss
