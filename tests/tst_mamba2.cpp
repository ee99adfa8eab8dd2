// Mamba-2 internals: the chunked SSD equals the recurrent step (any length, any chunk size, from any
// state, checkpoints included); the mixer's traces, state size and Δ limits; and, on transformers'
// fixtures, every layer's output and a run split across forward and step calls.
#include <QtTest>

#include <cmath>
#include <filesystem>
#include <random>

#include "backend.h"
#include "model.h"
#include "random_model_folder.h"
#include "test_support.h"
#include "trace_store.h"

namespace fs = std::filesystem;
using namespace ss;

namespace {

// Random SSD operands with the ranges a trained model produces: Δ log-uniform in [1e-3, dt_max],
// A = -(1..16), a nonzero state entering the call.
struct SsdInputs {
  Tensor x, delta, A, B, C, D, state;  // [T, H, P], [T, H], [H], [T, G, N], [T, G, N], [H], [H, P, N]
};

SsdInputs random_ssd(int64_t T, int64_t H, int64_t P, int64_t G, int64_t N, float dt_max, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> n01(0.0f, 1.0f);
  std::uniform_real_distribution<float> u01(0.0f, 1.0f);
  auto normal = [&](Shape s, float mean = 0.0f, float scale = 1.0f) {
    Tensor t = Tensor::zeros(s);
    for (int64_t i = 0; i < t.numel(); ++i) t.at(i) = mean + scale * n01(rng);
    return t;
  };
  SsdInputs in;
  in.x = normal({T, H, P});
  in.B = normal({T, G, N});
  in.C = normal({T, G, N});
  in.D = normal({H}, 1.0f, 0.3f);
  in.state = normal({H, P, N});
  in.delta = Tensor::zeros({T, H});
  for (int64_t i = 0; i < in.delta.numel(); ++i) in.delta.at(i) = std::exp(std::log(1e-3f) + u01(rng) * (std::log(dt_max) - std::log(1e-3f)));
  in.A = Tensor::zeros({H});
  for (int64_t h = 0; h < H; ++h) in.A.at(h) = -(1.0f + 15.0f * u01(rng));
  return in;
}

struct SsdResult {
  Tensor y, state, checkpoints;
};

SsdResult run_chunked(Backend& be, const SsdInputs& in, int chunk, int64_t pos0, int64_t every) {
  SsdResult r;
  r.state = be.clone(in.state);
  SsdArgs a;
  a.x = &in.x; a.delta = &in.delta; a.A = &in.A; a.B = &in.B; a.C = &in.C; a.D = &in.D;
  a.chunk_size = chunk;
  a.state = &r.state;
  a.pos0 = pos0;
  a.state_stride = every;
  a.states = &r.checkpoints;
  r.y = be.ssd_chunked(a);
  return r;
}

// The recurrent form token by token; `states` gets the state after every token [T, H, P, N].
SsdResult run_steps(Backend& be, const SsdInputs& in, int64_t pos0, int64_t every, Tensor* states) {
  const int64_t T = in.x.size(0), H = in.x.size(1), P = in.x.size(2), G = in.B.size(1), N = in.B.size(2);
  SsdResult r;
  r.state = be.clone(in.state);
  r.y = Tensor::zeros({T, H, P});
  *states = Tensor::zeros({T, H, P, N});
  std::vector<float> cks;
  for (int64_t t = 0; t < T; ++t) {
    Tensor x = Tensor::from({1, H, P}, {in.x.data() + t * H * P, in.x.data() + (t + 1) * H * P});
    Tensor dt = Tensor::from({1, H}, {in.delta.data() + t * H, in.delta.data() + (t + 1) * H});
    Tensor B = Tensor::from({1, G, N}, {in.B.data() + t * G * N, in.B.data() + (t + 1) * G * N});
    Tensor C = Tensor::from({1, G, N}, {in.C.data() + t * G * N, in.C.data() + (t + 1) * G * N});
    Tensor ck;
    SsdArgs a;
    a.x = &x; a.delta = &dt; a.A = &in.A; a.B = &B; a.C = &C; a.D = &in.D;
    a.state = &r.state;
    a.pos0 = pos0 + t;
    a.state_stride = every;
    a.states = &ck;
    const Tensor y = be.ssd_step(a);
    std::copy(y.data(), y.data() + H * P, r.y.data() + t * H * P);
    std::copy(r.state.data(), r.state.data() + H * P * N, states->data() + t * H * P * N);
    cks.insert(cks.end(), ck.data(), ck.data() + ck.numel());
  }
  r.checkpoints = Tensor::from({int64_t(cks.size()) / (H * P * N), H, P, N}, cks);
  return r;
}

// max |a - b| / max |b|: a relative error no single element can hide in.
double rel_max(const Tensor& a, const Tensor& b) {
  if (a.numel() != b.numel()) return INFINITY;
  double num = 0, den = 0;
  for (int64_t i = 0; i < a.numel(); ++i) {
    num = std::max(num, std::abs(double(a.data()[i]) - b.data()[i]));
    den = std::max(den, std::abs(double(b.data()[i])));
  }
  return num / std::max(den, 1e-300);
}

nlohmann::json small_mamba2_config(int n_groups, int chunk) {
  return {{"architectures", {"Mamba2ForCausalLM"}}, {"vocab_size", 256}, {"hidden_size", 32}, {"num_hidden_layers", 2},
          {"num_heads", 4}, {"head_dim", 16}, {"expand", 2}, {"n_groups", n_groups}, {"state_size", 8}, {"conv_kernel", 4},
          {"chunk_size", chunk}, {"tie_word_embeddings", false}, {"layer_norm_epsilon", 1e-5}};
}

std::vector<int32_t> some_bytes(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<int32_t> t(n);
  for (auto& v : t) v = static_cast<int32_t>(rng() & 0xff);
  return t;
}

}  // namespace

class TestMamba2 : public QObject {
  Q_OBJECT
 private slots:
  void chunked_equals_step_data() {
    QTest::addColumn<int>("T");
    QTest::addColumn<int>("chunk");
    QTest::addColumn<int>("groups");
    QTest::addColumn<float>("dt_max");
    QTest::newRow("T=1") << 1 << 16 << 1 << 1.0f;
    QTest::newRow("T=chunk-1") << 15 << 16 << 2 << 1.0f;
    QTest::newRow("T=chunk") << 16 << 16 << 1 << 1.0f;
    QTest::newRow("T=chunk+1") << 17 << 16 << 2 << 1.0f;
    QTest::newRow("T=3.5 chunks") << 56 << 16 << 4 << 1.0f;
    QTest::newRow("T=3.5 chunks, chunk 64, strong decay") << 224 << 64 << 2 << 4.0f;
  }
  void chunked_equals_step() {
    QFETCH(int, T);
    QFETCH(int, chunk);
    QFETCH(int, groups);
    QFETCH(float, dt_max);
    auto be = make_cpu_backend();
    const int64_t H = 4, P = 8, N = 16, pos0 = 5, every = 6;  // checkpoints after positions 5, 11, 17, ...
    const SsdInputs in = random_ssd(T, H, P, groups, N, dt_max, 11 + T);
    Tensor states;
    const SsdResult step = run_steps(*be, in, pos0, every, &states);
    const SsdResult par = run_chunked(*be, in, chunk, pos0, every);
    QCOMPARE(par.y.shape(), (Shape{T, H, P}));
    const double ey = test::rel_l2(par.y, step.y), es = test::rel_l2(par.state, step.state);
    qInfo("T=%d: y rel L2 %.2g (max %.2g), state rel L2 %.2g", T, ey, rel_max(par.y, step.y), es);
    QVERIFY2(ey < 1e-5 && rel_max(par.y, step.y) < 1e-5, qPrintable(QString("y: %1").arg(ey)));
    QVERIFY2(es < 1e-5 && rel_max(par.state, step.state) < 1e-5, qPrintable(QString("state: %1").arg(es)));
    QVERIFY(test::rel_l2(par.state, in.state) > 1e-3);  // the state did move
    // Checkpoints: the same positions as the step form's, and the states there.
    QCOMPARE(par.checkpoints.shape(), step.checkpoints.shape());
    QCOMPARE(par.checkpoints.size(0), int64_t((pos0 + T) / every - pos0 / every));  // multiples of E in (pos0, pos0 + T]
    const int64_t S = H * P * N;
    for (int64_t k = 0, t = 0; t < T; ++t) {
      if ((pos0 + t + 1) % every) continue;
      const Tensor ck = Tensor::from({H, P, N}, {par.checkpoints.data() + k * S, par.checkpoints.data() + (k + 1) * S});
      const Tensor ref = Tensor::from({H, P, N}, {states.data() + t * S, states.data() + (t + 1) * S});
      QVERIFY2(rel_max(ck, ref) < 1e-5, qPrintable(QString("checkpoint after token %1: %2").arg(t).arg(rel_max(ck, ref))));
      ++k;
    }
  }

  // The state after every token (what the explorer's windows record): the recurrence from the state
  // entering each chunk, as the step form steps it (O(P N) a token, not the closed form's O(i P N));
  // recording it changes neither y nor the state leaving the call, bit for bit.
  void states_after_every_token() {
    auto be = make_cpu_backend();
    const int64_t T = 150, H = 4, P = 8, N = 16, S = H * P * N;
    const SsdInputs in = random_ssd(T, H, P, 2, N, 2.0f, 3);
    Tensor steps;
    run_steps(*be, in, 0, 0, &steps);
    const SsdResult par = run_chunked(*be, in, 64, 0, 1), plain = run_chunked(*be, in, 64, 0, 0);
    QCOMPARE(rel_max(par.y, plain.y), 0.0);
    QCOMPARE(rel_max(par.state, plain.state), 0.0);
    QCOMPARE(par.checkpoints.shape(), (Shape{T, H, P, N}));
    double worst = 0;
    for (int64_t t = 0; t < T; ++t) {
      const Tensor ck = Tensor::from({H, P, N}, {par.checkpoints.data() + t * S, par.checkpoints.data() + (t + 1) * S});
      const Tensor ref = Tensor::from({H, P, N}, {steps.data() + t * S, steps.data() + (t + 1) * S});
      worst = std::max(worst, rel_max(ck, ref));
      if (t < 64) QCOMPARE(rel_max(ck, ref), 0.0);  // the first chunk starts from the same state: the step form's numbers
    }
    qInfo("states after every token vs the step form: largest relative difference %.2g", worst);
    QVERIFY(worst < 1e-5);
    // The last token's recorded state is the state the call leaves.
    const Tensor last = Tensor::from({H, P, N}, {par.checkpoints.data() + (T - 1) * S, par.checkpoints.data() + T * S});
    QVERIFY(rel_max(last, par.state) < 1e-5);
  }

  void chunk_size_does_not_change_the_result() {
    auto be = make_cpu_backend();
    const SsdInputs in = random_ssd(100, 4, 8, 2, 16, 1.0f, 5);
    const SsdResult ref = run_chunked(*be, in, 1, 0, 0);  // chunk 1: the recurrence itself
    for (int chunk : {3, 16, 64, 100, 1000}) {
      const SsdResult r = run_chunked(*be, in, chunk, 0, 0);
      QVERIFY2(rel_max(r.y, ref.y) < 1e-5, qPrintable(QString("chunk %1: %2").arg(chunk).arg(rel_max(r.y, ref.y))));
      QVERIFY2(rel_max(r.state, ref.state) < 1e-5, qPrintable(QString("chunk %1 state").arg(chunk)));
    }
  }

  void huge_decay_stays_finite() {
    // Δ A down to about -1e4 inside one chunk: exp underflows to 0, never inf or NaN.
    auto be = make_cpu_backend();
    SsdInputs in = random_ssd(64, 2, 4, 1, 8, 600.0f, 9);
    const SsdResult r = run_chunked(*be, in, 64, 0, 0);
    QVERIFY(r.y.flat().allFinite());
    QVERIFY(r.state.flat().allFinite());
    Tensor states;
    const SsdResult s = run_steps(*be, in, 0, 0, &states);
    QVERIFY2(rel_max(r.y, s.y) < 1e-5, qPrintable(QString::number(rel_max(r.y, s.y))));
  }

  void mixer_traces_and_state_size() {
    auto be = make_cpu_backend();
    const std::string dir = testkit::write_random_model_folder(small_mamba2_config(2, 16), test::temp_dir("m2"), 3);
    auto m = Model::load(dir, *be);
    const int64_t H = 4, P = 16, G = 2, N = 8, K = 4, Cd = 64 + 2 * G * N;
    QCOMPARE(m->mixer(0).state_bytes(), int64_t(4) * (H * P * N + Cd * (K - 1)));
    QCOMPARE(m->mixer(0).ssm_A().shape(), (Shape{H}));
    QVERIFY(m->mixer(0).ssm_A().flat().maxCoeff() < 0.0f);
    TraceRequest req;
    req.state_stride = 10;
    TraceStore store(req);
    ModelState s = m->initial_state(), plain = m->initial_state();
    const int64_t T = 37;
    const Tensor traced_logits = m->forward(some_bytes(T, 1), s, store.recording());
    QCOMPARE(test::rel_l2(traced_logits, m->forward(some_bytes(T, 1), plain)), 0.0);  // tracing changes nothing
    QCOMPARE(store.get(trace::kMamba2X, 1).shape(), (Shape{T, H, P}));
    QCOMPARE(store.get(trace::kMamba2B, 1).shape(), (Shape{T, G, N}));
    QCOMPARE(store.get(trace::kMamba2C, 1).shape(), (Shape{T, G, N}));
    QCOMPARE(store.get(trace::kMamba2Y, 1).shape(), (Shape{T, H, P}));
    QCOMPARE(store.get(trace::kMamba2StridedStates, 1).shape(), (Shape{3, H, P, N}));
    QCOMPARE(store.state_positions(trace::kMamba2StridedStates, 1), (std::vector<int64_t>{9, 19, 29}));
    QCOMPARE(test::rel_l2(store.get(trace::kMamba2State, 1), s.layers[1].ssm_state), 0.0);
    const Tensor delta = store.get(trace::kMamba2Delta, 1), decay = store.get(trace::kMamba2Decay, 1);
    QCOMPARE(delta.shape(), (Shape{T, H}));
    QCOMPARE(decay.shape(), (Shape{T, H}));
    QVERIFY(delta.flat().minCoeff() > 0.0f);
    const Tensor A = m->mixer(1).ssm_A();
    for (int64_t i = 0; i < delta.numel(); ++i) QCOMPARE(decay.at(i), std::exp(delta.at(i) * A.at(i % H)));
    QVERIFY(decay.flat().maxCoeff() < 1.0f);
  }

  void forward_and_steps_in_pieces_equal_one_forward() {
    auto be = make_cpu_backend();
    const std::string dir = testkit::write_random_model_folder(small_mamba2_config(1, 8), test::temp_dir("m2"), 4);
    auto m = Model::load(dir, *be);
    const auto tokens = some_bytes(70, 2);
    TraceRequest req;
    req.state_stride = 8;
    TraceStore one(req), pieces(req);
    ModelState a = m->initial_state(), b = m->initial_state();
    const Tensor full = m->forward(tokens, a, one.recording());
    // 29 tokens (3.6 chunks) in parallel form, 3 steps, then the rest in parallel form.
    std::vector<float> logits;
    auto keep = [&](const Tensor& l) { logits.insert(logits.end(), l.data(), l.data() + l.numel()); };
    keep(m->forward({tokens.begin(), tokens.begin() + 29}, b, pieces.recording()));
    for (int t = 29; t < 32; ++t) keep(m->step(tokens[t], b, pieces.recording()));
    keep(m->forward({tokens.begin() + 32, tokens.end()}, b, pieces.recording()));
    QVERIFY(test::rel_l2(Tensor::from(full.shape(), logits), full) < 1e-5);
    for (const char* name : {trace::kMamba2Y, trace::kMamba2Delta, trace::kMamba2X, trace::kMamba2StridedStates}) {
      const Tensor x = pieces.get(name, 1), y = one.get(name, 1);
      QCOMPARE(x.shape(), y.shape());
      QVERIFY2(rel_max(x, y) < 1e-5, name);
    }
    QCOMPARE(pieces.state_positions(trace::kMamba2StridedStates, 0), one.state_positions(trace::kMamba2StridedStates, 0));
    for (int l = 0; l < 2; ++l) {
      QVERIFY(rel_max(b.layers[l].ssm_state, a.layers[l].ssm_state) < 1e-5);
      QVERIFY(rel_max(b.layers[l].conv_state, a.layers[l].conv_state) < 1e-5);
    }
  }

  void time_step_limit_clamps_delta_in_both_forms() {
    auto be = make_cpu_backend();
    nlohmann::json cfg = small_mamba2_config(1, 16);
    cfg["time_step_limit"] = {0.01, 0.05};
    auto m = Model::load(testkit::write_random_model_folder(cfg, test::temp_dir("m2"), 5), *be);
    const auto tokens = some_bytes(40, 3);
    TraceStore par_store, step_store;
    ModelState a = m->initial_state(), b = m->initial_state();
    const Tensor full = m->forward(tokens, a, par_store.recording());
    std::vector<float> logits;
    for (int32_t t : tokens) {
      const Tensor l = m->step(t, b, step_store.recording());
      logits.insert(logits.end(), l.data(), l.data() + l.numel());
    }
    QVERIFY(test::rel_l2(Tensor::from(full.shape(), logits), full) < 1e-5);
    for (TraceStore* st : {&par_store, &step_store}) {
      const Tensor d = st->get(trace::kMamba2Delta, 0);
      QCOMPARE(d.flat().minCoeff(), 0.01f);  // random weights put Δ on both sides of the limits
      QCOMPARE(d.flat().maxCoeff(), 0.05f);
    }
  }

  void fixtures_layer_by_layer_data() {
    QTest::addColumn<QString>("name");
    int n = 0;
    for (const auto& f : test::fixture_names()) {
      if (f.rfind("mamba2_", 0) != 0) continue;
      QTest::newRow(f.c_str()) << QString::fromStdString(f);
      ++n;
    }
    if (n == 0) QTest::newRow("no mamba2 fixtures") << QString();
  }
  void fixtures_layer_by_layer() {
    QFETCH(QString, name);
    if (name.isEmpty()) QSKIP("no mamba2_* fixtures under tests/fixtures");
    const std::string dir = test::fixtures_dir() + "/" + name.toStdString();
    auto be = make_cpu_backend();
    auto m = Model::load(dir, *be);
    const auto tokens = test::read_input(dir + "/reference/input.bin");
    const int64_t T = int64_t(tokens.size()), D = m->config().d_model;
    // Split the run at awkward places: 13 tokens (not a chunk multiple), one step, then the rest.
    TraceRequest req;
    req.names = {trace::kResidualNorm};
    TraceStore store(req);
    ModelState s = m->initial_state();
    std::vector<float> logits;
    auto keep = [&](const Tensor& l) { logits.insert(logits.end(), l.data(), l.data() + l.numel()); };
    keep(m->forward({tokens.begin(), tokens.begin() + 13}, s, store.recording()));
    keep(m->step(tokens[13], s, store.recording()));
    keep(m->forward({tokens.begin() + 14, tokens.end()}, s, store.recording()));
    const NpyArray ref = read_npy(dir + "/reference/logits.npy");
    const Tensor ours = Tensor::from({T, int64_t(ref.shape[1])}, logits);
    const double err = test::rel_l2(ours, ref);
    qInfo("%s: logits rel L2 %.3g (run split 13 + 1 step + %lld)", qPrintable(name), err, (long long)(T - 14));
    QVERIFY2(err < 1e-4, qPrintable(QString::number(err)));
    QCOMPARE(test::argmax_mismatches(ours, ref), int64_t(0));
    // Every layer's output (residual stream), through its per-token norm.
    const NpyArray outs = read_npy(dir + "/reference/layer_outputs.npy");  // [L, T, D]
    for (int l = 0; l < m->config().n_layers; ++l) {
      const Tensor norms = store.get(trace::kResidualNorm, l);  // [T]
      QCOMPARE(norms.numel(), T);
      double worst = 0;
      for (int64_t t = 0; t < T; ++t) {
        double sq = 0;
        for (int64_t d = 0; d < D; ++d) sq += std::pow(outs.values[(l * T + t) * D + d], 2);
        worst = std::max(worst, std::abs(norms.at(t) - std::sqrt(sq)) / std::sqrt(sq));
      }
      QVERIFY2(worst < 1e-5, qPrintable(QString("layer %1: residual norm rel err %2").arg(l).arg(worst)));
      const NpyArray st = read_npy(dir + "/reference/ssm_state_L" + std::to_string(l) + ".npy");  // [H, P, N]
      QCOMPARE(s.layers[l].ssm_state.shape(), st.shape);
      QVERIFY2(test::rel_l2(s.layers[l].ssm_state, st) < 1e-4, qPrintable(QString("layer %1 ssm state").arg(l)));
    }
  }
};

QTEST_GUILESS_MAIN(TestMamba2)
#include "tst_mamba2.moc"
