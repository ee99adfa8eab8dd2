#include "cli_options.h"

#include <set>

#include "error.h"

namespace ss {

namespace {

const std::map<std::string, std::set<std::string>>& known_options() {
  static const std::map<std::string, std::set<std::string>> known = {
      {"info", {"--model", "--device", "--precision"}},
      {"logits", {"--model", "--device", "--precision", "--input", "--out", "--max-memory", "--delta"}},
      {"trace", {"--model", "--device", "--precision", "--input", "--out", "--max-memory", "--state-stride", "--checkpoint-every", "--delta"}},
      {"tokens", {"--tokenizer", "--input", "--no-special"}},
  };
  return known;
}

// An argument for a message: printable ASCII, at most 60 characters.
std::string shown(const std::string& s) {
  std::string out;
  for (unsigned char c : s.substr(0, 60)) out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
  return s.size() > 60 ? out + "..." : out;
}

}  // namespace

CliOptions parse_cli_options(const std::vector<std::string>& args) {
  CliOptions o;
  if (args.empty()) throw Error("", "command", "missing (info, logits, trace or tokens)");
  o.command = args[0];
  const auto cmd = known_options().find(o.command);
  if (cmd == known_options().end()) throw Error("", "command", "unknown command '" + shown(o.command) + "' (info, logits, trace or tokens)");
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& key = args[i];
    if (key.rfind("--", 0) != 0) throw Error("", shown(key), "unexpected argument (options are --name VALUE)");
    if (!cmd->second.count(key)) {
      std::string list;
      for (const std::string& k : cmd->second) list += (list.empty() ? "" : ", ") + k;
      throw Error("", shown(key), "unknown option for '" + o.command + "' (it takes " + list + ")");
    }
    if (i + 1 >= args.size()) throw Error("", key, "needs a value");
    if (!o.values.emplace(key, args[++i]).second) throw Error("", key, "given twice");
  }
  o.values.emplace("--device", "auto");
  o.values.emplace("--precision", "fp32");
  if (o.command == "trace" && o.has("--checkpoint-every") && o.has("--state-stride"))  // the old name of --state-stride
    throw Error("", "--checkpoint-every", "is the old name of --state-stride: give one of them");
  if (o.command == "trace" && !o.has("--checkpoint-every")) o.values.emplace("--state-stride", "64");
  if (o.has("--delta") && o.at("--delta") != "selective" && o.at("--delta") != "average")
    throw Error("", "--delta", "'" + shown(o.at("--delta")) + "' is not selective or average");
  for (const char* required : {"--model", "--input", "--out", "--tokenizer"})
    if (cmd->second.count(required) && !o.has(required)) throw Error("", required, "required");
  for (const auto& [key, value] : o.values)
    if (value.empty()) throw Error("", key, "is empty");
  return o;
}

int64_t parse_cli_integer(const std::string& text, const std::string& option, int64_t lo, int64_t hi) {
  if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos)
    throw Error("", option, "'" + shown(text) + "' is not a whole number in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  const int64_t v = std::stoll(text);  // at most 18 digits: fits
  if (v < lo || v > hi) throw Error("", option, text + " is outside [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return v;
}

int64_t parse_cli_bytes(const std::string& text, const std::string& option) {
  constexpr int64_t kMax = int64_t(1) << 50;
  int shift = 0;
  std::string digits = text;
  if (!digits.empty()) {
    const char unit = digits.back();
    const std::string units = "KMGT";
    if (const size_t u = units.find(unit); u != std::string::npos) {
      shift = 10 * static_cast<int>(u + 1);
      digits.pop_back();
    }
  }
  if (digits.empty() || digits.size() > 16 || digits.find_first_not_of("0123456789") != std::string::npos)
    throw Error("", option, "'" + shown(text) + "' is not a byte count (digits with an optional K, M, G or T suffix)");
  const int64_t v = std::stoll(digits);
  if (v < 1 || v > (kMax >> shift)) throw Error("", option, text + " is outside [1, 1P]");
  return v << shift;
}

}  // namespace ss
