// Every shipped model folder (assets/models/*): it loads, describes itself (model.json for the language
// models, task.json for the task models), and our core's logits equal the ones transformers computed on
// the GPU machine when the model was trained (reference_heldout.json for the language models: three
// held-out slices; reference_logits.json for the task models: one example of the task). Written by
// tools/train/train_lm.py and tools/train/train_tasks.py.
#include <QtTest>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "backend.h"
#include "model.h"
#include "test_support.h"

namespace fs = std::filesystem;
using namespace ss;

namespace {

std::string assets_dir() { return std::string(STATESCOPE_FIXTURES) + "/../../assets/models"; }

std::vector<std::string> shipped_folders() {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(assets_dir()))
    if (fs::exists(e.path() / "config.json")) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

// -log2 softmax(logits[t])[next byte] for t = 0..T-2
std::vector<double> nll_bits(const Tensor& logits, const std::vector<int32_t>& bytes) {
  const int64_t V = logits.size(1);
  std::vector<double> out;
  for (size_t t = 0; t + 1 < bytes.size(); ++t) {
    const float* row = logits.data() + t * V;
    const double mx = *std::max_element(row, row + V);
    double z = 0;
    for (int64_t v = 0; v < V; ++v) z += std::exp(double(row[v]) - mx);
    out.push_back(-(double(row[bytes[t + 1]]) - mx - std::log(z)) / std::log(2.0));
  }
  return out;
}

// Largest |ours[row] - theirs| over one row of logits.
double row_diff(const Tensor& logits, int64_t row, const std::vector<double>& theirs) {
  const int64_t V = logits.size(1);
  if (int64_t(theirs.size()) != V) return INFINITY;
  double worst = 0;
  for (int64_t v = 0; v < V; ++v) worst = std::max(worst, std::abs(double(logits.data()[row * V + v]) - theirs[v]));
  return worst;
}

struct Comparison {
  double bpb = 0, worst_byte = 0, worst_logit = 0;
};

// Runs our core over `bytes` from an empty state and compares with a transformers reference entry.
Comparison compare(Model& m, const std::vector<int32_t>& bytes, const nlohmann::json& ref) {
  ModelState s = m.initial_state();
  const Tensor logits = m.forward(bytes, s);  // [T, 256]
  const auto ours = nll_bits(logits, bytes);
  const auto theirs = ref["nll_bits"].get<std::vector<double>>();
  Comparison c;
  if (ours.size() != theirs.size()) {
    c.worst_byte = INFINITY;
    return c;
  }
  for (size_t i = 0; i < ours.size(); ++i) {
    c.bpb += ours[i];
    c.worst_byte = std::max(c.worst_byte, std::abs(ours[i] - theirs[i]));
  }
  c.bpb /= double(ours.size());
  c.worst_logit = std::max(row_diff(logits, 0, ref["logits_first"].get<std::vector<double>>()),
                           row_diff(logits, logits.size(0) - 1, ref["logits_last"].get<std::vector<double>>()));
  return c;
}

}  // namespace

class TestShippedModels : public QObject {
  Q_OBJECT
 private slots:
  void every_shipped_folder_loads_and_describes_itself() {
    const auto folders = shipped_folders();
    QVERIFY2(folders.size() >= 4, "fewer than four shipped models");
    auto be = make_cpu_backend();
    for (const auto& name : folders) {
      const std::string dir = assets_dir() + "/" + name;
      auto m = Model::load(dir, *be);
      QCOMPARE(m->config().vocab_size, int64_t(256));
      const bool lm = fs::exists(dir + "/model.json");
      const bool task = fs::exists(dir + "/task.json");
      QVERIFY2(lm != task, qPrintable(QString::fromStdString(name + ": needs exactly one of model.json, task.json")));
      const auto desc = nlohmann::json::parse(test::read_text(dir + (lm ? "/model.json" : "/task.json")));
      if (lm) {
        QVERIFY2(desc.at("training_context_bytes").get<int>() >= 2048, name.c_str());
        QVERIFY2(desc.at("results").at("heldout_bits_per_byte").contains("zh"), name.c_str());
        QVERIFY2(desc.at("results").at("bits_per_byte_by_position").at("en").contains("8192-32767"), name.c_str());
      } else {
        QVERIFY2(desc.contains("generator") && desc.contains("format") && desc.contains("example"), name.c_str());
        QVERIFY2(desc.contains("accuracy_by_pairs") || desc.contains("results"), name.c_str());
      }
      QVERIFY2(fs::exists(dir + "/reference_heldout.json") || fs::exists(dir + "/reference_logits.json"),
               qPrintable(QString::fromStdString(name + ": no transformers reference to test against")));
    }
  }

  void language_models_match_transformers_data() {
    QTest::addColumn<QString>("model");
    for (const auto& name : shipped_folders())
      if (fs::exists(assets_dir() + "/" + name + "/reference_heldout.json")) QTest::newRow(name.c_str()) << QString::fromStdString(name);
  }
  void language_models_match_transformers() {
    QFETCH(QString, model);
    const std::string dir = assets_dir() + "/" + model.toStdString();
    const auto ref = nlohmann::json::parse(test::read_text(dir + "/reference_heldout.json"));
    auto be = make_cpu_backend();
    auto m = Model::load(dir, *be);
    QVERIFY(ref["slices"].size() >= 3);
    for (const auto& slice : ref["slices"]) {
      const auto bytes = test::read_input(dir + "/" + slice["file"].get<std::string>());
      QCOMPARE(int64_t(bytes.size()), slice["n_bytes"].get<int64_t>());
      const Comparison c = compare(*m, bytes, slice);
      const double ref_bpb = slice["bits_per_byte"].get<double>();
      qInfo("%s/%s (%zu bytes): ours %.5f bits/byte, transformers %.5f, worst byte %.2g bits, worst logit %.2g",
            qPrintable(model), slice["name"].get<std::string>().c_str(), bytes.size(), c.bpb, ref_bpb, c.worst_byte,
            c.worst_logit);
      QVERIFY2(std::abs(c.bpb - ref_bpb) < 1e-3, qPrintable(QString("bits/byte %1 vs %2").arg(c.bpb).arg(ref_bpb)));
      QVERIFY2(c.worst_byte < 2e-2, qPrintable(QString("a byte's loss differs by %1 bits").arg(c.worst_byte)));
      QVERIFY2(c.worst_logit < 2e-3, qPrintable(QString("a logit differs by %1").arg(c.worst_logit)));
      QVERIFY2(c.bpb < 3.0, "a shipped language model should be a trained one");
    }
  }

  void task_models_match_transformers_data() {
    QTest::addColumn<QString>("model");
    for (const auto& name : shipped_folders())
      if (fs::exists(assets_dir() + "/" + name + "/reference_logits.json")) QTest::newRow(name.c_str()) << QString::fromStdString(name);
  }
  void task_models_match_transformers() {
    QFETCH(QString, model);
    const std::string dir = assets_dir() + "/" + model.toStdString();
    const auto ref = nlohmann::json::parse(test::read_text(dir + "/reference_logits.json"));
    auto be = make_cpu_backend();
    auto m = Model::load(dir, *be);
    const auto bytes = ref["input_bytes"].get<std::vector<int32_t>>();
    QVERIFY(bytes.size() >= 16);
    const Comparison c = compare(*m, bytes, ref);
    qInfo("%s (%zu bytes): worst byte %.2g bits, worst logit %.2g", qPrintable(model), bytes.size(), c.worst_byte,
          c.worst_logit);
    QVERIFY2(c.worst_byte < 2e-2, qPrintable(QString("a byte's loss differs by %1 bits").arg(c.worst_byte)));
    QVERIFY2(c.worst_logit < 2e-3, qPrintable(QString("a logit differs by %1").arg(c.worst_logit)));
  }
};

QTEST_GUILESS_MAIN(TestShippedModels)
#include "tst_shipped_models.moc"
