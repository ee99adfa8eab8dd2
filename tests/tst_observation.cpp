// Tracing only observes (core/trace.h): recording a tensor never changes which ops run or what they
// compute. For every family (Mamba-1, Mamba-2, attention, Jamba), a run recording everything gives
// bit-identical logits and states to a run recording nothing, as a forward and as a forward followed
// by steps; and what is recorded does not depend on what else is recorded.
#include <QtTest>

#include <cmath>
#include <filesystem>

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
  QTest::newRow("nemotron_h") << "nemotron_h_f32";          // MLP layers without a mixer
  QTest::newRow("granite_hybrid") << "granite_hybrid_f32";  // multipliers folded in, MoE + shared MLP
  // Falcon-H1 (attention and Mamba-2 in every layer): made on the GPU machine by tools/make_fixtures.py;
  // its row joins once the folder is there.
  if (std::filesystem::exists(test::fixtures_dir() + "/falcon_h1_a/config.json")) QTest::newRow("falcon_h1") << "falcon_h1_a";
  // Zamba2: hybrid layers record their shared attention and their Mamba-2 (a row once the fixture is made:
  // tools/make_fixtures.py --only zamba2_a_f32)
  if (std::filesystem::exists(test::fixtures_dir() + "/zamba2_a_f32/config.json")) QTest::newRow("zamba2") << "zamba2_a_f32";
}

int l_layers(const Model& m) { return m.config().n_layers; }

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
std::vector<const char*> expected_names(MixerKind k);
// Layer `l`'s: its mixer's, and a Zamba2 hybrid layer's shared attention's beside its Mamba-2's.
std::vector<const char*> expected_names(const ModelConfig& c, int l) {
  std::vector<const char*> names = expected_names(c.mixers[l]);
  if (c.shared_block(l) >= 0)
    for (const char* a : expected_names(MixerKind::Attention)) names.push_back(a);
  return names;
}
std::vector<const char*> expected_names(MixerKind k) {
  switch (k) {
    case MixerKind::Mamba: return {trace::kMambaY, trace::kMambaZ, trace::kMambaStridedStates, trace::kMambaState, trace::kMambaDelta};
    case MixerKind::Mamba2: return {trace::kMamba2Y, trace::kMamba2Decay, trace::kMamba2StridedStates, trace::kMamba2State};
    case MixerKind::None: return {};  // Nemotron-H's MLP layers: nothing mixes tokens
    case MixerKind::AttentionMamba2:  // Falcon-H1: both
      return {trace::kMamba2Y, trace::kMamba2Decay, trace::kMamba2StridedStates, trace::kMamba2State,
              trace::kAttnProbs, trace::kAttnQ, trace::kAttnK, trace::kLayerKvBytes};
    default: return {trace::kAttnProbs, trace::kAttnQ, trace::kAttnK, trace::kLayerKvBytes};
  }
}

// The CPU backend, logging every compute op with what selects its kernel and arithmetic: the op, the
// shapes of its inputs and its options. Observation-only arguments (strided states, y before the gate,
// probs windows) are left out: they may differ. Memory ops (allocation, copies) are not logged.
class OpLogBackend final : public Backend {
 public:
  std::vector<std::string> log;

  std::string name() const override { return "oplog(cpu)"; }
  Device device() const override { return Device::Cpu; }
  Tensor empty(const Shape& s) override { return be_->empty(s); }
  Tensor zeros(const Shape& s) override { return be_->zeros(s); }
  Tensor upload(const Tensor& t) override { return be_->upload(t); }
  Tensor to_host(const Tensor& t) override { return be_->to_host(t); }
  Tensor to_host_async(const Tensor& t) override { return be_->to_host_async(t); }
  void wait_host_copies() override { be_->wait_host_copies(); }
  Tensor clone(const Tensor& t) override { return be_->clone(t); }

  Tensor embedding(const Tensor& table, const std::vector<int32_t>& ids) override {
    note("embedding", {&table}, std::to_string(ids.size()));
    return be_->embedding(table, ids);
  }
  Tensor linear(const Tensor& x, const Tensor& w, const Tensor* b) override { note("linear", {&x, &w, b}); return be_->linear(x, w, b); }
  Tensor rms_norm(const Tensor& x, const Tensor& w, float eps) override { note("rms_norm", {&x, &w}, num(eps)); return be_->rms_norm(x, w, eps); }
  Tensor rms_norm_gated(const Tensor& x, const Tensor& z, const Tensor& w, float eps, int g) override {
    note("rms_norm_gated", {&x, &z, &w}, num(eps) + " " + std::to_string(g));
    return be_->rms_norm_gated(x, z, w, eps, g);
  }
  Tensor add(const Tensor& a, const Tensor& b) override { note("add", {&a, &b}); return be_->add(a, b); }
  Tensor mul(const Tensor& a, const Tensor& b) override { note("mul", {&a, &b}); return be_->mul(a, b); }
  Tensor silu(const Tensor& x) override { note("silu", {&x}); return be_->silu(x); }
  Tensor silu_mul(const Tensor& g, const Tensor& u) override { note("silu_mul", {&g, &u}); return be_->silu_mul(g, u); }
  Tensor gelu_mul(const Tensor& g, const Tensor& u) override { note("gelu_mul", {&g, &u}); return be_->gelu_mul(g, u); }
  Tensor concat_cols(const Tensor& a, const Tensor& b) override { note("concat_cols", {&a, &b}); return be_->concat_cols(a, b); }
  Tensor softplus(const Tensor& x, const Tensor* b) override { note("softplus", {&x, b}); return be_->softplus(x, b); }
  Tensor clamp(const Tensor& x, float lo, float hi) override { note("clamp", {&x}, num(lo) + " " + num(hi)); return be_->clamp(x, lo, hi); }
  Tensor slice_cols(const Tensor& x, int64_t c0, int64_t c1) override {
    note("slice_cols", {&x}, std::to_string(c0) + " " + std::to_string(c1));
    return be_->slice_cols(x, c0, c1);
  }
  Tensor row_norms(const Tensor& x) override { note("row_norms", {&x}); return be_->row_norms(x); }
  Tensor conv1d_causal(const Tensor& x, const Tensor& w, const Tensor* b, Tensor& st, bool silu) override {
    note("conv1d_causal", {&x, &w, b, &st}, silu ? "silu" : "");
    return be_->conv1d_causal(x, w, b, st, silu);
  }
  Tensor selective_scan(const SelectiveScanArgs& a) override { note_scan("selective_scan", a); return be_->selective_scan(a); }
  Tensor selective_scan_step(const SelectiveScanArgs& a) override { note_scan("selective_scan_step", a); return be_->selective_scan_step(a); }
  Tensor ssd_chunked(const SsdArgs& a) override { note_ssd("ssd_chunked", a); return be_->ssd_chunked(a); }
  Tensor ssd_step(const SsdArgs& a) override { note_ssd("ssd_step", a); return be_->ssd_step(a); }
  void rope(Tensor& x, int64_t pos0, float theta, int64_t rotary_dim = 0) override {
    note("rope", {&x}, std::to_string(pos0) + " " + num(theta) + " " + std::to_string(rotary_dim));
    be_->rope(x, pos0, theta, rotary_dim);
  }
  void kv_append(KvCache& c, const Tensor& k, const Tensor& v) override {
    note("kv_append", {&k, &v}, std::to_string(c.length));
    be_->kv_append(c, k, v);
  }
  Tensor attention(const AttentionArgs& a) override {
    note("attention", {a.q}, std::to_string(a.cache->length) + " " + std::to_string(a.pos0) + " " + num(a.scale));
    return be_->attention(a);
  }
  Tensor gather_rows(const Tensor& x, const std::vector<int32_t>& rows) override {
    note("gather_rows", {&x}, std::to_string(rows.size()));
    return be_->gather_rows(x, rows);
  }
  void scatter_add_rows(Tensor& y, const Tensor& src, const std::vector<int32_t>& rows, const std::vector<float>& w) override {
    note("scatter_add_rows", {&y, &src}, std::to_string(rows.size()));
    be_->scatter_add_rows(y, src, rows, w);
  }

 private:
  static std::string num(float v) { return QString::number(double(v), 'g', 9).toStdString(); }
  void note(const char* op, std::initializer_list<const Tensor*> in, const std::string& opts = "") {
    std::string e = op;
    for (const Tensor* t : in) e.append(" ").append(t ? t->shape_string() : "-");
    if (!opts.empty()) e.append(" | ").append(opts);
    log.push_back(std::move(e));
  }
  void note_scan(const char* op, const SelectiveScanArgs& a) {
    note(op, {a.x, a.delta, a.A, a.B, a.C, a.D, a.z, a.state}, std::to_string(a.pos0));
  }
  void note_ssd(const char* op, const SsdArgs& a) {
    note(op, {a.x, a.delta, a.A, a.B, a.C, a.D, a.state}, std::to_string(a.pos0) + " chunk " + std::to_string(a.chunk_size));
  }
  std::unique_ptr<Backend> be_ = make_cpu_backend();
};

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
        for (const char* name : expected_names(l.m->config(), layer))
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

  // Not only the same numbers: the same ops. Every op of a run that records nothing runs, in the same
  // order and with the same inputs and options, in the run that records everything; the only op that
  // recording adds is the residual norm it reports (row_norms). (The CPU reference computes a fused
  // and an unfused gate to the same bits; this catches such a switch where the test above cannot.)
  void recording_runs_the_same_ops_data() { family_rows(); }
  void recording_runs_the_same_ops() {
    QFETCH(QString, fixture);
    const std::string dir = test::fixtures_dir() + "/" + fixture.toStdString();
    OpLogBackend be;
    auto m = Model::load(dir, be);
    const auto tokens = test::read_input(dir + "/reference/input.bin");
    const int64_t T = static_cast<int64_t>(tokens.size()), split = T - 3;
    TraceStore store(testkit::everything_request(*m, T, 1));
    auto run = [&](const Recording& rec) {
      be.log.clear();
      ModelState s = m->initial_state();
      m->forward({tokens.begin(), tokens.begin() + split}, s, rec);
      for (int64_t t = split; t < T; ++t) m->step(tokens[t], s, rec);
      return be.log;
    };
    const std::vector<std::string> plain = run(Recording()), traced = run(store.recording());
    QVERIFY(plain.size() > 20);
    size_t j = 0;
    int added = 0;
    for (const std::string& op : plain) {
      while (j < traced.size() && traced[j] != op) {
        QVERIFY2(traced[j].rfind("row_norms ", 0) == 0, qPrintable(QString("recording added or changed an op: %1 (the plain run has %2 here)")
                                                                       .arg(QString::fromStdString(traced[j]), QString::fromStdString(op))));
        ++j, ++added;
      }
      QVERIFY2(j < traced.size(), qPrintable(QString("op of the plain run missing when recording: %1").arg(QString::fromStdString(op))));
      ++j;
    }
    for (; j < traced.size(); ++j, ++added) QVERIFY2(traced[j].rfind("row_norms ", 0) == 0, traced[j].c_str());
    QCOMPARE(added, l_layers(*m) * int(T - split + 1));  // one residual norm per layer and call
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
