// The shipped byte models (assets/models): every folder loads, and on held-out text our core gives
// the same bits per byte as transformers computed when the model was trained
// (reference_heldout.json, written by tools/train/train_lm.py).
#include <QtTest>

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

}  // namespace

class TestShippedModels : public QObject {
  Q_OBJECT
 private slots:
  void every_shipped_model_loads() {
    int n = 0;
    auto be = make_cpu_backend();
    for (const auto& e : fs::directory_iterator(assets_dir())) {
      if (!fs::exists(e.path() / "config.json")) continue;
      auto m = Model::load(e.path().string(), *be);
      QVERIFY(m->config().vocab_size >= 256);
      ++n;
    }
    QVERIFY2(n >= 4, "fewer than four shipped models");
  }

  void bits_per_byte_match_transformers_data() {
    QTest::addColumn<QString>("model");
    for (const char* m : {"mamba1-bytes", "mamba2-bytes", "llama-bytes", "jamba-bytes"}) QTest::newRow(m) << m;
  }
  void bits_per_byte_match_transformers() {
    QFETCH(QString, model);
    const std::string dir = assets_dir() + "/" + model.toStdString();
    const auto ref = nlohmann::json::parse(test::read_text(dir + "/reference_heldout.json"));
    auto be = make_cpu_backend();
    auto m = Model::load(dir, *be);
    QVERIFY(!ref["slices"].empty());
    for (const auto& slice : ref["slices"]) {
      const auto bytes = test::read_input(dir + "/" + slice["file"].get<std::string>());
      QCOMPARE(int64_t(bytes.size()), slice["n_bytes"].get<int64_t>());
      ModelState s = m->initial_state();
      const Tensor logits = m->forward(bytes, s);  // [T, 256]
      const auto ours = nll_bits(logits, bytes);
      const auto theirs = slice["nll_bits"].get<std::vector<double>>();
      QCOMPARE(ours.size(), theirs.size());
      double bpb = 0, worst = 0;
      for (size_t i = 0; i < ours.size(); ++i) {
        bpb += ours[i];
        worst = std::max(worst, std::abs(ours[i] - theirs[i]));
      }
      bpb /= ours.size();
      const double ref_bpb = slice["bits_per_byte"].get<double>();
      qInfo("%s/%s: ours %.5f bits/byte, transformers %.5f, worst byte %.2g bits", qPrintable(model),
            slice["name"].get<std::string>().c_str(), bpb, ref_bpb, worst);
      QVERIFY2(std::abs(bpb - ref_bpb) < 1e-3, qPrintable(QString("bits/byte %1 vs %2").arg(bpb).arg(ref_bpb)));
      QVERIFY2(worst < 2e-2, qPrintable(QString("a byte's loss differs by %1 bits").arg(worst)));
      QVERIFY2(bpb < 2.5 * 1.2, "a shipped model should be a trained one");
    }
  }
};

QTEST_GUILESS_MAIN(TestShippedModels)
#include "tst_shipped_models.moc"
