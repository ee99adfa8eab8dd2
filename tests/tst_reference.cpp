// Agreement with references nobody here wrote: transformers' own float64 outputs on tiny random
// checkpoints of every family (tests/fixtures, made by tools/make_fixtures.py on the GPU machine).
// Also: the recurrent step form and the parallel form agree on every fixture.
#include <QtTest>

#include <filesystem>

#include "backend.h"
#include "model.h"
#include "test_support.h"
#include "trace_store.h"

namespace fs = std::filesystem;
using namespace ss;

class TestReference : public QObject {
  Q_OBJECT

  static void fixtures_as_rows() {
    QTest::addColumn<QString>("name");
    const auto names = test::fixture_names();
    if (names.empty()) QTest::newRow("no fixtures") << QString();  // fails in the test body
    for (const auto& n : names) QTest::newRow(n.c_str()) << QString::fromStdString(n);
  }
  static std::string dir(const QString& name) {
    if (name.isEmpty()) throw std::runtime_error("no fixtures under " + test::fixtures_dir());
    return test::fixtures_dir() + "/" + name.toStdString();
  }

 private slots:
  void every_family_has_a_fixture() {
    std::set<std::string> archs;
    for (const auto& n : test::fixture_names()) {
      const std::string path = test::fixtures_dir() + "/" + n + "/config.json";
      archs.insert(architecture_name(parse_model_config(parse_json_relaxed(test::read_text(path)), path).arch));
    }
    for (const char* a : {"MambaForCausalLM", "Mamba2ForCausalLM", "LlamaForCausalLM", "JambaForCausalLM", "FalconMambaForCausalLM",
                          "BambaForCausalLM", "NemotronHForCausalLM", "GraniteMoeHybridForCausalLM", "FalconH1ForCausalLM",
                          "Zamba2ForCausalLM"})
      QVERIFY2(archs.count(a), a);
  }

  void logits_match_transformers_data() { fixtures_as_rows(); }
  void logits_match_transformers() {
    QFETCH(QString, name);
    try {
      logits_match_transformers_impl(name);
    } catch (const std::exception& e) {
      QFAIL(e.what());
    }
  }

 private:
  void logits_match_transformers_impl(const QString& name) {
    auto be = make_cpu_backend();
    auto model = Model::load(dir(name), *be);
    const auto tokens = test::read_input(dir(name) + "/reference/input.bin");
    ModelState state = model->initial_state();
    const Tensor logits = model->forward(tokens, state);  // [T, V]
    const NpyArray ref = read_npy(dir(name) + "/reference/logits.npy");
    QCOMPARE(logits.shape(), ref.shape);
    const double err = test::rel_l2(logits, ref);
    qInfo("%s: logits rel L2 %.3g over %zu tokens", qPrintable(name), err, tokens.size());
    QVERIFY2(err < 1e-4, qPrintable(QString("rel L2 %1").arg(err)));
    QCOMPARE(test::argmax_mismatches(logits, ref), int64_t(0));
  }

 private slots:
  void final_states_match_transformers_data() { fixtures_as_rows(); }
  void final_states_match_transformers() {
    QFETCH(QString, name);
    try {
      final_states_match_transformers_impl(name);
    } catch (const std::exception& e) {
      QFAIL(e.what());
    }
  }

 private:
  void final_states_match_transformers_impl(const QString& name) {
    auto be = make_cpu_backend();
    auto model = Model::load(dir(name), *be);
    const auto tokens = test::read_input(dir(name) + "/reference/input.bin");
    ModelState state = model->initial_state();
    model->forward(tokens, state, {}, false);
    int compared = 0;
    for (int l = 0; l < model->config().n_layers; ++l) {
      const std::string ssm = dir(name) + "/reference/ssm_state_L" + std::to_string(l) + ".npy";
      if (fs::exists(ssm)) {
        const NpyArray ref = read_npy(ssm);
        const double err = test::rel_l2(state.layers[l].ssm_state, ref);
        QVERIFY2(err < 1e-4, qPrintable(QString("layer %1 ssm state rel L2 %2").arg(l).arg(err)));
        ++compared;
      }
      const std::string conv = dir(name) + "/reference/conv_state_L" + std::to_string(l) + ".npy";
      if (fs::exists(conv)) {
        const NpyArray ref = read_npy(conv);  // transformers keeps the last K inputs; we keep K-1
        const Tensor& ours = state.layers[l].conv_state;  // [C, K-1]
        const int64_t C = ours.size(0), Km1 = ours.size(1), K = ref.shape.back();
        QCOMPARE(int64_t(ref.values.size()), C * K);
        double num = 0, den = 0;
        for (int64_t c = 0; c < C; ++c)
          for (int64_t k = 0; k < Km1; ++k) {
            const double r = ref.values[c * K + (K - Km1) + k], d = ours.data()[c * Km1 + k] - r;
            num += d * d;
            den += r * r;
          }
        QVERIFY2(std::sqrt(num / std::max(den, 1e-300)) < 1e-4, qPrintable(QString("layer %1 conv state").arg(l)));
        ++compared;
      }
    }
    const bool has_ssm = model->config().has_ssm();
    // The mamba_ssm-format fixtures (tools/make_mamba_ssm_fixtures.py) carry logits only.
    if (has_ssm && compared == 0 && name.startsWith("mamba_ssm_")) QSKIP("mamba_ssm fixture: logits only");
    if (has_ssm) QVERIFY2(compared > 0, "an SSM fixture without reference states");
  }

 private slots:
  void step_form_equals_parallel_form_data() { fixtures_as_rows(); }
  void step_form_equals_parallel_form() {
    QFETCH(QString, name);
    try {
      step_form_equals_parallel_form_impl(name);
    } catch (const std::exception& e) {
      QFAIL(e.what());
    }
  }

 private:
  void step_form_equals_parallel_form_impl(const QString& name) {
    auto be = make_cpu_backend();
    auto model = Model::load(dir(name), *be);
    const auto tokens = test::read_input(dir(name) + "/reference/input.bin");
    ModelState par = model->initial_state();
    const Tensor full = model->forward(tokens, par);  // [T, V]
    ModelState rec = model->initial_state();
    const int64_t V = full.size(1);
    Tensor stepped = Tensor::zeros(full.shape());
    for (size_t t = 0; t < tokens.size(); ++t) {
      const Tensor l = model->step(tokens[t], rec);
      std::copy(l.data(), l.data() + V, stepped.data() + t * V);
    }
    const double err = test::rel_l2(stepped, full);
    qInfo("%s: step vs parallel rel L2 %.3g", qPrintable(name), err);
    QVERIFY2(err < 1e-5, qPrintable(QString("rel L2 %1").arg(err)));
    // A prefix in parallel form, then the rest in parallel form from the saved state.
    const size_t cut = tokens.size() / 3;
    ModelState split = model->initial_state();
    const Tensor a = model->forward({tokens.begin(), tokens.begin() + cut}, split);
    const Tensor b = model->forward({tokens.begin() + cut, tokens.end()}, split);
    Tensor joined = Tensor::zeros(full.shape());
    std::copy(a.data(), a.data() + a.numel(), joined.data());
    std::copy(b.data(), b.data() + b.numel(), joined.data() + a.numel());
    QVERIFY2(test::rel_l2(joined, full) < 1e-5, "prefix + continuation differs from one pass");
    for (size_t l = 0; l < par.layers.size(); ++l)
      if (!par.layers[l].ssm_state.empty()) {
        QVERIFY(test::rel_l2(rec.layers[l].ssm_state, par.layers[l].ssm_state) < 1e-5);
        QVERIFY(test::rel_l2(split.layers[l].ssm_state, par.layers[l].ssm_state) < 1e-5);
      }
  }
};

QTEST_GUILESS_MAIN(TestReference)
#include "tst_reference.moc"
