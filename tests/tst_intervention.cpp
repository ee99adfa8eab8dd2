// Δ → average (core/intervention.h): the intervention of the selectivity lesson. Every SSM layer's Δ
// is replaced by its mean over the whole text, per channel (Mamba-1) or head (Mamba-2), each layer on
// its own input in the intervened run; attention layers are untouched; without it nothing changes;
// the means, once computed, reproduce the one pass in chunks, from snapshots and step by step; what
// cannot be computed exactly is refused. On the shipped models the effect is real: bits per byte of
// the language models on the selectivity lesson's text rise, and the selective-copying models lose
// letters (measured directions with margins; the numbers are printed, see docs/models.md).
#include <QtTest>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "backend.h"
#include "error.h"
#include "exploration.h"
#include "model.h"
#include "task_generator.h"
#include "test_support.h"
#include "trace_store.h"

namespace fs = std::filesystem;
using namespace ss;

namespace {

std::string assets() { return std::string(STATESCOPE_FIXTURES) + "/../../assets"; }

std::vector<int32_t> some_text() {
  const std::string s = "The cat sat on the mat. The dog sat on the log. 1969: 384400 km.";
  return std::vector<int32_t>(s.begin(), s.end());
}

bool is_ssm(MixerKind k) { return k == MixerKind::Mamba || k == MixerKind::Mamba2; }
const char* delta_name(MixerKind k) { return k == MixerKind::Mamba ? trace::kMambaDelta : trace::kMamba2Delta; }
const char* selective_name(MixerKind k) { return k == MixerKind::Mamba ? trace::kMambaDeltaSelective : trace::kMamba2DeltaSelective; }

double max_abs_diff(const Tensor& a, const Tensor& b) {
  if (a.numel() != b.numel()) return INFINITY;
  double m = 0;
  for (int64_t i = 0; i < a.numel(); ++i) m = std::max(m, std::abs(double(a.at(i)) - double(b.at(i))));
  return m;
}

// Bits per byte of `logits` [T, V] predicting tokens[1..].
double bits_per_byte(const Tensor& logits, const std::vector<int32_t>& tokens) {
  const int64_t V = logits.size(1);
  double sum = 0;
  for (size_t t = 0; t + 1 < tokens.size(); ++t) {
    const float* row = logits.data() + t * V;
    const double mx = *std::max_element(row, row + V);
    double z = 0;
    for (int64_t v = 0; v < V; ++v) z += std::exp(double(row[v]) - mx);
    sum += -(double(row[tokens[t + 1]]) - mx - std::log(z)) / std::log(2.0);
  }
  return sum / double(tokens.size() - 1);
}

// Letter accuracy of a selective-copying model on `n` fresh examples (each its own text, as in
// docs/models.md "Teaching task 2"), with or without Δ → average.
double selcopy_accuracy(const Model& m, int n, bool average, uint64_t seed) {
  std::mt19937_64 rng(seed);
  int64_t right = 0, total = 0;
  for (int i = 0; i < n; ++i) {
    const TaskExample ex = selective_copy_example(8, 128, rng);
    const std::vector<int32_t> toks(ex.bytes.begin(), ex.bytes.end());
    Intervention iv;
    iv.mean_delta = average;
    ModelState s = m.initial_state();
    const Tensor logits = m.forward(toks, s, {}, true, iv);  // [T, V]
    const int64_t V = logits.size(1);
    for (int64_t p : ex.scored) {  // predicted from the logits after token p - 1
      const float* row = logits.data() + (p - 1) * V;
      right += (std::max_element(row, row + V) - row) == toks[size_t(p)];
      ++total;
    }
  }
  return double(right) / double(total);
}

}  // namespace

class TestIntervention : public QObject {
  Q_OBJECT

 private slots:
  void delta_is_the_mean_of_its_own_layer_data() {
    QTest::addColumn<QString>("fixture");
    for (const char* f : {"mamba1_tied_f32", "mamba2_g2_f16", "jamba_a", "bamba_gqa_f32", "nemotron_h_f32", "falcon_mamba_f32",
                          "granite_hybrid_f32"})
      QTest::newRow(f) << QString(f);
  }
  void delta_is_the_mean_of_its_own_layer() {
    QFETCH(QString, fixture);
    auto be = make_cpu_backend();
    auto m = Model::load(test::fixtures_dir() + "/" + fixture.toStdString(), *be);
    const auto toks = some_text();
    const int64_t T = int64_t(toks.size());
    TraceStore plain, avg;
    ModelState s0 = m->initial_state(), s1 = m->initial_state();
    const Tensor l0 = m->forward(toks, s0, plain.recording());
    Intervention iv;
    iv.mean_delta = true;
    const Tensor l1 = m->forward(toks, s1, avg.recording(), true, iv);
    int ssm_layers = 0, first_ssm = -1;
    for (int l = 0; l < m->config().n_layers; ++l) {
      const MixerKind k = m->config().mixers[l];
      if (!is_ssm(k)) {
        QVERIFY(!avg.has(trace::kMambaDeltaSelective, l) && !avg.has(trace::kMamba2DeltaSelective, l));
        continue;
      }
      if (first_ssm < 0) first_ssm = l;
      ++ssm_layers;
      const Tensor d = avg.get(delta_name(k), l), sel = avg.get(selective_name(k), l);  // [T, C]
      QCOMPARE(d.size(0), T);
      QCOMPARE(sel.size(0), T);
      const int64_t C = d.numel() / T;
      double worst_flat = 0, worst_mean = 0, spread = 0;
      for (int64_t c = 0; c < C; ++c) {
        double sum = 0, lo = INFINITY, hi = -INFINITY;
        for (int64_t t = 0; t < T; ++t) {
          worst_flat = std::max(worst_flat, std::abs(double(d.at(t * C + c)) - double(d.at(c))));
          sum += sel.at(t * C + c);
          lo = std::min(lo, double(sel.at(t * C + c)));
          hi = std::max(hi, double(sel.at(t * C + c)));
        }
        worst_mean = std::max(worst_mean, std::abs(double(d.at(c)) - sum / double(T)) / std::max(1e-12, sum / double(T)));
        spread = std::max(spread, hi - lo);
      }
      QCOMPARE(worst_flat, 0.0);                  // the same Δ at every token
      QVERIFY2(worst_mean < 1e-6, qPrintable(QString("layer %1: relative %2").arg(l).arg(worst_mean)));
      QVERIFY2(spread > 0, "the selective Δ varied over the text (else the test shows nothing)");
      if (l == first_ssm)  // the first SSM layer reads the same input in both runs
        QCOMPARE(max_abs_diff(sel, plain.get(delta_name(k), l)), 0.0);
    }
    QVERIFY(ssm_layers > 0);
    QVERIFY2(max_abs_diff(l0, l1) > 1e-4, "averaging Δ changed nothing");
  }

  void nothing_changes_without_it() {
    auto be = make_cpu_backend();
    auto m = Model::load(test::fixtures_dir() + "/jamba_a", *be);
    const auto toks = some_text();
    ModelState a = m->initial_state(), b = m->initial_state();
    const Tensor la = m->forward(toks, a);
    Intervention off = m->average_delta(toks);  // means present, but the switch is off
    off.mean_delta = false;
    const Tensor lb = m->forward(toks, b, {}, true, off);
    QCOMPARE(max_abs_diff(la, lb), 0.0);
    TraceStore store;
    ModelState c = m->initial_state();
    m->forward(toks, c, store.recording());
    for (const auto& [name, layer] : store.keys())
      QVERIFY2(name != trace::kMambaDeltaSelective && name != trace::kMamba2DeltaSelective, name.c_str());
  }

  void means_reproduce_the_one_pass_data() {
    QTest::addColumn<QString>("fixture");
    for (const char* f : {"mamba1_tied_f32", "mamba2_g1_f32", "jamba_a"}) QTest::newRow(f) << QString(f);
  }
  void means_reproduce_the_one_pass() {
    QFETCH(QString, fixture);
    auto be = make_cpu_backend();
    auto m = Model::load(test::fixtures_dir() + "/" + fixture.toStdString(), *be);
    const auto toks = some_text();
    const int64_t T = int64_t(toks.size()), V = m->config().vocab_size;
    Intervention fresh;
    fresh.mean_delta = true;
    ModelState s = m->initial_state();
    const Tensor one_pass = m->forward(toks, s, {}, true, fresh);
    // chunk_tokens does not split an intervened run that computes its means: the same bits.
    m->set_chunk_tokens(7);
    ModelState s2 = m->initial_state();
    QCOMPARE(max_abs_diff(m->forward(toks, s2, {}, true, fresh), one_pass), 0.0);
    // With the means: chunks, and steps, continue exactly.
    const Intervention iv = m->average_delta(toks);
    QCOMPARE(iv.delta_means.size(), size_t(m->config().n_layers));
    ModelState s3 = m->initial_state();
    const Tensor chunked = m->forward(toks, s3, {}, true, iv);
    QVERIFY2(max_abs_diff(chunked, one_pass) < 1e-4, qPrintable(QString::number(max_abs_diff(chunked, one_pass))));
    ModelState s4 = m->initial_state();
    const std::vector<int32_t> head(toks.begin(), toks.begin() + 20);
    Tensor stepped = Tensor::zeros({T, V});
    const Tensor first = m->forward(head, s4, {}, true, iv);
    std::copy(first.data(), first.data() + first.numel(), stepped.data());
    for (int64_t t = 20; t < T; ++t) {
      const Tensor r = m->step(toks[size_t(t)], s4, {}, iv);
      std::copy(r.data(), r.data() + V, stepped.data() + t * V);
    }
    QVERIFY2(max_abs_diff(stepped, one_pass) < 1e-4, qPrintable(QString::number(max_abs_diff(stepped, one_pass))));
  }

  void refuses_what_it_cannot_compute() {
    auto be = make_cpu_backend();
    auto m = Model::load(test::fixtures_dir() + "/mamba1_tied_f32", *be);
    const auto toks = some_text();
    Intervention iv;
    iv.mean_delta = true;
    ModelState s = m->initial_state();
    QVERIFY_THROWS_EXCEPTION(Error, m->step(toks[0], s, {}, iv));  // no means: a step sees one token
    m->forward(std::vector<int32_t>(toks.begin(), toks.begin() + 10), s);
    try {
      m->forward(std::vector<int32_t>(toks.begin() + 10, toks.end()), s, {}, true, iv);  // not from position 0
      QFAIL("a forward from position 10 averaged Δ over a part of the text");
    } catch (const Error& e) {
      QVERIFY2(std::string(e.what()).find("intervention") != std::string::npos, e.what());
    }
    ModelState s2 = m->initial_state();
    QVERIFY_THROWS_EXCEPTION(Error, m->forward_through(toks, s2, 1, {}, iv));
    Intervention wrong;
    wrong.mean_delta = true;
    wrong.delta_means.resize(5);
    QVERIFY_THROWS_EXCEPTION(Error, m->forward(toks, s2, {}, true, wrong));
  }

  void exploration_recomputes_with_the_means() {
    auto e = Exploration::open(test::fixtures_dir() + "/mamba2_g1_f32", make_cpu_backend(), /*snapshot_every=*/16);
    const auto toks = some_text();
    const std::vector<uint8_t> bytes(toks.begin(), toks.end());
    e->set_bytes(bytes);
    const std::vector<float> plain = e->surprisals();
    e->set_delta_average(true);
    QCOMPARE(e->computed(), int64_t(0));  // every result was the other model's
    e->resume();
    QCOMPARE(e->computed(), int64_t(bytes.size()));
    // The same numbers as the one pass of the model.
    Intervention iv;
    iv.mean_delta = true;
    ModelState s = e->model().initial_state();
    const Tensor logits = e->model().forward(toks, s, {}, true, iv);
    double worst = 0;
    for (size_t t = 1; t < toks.size(); ++t) {
      const int64_t V = logits.size(1);
      const float* row = logits.data() + (t - 1) * V;
      const double mx = *std::max_element(row, row + V);
      double z = 0;
      for (int64_t v = 0; v < V; ++v) z += std::exp(double(row[v]) - mx);
      worst = std::max(worst, std::abs(-(double(row[toks[t]]) - mx - std::log(z)) / std::log(2.0) - e->surprisals()[t]));
    }
    QVERIFY2(worst < 1e-3, qPrintable(QString::number(worst)));
    // A window in the middle (rerun from a snapshot) sees the flat Δ.
    const LayerWindow w = e->trace_window(0, 20, 40, kWindowGate);
    const int64_t H = w.delta.size(1);
    for (int64_t t = 0; t < 20; ++t)
      for (int64_t h = 0; h < H; ++h) QCOMPARE(w.delta.at(t * H + h), e->intervention().delta_means[0].at(h));
    // An edit changes the means and everything after token 0.
    const Tensor before = e->intervention().delta_means[0];
    std::vector<uint8_t> edited = bytes;
    edited.back() = 'X';
    edited.push_back('!');
    const UpdateStats st = e->set_bytes(edited);
    QCOMPARE(st.from, int64_t(0));
    QVERIFY(max_abs_diff(before, e->intervention().delta_means[0]) > 0);
    // Off again: the selective model's numbers come back.
    e->set_delta_average(false);
    e->set_bytes(bytes);
    for (size_t t = 1; t < plain.size(); ++t) QVERIFY(std::abs(plain[t] - e->surprisals()[t]) < 1e-4);
  }

  // The shipped language models predict worse with Δ averaged: on the selectivity lesson's
  // Δ → average text (texts/long_en.txt, 2346 bytes) and on the 4 KB held-out English slice shipped
  // with each model. On the lesson's first, 120-byte text the difference is within noise (printed, not
  // asserted; docs/models.md): a short text gives the averaged model little to lose.
  void shipped_language_models_get_worse_data() {
    QTest::addColumn<QString>("model");
    QTest::addColumn<QString>("text");
    QTest::addColumn<double>("margin");  // bits/byte the averaged model must lose at least
    for (const char* m : {"mamba1-bytes", "mamba2-bytes"}) {
      QTest::addRow("%s long_en", m) << m << "lessons/texts/long_en.txt" << 0.01;
      QTest::addRow("%s heldout_en4k", m) << m << QString("models/%1/reference_heldout_en4k.bin").arg(m) << 0.05;
    }
  }
  void shipped_language_models_get_worse() {
    QFETCH(QString, model);
    QFETCH(QString, text);
    QFETCH(double, margin);
    auto be = make_cpu_backend();
    auto m = Model::load(assets() + "/models/" + model.toStdString(), *be);
    auto both = [&](const std::vector<int32_t>& toks) {
      ModelState a = m->initial_state(), b = m->initial_state();
      Intervention iv;
      iv.mean_delta = true;
      return std::pair{bits_per_byte(m->forward(toks, a), toks), bits_per_byte(m->forward(toks, b, {}, true, iv), toks)};
    };
    const auto toks = test::read_input(assets() + "/" + text.toStdString());
    const auto [sel, avg] = both(toks);
    qInfo("%s on %s (%zu bytes): %.4f bits/byte selective, %.4f with delta averaged (%+.4f)", qPrintable(model), qPrintable(text),
          toks.size(), sel, avg, avg - sel);
    QVERIFY2(avg > sel + margin, qPrintable(QString("%1 -> %2 bits/byte").arg(sel).arg(avg)));
    const auto lesson = nlohmann::json::parse(test::read_text(assets() + "/lessons/02-selectivity.json"));
    const std::string first = lesson.at("input").at("text").get<std::string>();
    const auto [s2, a2] = both(std::vector<int32_t>(first.begin(), first.end()));
    qInfo("%s on the lesson's first text (%zu bytes): %.4f selective, %.4f averaged (%+.4f; not asserted)", qPrintable(model),
          first.size(), s2, a2, a2 - s2);
  }

  // The selective-copying models lose the task when Δ stops selecting.
  void shipped_selective_copying_loses_letters_data() {
    QTest::addColumn<QString>("model");
    QTest::newRow("selcopy-mamba1") << "selcopy-mamba1";
    QTest::newRow("selcopy-mamba2") << "selcopy-mamba2";
  }
  void shipped_selective_copying_loses_letters() {
    QFETCH(QString, model);
    auto be = make_cpu_backend();
    auto m = Model::load(assets() + "/models/" + model.toStdString(), *be);
    const double sel = selcopy_accuracy(*m, 64, false, 7), avg = selcopy_accuracy(*m, 64, true, 7);
    qInfo("%s on 64 fresh examples: letters right %.3f selective, %.3f with delta averaged", qPrintable(model), sel, avg);
    QVERIFY2(sel > 0.9, "the selective model solves its task");
    QVERIFY2(avg < sel - 0.2, qPrintable(QString("%1 -> %2").arg(sel).arg(avg)));
  }
};

QTEST_GUILESS_MAIN(TestIntervention)
#include "tst_intervention.moc"
