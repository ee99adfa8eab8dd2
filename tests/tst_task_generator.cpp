// Task generators: the app's C++ generators against tools/train/tasks.py (the generators the task
// models were trained with). tests/fixtures/tasks/tasks_reference.json holds examples made by
// tasks.py (tools/train/make_task_fixture.py); the C++ parsers must find exactly the positions
// tasks.py scored, and the C++ generators must make examples of the same shape.
#include <QtTest>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "error.h"
#include "task_generator.h"
#include "test_support.h"

using namespace ss;
using json = nlohmann::json;

namespace {

json reference() {
  std::ifstream in(test::fixtures_dir() + "/tasks/tasks_reference.json");
  if (!in) throw std::runtime_error("missing tests/fixtures/tasks/tasks_reference.json");
  return json::parse(in);
}

std::string unhex(const std::string& h) {
  std::string out;
  for (size_t i = 0; i + 1 < h.size(); i += 2) out += char(std::stoi(h.substr(i, 2), nullptr, 16));
  return out;
}

std::vector<int64_t> ints(const json& a) { return a.get<std::vector<int64_t>>(); }

}  // namespace

class TestTaskGenerator : public QObject {
  Q_OBJECT
 private slots:
  void reference_is_current() { QCOMPARE(reference()["version"].get<int>(), 1); }

  void mqar_parser_matches_tasks_py() {
    const json r = reference();
    QVERIFY(r["mqar"].size() >= 5);
    std::string all;
    std::vector<int64_t> all_answers;
    for (const json& ex : r["mqar"]) {
      const std::string data = unhex(ex["hex"]);
      const auto answers = ints(ex["answers"]);
      QCOMPARE(int64_t(data.size()), int64_t(6 * ex["pairs"].get<int>()));
      QVERIFY(mqar_check(data, answers));
      QCOMPARE(mqar_answers(data), answers);
      for (int64_t a : answers) all_answers.push_back(a + int64_t(all.size()));
      all += data;
    }
    QCOMPARE(mqar_answers(all), all_answers);  // several books in a row
    QCOMPARE(scored_positions(TaskKind::Mqar, all), all_answers);
  }

  void mqar_check_rejects_broken_books() {
    QVERIFY(mqar_check("A1 B2|B2 A1\n", {7, 10}));
    QVERIFY(!mqar_check("A1 B2|B3 A1\n", {7, 10}));   // wrong value
    QVERIFY(!mqar_check("A1 A2|A1 A2\n", {7, 10}));   // key twice
    QVERIFY(!mqar_check("A1 B2|B2\n", {7}));          // a key never asked
    QVERIFY(!mqar_check("A1 B2|B2 A1", {7, 10}));     // no newline
    QVERIFY(!mqar_check("A1 B2|B2 A1\n", {6, 10}));   // wrong positions
    QVERIFY(mqar_answers("A1 B2|B2 A1").empty());     // unfinished: not scored
    QVERIFY(mqar_answers("hello world|x\n").empty());
    // A broken book between two good ones is skipped; the good ones are scored in place.
    QCOMPARE(mqar_answers("A1|A1\nA1 B2|B2 B2\nC3|C3\n"), (std::vector<int64_t>{4, 22}));
  }

  void mqar_generator_has_the_training_format() {
    std::mt19937_64 rng(7);
    std::set<char> keys_seen;
    for (int pairs : {1, 2, 8, 26, 52}) {
      for (int rep = 0; rep < 20; ++rep) {
        const TaskExample ex = mqar_example(pairs, rng);
        QCOMPARE(int64_t(ex.bytes.size()), int64_t(6 * pairs));
        QVERIFY2(mqar_check(ex.bytes, ex.scored), ex.bytes.c_str());
        QCOMPARE(mqar_answers(ex.bytes), ex.scored);
        for (int64_t a : ex.scored) QVERIFY(ex.bytes[size_t(a)] >= '0' && ex.bytes[size_t(a)] <= '9');
        keys_seen.insert(ex.bytes[0]);
      }
    }
    QVERIFY(keys_seen.size() > 20);  // keys are drawn, not fixed
  }

  void noise_masks_match_tasks_py() {
    for (const json& ex : reference()["noise"]) {
      const std::string padded = unhex(ex["hex"]);
      const auto mask_ref = ex["mask"].get<std::vector<int>>();
      const std::vector<bool> mask = content_mask(padded);
      QCOMPARE(mask.size(), mask_ref.size());
      for (size_t i = 0; i < mask.size(); ++i) QCOMPARE(int(mask[i]), mask_ref[i]);
      QCOMPARE(content_targets(mask), ints(ex["targets"]));
      QCOMPARE(scored_positions(TaskKind::Noise, padded), ints(ex["targets"]));
      std::string content;  // removing the junk gives the content back
      for (size_t i = 0; i < padded.size(); ++i)
        if (mask[i]) content += padded[i];
      QCOMPARE(content, unhex(ex["content_hex"]));
    }
  }

  void noise_generator_has_the_training_statistics() {
    const std::string content(4000, 'a');
    std::mt19937_64 rng(3);
    const TaskExample ex = pad_with_noise(content, rng, 0.5, 4);
    QCOMPARE(ex.is_content.size(), ex.bytes.size());
    QCOMPARE(ex.scored, content_targets(ex.is_content));
    QCOMPARE(content_mask(ex.bytes), ex.is_content);  // junk bytes are exactly tasks.py's JUNK_BYTES
    // Expected junk per content byte: p * mean(1..max_run) = 0.5 * 2.5 = 1.25 (std of the mean ~0.02).
    const double junk = double(ex.bytes.size() - content.size()) / double(content.size());
    QVERIFY2(std::abs(junk - 1.25) < 0.08, qPrintable(QString::number(junk)));
    std::mt19937_64 rng2(3);
    QCOMPARE(pad_with_noise("abc", rng2, 0.0, 4).bytes, std::string("abc"));
  }

  void selective_copy_matches_tasks_py() {
    for (const json& ex : reference()["selective_copy"]) {
      const std::string data = unhex(ex["hex"]);
      QCOMPARE(selective_copy_answers(data), ints(ex["answers"]));
      QCOMPARE(int64_t(data.size()), int64_t(ex["length"].get<int>() + ex["tokens"].get<int>() + 2));
    }
    std::mt19937_64 rng(5);
    const TaskExample ex = selective_copy_example(8, 64, rng);
    QCOMPARE(ex.bytes.size(), size_t(64 + 8 + 2));
    QCOMPARE(selective_copy_answers(ex.bytes), ex.scored);
    std::string letters;  // the copied letters are the field's letters in order
    for (int i = 0; i < 64; ++i)
      if (ex.bytes[size_t(i)] != '.') letters += ex.bytes[size_t(i)];
    QCOMPARE(ex.bytes.substr(65, 8), letters);
  }

  void induction_matches_tasks_py() {
    for (const json& ex : reference()["induction"]) {
      const std::string data = unhex(ex["hex"]);
      QCOMPARE(scored_positions(TaskKind::Induction, data), ints(ex["answers"]));
    }
    std::mt19937_64 rng(9);
    const TaskExample ex = induction_example(50, rng);
    QCOMPARE(ex.bytes.substr(0, 50), ex.bytes.substr(50, 50));
    QCOMPARE(scored_positions(TaskKind::Induction, ex.bytes), ex.scored);
    QCOMPARE(ex.scored.front(), int64_t(51));
    QCOMPARE(ex.scored.back(), int64_t(99));
  }

  void generate_task_concatenates_and_shifts() {
    TaskSpec s;
    s.kind = TaskKind::Mqar;
    s.pairs = 4;
    s.examples = 5;
    s.seed = 11;
    const TaskExample ex = generate_task(s);
    QCOMPARE(ex.bytes.size(), size_t(5 * 24));
    QCOMPARE(ex.scored.size(), size_t(20));
    QCOMPARE(mqar_answers(ex.bytes), ex.scored);
    QCOMPARE(generate_task(s).bytes, ex.bytes);  // reproducible from the seed
    s.seed = 12;
    QVERIFY(generate_task(s).bytes != ex.bytes);
  }

  void bad_parameters_name_the_field() {
    auto field_of = [](TaskSpec s) {
      try {
        validate_task_spec(s, "gen");
      } catch (const Error& e) {
        return QString::fromStdString(e.field());
      }
      return QString();
    };
    TaskSpec s;
    s.pairs = 53;
    QCOMPARE(field_of(s), QString("pairs"));
    s = TaskSpec{};
    s.kind = TaskKind::Noise;
    s.content = "x";
    s.p = 1.5;
    QCOMPARE(field_of(s), QString("p"));
    s = TaskSpec{};
    s.kind = TaskKind::SelectiveCopy;
    s.length = 4;
    s.tokens = 5;
    QCOMPARE(field_of(s), QString("tokens"));
    s = TaskSpec{};
    s.kind = TaskKind::Induction;
    s.length = 1;
    QCOMPARE(field_of(s), QString("length"));
  }

  void scoring() {
    const std::string bytes = "A1 B2|B2 A1\n";
    const std::vector<int64_t> scored = mqar_answers(bytes);  // {7, 10}
    std::vector<int> predicted(bytes.size(), 'x');
    QVERIFY(std::isnan(task_accuracy(bytes, {}, predicted)));
    QCOMPARE(task_accuracy(bytes, scored, predicted), 0.0);
    predicted[7] = '2';
    QCOMPARE(task_accuracy(bytes, scored, predicted), 0.5);
    predicted[10] = '1';
    QCOMPARE(task_accuracy(bytes, scored, predicted), 1.0);
    std::vector<float> bits(bytes.size(), 8.0f);
    bits[7] = 1.0f;
    bits[10] = 3.0f;
    QCOMPARE(task_bits_per_byte(scored, bits), 2.0);
  }
};

QTEST_GUILESS_MAIN(TestTaskGenerator)
#include "tst_task_generator.moc"
