// Tracing: asked for per run, kept apart from the model math, free when nobody listens, and the same
// numbers whether a sequence ran in one forward or as a forward followed by steps.
#include <QtTest>

#include "backend.h"
#include "model.h"
#include "test_support.h"
#include "trace_store.h"

using namespace ss;

namespace {

std::vector<int32_t> some_bytes(size_t n, unsigned seed) {
  std::vector<int32_t> t(n);
  for (size_t i = 0; i < n; ++i) t[i] = static_cast<int32_t>((i * 2654435761u + seed) >> 7 & 0xff);
  return t;
}

}  // namespace

class TestTrace : public QObject {
  Q_OBJECT
 private slots:
  void untraced_and_traced_logits_are_identical() {
    auto be = make_cpu_backend();
    auto m = Model::load(test::make_tiny_mamba({}, test::temp_dir("tr")), *be);
    const auto tokens = some_bytes(40, 1);
    ModelState a = m->initial_state(), b = m->initial_state();
    const Tensor plain = m->forward(tokens, a);
    TraceStore store;  // everything
    const Tensor traced = m->forward(tokens, b, store.recording());
    QCOMPARE(test::rel_l2(traced, plain), 0.0);
    QVERIFY(store.has(trace::kMambaDelta, 0));
    QCOMPARE(store.get(trace::kMambaDelta, 1).shape(), (Shape{40, 32}));
    QCOMPARE(store.get(trace::kLogits, -1).shape(), (Shape{40, 256}));
    QCOMPARE(test::rel_l2(store.get(trace::kLogits, -1), plain), 0.0);
  }

  void request_filters_names_and_layers() {
    auto be = make_cpu_backend();
    auto m = Model::load(test::make_tiny_mamba({}, test::temp_dir("tr")), *be);
    TraceRequest req;
    req.names = {trace::kMambaDelta};
    req.layers = {1};
    TraceStore store(req);
    ModelState s = m->initial_state();
    m->forward(some_bytes(10, 2), s, store.recording(), false);
    QCOMPARE(int(store.keys().size()), 1);
    QVERIFY(store.has(trace::kMambaDelta, 1));
    QVERIFY(!store.has(trace::kMambaDelta, 0));
  }

  void delta_is_positive_and_gate_trace_matches_shapes() {
    auto be = make_cpu_backend();
    auto m = Model::load(test::make_tiny_mamba({}, test::temp_dir("tr")), *be);
    TraceStore store;
    ModelState s = m->initial_state();
    m->forward(some_bytes(25, 3), s, store.recording(), false);
    const Tensor d = store.get(trace::kMambaDelta, 0);
    QVERIFY(d.flat().minCoeff() > 0.0f);  // softplus output
    QCOMPARE(store.get(trace::kMambaB, 0).shape(), (Shape{25, 4}));
    QCOMPARE(store.get(trace::kMambaZ, 0).shape(), (Shape{25, 32}));
    QCOMPARE(store.get(trace::kMambaState, 0).shape(), (Shape{32, 4}));
    QCOMPARE(test::rel_l2(store.get(trace::kMambaState, 0), s.layers[0].ssm_state), 0.0);
  }

  void strided_states_equal_stepped_states() {
    auto be = make_cpu_backend();
    auto m = Model::load(test::make_tiny_mamba({}, test::temp_dir("tr")), *be);
    const auto tokens = some_bytes(50, 4);
    TraceRequest req;
    req.state_stride = 8;
    TraceStore store(req);
    ModelState s = m->initial_state();
    m->forward(tokens, s, store.recording(), false);
    const Tensor ck = store.get(trace::kMambaStridedStates, 1);  // [6, Di, N] after tokens 7, 15, ..., 47
    QCOMPARE(ck.shape(), (Shape{6, 32, 4}));
    QCOMPARE(store.state_positions(trace::kMambaStridedStates, 1), (std::vector<int64_t>{7, 15, 23, 31, 39, 47}));
    ModelState r = m->initial_state();
    for (int64_t t = 0; t < 48; ++t) {
      m->step(tokens[t], r);
      if ((t + 1) % 8 == 0) {
        const Tensor h = r.layers[1].ssm_state;
        const int64_t k = (t + 1) / 8 - 1;
        double num = 0, den = 0;
        for (int64_t i = 0; i < h.numel(); ++i) {
          const double diff = ck.data()[k * h.numel() + i] - h.data()[i];
          num += diff * diff;
          den += double(h.data()[i]) * h.data()[i];
        }
        QVERIFY2(std::sqrt(num / den) < 1e-6, qPrintable(QString("strided state at %1").arg(t)));
      }
    }
  }

  void forward_then_steps_reads_as_one_sequence() {
    auto be = make_cpu_backend();
    auto m = Model::load(test::make_tiny_mamba({}, test::temp_dir("tr")), *be);
    const auto tokens = some_bytes(30, 5);
    TraceStore one, pieces;
    ModelState a = m->initial_state(), b = m->initial_state();
    m->forward(tokens, a, one.recording(), false);
    m->forward({tokens.begin(), tokens.begin() + 20}, b, pieces.recording(), false);
    for (size_t t = 20; t < tokens.size(); ++t) m->step(tokens[t], b, pieces.recording());
    for (const char* name : {trace::kMambaDelta, trace::kMambaX, trace::kMambaC}) {
      const Tensor x = one.get(name, 0), y = pieces.get(name, 0);
      QCOMPARE(x.shape(), y.shape());
      QVERIFY2(test::rel_l2(y, x) < 1e-6, name);
    }
    QVERIFY(pieces.get("no.such.trace", 0).empty());
  }

  // Long inputs run as forwards of chunk_tokens() tokens each (Model::forward): the same logits, final
  // state and traces as one forward.
  void chunked_forward_equals_one_forward() {
    auto be = make_cpu_backend();
    auto m = Model::load(test::make_tiny_mamba({}, test::temp_dir("tr")), *be);
    const auto tokens = some_bytes(100, 7);
    TraceRequest req;
    req.state_stride = 8;
    TraceStore one(req), chunked(req);
    ModelState a = m->initial_state(), b = m->initial_state();
    const Tensor la = m->forward(tokens, a, one.recording());
    m->set_chunk_tokens(32);  // chunks of 32, 32, 32, 4
    const Tensor lb = m->forward(tokens, b, chunked.recording());
    QCOMPARE(lb.shape(), la.shape());
    QVERIFY(test::rel_l2(lb, la) < 1e-6);
    QCOMPARE(b.position, int64_t(100));
    QVERIFY(test::rel_l2(b.layers[1].ssm_state, a.layers[1].ssm_state) < 1e-6);
    QCOMPARE(one.keys(), chunked.keys());
    for (const auto& [name, layer] : one.keys()) {
      QCOMPARE(chunked.get(name, layer).shape(), one.get(name, layer).shape());
      QVERIFY2(test::rel_l2(chunked.get(name, layer), one.get(name, layer)) < 1e-6, name.c_str());
    }
    QCOMPARE(chunked.state_positions(trace::kMambaStridedStates, 0), one.state_positions(trace::kMambaStridedStates, 0));
  }

  void memory_traces_show_fixed_state() {
    auto be = make_cpu_backend();
    auto m = Model::load(test::make_tiny_mamba({}, test::temp_dir("tr")), *be);
    TraceStore store;
    ModelState s = m->initial_state();
    m->forward(some_bytes(12, 6), s, store.recording(), false);
    const Tensor st = store.get(trace::kStateBytes, -1), kv = store.get(trace::kKvBytes, -1);
    QCOMPARE(st.numel(), int64_t(12));
    QCOMPARE(st.at(0), st.at(11));
    QCOMPARE(double(st.at(0)), double(m->state_bytes()));
    QCOMPARE(double(st.at(0)), 2.0 * 32 * (4 + 3) * 4);  // 2 layers x Di x (N + K-1) floats
    QCOMPARE(kv.at(11), 0.0f);                            // no attention: no cache
  }
};

QTEST_GUILESS_MAIN(TestTrace)
#include "tst_trace.moc"
