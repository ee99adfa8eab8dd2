// RunMemory: the host memory a run will hold at its peak, computed before it runs, so a run too big
// for the machine is refused with the numbers instead of ending in std::bad_alloc (or the OOM killer).
//
//   weights      the parameters as fp32 (exact)
//   tokens       the token ids, and the input bytes they came from (exact)
//   activations  one forward chunk's activations: an upper estimate from the config (the widest
//                layer's intermediates per token, times the chunk) plus the KV cache of every token
//   outputs      logits rows held before they are written (logits), or every recorded trace plus
//                the largest one joined for writing (trace); the traces are measured on a short
//                probe run and extrapolated (per-token traces grow with T, strided states with
//                T / stride, probs windows and final states stay fixed)
//   overhead     a quarter of activations + outputs, plus 32 MB for the process: calibrated on the
//                shipped models (16,384 tokens, CPU), whose peak RSS was 6-25 % above the sum of
//                the parts above (docs/robustness.md has the table and the command)
#pragma once

#include <cstdint>
#include <string>

#include "model.h"
#include "trace_store.h"

namespace ss {

struct RunMemory {
  int64_t weights = 0;
  int64_t tokens = 0;
  int64_t activations = 0;
  int64_t outputs = 0;
  int64_t overhead() const { return (activations + outputs) / 4 + (32ll << 20); }
  int64_t total() const { return weights + tokens + activations + outputs + overhead(); }
  std::string describe() const;  // "weights 9.4 MB + tokens ... = 1.2 GB"
};

// Floats of intermediates per token in the widest layer (an upper estimate).
int64_t activation_floats_per_token(const ModelConfig& c);

// `logits_rows`: the rows of logits held at once (the CLI writes them in pieces of that many).
RunMemory logits_run_memory(const Model& m, int64_t tokens, int64_t logits_rows);
// Runs the model on the first min(tokens, 256) ids of `probe` with `req` to measure the traces.
RunMemory trace_run_memory(const Model& m, const TraceRequest& req, const std::vector<int32_t>& probe, int64_t tokens);

std::string human_bytes(int64_t bytes);  // "1.9 GB"

}  // namespace ss
