// One fuzz target per parser of user files: `fuzz_one` gets arbitrary bytes and must either accept
// them or throw ss::Error; anything else (another exception, a crash, a sanitizer report, a hang) is
// a finding. Each target file defines fuzz_one; replay_main.cpp (any compiler) or libFuzzer (clang,
// -fsanitize=fuzzer) drives it.
#pragma once

#include <cstddef>
#include <cstdint>

void fuzz_one(const uint8_t* data, size_t size);

// libFuzzer's entry point, defined in every target.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
