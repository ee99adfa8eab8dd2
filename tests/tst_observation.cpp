// Tracing only observes (core/trace.h): recording a tensor never changes which ops run or what they
// compute. For every family (Mamba-1, Mamba-2, attention, Jamba), a run recording everything gives
// bit-identical logits and states to a run recording nothing, as a forward and as a forward followed
// by steps; and what is recorded does not depend on what else is recorded.
#include <QtTest>

#include <cmath>

#include "backend.h"
#include "model.h"
#include "observation_check.h"
#include "test_support.h"
#include "trace_store.h"

using namespace ss;

namespace {

// One fixture per family.
void family_rows() {
  QTest::addColumn<QString>("fixture");
  QTest::newRow("mamba1") << "mamba1_tied_f32";
  QTest::newRow("mamba2") << "mamba2_g1_f32";
  QTest::newRow("attention") << "llama_mha_f32";
  QTest::newRow("jamba") << "jamba_a";
}

struct Loaded {
  std::unique_ptr<Backend> be = make_cpu_backend();
  std::unique_ptr<Model> m;
  std::vector<int32_t> tokens;
};

Loaded load(const QString& fixture) {
  Loaded l;
  const std::string dir = test::fixtures_dir() + "/" + fixture.toStdString();
  l.m = Model::load(dir, *l.be);
  l.tokens = test::read_input(dir + "/reference/input.bin");
  return l;
}

// The traces a family's layers must have recorded when everything is asked for.
std::vector<const char*> expected_names(MixerKind k) {
  switch (k) {
    case MixerKind::Mamba: return {trace::kMambaY, trace::kMambaZ, trace::kMambaStridedStates, trace::kMambaState, trace::kMambaDelta};
    case MixerKind::Mamba2: return {trace::kMamba2Y, trace::kMamba2Decay, trace::kMamba2StridedStates, trace::kMamba2State};
    default: return {trace::kAttnProbs, trace::kAttnQ, trace::kAttnK, trace::kLayerKvBytes};
  }
}

}  // namespace

class TestObservation : public QObject {
  Q_OBJECT
 private slots:
  void logits_are_bit_identical_with_and_without_a_sink_data() { family_rows(); }
  void logits_are_bit_identical_with_and_without_a_sink() {
    QFETCH(QString, fixture);
    Loaded l = load(fixture);
    const int64_t T = static_cast<int64_t>(l.tokens.size());
    QVERIFY(T >= 8);
    for (const int64_t split : {T, T / 2, int64_t(0)}) {  // one forward; forward + steps; steps only
      TraceStore store(testkit::everything_request(*l.m, T, 1));
      const std::string diff = testkit::observation_difference(*l.m, l.tokens, split, store);
      QVERIFY2(diff.empty(), qPrintable(QString("split %1: %2").arg(split).arg(QString::fromStdString(diff))));
      // The sink really received everything: each layer's observation-only outputs among them.
      for (int layer = 0; layer < l.m->config().n_layers; ++layer)
        for (const char* name : expected_names(l.m->config().mixers[layer]))
          QVERIFY2(store.has(name, layer), qPrintable(QString("%1 of layer %2 not recorded (split %3)").arg(name).arg(layer).arg(split)));
      QCOMPARE(store.get(trace::kLogits, -1).size(0), T);
    }
  }

  void recorded_tensors_do_not_depend_on_what_else_is_recorded_data() { family_rows(); }
  void recorded_tensors_do_not_depend_on_what_else_is_recorded() {
    QFETCH(QString, fixture);
    Loaded l = load(fixture);
    const int64_t T = static_cast<int64_t>(l.tokens.size()), split = T - 3;  // a forward, then 3 steps
    const TraceRequest all_req = testkit::everything_request(*l.m, T, 1);
    TraceStore all(all_req);
    QVERIFY(testkit::observation_difference(*l.m, l.tokens, split, all).empty());
    int compared = 0;
    for (const auto& [name, layer] : all.keys()) {
      TraceRequest one_req = all_req;  // the same stride and windows, one name and one layer
      one_req.names = {name};
      if (layer >= 0) one_req.layers = {layer};
      TraceStore one(one_req);
      ModelState s = l.m->initial_state();
      l.m->forward({l.tokens.begin(), l.tokens.begin() + split}, s, one.recording());
      for (int64_t t = split; t < T; ++t) l.m->step(l.tokens[t], s, one.recording());
      QCOMPARE(one.keys().size(), size_t(1));
      const std::string diff = testkit::bit_difference(one.get(name, layer), all.get(name, layer));
      QVERIFY2(diff.empty(), qPrintable(QString("%1 of layer %2: %3").arg(QString::fromStdString(name)).arg(layer).arg(QString::fromStdString(diff))));
      QCOMPARE(one.state_positions(name, layer), all.state_positions(name, layer));
      ++compared;
    }
    QVERIFY2(compared >= 10, qPrintable(QString::number(compared)));
  }

  // Mamba-1's y is recorded before its gate while the scan keeps the gate fused: the recorded y is
  // the scan of the recorded inputs without a gate, bit for bit (CPU reference), and the logits do not
  // move (above).
  void mamba_y_is_the_scan_output_before_the_gate() {
    Loaded l = load("mamba1_tied_f32");
    TraceRequest req;
    req.names = {trace::kMambaX, trace::kMambaDelta, trace::kMambaB, trace::kMambaC, trace::kMambaZ, trace::kMambaY};
    req.layers = {1};
    TraceStore store(req);
    ModelState s = l.m->initial_state();
    l.m->forward(l.tokens, s, store.recording(), false);
    const Tensor x = store.get(trace::kMambaX, 1), delta = store.get(trace::kMambaDelta, 1), B = store.get(trace::kMambaB, 1),
                 C = store.get(trace::kMambaC, 1), z = store.get(trace::kMambaZ, 1), y = store.get(trace::kMambaY, 1);
    const Mixer& mixer = l.m->mixer(1);
    const Tensor A = mixer.ssm_A(), D = mixer.ssm_D();
    Tensor h = Tensor::zeros({A.size(0), A.size(1)});
    SelectiveScanArgs a;
    a.x = &x, a.delta = &delta, a.A = &A, a.B = &B, a.C = &C, a.D = &D, a.state = &h;
    const Tensor ungated = l.be->selective_scan(a);  // no gate
    QCOMPARE(testkit::bit_difference(y, ungated), std::string());
    // And the gate is what separates it from the gated output the layer goes on with.
    Tensor h2 = Tensor::zeros({A.size(0), A.size(1)});
    a.state = &h2;
    a.z = &z;
    const Tensor gated = l.be->selective_scan(a);
    double worst = 0;
    for (int64_t i = 0; i < y.numel(); ++i) {
      const double zv = z.at(i), want = double(y.at(i)) * zv / (1.0 + std::exp(-zv));
      worst = std::max(worst, std::abs(gated.at(i) - want));
    }
    QVERIFY2(worst < 1e-5, qPrintable(QString::number(worst)));
  }

  // The run's recording, not the sink, says which strided states and probs windows exist: a sink that
  // wants them gets none from a run that was not asked for them.
  void strided_states_and_probs_come_only_from_the_recording() {
    Loaded l = load("jamba_a");
    const int64_t T = static_cast<int64_t>(l.tokens.size());
    TraceStore store(testkit::everything_request(*l.m, T));
    ModelState s = l.m->initial_state();
    l.m->forward(l.tokens, s, Recording(&store), false);  // the store as a plain sink
    QVERIFY(store.keys().size() > 10);
    for (const auto& [name, layer] : store.keys())
      QVERIFY2(name != trace::kMambaStridedStates && name != trace::kMamba2StridedStates && name != trace::kAttnProbs, name.c_str());
  }
};

QTEST_GUILESS_MAIN(TestObservation)
#include "tst_observation.moc"
