// Lesson: a guided demonstration as a data file (docs/lessons.md). A lesson names its models, its
// input (literal text, a file, or a task generator with parameters) and a list of steps; each step
// sets what the views show (token or window, layer/head/channel per model, the visible views, colour
// scales) and shows a short card in English and Chinese, with an optional formula and a highlighted
// region of one view. load_lesson validates everything it can without the models and reports the
// file, line and field of any error; check_lesson_models does the checks that need the models.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "task_generator.h"

namespace ss {

constexpr int kLessonFormatVersion = 1;

struct LocalText {
  std::string en, zh;  // en is required; zh may be empty in a lesson a user wrote (then en is shown)
  const std::string& in(const std::string& language) const { return language == "zh" && !zh.empty() ? zh : en; }
};

struct LessonModel {
  std::string name;    // what steps call it ("ssm", "attention")
  std::string folder;  // a shipped model's name (assets/models/NAME) or a path relative to the lesson
  int line = 0;
};

struct LessonInput {
  enum class Kind { Text, File, Generator } kind = Kind::Text;
  std::string text;  // Text: the bytes (UTF-8 as written in the JSON string)
  std::string file;  // File: resolved to an absolute path at load
  TaskSpec task;     // Generator
  int line = 0;
};

struct ModelView {      // -1: leave as it is
  int layer = -1, head = -1, channel = -1;
  // "delta": "average" (1): the column runs Δ → average (core/intervention.h: every SSM layer's Δ
  // replaced by its mean over the text, a time-invariant SSM); "selective" (0): the trained model.
  // -1: as the previous step left it (a lesson starts selective). Only for models with SSM layers.
  int delta_average = -1;
  int line = 0;
};

struct Highlight {
  std::string panel;           // a view key (kLessonPanels)
  double x = 0, y = 0, w = 1, h = 1;  // fractions of the view, [0, 1]
};

struct LessonStep {
  LocalText title, card;
  std::string formula;                     // optional, plain Unicode (e.g. "h_t = Ā_t h_{t−1} + B̄_t x_t")
  std::optional<LessonInput> input;        // replaces the input from this step on
  std::optional<int64_t> token;            // the selected token; negative counts from the end (-1: last)
  std::optional<std::pair<int64_t, int64_t>> window;  // a window [a, b] (inclusive), negatives from the end
  std::string active;                      // the model column made active ("" = unchanged)
  std::map<std::string, ModelView> models; // by model name
  std::vector<std::string> panels;         // the views shown (empty = unchanged)
  std::map<std::string, std::string> scales;  // view key -> scale name (kLessonScales)
  std::optional<Highlight> highlight;
  int line = 0;
};

struct Lesson {
  std::string path;    // the file it came from
  std::string id;
  LocalText title, summary;
  std::vector<LessonModel> models;
  LessonInput input;
  std::vector<LessonStep> steps;

  int model_index(const std::string& name) const;  // -1 when absent
};

// The view keys a step may name, and the scales each view offers.
const std::vector<std::string>& lesson_panels();
const std::map<std::string, std::vector<std::string>>& lesson_scales();

// Throws LocatedError naming the file, line and field at fault.
// A lesson is a few kilobytes of JSON; its input file is text a class reads. Larger files, FIFOs and
// devices are refused before a byte is read.
inline constexpr uint64_t kMaxLessonBytes = 4ull << 20;
inline constexpr uint64_t kMaxLessonInputBytes = 64ull << 20;
Lesson load_lesson(const std::string& path);
Lesson parse_lesson(const std::string& text, const std::string& path);

// The folder of a lesson model: `models_root`/NAME for a bare name, else relative to the lesson file.
std::string resolve_model_folder(const Lesson& lesson, const LessonModel& m, const std::string& models_root);

// Checks that need the models: every folder exists with a config.json, and every step's layer, head
// and channel fit the model it names. `shape(i)` gives model i's {layers, heads of layer, channels};
// throws LocatedError naming the step's line and field.
struct LessonModelShape {
  int layers = 0;
  std::vector<int> heads;     // per layer: attention / Mamba-2 heads (0 for Mamba-1)
  std::vector<int> channels;  // per layer: Mamba-1 channels (d_inner), 0 otherwise
  bool has_ssm = false;       // some layer is Mamba-1 or Mamba-2 (a step's "delta" needs one)
};
void check_lesson_models(const Lesson& lesson, const std::vector<LessonModelShape>& shapes);
// Resolves every model folder under `models_root`, reads its config.json (an error names the
// lesson's line of that model) and runs check_lesson_models. Returns the resolved folders.
std::vector<std::string> check_lesson_folders(const Lesson& lesson, const std::string& models_root);

// The bytes of an input (reads a file, runs a generator), with the positions its task scores
// (empty for plain text). Throws LocatedError for an unreadable file.
TaskExample lesson_input_bytes(const Lesson& lesson, const LessonInput& input);

}  // namespace ss
