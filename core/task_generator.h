// The teaching tasks the app can make, in the formats and with the scoring of tools/train/tasks.py
// (the generators the task models were trained with). Every example is bytes plus the positions a
// model is scored on: position i means "predict bytes[i] from bytes[0..i)".
//
//   phone book (MQAR):   "Q4 b7 K0|b7 K0 Q4\n"        scored: the value digit after each query key
//   noise padding:       "h\x03e\x1c\x11llo"            scored: positions i >= 1 whose byte is content
//   selective copying:   "..k...b..x..|kbx\n"           scored: the copied letters after '|'
//   induction:           "fwcepYyNfwcepYyN\n"           scored: the second copy but its first byte
//
// The parsers (mqar_answers, selective_copy_answers, ...) score text the user typed or pasted, so
// the prediction view can count accuracy on any well-formed example, not only generated ones.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace ss {

enum class TaskKind { Mqar, Noise, SelectiveCopy, Induction };

struct TaskExample {
  std::string bytes;
  std::vector<int64_t> scored;   // positions whose byte is predicted and scored, ascending
  std::vector<bool> is_content;  // noise padding: false at junk bytes; empty for the other tasks
};

// Parameters of a generator; only the fields of its kind are read.
struct TaskSpec {
  TaskKind kind = TaskKind::Mqar;
  int pairs = 8;             // Mqar: 1..52
  double p = 0.5;            // Noise: chance of a junk run after each content byte, [0, 1]
  int max_run = 4;           // Noise: a run is 1..max_run junk bytes
  std::string content;       // Noise: the text to pad
  int tokens = 8;            // SelectiveCopy: letters to copy, 1..length
  int length = 64;           // SelectiveCopy: field length; Induction: segment length (>= 2)
  int examples = 1;          // how many examples, concatenated (1..1000)
  uint64_t seed = 1;
};

const char* task_kind_name(TaskKind k);             // "mqar", "noise", "selective_copy", "induction"
bool task_kind_from_name(const std::string& s, TaskKind* k);
// The task a model folder was trained on: its task.json's "task" ("mqar", "noise",
// "selective-copying" or "selective_copy", "induction"). False when the folder has no task.json, or
// one that cannot be read or names no known task (the explorer's task notes say which and why).
bool folder_task_kind(const std::string& dir, TaskKind* k);

// Throws ss::Error(field = the parameter) when a parameter is out of range.
void validate_task_spec(const TaskSpec& spec, const std::string& where);
// One or more examples (spec.examples), concatenated; scored positions shifted accordingly.
TaskExample generate_task(const TaskSpec& spec);

TaskExample mqar_example(int num_pairs, std::mt19937_64& rng);
TaskExample pad_with_noise(const std::string& content, std::mt19937_64& rng, double p = 0.5, int max_run = 4);
TaskExample selective_copy_example(int num_tokens, int length, std::mt19937_64& rng);
TaskExample induction_example(int length, std::mt19937_64& rng);

// --- scoring text that was not generated here ---
bool is_junk_byte(unsigned char b);                              // 0x01-0x08, 0x0E-0x1F
std::vector<bool> content_mask(const std::string& bytes);        // !is_junk_byte per byte
std::vector<int64_t> content_targets(const std::vector<bool>& mask);  // i >= 1 with mask[i]
// Answer positions of every well-formed phone book in `bytes` (several books may follow each other,
// each ending in '\n'); a malformed book contributes none. tasks.py's mqar_check, per book.
std::vector<int64_t> mqar_answers(const std::string& bytes);
bool mqar_check(const std::string& book, const std::vector<int64_t>& answers);
std::vector<int64_t> selective_copy_answers(const std::string& bytes);  // per line holding '|'
// The positions a task scores in `bytes`, found by parsing (for the prediction view).
std::vector<int64_t> scored_positions(TaskKind kind, const std::string& bytes);

// Accuracy: the fraction of scored positions where predicted[i] == bytes[i] (predicted[i] being the
// model's top byte for position i, i.e. its argmax after bytes[0..i)). NaN when nothing is scored.
double task_accuracy(const std::string& bytes, const std::vector<int64_t>& scored, const std::vector<int>& predicted);
// Bits per byte over the scored positions, from -log2 p(bytes[i]) per position.
double task_bits_per_byte(const std::vector<int64_t>& scored, const std::vector<float>& surprisal_bits);

}  // namespace ss
