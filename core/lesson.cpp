#include "lesson.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include "config.h"
#include "json_document.h"
#include "json_file.h"
#include "model_folder.h"
#include "regular_file.h"

namespace fs = std::filesystem;

namespace ss {

using json = nlohmann::json;

const std::vector<std::string>& lesson_panels() {
  static const std::vector<std::string> keys = {"state", "delta", "matrix", "memory", "cost", "prediction"};
  return keys;
}

const std::map<std::string, std::vector<std::string>>& lesson_scales() {
  static const std::map<std::string, std::vector<std::string>> scales = {
      {"delta", {"log", "linear"}},
      {"matrix", {"signed", "log"}},
  };
  return scales;
}

int Lesson::model_index(const std::string& name) const {
  for (size_t i = 0; i < models.size(); ++i)
    if (models[i].name == name) return int(i);
  return -1;
}

namespace {

constexpr const char* kDefaultNoiseContent =
    "A state space model keeps a summary of everything it has read in a state of fixed size, while "
    "attention keeps every key and value it has seen.\n";

std::string quoted_list(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + ("\"" + x + "\"");
  return s;
}

LocalText read_text(const JsonDocument& doc, const JsonFields& parent, const std::string& key, bool required) {
  LocalText t;
  if (!parent.has(key)) {
    if (required) parent.fail(key, "missing (an object {\"en\": \"...\", \"zh\": \"...\"})");
    return t;
  }
  if (parent.value(key).is_string()) parent.fail(key, "must be an object with \"en\" and \"zh\" texts, not a bare string");
  JsonFields f(doc, parent.at(key));
  f.only({"en", "zh"});
  t.en = f.text("en");
  t.zh = f.text_or("zh", "");
  if (t.en.empty()) f.fail("en", "is empty");
  return t;
}

LessonInput read_input(const JsonDocument& doc, const std::string& pointer) {
  JsonFields f(doc, pointer);
  LessonInput in;
  in.line = doc.line(pointer);
  const int kinds = int(f.has("text")) + int(f.has("file")) + int(f.has("generator"));
  if (kinds != 1) doc.fail(pointer, "needs exactly one of \"text\", \"file\" or \"generator\"");
  if (f.has("text")) {
    f.only({"text"});
    in.kind = LessonInput::Kind::Text;
    in.text = f.text("text");
    if (in.text.empty()) f.fail("text", "is empty");
  } else if (f.has("file")) {
    f.only({"file"});
    in.kind = LessonInput::Kind::File;
    const fs::path rel = f.text("file");
    in.file = (rel.is_absolute() ? rel : fs::path(doc.file()).parent_path() / rel).lexically_normal().string();
    if (!fs::is_regular_file(in.file)) f.fail("file", "no such file: " + in.file);
  } else {
    f.only({"generator", "pairs", "p", "max_run", "content", "tokens", "length", "examples", "seed"});
    in.kind = LessonInput::Kind::Generator;
    const std::string name = f.text("generator");
    if (!task_kind_from_name(name, &in.task.kind))
      f.fail("generator", "unknown generator \"" + name + "\" (known: \"mqar\", \"noise\", \"selective_copy\", \"induction\")");
    TaskSpec& t = in.task;
    t.pairs = int(f.integer_or("pairs", t.pairs, 1, 52));
    t.p = f.number_or("p", t.p, 0.0, 1.0);
    t.max_run = int(f.integer_or("max_run", t.max_run, 1, 64));
    t.content = f.text_or("content", "");
    t.tokens = int(f.integer_or("tokens", t.tokens, 1, 100000));
    t.length = int(f.integer_or("length", t.length, 1, 100000));
    t.examples = int(f.integer_or("examples", t.examples, 1, 1000));
    t.seed = uint64_t(f.integer_or("seed", 1, 0, int64_t(1) << 53));
    if (t.kind == TaskKind::Noise && t.content.empty()) t.content = kDefaultNoiseContent;
    try {
      validate_task_spec(t, doc.file());
    } catch (const Error& e) {
      // Point at the parameter when it is present, else at the generator.
      f.fail(f.has(e.field()) ? e.field() : "generator", std::string(e.what()).substr(doc.file().size() + 2));
    }
  }
  return in;
}

std::optional<int64_t> read_token(const JsonFields& f, const std::string& key) {
  if (!f.has(key)) return std::nullopt;
  return f.integer(key, -(int64_t(1) << 40), int64_t(1) << 40);
}

LessonStep read_step(const JsonDocument& doc, const Lesson& lesson, const std::string& pointer) {
  JsonFields f(doc, pointer);
  f.only({"title", "card", "formula", "input", "token", "window", "active", "models", "panels", "scales", "highlight"});
  LessonStep s;
  s.line = doc.line(pointer);
  s.title = read_text(doc, f, "title", false);
  s.card = read_text(doc, f, "card", true);
  s.formula = f.text_or("formula", "");
  if (f.has("input")) s.input = read_input(doc, f.at("input"));
  s.token = read_token(f, "token");
  if (f.has("window")) {
    const json& w = f.value("window");
    if (!w.is_array() || w.size() != 2 || !w[0].is_number_integer() || !w[1].is_number_integer())
      f.fail("window", "must be two integers [first, last] (negatives count from the end), got " + w.dump());
    s.window = {w[0].get<int64_t>(), w[1].get<int64_t>()};
  }
  if (f.has("active")) {
    s.active = f.text("active");
    if (lesson.model_index(s.active) < 0) f.fail("active", "no model named \"" + s.active + "\" in this lesson's models");
  }
  if (f.has("models")) {
    JsonFields ms(doc, f.at("models"));
    const json& obj = f.value("models");
    for (auto it = obj.begin(); it != obj.end(); ++it) {
      if (lesson.model_index(it.key()) < 0) ms.fail(it.key(), "no model named \"" + it.key() + "\" in this lesson's models");
      JsonFields mv(doc, ms.at(it.key()));
      mv.only({"layer", "head", "channel", "delta"});
      ModelView v;
      v.line = doc.line(ms.at(it.key()));
      v.layer = int(mv.integer_or("layer", -1, 0, 1000));
      v.head = int(mv.integer_or("head", -1, 0, 1000));
      v.channel = int(mv.integer_or("channel", -1, 0, 1000000));
      if (mv.has("delta")) {
        const std::string d = mv.text("delta");
        if (d != "average" && d != "selective")
          mv.fail("delta", "must be \"average\" (Δ replaced by its mean over the text: a time-invariant SSM) or \"selective\" (the trained model), got \"" + d + "\"");
        v.delta_average = d == "average" ? 1 : 0;
      }
      s.models[it.key()] = v;
    }
  }
  if (f.has("panels")) {
    const json& p = f.value("panels");
    if (!p.is_array() || p.empty()) f.fail("panels", "must be a non-empty list of views, e.g. [\"memory\", \"state\"]");
    for (size_t i = 0; i < p.size(); ++i) {
      const std::string at = f.at("panels") + "/" + std::to_string(i);
      if (!p[i].is_string()) doc.fail(at, "must be a view name, got " + p[i].dump());
      const std::string key = p[i].get<std::string>();
      const auto& known = lesson_panels();
      if (std::find(known.begin(), known.end(), key) == known.end())
        doc.fail(at, "unknown view \"" + key + "\" (known: " + quoted_list(known) + ")");
      s.panels.push_back(key);
    }
  }
  if (f.has("scales")) {
    JsonFields sc(doc, f.at("scales"));
    const json& obj = f.value("scales");
    for (auto it = obj.begin(); it != obj.end(); ++it) {
      auto known = lesson_scales().find(it.key());
      if (known == lesson_scales().end()) sc.fail(it.key(), "this view has no scale to set (views with scales: \"delta\", \"matrix\")");
      const std::string v = sc.text(it.key());
      if (std::find(known->second.begin(), known->second.end(), v) == known->second.end())
        sc.fail(it.key(), "unknown scale \"" + v + "\" (known: " + quoted_list(known->second) + ")");
      s.scales[it.key()] = v;
    }
  }
  if (f.has("highlight")) {
    JsonFields h(doc, f.at("highlight"));
    h.only({"panel", "region"});
    Highlight hl;
    hl.panel = h.text("panel");
    const auto& known = lesson_panels();
    if (std::find(known.begin(), known.end(), hl.panel) == known.end())
      h.fail("panel", "unknown view \"" + hl.panel + "\" (known: " + quoted_list(known) + ")");
    if (h.has("region")) {
      const json& r = h.value("region");
      bool ok = r.is_array() && r.size() == 4;
      for (size_t i = 0; ok && i < 4; ++i) ok = r[i].is_number() && r[i].get<double>() >= 0 && r[i].get<double>() <= 1;
      if (ok) ok = r[0].get<double>() + r[2].get<double>() <= 1.0 + 1e-9 && r[1].get<double>() + r[3].get<double>() <= 1.0 + 1e-9;
      if (!ok) h.fail("region", "must be [x, y, width, height], fractions of the view in [0, 1] that stay inside it, got " + r.dump());
      hl.x = r[0]; hl.y = r[1]; hl.w = r[2]; hl.h = r[3];
    }
    s.highlight = hl;
  }
  return s;
}

}  // namespace

Lesson parse_lesson(const std::string& text, const std::string& path) {
  const JsonDocument doc(text, path);
  if (!doc.root().is_object()) doc.fail("", "a lesson is a JSON object");
  JsonFields top(doc, "");
  if (!top.has("statescope_lesson")) top.fail("statescope_lesson", "missing: a lesson starts with \"statescope_lesson\": 1 (the format version)");
  const int64_t version = top.integer("statescope_lesson", 1, 1000000);
  if (version > kLessonFormatVersion)
    top.fail("statescope_lesson", "this lesson is format version " + std::to_string(version) + "; this StateScope reads version " +
                                      std::to_string(kLessonFormatVersion) + " and older: update StateScope to open it");
  top.only({"statescope_lesson", "id", "title", "summary", "models", "input", "steps"});
  Lesson l;
  l.path = path;
  l.id = top.text("id");
  l.title = read_text(doc, top, "title", true);
  l.summary = read_text(doc, top, "summary", false);

  const json& models = top.value("models");
  if (!models.is_array() || models.empty() || models.size() > 4) top.fail("models", "must be a list of 1 to 4 models");
  for (size_t i = 0; i < models.size(); ++i) {
    JsonFields m(doc, "/models/" + std::to_string(i));
    m.only({"name", "folder"});
    LessonModel lm{m.text("name"), m.text("folder"), doc.line("/models/" + std::to_string(i))};
    if (lm.name.empty()) m.fail("name", "is empty");
    if (l.model_index(lm.name) >= 0) m.fail("name", "\"" + lm.name + "\" is used twice");
    l.models.push_back(lm);
  }
  l.input = read_input(doc, "/input");
  const json& steps = top.value("steps");
  if (!steps.is_array() || steps.empty()) top.fail("steps", "must be a non-empty list of steps");
  for (size_t i = 0; i < steps.size(); ++i) l.steps.push_back(read_step(doc, l, "/steps/" + std::to_string(i)));
  return l;
}

Lesson load_lesson(const std::string& path) {
  std::string text;
  try {  // a regular file of sane size: a FIFO or /dev/zero named as a lesson must not hang or grow
    text = RegularFile(path).read_all(kMaxLessonBytes);
  } catch (const Error& e) {
    throw LocatedError(path, 0, "", std::string("cannot read the lesson file: ") + e.what());
  }
  return parse_lesson(text, path);
}

std::string resolve_model_folder(const Lesson& lesson, const LessonModel& m, const std::string& models_root) {
  const fs::path f(m.folder);
  if (f.is_absolute()) return f.string();
  if (m.folder.find('/') == std::string::npos) return (fs::path(models_root) / f).string();
  return (fs::path(lesson.path).parent_path() / f).lexically_normal().string();
}

void check_lesson_models(const Lesson& l, const std::vector<LessonModelShape>& shapes) {
  if (shapes.size() != l.models.size())
    throw LocatedError(l.path, 0, "models", "internal: " + std::to_string(shapes.size()) + " shapes for " + std::to_string(l.models.size()) + " models");
  for (size_t si = 0; si < l.steps.size(); ++si) {
    for (const auto& [name, v] : l.steps[si].models) {
      const LessonModelShape& sh = shapes[size_t(l.model_index(name))];
      const std::string field = "steps[" + std::to_string(si) + "].models." + name;
      if (v.layer >= sh.layers)
        throw LocatedError(l.path, v.line, field + ".layer", "layer " + std::to_string(v.layer) + " does not exist: the model has " + std::to_string(sh.layers) + " layers (0.." + std::to_string(sh.layers - 1) + ")");
      const int layer = std::max(v.layer, 0);
      const int heads = layer < int(sh.heads.size()) ? sh.heads[size_t(layer)] : 0;
      const int channels = layer < int(sh.channels.size()) ? sh.channels[size_t(layer)] : 0;
      if (v.head >= 0 && v.head >= std::max(heads, 1))
        throw LocatedError(l.path, v.line, field + ".head", "head " + std::to_string(v.head) + " does not exist in layer " + std::to_string(layer) + " (" + std::to_string(heads) + " heads)");
      if (v.channel >= 0 && v.channel >= std::max(channels, 1))
        throw LocatedError(l.path, v.line, field + ".channel", "channel " + std::to_string(v.channel) + " does not exist in layer " + std::to_string(layer) + " (" + std::to_string(channels) + " channels)");
      if (v.delta_average >= 0 && !sh.has_ssm)
        throw LocatedError(l.path, v.line, field + ".delta", "the model has no SSM layer: there is no Δ to average");
    }
  }
}

std::vector<std::string> check_lesson_folders(const Lesson& l, const std::string& models_root) {
  std::vector<std::string> folders;
  std::vector<LessonModelShape> shapes;
  for (size_t i = 0; i < l.models.size(); ++i) {
    const LessonModel& m = l.models[i];
    const std::string field = "models[" + std::to_string(i) + "].folder";
    const std::string dir = resolve_model_folder(l, m, models_root);
    const std::string cfg = (fs::path(dir) / "config.json").string();
    std::error_code ec;
    if (!fs::exists(cfg, ec)) throw LocatedError(l.path, m.line, field, "no model at " + dir + " (no config.json there)");
    ModelConfig c;
    try {  // the loader's own checks: a regular file, size cap, no key given twice
      c = parse_model_config(read_json_file(cfg, ModelFolder::kMaxConfigBytes), cfg);
    } catch (const std::exception& e) {
      throw LocatedError(l.path, m.line, field, std::string("the model does not load: ") + e.what());
    }
    LessonModelShape sh;
    sh.layers = c.n_layers;
    for (int k = 0; k < c.n_layers; ++k) {
      const MixerKind mk = c.mixers[size_t(k)];
      // a Falcon-H1 layer: the heads of its Mamba-2 (what the views show unless asked for its attention)
      sh.heads.push_back(mk == MixerKind::Attention ? c.attn.n_heads : ssm_kind(mk) == MixerKind::Mamba2 ? c.mamba2.n_heads : 0);
      sh.channels.push_back(mk == MixerKind::Mamba ? c.mamba.d_inner : 0);
    }
    sh.has_ssm = c.has_ssm();
    folders.push_back(dir);
    shapes.push_back(sh);
  }
  check_lesson_models(l, shapes);
  return folders;
}

TaskExample lesson_input_bytes(const Lesson& lesson, const LessonInput& input) {
  switch (input.kind) {
    case LessonInput::Kind::Text: return TaskExample{input.text, {}, {}};
    case LessonInput::Kind::File: {
      try {
        return TaskExample{RegularFile(input.file).read_all(kMaxLessonInputBytes), {}, {}};
      } catch (const Error& e) {
        throw LocatedError(lesson.path, input.line, "input.file", std::string("cannot read ") + input.file + ": " + e.what());
      }
    }
    case LessonInput::Kind::Generator: {
      return generate_task(input.task);
    }
  }
  return {};
}

}  // namespace ss
