// Workspace files (.statescope): every field round-trips, a newer version is refused with a message
// that says so, broken files name file, line and field, and saves are atomic.
#include <QtTest>

#include <filesystem>
#include <fstream>

#include "json_document.h"
#include "test_support.h"
#include "workspace_file.h"

using namespace ss;
namespace fs = std::filesystem;

namespace {

WorkspaceState full_state() {
  WorkspaceState s;
  s.input = std::string("A1 B2|B2 A1\n\x01\x02 \xff\xfe binary", 27);
  s.columns = {{"/models/mamba2-bytes", 3, 5, 0, true}, {"/models/llama-bytes", 1, 2, 0}, {"rel/mamba1", 4, 0, 511},
               {"/models/falcon-h1", 2, 3, 0, false, /*attention_part=*/true}};
  s.active_column = 2;
  s.device = "cuda";
  s.precision = "bf16";
  s.token = 123;
  s.window = {{100, 140}};
  s.window_state = base64_encode(std::string("\x00\x01\x02qt-state", 11));
  s.visible_panels = {"memory", "state"};
  s.scales = {{"delta", "linear"}, {"matrix", "log"}};
  s.dark = true;
  s.language = "zh";
  s.lesson = "/lessons/recall.json";
  s.lesson_step = 4;
  return s;
}

QString error_of(const std::string& text) {
  try {
    workspace_from_json(text, "w.statescope");
  } catch (const LocatedError& e) {
    return QString::fromStdString(e.what());
  }
  return QString();
}

}  // namespace

class TestWorkspaceFile : public QObject {
  Q_OBJECT
 private slots:
  void base64_round_trips() {
    for (int n = 0; n < 40; ++n) {
      std::string s;
      for (int i = 0; i < n; ++i) s += char((i * 37 + n) & 255);
      std::string back;
      QVERIFY(base64_decode(base64_encode(s), &back));
      QCOMPARE(back, s);
    }
    QCOMPARE(base64_encode("Man"), std::string("TWFu"));
    QCOMPARE(base64_encode("Ma"), std::string("TWE="));
    std::string out;
    QVERIFY(!base64_decode("TW=u", &out));
    QVERIFY(!base64_decode("TWF", &out));
  }

  void utf8_check() {
    QVERIFY(is_valid_utf8("plain"));
    QVERIFY(is_valid_utf8("草莓 strawberry"));
    QVERIFY(!is_valid_utf8("\xff"));
    QVERIFY(!is_valid_utf8("\xe8\x8d"));        // cut short
    QVERIFY(!is_valid_utf8("\xc0\xaf"));        // overlong
    QVERIFY(!is_valid_utf8("\xed\xa0\x80"));    // surrogate
  }

  void every_field_round_trips() {
    const WorkspaceState s = full_state();
    const std::string dir = test::temp_dir("workspace");
    const std::string path = dir + "/demo.statescope";
    save_workspace(s, path);
    const WorkspaceState back = load_workspace(path);
    QCOMPARE(back.input, s.input);
    QCOMPARE(back.columns, s.columns);
    QCOMPARE(back.window, s.window);
    QCOMPARE(back.scales, s.scales);
    QVERIFY(back == s);  // and every other field
    // Each field differs from the default, so a field the writer forgot would fail the comparison.
    const WorkspaceState def;
    QVERIFY(s.active_column != def.active_column && s.device != def.device && s.precision != def.precision && s.token != def.token &&
            s.dark != def.dark && s.language != def.language && s.lesson_step != def.lesson_step);
    // The Δ → average switch is written only where it is on (older files read as the trained models).
    QVERIFY(workspace_to_json(s).find("\"delta\": \"average\"") != std::string::npos);
    WorkspaceState u = s;
    u.columns[0].delta_average = false;
    QVERIFY(workspace_to_json(u).find("\"delta\": \"average\"") == std::string::npos);
    // The attention part of a parallel layer is written only when chosen ("part": "attention").
    QVERIFY(workspace_to_json(s).find("\"part\": \"attention\"") != std::string::npos);
    u.columns[3].attention_part = false;
    QVERIFY(workspace_to_json(u).find("\"part\"") == std::string::npos);
    QVERIFY(workspace_from_json(workspace_to_json(u), "x") == u);
    // Valid UTF-8 input is stored readable, as text.
    WorkspaceState t = s;
    t.input = "草莓 strawberry";
    QVERIFY(workspace_to_json(t).find("草莓 strawberry") != std::string::npos);
    QCOMPARE(workspace_from_json(workspace_to_json(t), "x").input, t.input);
    // No window, no lesson.
    t.window.reset();
    t.lesson.clear();
    t.lesson_step = 0;
    QVERIFY(workspace_from_json(workspace_to_json(t), "x") == t);
  }

  void newer_version_is_refused_clearly() {
    std::string text = workspace_to_json(full_state());
    text.replace(text.find("\"statescope_workspace\": 1"), 25, "\"statescope_workspace\": 7");
    const QString e = error_of(text);
    QVERIFY2(e.contains("newer StateScope") && e.contains("version 7") && e.contains("w.statescope:2"), qPrintable(e));
  }

  void broken_files_name_line_and_field() {
    QVERIFY(error_of("{\"statescope_workspace\": 1,\n \"input\": {\"text\": \"x\"},\n \"models\": [],\n \"selection\": {\"token\": -3}\n}")
                .contains("w.statescope:4: selection.token"));
    QVERIFY(error_of("{\"statescope_workspace\": 1,\n \"input\": {\"base64\": \"@@@@\"},\n \"models\": []}").contains("w.statescope:2: input.base64"));
    QVERIFY(error_of("{\n \"statescope_workspace\": 1,\n \"input\": {\"text\": \"x\"},,\n}").contains("w.statescope:3: JSON"));
    QVERIFY(error_of("{\"input\": {\"text\": \"x\"}}").contains("not a StateScope workspace"));
    QVERIFY(error_of("{\"statescope_workspace\": 1,\n \"input\": {\"text\": \"x\"},\n \"models\": [{\"folder\": \"m\", \"delta\": \"mean\"}],\n"
                     " \"selection\": {\"token\": 0}}").contains("w.statescope:3: models[0].delta"));
    QVERIFY(error_of("{\"statescope_workspace\": 1,\n \"input\": {\"text\": \"x\"},\n \"models\": [{\"folder\": \"m\", \"part\": \"mlp\"}],\n"
                     " \"selection\": {\"token\": 0}}").contains("w.statescope:3: models[0].part"));
    QVERIFY(error_of("{\"statescope_workspace\": 1,\n \"input\": {\"text\": \"x\"},\n \"models\": [{\"folder\": \"m\", \"layer\": \"two\"}],\n"
                     " \"selection\": {\"token\": 0}}").contains("w.statescope:3: models[0].layer"));
  }

  void save_is_atomic() {
    const std::string dir = test::temp_dir("workspace-atomic");
    const std::string path = dir + "/a.statescope";
    WorkspaceState s = full_state();
    save_workspace(s, path);
    // A save that cannot finish (the target is a folder, so the rename fails) leaves the old file
    // as it was and no temporary file behind.
    const std::string before = test::read_text(path);
    const std::string blocked = dir + "/blocked.statescope";
    fs::create_directories(blocked + "/inside");
    bool threw = false;
    try {
      save_workspace(s, blocked);
    } catch (const Error&) {
      threw = true;
    }
    QVERIFY(threw);
    s.token = 5;
    save_workspace(s, path);
    QCOMPARE(load_workspace(path).token, int64_t(5));
    QVERIFY(test::read_text(path) != before);
    for (const auto& e : fs::directory_iterator(dir)) QVERIFY2(e.path().string().find(".tmp-") == std::string::npos, e.path().c_str());
  }
};

QTEST_GUILESS_MAIN(TestWorkspaceFile)
#include "tst_workspace_file.moc"
