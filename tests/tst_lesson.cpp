// Lessons as data files: the loader reads every field, reports the file, line and field of any error,
// and every shipped lesson (assets/lessons/*.json) loads, validates against the shipped models and
// carries English and Chinese text on every card.
#include <QtTest>

#include <sys/stat.h>

#include <filesystem>
#include <set>

#include "json_document.h"
#include "lesson.h"
#include "test_support.h"

using namespace ss;
namespace fs = std::filesystem;

namespace {

std::string source_dir() { return (fs::path(test::fixtures_dir()) / ".." / "..").lexically_normal().string(); }
std::string models_root() { return source_dir() + "/assets/models"; }
std::string lessons_dir() { return source_dir() + "/assets/lessons"; }

// A valid lesson; the tests break one line of it at a time.
const char* kGood = R"({
  "statescope_lesson": 1,
  "id": "demo",
  "title": {"en": "Demo", "zh": "演示"},
  "models": [
    {"name": "ssm", "folder": "mamba2-bytes"},
    {"name": "attention", "folder": "llama-bytes"}
  ],
  "input": {"generator": "mqar", "pairs": 4, "examples": 3, "seed": 2},
  "steps": [
    {
      "card": {"en": "Look at the memory.", "zh": "看内存。"},
      "formula": "h_t = Ā_t h_{t−1} + B̄_t x_t",
      "token": -1,
      "active": "ssm",
      "models": {"ssm": {"layer": 2, "head": 1}, "attention": {"layer": 0}},
      "panels": ["memory", "state"],
      "scales": {"delta": "linear"},
      "highlight": {"panel": "memory", "region": [0.5, 0, 0.5, 1]}
    },
    {
      "card": {"en": "A window."},
      "window": [10, 20],
      "input": {"text": "hello"}
    }
  ]
})";

QString error_of(const std::string& text) {
  try {
    parse_lesson(text, "/tmp/lessons/demo.json");
  } catch (const LocatedError& e) {
    return QString::fromStdString(e.what());
  }
  return QString();
}

std::string replaced(const std::string& from, const std::string& to) {
  std::string s = kGood;
  const size_t at = s.find(from);
  if (at == std::string::npos) throw std::runtime_error("test bug: no " + from);
  return s.replace(at, from.size(), to);
}

}  // namespace

class TestLesson : public QObject {
  Q_OBJECT
 private slots:
  void reads_every_field() {
    const Lesson l = parse_lesson(kGood, "/tmp/lessons/demo.json");
    QCOMPARE(l.id, std::string("demo"));
    QCOMPARE(l.title.in("zh"), std::string("演示"));
    QCOMPARE(l.models.size(), size_t(2));
    QCOMPARE(l.models[1].folder, std::string("llama-bytes"));
    QCOMPARE(l.models[1].line, 7);
    QVERIFY(l.input.kind == LessonInput::Kind::Generator);
    QVERIFY(l.input.task.kind == TaskKind::Mqar);
    QCOMPARE(l.input.task.pairs, 4);
    QCOMPARE(l.input.task.examples, 3);
    QCOMPARE(l.steps.size(), size_t(2));
    const LessonStep& s = l.steps[0];
    QCOMPARE(s.line, 11);
    QCOMPARE(*s.token, int64_t(-1));
    QCOMPARE(s.active, std::string("ssm"));
    QCOMPARE(s.models.at("ssm").layer, 2);
    QCOMPARE(s.models.at("ssm").head, 1);
    QCOMPARE(s.models.at("ssm").channel, -1);
    QCOMPARE(s.models.at("attention").layer, 0);
    QCOMPARE(s.panels, (std::vector<std::string>{"memory", "state"}));
    QCOMPARE(s.scales.at("delta"), std::string("linear"));
    QVERIFY(s.highlight && s.highlight->panel == "memory" && s.highlight->x == 0.5 && s.highlight->w == 0.5);
    QVERIFY(s.formula.find("Ā_t") != std::string::npos);
    const LessonStep& s2 = l.steps[1];
    QVERIFY(s2.window && s2.window->first == 10 && s2.window->second == 20);
    QVERIFY(s2.input && s2.input->text == "hello");
    QCOMPARE(s2.card.in("zh"), std::string("A window."));  // no Chinese: English is shown
    const TaskExample ex = lesson_input_bytes(l, l.input);
    QCOMPARE(ex.bytes.size(), size_t(3 * 24));
    QCOMPARE(ex.scored.size(), size_t(12));
  }

  void errors_name_file_line_and_field_data() {
    QTest::addColumn<QString>("from");
    QTest::addColumn<QString>("to");
    QTest::addColumn<QString>("expected");  // "file:line: field" prefix of the message
    QTest::newRow("syntax") << "\"id\": \"demo\"," << "\"id\": \"demo\",," << "demo.json:3: JSON: not valid JSON";
    QTest::newRow("newer version") << "\"statescope_lesson\": 1" << "\"statescope_lesson\": 4" << "demo.json:2: statescope_lesson: this lesson is format version 4";
    QTest::newRow("unknown model in step") << "\"attention\": {\"layer\": 0}" << "\"attn\": {\"layer\": 0}" << "demo.json:16: steps[0].models.attn: no model named";
    QTest::newRow("layer not a number") << "\"layer\": 2" << "\"layer\": \"two\"" << "demo.json:16: steps[0].models.ssm.layer: must be an integer";
    QTest::newRow("unknown view") << "[\"memory\", \"state\"]" << "[\"memory\",\n \"stat\"]" << "demo.json:18: steps[0].panels[1]: unknown view \"stat\"";
    QTest::newRow("unknown scale") << "\"delta\": \"linear\"" << "\"delta\": \"cubic\"" << "demo.json:18: steps[0].scales.delta: unknown scale";
    QTest::newRow("region outside") << "[0.5, 0, 0.5, 1]" << "[0.8, 0, 0.5, 1]" << "demo.json:19: steps[0].highlight.region";
    QTest::newRow("too many pairs") << "\"pairs\": 4" << "\"pairs\": 60" << "demo.json:9: input.pairs";
    QTest::newRow("unknown generator") << "\"generator\": \"mqar\"" << "\"generator\": \"mqr\"" << "demo.json:9: input.generator: unknown generator";
    QTest::newRow("card missing") << "\"card\": {\"en\": \"A window.\"}," << "" << "demo.json:21: steps[1].card: missing";
    QTest::newRow("card bare string") << "\"card\": {\"en\": \"A window.\"}," << "\"card\": \"A window.\"," << "demo.json:22: steps[1].card: must be an object";
    QTest::newRow("typo in a field") << "\"formula\"" << "\"fromula\"" << "demo.json:13: steps[0].fromula: unknown field";
    QTest::newRow("two inputs") << "{\"text\": \"hello\"}" << "{\"text\": \"hello\", \"file\": \"x\"}" << "demo.json:24: steps[1].input: needs exactly one";
    QTest::newRow("missing file") << "{\"text\": \"hello\"}" << "{\"file\": \"no-such.txt\"}" << "demo.json:24: steps[1].input.file: no such file: /tmp/lessons/no-such.txt";
    QTest::newRow("duplicate model name") << "{\"name\": \"attention\"" << "{\"name\": \"ssm\"" << "demo.json:7: models[1].name: \"ssm\" is used twice";
    QTest::newRow("bad window") << "[10, 20]" << "[10]" << "demo.json:23: steps[1].window: must be two integers";
    QTest::newRow("active unknown") << "\"active\": \"ssm\"" << "\"active\": \"rnn\"" << "demo.json:15: steps[0].active: no model named \"rnn\"";
    QTest::newRow("delta unknown") << "\"head\": 1}" << "\"head\": 1, \"delta\": \"mean\"}" << "demo.json:16: steps[0].models.ssm.delta: must be \"average\"";
    QTest::newRow("delta not text") << "\"head\": 1}" << "\"head\": 1, \"delta\": 1}" << "demo.json:16: steps[0].models.ssm.delta:";
  }
  void errors_name_file_line_and_field() {
    QFETCH(QString, from);
    QFETCH(QString, to);
    QFETCH(QString, expected);
    const QString e = error_of(replaced(from.toStdString(), to.toStdString()));
    QVERIFY2(e.startsWith("/tmp/lessons/" + expected), qPrintable(e));
  }

  // A FIFO or a device named as a lesson is refused before a byte is read (it used to hang or grow).
  void special_files_are_refused() {
    QTemporaryDir dir;
    const std::string fifo = (dir.path() + "/lesson.json").toStdString();
    QCOMPARE(::mkfifo(fifo.c_str(), 0600), 0);
    for (const std::string& path : {fifo, std::string("/dev/zero")}) {
      try {
        ss::load_lesson(path);
        QFAIL(("accepted " + path).c_str());
      } catch (const ss::LocatedError& e) {
        QVERIFY2(std::string(e.what()).find(path) != std::string::npos, e.what());
        QVERIFY2(std::string(e.what()).find("not a regular file") != std::string::npos || std::string(e.what()).find("FIFO") != std::string::npos ||
                     std::string(e.what()).find("device") != std::string::npos,
                 e.what());
      }
    }
  }

  void layers_checked_against_the_models() {
    const Lesson good = parse_lesson(kGood, "/tmp/lessons/demo.json");
    const auto folders = check_lesson_folders(good, models_root());
    QCOMPARE(folders[0], models_root() + "/mamba2-bytes");
    const Lesson deep = parse_lesson(replaced("\"layer\": 2", "\"layer\": 9"), "/tmp/lessons/demo.json");
    try {
      check_lesson_folders(deep, models_root());
      QFAIL("layer 9 of a 5-layer model passed");
    } catch (const LocatedError& e) {
      QVERIFY2(QString(e.what()).startsWith("/tmp/lessons/demo.json:16: steps[0].models.ssm.layer: layer 9 does not exist: the model has 5 layers"), e.what());
    }
    const Lesson head = parse_lesson(replaced("\"head\": 1", "\"head\": 11"), "/tmp/lessons/demo.json");  // the shipped Mamba-2 has 11 heads
    try {
      check_lesson_folders(head, models_root());
      QFAIL("head 11 of 11 passed");
    } catch (const LocatedError& e) {
      QVERIFY2(QString(e.what()).contains("steps[0].models.ssm.head: head 11 does not exist"), e.what());
    }
    // "delta" (Δ → average): read per model, and refused for a model without SSM layers.
    const Lesson avg = parse_lesson(replaced("\"head\": 1}", "\"head\": 1, \"delta\": \"average\"}"), "/tmp/lessons/demo.json");
    QCOMPARE(avg.steps[0].models.at("ssm").delta_average, 1);
    QCOMPARE(avg.steps[0].models.at("attention").delta_average, -1);
    check_lesson_folders(avg, models_root());
    const Lesson sel = parse_lesson(replaced("\"head\": 1}", "\"head\": 1, \"delta\": \"selective\"}"), "/tmp/lessons/demo.json");
    QCOMPARE(sel.steps[0].models.at("ssm").delta_average, 0);
    const Lesson attn = parse_lesson(replaced("\"attention\": {\"layer\": 0}", "\"attention\": {\"layer\": 0, \"delta\": \"average\"}"), "/tmp/lessons/demo.json");
    try {
      check_lesson_folders(attn, models_root());
      QFAIL("Δ → average on an attention-only model passed");
    } catch (const LocatedError& e) {
      QVERIFY2(QString(e.what()).startsWith("/tmp/lessons/demo.json:16: steps[0].models.attention.delta: the model has no SSM layer"), e.what());
    }
    const Lesson missing = parse_lesson(replaced("\"llama-bytes\"", "\"gpt-bytes\""), "/tmp/lessons/demo.json");
    try {
      check_lesson_folders(missing, models_root());
      QFAIL("a missing model folder passed");
    } catch (const LocatedError& e) {
      QVERIFY2(QString(e.what()).startsWith("/tmp/lessons/demo.json:7: models[1].folder: no model at"), e.what());
    }
  }

  void every_shipped_lesson_loads_and_validates() {
    int count = 0;
    std::vector<std::string> files;
    QVERIFY2(fs::is_directory(lessons_dir()), lessons_dir().c_str());
    for (const auto& e : fs::directory_iterator(lessons_dir()))
      if (e.path().extension() == ".json") files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    std::set<std::string> ids;
    for (const std::string& f : files) {
      Lesson l;
      try {
        l = load_lesson(f);
        check_lesson_folders(l, models_root());
      } catch (const std::exception& e) {
        QFAIL(e.what());
      }
      QVERIFY2(ids.insert(l.id).second, f.c_str());
      QVERIFY2(!l.title.zh.empty() && !l.summary.en.empty() && !l.summary.zh.empty(), f.c_str());
      QVERIFY2(l.steps.size() >= 3, f.c_str());
      for (size_t i = 0; i < l.steps.size(); ++i) {
        const LessonStep& s = l.steps[i];
        const std::string where = f + " step " + std::to_string(i);
        QVERIFY2(!s.title.en.empty() && !s.title.zh.empty(), where.c_str());
        QVERIFY2(!s.card.zh.empty() && s.card.zh != s.card.en, where.c_str());  // a Chinese card, not a copy
        if (s.input) QVERIFY2(!lesson_input_bytes(l, *s.input).bytes.empty(), where.c_str());
      }
      QVERIFY2(!lesson_input_bytes(l, l.input).bytes.empty(), f.c_str());
      ++count;
    }
    QVERIFY2(count >= 7, qPrintable(QString("%1 lessons shipped").arg(count)));
  }
};

QTEST_GUILESS_MAIN(TestLesson)
#include "tst_lesson.moc"
