// Every shipped model folder (assets/models/*): it loads, describes itself (model.json for the language
// models, task.json for the task models), and our core's logits equal the ones transformers computed on
// the GPU machine when the model was trained (reference_heldout.json for the language models: three
// held-out slices; reference_logits.json for the task models: one example of the task). Written by
// tools/train/train_lm.py and tools/train/train_tasks.py. The task models also do, in our core, what
// their task.json claims: a model that learned its task answers the reference example (recall above
// the no-recall baseline, the copied letters right), and Δ on data vs noise / content vs junk goes the
// way task.json says (exactly equal for the time-invariant controls).
#include <QtTest>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "backend.h"
#include "exploration.h"
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

double argmax_right(const Exploration& e, const std::vector<int64_t>& answers) {
  int right = 0;
  for (int64_t i : answers) {
    const std::vector<float> p = e.next_byte_probs(i - 1);
    right += int(std::max_element(p.begin(), p.end()) - p.begin()) == e.bytes()[size_t(i)];
  }
  return answers.empty() ? 0.0 : double(right) / double(answers.size());
}

// Mean Δ over the positions where `mask` is true / false, averaged over the SSM layers; per layer too.
struct DeltaSplit {
  double on = 0, off = 0;
  QStringList per_layer;
};
DeltaSplit delta_split(const Exploration& e, const std::vector<bool>& mask) {
  DeltaSplit d;
  int layers = 0;
  for (int l = 0; l < e.config().n_layers; ++l) {
    const std::vector<float>& md = e.mean_delta(l);
    if (md.empty()) continue;
    double on = 0, off = 0;
    int n_on = 0, n_off = 0;
    for (size_t t = 0; t < mask.size() && t < md.size(); ++t) (mask[t] ? (on += md[t], ++n_on) : (off += md[t], ++n_off));
    if (n_on == 0 || n_off == 0) continue;
    d.on += on / n_on;
    d.off += off / n_off;
    d.per_layer << QString("layer %1: %2 / %3").arg(l).arg(on / n_on, 0, 'g', 4).arg(off / n_off, 0, 'g', 4);
    ++layers;
  }
  if (layers) d.on /= layers, d.off /= layers;
  return d;
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

  void task_models_do_what_task_json_says_data() { task_models_match_transformers_data(); }
  void task_models_do_what_task_json_says() {
    QFETCH(QString, model);
    const std::string dir = assets_dir() + "/" + model.toStdString();
    const auto desc = nlohmann::json::parse(test::read_text(dir + "/task.json"));
    const auto ref = nlohmann::json::parse(test::read_text(dir + "/reference_logits.json"));
    const auto ints = ref["input_bytes"].get<std::vector<int>>();
    const std::vector<uint8_t> bytes(ints.begin(), ints.end());
    auto e = Exploration::open(dir, make_cpu_backend());
    e->set_bytes(bytes);
    QCOMPARE(e->computed(), int64_t(bytes.size()));
    const std::string task = desc.at("task").get<std::string>();
    if (task == "mqar") {
      // The reference example is one book: n entries "K V " (the last space is '|'), then n queries.
      const auto sep = std::find(bytes.begin(), bytes.end(), uint8_t('|')) - bytes.begin();
      const int64_t n = (sep + 1) / 3;
      QCOMPARE(int64_t(bytes.size()), 6 * n);
      std::vector<int64_t> answers;
      for (int64_t k = 0; k < n; ++k) answers.push_back(3 * n + 1 + 3 * k);
      const double acc = argmax_right(*e, answers);
      const double base = desc.at("no_recall_baseline_by_pairs").at(std::to_string(n)).get<double>();
      const double claimed = desc.at("accuracy_by_pairs").at(std::to_string(n)).get<double>();
      qInfo("%s: %lld-pair book, our core answers %.3f (task.json: %.3f on 512 books; no recall %.3f)",
            qPrintable(model), (long long)n, acc, claimed, base);
      if (desc.at("learned_recall").get<bool>())
        QVERIFY2(acc > base + 0.2 && acc > claimed - 0.2, qPrintable(QString("accuracy %1").arg(acc)));
      else
        QVERIFY2(acc < base + 0.2, qPrintable(QString("accuracy %1 for a model that never learned recall").arg(acc)));
    } else if (task == "selective-copying") {
      const int64_t region = desc.at("region").get<int64_t>(), k = desc.at("num_data").get<int64_t>();
      QCOMPARE(bytes[size_t(region)], uint8_t('|'));
      std::vector<int64_t> answers;
      for (int64_t i = 0; i < k; ++i) answers.push_back(region + 1 + i);
      const double acc = argmax_right(*e, answers);
      std::vector<bool> data(static_cast<size_t>(region));
      for (int64_t t = 0; t < region; ++t) data[size_t(t)] = bytes[size_t(t)] != uint8_t('.');
      const DeltaSplit d = delta_split(*e, data);
      const auto& r = desc.at("results");
      qInfo("%s: letters right %.3f (task.json %.3f); mean delta data / noise %.4g / %.4g (%s)", qPrintable(model), acc,
            r.at("letter_accuracy").get<double>(), d.on, d.off, qPrintable(d.per_layer.join("; ")));
      if (r.at("letter_accuracy").get<double>() > 0.9) QVERIFY2(acc >= 0.875, qPrintable(QString("letters %1").arg(acc)));
      if (desc.at("time_invariant").get<bool>())
        QVERIFY2(std::abs(d.on / d.off - 1.0) < 1e-4, "a time-invariant control must have the same delta at every byte");
      else
        QVERIFY2((d.on > d.off) == (r.at("delta_ratio_data_over_noise").get<double>() > 1.0), "delta data/noise goes the other way");
    } else if (task == "noise") {
      std::vector<bool> content(bytes.size());
      for (size_t t = 0; t < bytes.size(); ++t) content[t] = !((bytes[t] >= 0x01 && bytes[t] <= 0x08) || (bytes[t] >= 0x0E && bytes[t] <= 0x1F));  // tasks.JUNK_BYTES
      const auto& r = desc.at("results");
      if (!r.contains("mean_delta_junk")) return;  // attention only: no delta
      const DeltaSplit d = delta_split(*e, content);
      qInfo("%s: mean delta content / junk %.4g / %.4g (task.json %.4g / %.4g; %s)", qPrintable(model), d.on, d.off,
            r.at("mean_delta_content").get<double>(), r.at("mean_delta_junk").get<double>(), qPrintable(d.per_layer.join("; ")));
      QVERIFY2((d.off < d.on) == (r.at("mean_delta_junk").get<double>() < r.at("mean_delta_content").get<double>()),
               "delta content/junk goes the other way");
    } else if (task == "induction") {
      // The reference example is a segment of L symbols, the same L again, a newline; scored: L+1 .. 2L-1.
      const int64_t L = (int64_t(bytes.size()) - 1) / 2;
      QCOMPARE(int64_t(bytes.size()), 2 * L + 1);
      QVERIFY(std::equal(bytes.begin(), bytes.begin() + L, bytes.begin() + L));
      std::vector<int64_t> answers;
      for (int64_t t = L + 1; t < 2 * L; ++t) answers.push_back(t);
      const double acc = argmax_right(*e, answers);
      const auto& by_length = desc.at("results").at("by_length");
      const double claimed = by_length.at(std::to_string(L)).at("copy_accuracy").get<double>();
      qInfo("%s: %lld-symbol segment, our core copies %.3f of the second copy (task.json: %.3f on 128 examples)",
            qPrintable(model), (long long)L, acc, claimed);
      QVERIFY2(std::abs(acc - claimed) < 0.2, qPrintable(QString("copy accuracy %1 against %2").arg(acc).arg(claimed)));
    } else {
      QFAIL(qPrintable(QString::fromStdString("unknown task " + task)));
    }
  }
};

QTEST_GUILESS_MAIN(TestShippedModels)
#include "tst_shipped_models.moc"
