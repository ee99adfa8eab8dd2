// The GPU suites' "tracing only observes" case (core/trace.h), shared by the FP32 (tst_cuda_models)
// and BF16 (tst_cuda_bf16) suites: for each family, recording everything (every trace, strided states,
// probs windows) changes no bit of the GPU model's logits or states, as a forward and as a forward
// then steps. `load_both` loads a folder on the suite's CPU and GPU backends; `random_model` makes (or
// reuses) the suite's random model folder of a family. Header-only: the CUDA-only suites that link
// gpu_check.cpp without the test kit stay as they are.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "gpu_check.h"
#include "model.h"
#include "observation_check.h"
#include "trace_store.h"

namespace ss::gpu_test {

inline void check_observation(Suite& suite,
                              const std::function<bool(const std::string&, std::unique_ptr<Model>&, std::unique_ptr<Model>&)>& load_both,
                              const std::function<std::string(const std::string&)>& random_model) {
  for (const std::string family : {"mamba", "mamba2", "llama", "jamba"}) {
    suite.run("recording everything changes no bit of logits or states: " + family + " T=300", [&] {
      std::unique_ptr<Model> mc, mg;
      if (!load_both(random_model(family), mc, mg)) return;
      const auto tokens = random_bytes(300, 13);
      for (const int64_t stride : {int64_t(1), int64_t(64)})
        for (const int64_t split : {int64_t(300), int64_t(290)}) {
          TraceStore store(testkit::everything_request(*mg, 300, 1, stride));
          const std::string d = testkit::observation_difference(*mg, tokens, split, store);
          suite.check(d.empty(), fmt("stride %lld split %lld: %s", (long long)stride, (long long)split, d.empty() ? "bit-identical" : d.c_str()));
        }
    });
  }
}

}  // namespace ss::gpu_test
