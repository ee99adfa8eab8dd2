// Exploration: incremental updates give the values of a full recompute; queries from snapshots give
// the values of a straight run; the window matrix reproduces the layer's output; memory formulas.
#include <QtTest>

#include <QTemporaryDir>

#include <cmath>
#include <cstring>
#include <filesystem>

#include "error.h"
#include "exploration.h"
#include "published_memory.h"
#include "random_model_folder.h"
#include "test_support.h"
#include "trace_store.h"
#include "window_matrix.h"

using namespace ss;

namespace {

std::vector<uint8_t> text_bytes(int n, uint32_t seed = 7) {
  const std::string base = "State space models remember by compressing; attention keeps everything. 状态空间 ";
  std::vector<uint8_t> b;
  for (int i = 0; i < n; ++i) b.push_back(static_cast<uint8_t>(base[(i * 7 + seed) % base.size()]));
  return b;
}

std::string fixture(const std::string& name) { return test::fixtures_dir() + "/" + name; }

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return INFINITY;
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::isnan(a[i]) && std::isnan(b[i])) continue;
    m = std::max(m, std::abs(double(a[i]) - b[i]));
  }
  return m;
}

double state_diff(const ModelState& a, const ModelState& b) {
  double m = 0;
  for (size_t l = 0; l < a.layers.size(); ++l) {
    if (!a.layers[l].ssm_state.empty()) m = std::max(m, test::rel_l2(a.layers[l].ssm_state, b.layers[l].ssm_state));
    if (a.layers[l].kv.length != b.layers[l].kv.length) return INFINITY;
    const int64_t n = a.layers[l].kv.length;
    if (n == 0) continue;
    for (Tensor KvCache::*which : {&KvCache::k, &KvCache::v}) {  // the first n positions of every KV head
      const Tensor& x = a.layers[l].kv.*which;
      const Tensor& y = b.layers[l].kv.*which;
      const int64_t H = x.size(0), hd = x.size(2);
      double num = 0, den = 0;
      for (int64_t h = 0; h < H; ++h)
        for (int64_t i = 0; i < n * hd; ++i) {
          const double u = x.data()[h * x.size(1) * hd + i], v = y.data()[h * y.size(1) * hd + i];
          num += (u - v) * (u - v);
          den += v * v;
        }
      m = std::max(m, std::sqrt(num / std::max(den, 1e-30)));
    }
  }
  return m;
}

}  // namespace

class TestExploration : public QObject {
  Q_OBJECT
 private slots:
  void append_equals_full_recompute_data() {
    QTest::addColumn<QString>("model");
    QTest::addColumn<int>("prefix");
    QTest::addColumn<int>("added");
    QTest::newRow("mamba1 step append") << "mamba1_tied_f32" << 40 << 3;
    QTest::newRow("mamba1 chunked append") << "mamba1_tied_f32" << 40 << 90;
    QTest::newRow("mamba1 bf16 across snapshot") << "mamba1_untied_bf16" << 30 << 5;
  }
  void append_equals_full_recompute() {
    QFETCH(QString, model);
    QFETCH(int, prefix);
    QFETCH(int, added);
    const auto all = text_bytes(prefix + added);
    auto inc = Exploration::open(fixture(model.toStdString()), make_cpu_backend(), 32);
    inc->set_bytes(std::vector<uint8_t>(all.begin(), all.begin() + prefix));
    const UpdateStats st = inc->append(std::vector<uint8_t>(all.begin() + prefix, all.end()));
    QCOMPARE(st.from, int64_t(prefix));
    QCOMPARE(st.tokens, int64_t(added));
    QCOMPARE(st.recurrent, added <= Exploration::kStepAppendLimit);
    auto full = Exploration::open(fixture(model.toStdString()), make_cpu_backend(), 32);
    full->set_bytes(all);
    QCOMPARE(inc->computed(), full->computed());
    QVERIFY2(max_abs_diff(inc->surprisals(), full->surprisals()) < 1e-3, "surprisals differ");
    QVERIFY(max_abs_diff(inc->mean_delta(0), full->mean_delta(0)) < 1e-4);
    const int64_t T = full->computed();
    for (int64_t t : {int64_t(5), int64_t(prefix - 1), T - 1}) {
      QVERIFY2(state_diff(inc->state_at(t), full->state_at(t)) < 1e-4, qPrintable(QString("state at %1").arg(t)));
      QVERIFY(max_abs_diff(inc->next_byte_probs(t), full->next_byte_probs(t)) < 1e-4);
    }
  }

  void append_gives_the_numbers_of_set_bytes_data() {
    QTest::addColumn<QString>("model");   // a fixture, or "tokenizer": a random Mamba-2 with a tokenizer.json
    QTest::addColumn<bool>("average");    // Δ → average
    QTest::newRow("mamba1") << "mamba1_tied_f32" << false;
    QTest::newRow("mamba2") << "mamba2_g1_f32" << false;
    QTest::newRow("jamba (KV caches)") << "jamba_a" << false;
    QTest::newRow("mamba1, delta average") << "mamba1_tied_f32" << true;
    QTest::newRow("tokenizer model") << "tokenizer" << false;
  }
  void append_gives_the_numbers_of_set_bytes() {
    // Issue 13: append() used to be set_bytes(bytes() + more), copying and comparing the whole text
    // per byte; a byte model now grows its text in place. The numbers must not change: one
    // exploration appends (one byte at a time, then pieces that cross kStepAppendLimit and snapshot
    // positions), the other is given the whole text so far with set_bytes after each piece, the old
    // path; every result is compared exactly (==, not within a tolerance), and the appended one is
    // also checked against a fresh run of the final text within rounding.
    QFETCH(QString, model);
    QFETCH(bool, average);
    QTemporaryDir tmp;
    std::string dir = fixture(model.toStdString());
    if (model == "tokenizer") {
      dir = tmp.path().toStdString() + "/model";
      nlohmann::json cfg = testkit::bench_config("mamba2");
      cfg["vocab_size"] = 2048;
      cfg["num_hidden_layers"] = 2;
      testkit::write_random_model_folder(cfg, dir, 7);
      std::filesystem::copy_file(test::fixtures_dir() + "/tokenizers/sp_metaspace_2k/tokenizer.json", dir + "/tokenizer.json");
    }
    const auto all = text_bytes(300);
    auto app = Exploration::open(dir, make_cpu_backend(), 32);
    auto set = Exploration::open(dir, make_cpu_backend(), 32);
    app->set_delta_average(average);
    set->set_delta_average(average);
    std::vector<int> pieces(40, 1);  // bytes per append
    for (int n : {3, 16, 17, 40, 5, 90, 1, 1}) pieces.push_back(n);
    size_t at = 0;
    for (int n : pieces) {
      const std::vector<uint8_t> more(all.begin() + at, all.begin() + at + n);
      at += n;
      const UpdateStats a = app->append(more);
      const UpdateStats b = set->set_bytes(std::vector<uint8_t>(all.begin(), all.begin() + at));
      QCOMPARE(a.from, b.from);
      QCOMPARE(a.tokens, b.tokens);
      QCOMPARE(a.recurrent, b.recurrent);
    }
    QCOMPARE(app->bytes(), std::vector<uint8_t>(all.begin(), all.begin() + at));
    QCOMPARE(app->ids(), set->ids());
    QCOMPARE(app->computed(), set->computed());
    QCOMPARE(app->snapshot_positions(), set->snapshot_positions());
    const auto same = [](const std::vector<float>& x, const std::vector<float>& y) {
      return x.size() == y.size() && std::memcmp(x.data(), y.data(), x.size() * sizeof(float)) == 0;  // NaN at 0 too
    };
    QVERIFY(same(app->surprisals(), set->surprisals()));
    for (int l = 0; l < app->config().n_layers; ++l) QVERIFY2(same(app->mean_delta(l), set->mean_delta(l)), qPrintable(QString("layer %1").arg(l)));
    const int64_t T = app->computed();
    for (int64_t t : {int64_t(0), int64_t(31), int64_t(33), T / 2, T - 2, T - 1}) {
      QVERIFY2(same(app->next_byte_probs(t), set->next_byte_probs(t)), qPrintable(QString("prediction at %1").arg(t)));
      const ModelState x = app->state_at(t), y = set->state_at(t);
      QCOMPARE(state_diff(x, y), 0.0);
    }
    // And within rounding of a fresh run of the whole text (forward in chunks, no steps).
    auto fresh = Exploration::open(dir, make_cpu_backend(), 32);
    fresh->set_delta_average(average);
    fresh->set_bytes(app->bytes());
    QCOMPARE(fresh->computed(), T);
    QVERIFY2(max_abs_diff(app->surprisals(), fresh->surprisals()) < 1e-3, "surprisals differ from a fresh run");
    QVERIFY(state_diff(app->state_at(T - 1), fresh->state_at(T - 1)) < 1e-4);
  }

  void edit_in_middle_recomputes_from_snapshot() {
    auto all = text_bytes(200);
    auto e = Exploration::open(fixture("mamba1_tied_f32"), make_cpu_backend(), 32);
    e->set_bytes(all);
    all[101] = 'X';
    const UpdateStats st = e->set_bytes(all);
    QCOMPARE(st.from, int64_t(96));  // the snapshot at or before byte 101
    QCOMPARE(st.tokens, int64_t(200 - 96));
    auto full = Exploration::open(fixture("mamba1_tied_f32"), make_cpu_backend(), 32);
    full->set_bytes(all);
    QVERIFY(max_abs_diff(e->surprisals(), full->surprisals()) < 1e-3);
    QVERIFY(state_diff(e->state_at(150), full->state_at(150)) < 1e-4);
    QVERIFY(state_diff(e->state_at(199), full->state_at(199)) < 1e-4);
    // Deleting bytes (shorter text) rewinds too.
    all.resize(120);
    e->set_bytes(all);
    full->set_bytes(all);
    QCOMPARE(e->computed(), int64_t(120));
    QVERIFY(state_diff(e->state_at(119), full->state_at(119)) < 1e-4);
  }

  void every_family_data() {
    QTest::addColumn<QString>("model");
    for (const char* m : {"mamba2_g1_f32", "mamba2_g2_f16", "llama_mha_f32", "llama_gqa_sharded", "jamba_a", "jamba_b"}) QTest::newRow(m) << m;
  }
  void every_family() {
    QFETCH(QString, model);
    auto all = text_bytes(150);
    auto e = Exploration::open(fixture(model.toStdString()), make_cpu_backend(), 32);
    e->set_bytes(std::vector<uint8_t>(all.begin(), all.begin() + 100));
    e->append(std::vector<uint8_t>(all.begin() + 100, all.begin() + 103));  // recurrent steps
    e->set_bytes(all);                                                      // a chunked append
    all[70] = 'Z';
    const UpdateStats st = e->set_bytes(all);                               // an edit in the middle
    QCOMPARE(st.from, int64_t(64));
    auto full = Exploration::open(fixture(model.toStdString()), make_cpu_backend(), 32);
    full->set_bytes(all);
    QVERIFY2(max_abs_diff(e->surprisals(), full->surprisals()) < 2e-3, "surprisals differ");
    for (int64_t t : {int64_t(10), int64_t(80), int64_t(149)}) {
      QVERIFY2(state_diff(e->state_at(t), full->state_at(t)) < 1e-4, qPrintable(QString("state at %1").arg(t)));
      QVERIFY(max_abs_diff(e->next_byte_probs(t), full->next_byte_probs(t)) < 1e-4);
    }
    // Every layer's window: an SSM layer's matrix, an attention layer's probabilities (rows sum to 1).
    const ModelConfig& c = e->config();
    for (int l = 0; l < c.n_layers; ++l) {
      const bool attn = c.mixers[l] == MixerKind::Attention;
      const LayerWindow w = e->trace_window(l, 90, 130, attn ? kWindowAttention : kWindowGate | kWindowStates);
      const MatrixD M = window_matrix(w, e->ssm_A(l), 0);
      QCOMPARE(M.rows(), 40);
      QCOMPARE(M(3, 20), 0.0);
      if (attn) QVERIFY(M.row(30).sum() <= 1.0 + 1e-5 && M.row(30).sum() > 0);
      if (!attn) {
        const int N = c.mixers[l] == MixerKind::Mamba ? c.mamba.d_state : c.mamba2.d_state;
        QVERIFY(numerical_rank(M.block(20, 0, 20, 20), 1e-7) <= N);
        // The last per-token state of the window is state_at(129).
        const Tensor h = e->state_at(129).layers[l].ssm_state;
        Tensor last = Tensor::from(h.shape(), std::vector<float>(w.states.data() + w.states.numel() - h.numel(), w.states.data() + w.states.numel()));
        QVERIFY(test::rel_l2(last, h) < 1e-5);
      }
    }
    QCOMPARE(e->live_kv_bytes(), e->kv_bytes_at(149));
  }

  // next_byte_probs(t0, t1) answers a range of tokens with one rerun per snapshot interval (the
  // session keeps a click's neighbours from it); every row must be next_byte_probs(t) of its token:
  // the rows from kept logits exactly, the rerun rows from the same snapshot (a longer rerun may
  // round differently in the last bits of a float: at most 1e-6 seen, 2e-6 allowed, on probabilities).
  void next_byte_probs_of_a_range_data() {
    QTest::addColumn<QString>("model");
    for (const char* m : {"mamba1_tied_f32", "mamba2_g1_f32", "llama_mha_f32", "jamba_a"}) QTest::newRow(m) << m;
  }
  void next_byte_probs_of_a_range() {
    QFETCH(QString, model);
    const auto all = text_bytes(150);
    auto e = Exploration::open(fixture(model.toStdString()), make_cpu_backend(), 32);
    e->set_bytes(all);
    const int64_t V = e->config().vocab_size;
    double worst = 0;
    int64_t identical = 0, rows = 0;
    for (auto [t0, t1] : {std::pair<int64_t, int64_t>{0, 150}, {10, 80}, {31, 33}, {40, 41}, {100, 149}, {140, 150}}) {
      const int64_t before = e->query_tokens_run();
      const std::vector<float> range = e->next_byte_probs(t0, t1);
      QCOMPARE(int64_t(range.size()), (t1 - t0) * V);
      // Reruns: from the snapshot at or before each interval's first token, up to the interval's or the range's end.
      QVERIFY(e->query_tokens_run() - before <= (t1 - t0) + 32);
      for (int64_t t = t0; t < t1; ++t) {
        const std::vector<float> one = e->next_byte_probs(t);
        const std::vector<float> row(range.begin() + (t - t0) * V, range.begin() + (t - t0 + 1) * V);
        const double d = max_abs_diff(row, one);
        worst = std::max(worst, d);
        identical += d == 0;
        ++rows;
        if (t == e->computed() - 1 || (t + 1) % 32 == 0) QCOMPARE(d, 0.0);  // kept logits: the same row
        QVERIFY2(d < 2e-6, qPrintable(QString("token %1 of [%2, %3): %4").arg(t).arg(t0).arg(t1).arg(d)));
      }
    }
    qInfo("%s: %lld of %lld rows bit-identical, largest difference %.3g", qPrintable(model), (long long)identical, (long long)rows, worst);
    QVERIFY_THROWS_EXCEPTION(ss::Error, e->next_byte_probs(10, 151));
    QVERIFY_THROWS_EXCEPTION(ss::Error, e->next_byte_probs(20, 20));
  }

  void state_at_matches_straight_trace() {
    const auto all = text_bytes(100);
    auto e = Exploration::open(fixture("mamba1_tied_f32"), make_cpu_backend(), 16);
    e->set_bytes(all);
    // Straight run with a checkpoint after every token.
    auto be = make_cpu_backend();
    auto m = Model::load(fixture("mamba1_tied_f32"), *be);
    TraceRequest req;
    req.names = {trace::kMambaStridedStates};
    req.state_stride = 1;
    TraceStore store(req);
    ModelState st = m->initial_state();
    m->forward(std::vector<int32_t>(all.begin(), all.end()), st, store.recording(), false);
    const Tensor ck = store.get(trace::kMambaStridedStates, 1);  // [T, Di, N]
    const int64_t per = ck.numel() / ck.size(0);
    for (int64_t t : {0, 5, 15, 16, 57, 99}) {
      const Tensor h = e->state_at(t).layers[1].ssm_state;
      QCOMPARE(h.numel(), per);
      Tensor ref = Tensor::from(h.shape(), std::vector<float>(ck.data() + t * per, ck.data() + (t + 1) * per));
      QVERIFY2(test::rel_l2(h, ref) < 1e-5, qPrintable(QString("t=%1").arg(t)));
      // And the window trace's per-token states agree.
      const LayerWindow w = e->trace_window(1, std::max<int64_t>(0, t - 3), t + 1, kWindowStates);
      Tensor last = Tensor::from(h.shape(), std::vector<float>(w.states.data() + (w.states.size(0) - 1) * per, w.states.data() + w.states.numel()));
      QVERIFY(test::rel_l2(last, ref) < 1e-5);
    }
  }

  void one_layer_state_equals_the_full_state_data() {
    QTest::addColumn<QString>("model");
    for (const auto& name : test::fixture_names())
      if (name.find("jamba") != std::string::npos || name.find("llama") != std::string::npos || name.find("mamba2") != std::string::npos)
        QTest::newRow(name.c_str()) << QString::fromStdString(name);
  }
  void one_layer_state_equals_the_full_state() {
    // state_at(t, layer) runs only the layers up to `layer` (and reads an attention layer's cache
    // without compute); it must give that layer's part of state_at(t), positions included.
    QFETCH(QString, model);
    const auto all = text_bytes(150);
    auto e = Exploration::open(fixture(model.toStdString()), make_cpu_backend(), 32);
    e->set_bytes(all);
    const int L = e->config().n_layers;
    for (int64_t t : {0, 31, 32, 77, 149}) {
      const ModelState full = e->state_at(t);
      for (int l = 0; l < L; ++l) {
        const ModelState one = e->state_at(t, l);
        ModelState a, b;
        a.layers = {one.layers[l]};
        b.layers = {full.layers[l]};
        QCOMPARE(one.layers[l].kv.length, e->config().mixers[l] == MixerKind::Attention ? t + 1 : 0);
        QCOMPARE(one.layers[l].ssm_state.empty(), full.layers[l].ssm_state.empty());
        QVERIFY2(state_diff(a, b) < 1e-6, qPrintable(QString("t=%1 layer %2").arg(t).arg(l)));
        if (e->config().mixers[l] == MixerKind::Attention) {  // one head's keys, read from the live cache
          const KvCache& kv = one.layers[l].kv;  // k [Hkv, t + 1, hd]
          const int64_t Hkv = kv.k.size(0), hd = kv.k.size(2);
          for (int h = 0; h < Hkv; ++h) {
            const Tensor keys = e->cached_keys(t, l, h);
            QCOMPARE(keys.shape(), (Shape{t + 1, hd}));
            const Tensor ref = Tensor::from({t + 1, hd}, std::vector<float>(kv.k.data() + h * (t + 1) * hd, kv.k.data() + (h + 1) * (t + 1) * hd));
            QCOMPARE(test::rel_l2(keys, ref), 0.0);
          }
        }
        for (int o = 0; o < L; ++o)  // the other layers are not returned
          if (o != l) QVERIFY(one.layers[o].ssm_state.empty() && one.layers[o].kv.k.empty());
      }
    }
  }

  void typing_extends_the_watched_window_data() {
    QTest::addColumn<QString>("model");
    for (const auto& name : test::fixture_names()) QTest::newRow(name.c_str()) << QString::fromStdString(name);
  }
  void typing_extends_the_watched_window() {
    // The window at the end of the text is kept current by short appends (the steps trace it), so
    // the query after a keystroke reruns nothing and equals a fresh trace of the same window.
    QFETCH(QString, model);
    const auto all = text_bytes(140);
    for (int layer = 0; layer < 4; ++layer) {
      auto e = Exploration::open(fixture(model.toStdString()), make_cpu_backend(), 32);
      if (layer >= e->config().n_layers) break;
      const bool attn = e->config().mixers[layer] == MixerKind::Attention;
      const unsigned parts = attn ? kWindowAttention : (kWindowGate | kWindowStates);
      int64_t n = 100;
      e->set_bytes(std::vector<uint8_t>(all.begin(), all.begin() + n));
      const LayerWindow first = e->trace_window(layer, n - 64, n, parts, 1);  // the views look at the end
      e->prepare_for_typing();  // (what the session does when idle: room for the steps' rows and keys; nothing it answers changes)
      const LayerWindow again = e->trace_window(layer, n - 64, n, parts, 1);
      for (Tensor LayerWindow::*f : {&LayerWindow::x, &LayerWindow::delta, &LayerWindow::B, &LayerWindow::C, &LayerWindow::states, &LayerWindow::attn})
        QCOMPARE(test::rel_l2(again.*f, first.*f), 0.0);
      for (int add : {1, 3, 1, 16, 2}) {
        if (add == 16) e->prepare_for_typing();
        e->append(std::vector<uint8_t>(all.begin() + n, all.begin() + n + add));
        n += add;
        const int64_t before = e->query_tokens_run();
        const LayerWindow w = e->trace_window(layer, n - 64, n, parts, 1);
        QCOMPARE(e->query_tokens_run(), before);  // served from the kept window
        auto fresh = Exploration::open(fixture(model.toStdString()), make_cpu_backend(), 32);
        fresh->set_bytes(std::vector<uint8_t>(all.begin(), all.begin() + n));
        const LayerWindow ref = fresh->trace_window(layer, n - 64, n, parts, 1);
        QCOMPARE(fresh->query_tokens_run() > 0, true);
        for (Tensor LayerWindow::*f : {&LayerWindow::x, &LayerWindow::delta, &LayerWindow::B, &LayerWindow::C, &LayerWindow::states, &LayerWindow::attn}) {
          QCOMPARE((w.*f).shape(), (ref.*f).shape());
          if (!(ref.*f).empty())
            QVERIFY2(test::rel_l2(w.*f, ref.*f) < 1e-5, qPrintable(QString("layer %1 after %2 bytes").arg(layer).arg(n)));
        }
        // A window that starts earlier than the kept one is traced afresh, and agrees too.
        const LayerWindow longer = e->trace_window(layer, n - 100, n, parts, 1);
        QCOMPARE(longer.t0, n - 100);
      }
      // The same appends without prepare_for_typing: the same surprisals, bit for bit (the KV caches'
      // spare room changes no number).
      auto plain = Exploration::open(fixture(model.toStdString()), make_cpu_backend(), 32);
      plain->set_bytes(std::vector<uint8_t>(all.begin(), all.begin() + 100));
      for (int64_t m = 100; m < n; ++m) plain->append({all[m]});
      const std::vector<float>&a = plain->surprisals(), &b = e->surprisals();
      QCOMPARE(a.size(), b.size());
      for (size_t i = 0; i < a.size(); ++i)  // (position 0 has no prediction: NaN in both)
        QVERIFY2(a[i] == b[i] || (std::isnan(a[i]) && std::isnan(b[i])), qPrintable(QString("position %1: %2 vs %3").arg(i).arg(a[i]).arg(b[i])));
    }
  }

  void typing_past_the_kept_rows() {
    // More keystrokes than the kept window's spare rows (its buffers are replaced on the way), and
    // windows handed out earlier keep their values.
    const auto all = text_bytes(1300);
    auto e = Exploration::open(fixture("mamba2_g1_f32"), make_cpu_backend(), 64);
    int64_t n = 100;
    e->set_bytes(std::vector<uint8_t>(all.begin(), all.begin() + n));
    const unsigned parts = kWindowGate | kWindowStates;
    const LayerWindow early = e->trace_window(1, n - 50, n, parts);
    const Tensor early_states = Tensor::from(early.states.shape(), std::vector<float>(early.states.data(), early.states.data() + early.states.numel()));
    LayerWindow w;
    const int64_t before = e->query_tokens_run();
    while (n < 1300) {
      e->append({all[n]});
      ++n;
      w = e->trace_window(1, n - 50, n, parts);
    }
    QCOMPARE(e->query_tokens_run(), before);
    QCOMPARE(test::rel_l2(early.states, early_states), 0.0);
    auto fresh = Exploration::open(fixture("mamba2_g1_f32"), make_cpu_backend(), 64);
    fresh->set_bytes(all);
    const LayerWindow ref = fresh->trace_window(1, n - 50, n, parts);
    QVERIFY(test::rel_l2(w.states, ref.states) < 1e-5);
    QVERIFY(test::rel_l2(w.delta, ref.delta) < 1e-5);
    QVERIFY(test::rel_l2(w.C, ref.C) < 1e-5);
  }

  void snapshots_stay_within_their_budget() {
    // A budget of about 5 snapshots: the spacing doubles as the text grows, the snapshots left sit at
    // multiples of the spacing, and every query still gives a straight run's values.
    const auto all = text_bytes(600);
    auto probe = Exploration::open(fixture("mamba2_g1_f32"), make_cpu_backend(), 8);
    const int64_t budget = 5 * probe->snapshot_bytes();
    auto e = Exploration::open(fixture("mamba2_g1_f32"), make_cpu_backend(), 8, budget);
    for (int64_t n = 100; n <= 600; n += 100) e->set_bytes(std::vector<uint8_t>(all.begin(), all.begin() + n));  // long appends
    for (int i = 0; i < 10; ++i) e->append({all[i]});                                                               // and steps
    QVERIFY2(e->snapshot_every() >= 128, qPrintable(QString("spacing %1").arg(e->snapshot_every())));
    const std::vector<int64_t> pos = e->snapshot_positions();
    QVERIFY(int64_t(pos.size()) * e->snapshot_bytes() <= budget);
    for (int64_t p : pos) QCOMPARE(p % e->snapshot_every(), int64_t(0));
    QCOMPARE(pos.front(), int64_t(0));
    auto full = Exploration::open(fixture("mamba2_g1_f32"), make_cpu_backend(), 8);
    std::vector<uint8_t> text(all.begin(), all.end());
    for (int i = 0; i < 10; ++i) text.push_back(all[i]);
    full->set_bytes(text);
    for (int64_t t : {5, 200, 333, 599, 609}) {
      QVERIFY2(state_diff(e->state_at(t), full->state_at(t)) < 1e-4, qPrintable(QString("state at %1").arg(t)));
      QVERIFY(max_abs_diff(e->next_byte_probs(t), full->next_byte_probs(t)) < 1e-4);
    }
    // An edit far back rewinds to a kept snapshot and recomputes.
    text[150] = 'Z';
    e->set_bytes(text);
    full->set_bytes(text);
    QVERIFY(state_diff(e->state_at(400), full->state_at(400)) < 1e-4);
  }

  void blocked_matrix_equals_cell_by_cell_data() {
    QTest::addColumn<QString>("model");
    for (const char* m : {"mamba1_tied_f32", "mamba2_g2_f16", "jamba_a", "llama_mha_f32"}) QTest::newRow(m) << QString(m);
  }
  void blocked_matrix_equals_cell_by_cell() {
    // The explorer's large-window matrix (64-row blocks as products) against the direct double sums,
    // over a window that is not a multiple of the block and does not start at 0.
    QFETCH(QString, model);
    const auto all = text_bytes(330);
    auto e = Exploration::open(fixture(model.toStdString()), make_cpu_backend(), 64);
    e->set_bytes(all);
    const ModelConfig& c = e->config();
    for (int l = 0; l < c.n_layers; ++l) {
      const bool attn = c.mixers[l] == MixerKind::Attention;
      const LayerWindow w = e->trace_window(l, 7, 330, attn ? kWindowAttention : kWindowGate);
      for (int index : {0, 1}) {
        const MatrixD ref = window_matrix(w, e->ssm_A(l), index);
        const MatrixF M = window_matrix_blocked(w, e->ssm_A(l), index);
        QCOMPARE(M.rows(), ref.rows());
        const double scale = ref.cwiseAbs().maxCoeff();
        QVERIFY(scale > 0);
        const double err = (M.cast<double>() - ref).cwiseAbs().maxCoeff();
        QVERIFY2(err <= 1e-6 * scale, qPrintable(QString("layer %1 index %2: max error %3 of max %4").arg(l).arg(index).arg(err).arg(scale)));
        QCOMPARE(M(10, 200), 0.0f);  // causal
        if (!attn) {  // at the panel's float tolerance, a block strictly below the diagonal still has rank <= N
          const int N = c.mixers[l] == MixerKind::Mamba ? c.mamba.d_state : c.mamba2.d_state;
          QVERIFY(numerical_rank(M.block(150, 0, 170, 140).cast<double>(), 1e-5) <= N);
        }
      }
    }
  }

  void window_matrix_reproduces_output() {
    const auto all = text_bytes(48);
    auto e = Exploration::open(fixture("mamba1_tied_f32"), make_cpu_backend(), 16);
    e->set_bytes(all);
    const LayerWindow w = e->trace_window(0, 0, 48, kWindowGate);
    auto be = make_cpu_backend();
    auto m = Model::load(fixture("mamba1_tied_f32"), *be);
    TraceRequest req;
    req.names = {trace::kMambaY};
    req.layers = {0};
    TraceStore store(req);
    ModelState st = m->initial_state();
    m->forward(std::vector<int32_t>(all.begin(), all.end()), st, store.recording(), false);
    const Tensor y = store.get(trace::kMambaY, 0);  // [T, Di] incl. D x
    const Tensor& A = e->ssm_A(0);
    const int64_t Di = w.x.size(1);
    // D from y - M x at one channel is constant over tokens: check y_i - Σ_j M x_j = D x_i via ratio.
    for (int c : {0, 7, int(Di - 1)}) {
      const MatrixD M = window_matrix(w, A, c);
      QCOMPARE(M.rows(), 48);
      QCOMPARE(M(3, 10), 0.0);  // causal
      std::vector<double> ratio;
      for (int i = 0; i < 48; ++i) {
        double mx = 0;
        for (int j = 0; j <= i; ++j) mx += M(i, j) * w.x.data()[j * Di + c];
        const double xi = w.x.data()[i * Di + c];
        if (std::abs(xi) > 0.05) ratio.push_back((y.data()[i * Di + c] - mx) / xi);
      }
      QVERIFY(ratio.size() > 5);
      for (double r : ratio) QVERIFY2(std::abs(r - ratio[0]) < 2e-3 * std::max(1.0, std::abs(ratio[0])), "y - Mx is not D x");
      // Semiseparable: a block strictly below the diagonal has rank <= N.
      const int N = int(A.size(1));
      QVERIFY(numerical_rank(M.block(24, 0, 24, 24), 1e-7) <= N);
      const CellTerms t = window_matrix_terms(w, A, c, 20, 12);
      QCOMPARE(int(t.per_state.size()), N);
      QVERIFY(std::abs(t.value - M(20, 12)) < 1e-12);
    }
  }

  void cancel_and_resume() {
    const auto all = text_bytes(300);
    auto e = Exploration::open(fixture("mamba1_tied_f32"), make_cpu_backend(), 32);
    std::atomic<bool> cancel{false};
    RunControl rc;
    int64_t seen = 0;
    rc.cancel = &cancel;
    rc.progress = [&](int64_t done, int64_t) { seen = done; if (done >= 64) cancel = true; };
    const UpdateStats st = e->set_bytes(all, rc);
    QVERIFY(st.cancelled);
    QCOMPARE(e->computed(), int64_t(64));
    QCOMPARE(seen, int64_t(64));
    cancel = false;
    e->resume();
    QCOMPARE(e->computed(), int64_t(300));
    auto full = Exploration::open(fixture("mamba1_tied_f32"), make_cpu_backend(), 32);
    full->set_bytes(all);
    QVERIFY(max_abs_diff(e->surprisals(), full->surprisals()) < 1e-3);
  }

  void surprisal_is_minus_log2_prob() {
    const auto all = text_bytes(40);
    auto e = Exploration::open(fixture("mamba1_tied_f32"), make_cpu_backend(), 8);
    e->set_bytes(all);
    QVERIFY(std::isnan(e->surprisals()[0]));
    for (int t : {1, 8, 9, 39}) {
      const auto p = e->next_byte_probs(t - 1);
      QVERIFY(std::abs(-std::log2(p[all[t]]) - e->surprisals()[t]) < 1e-3);
    }
  }

  void memory_formulas() {
    const auto& ms = published_models();
    auto llama70 = std::find_if(ms.begin(), ms.end(), [](const PublishedModel& m) { return m.name == "Llama-2-70B"; });
    QVERIFY(llama70 != ms.end());
    // 2 · 80 · 8 · 128 · 4096 · 2 bytes
    QCOMPARE(published_memory_bytes(*llama70, 4096, 2), int64_t(1342177280));
    auto mamba = std::find_if(ms.begin(), ms.end(), [](const PublishedModel& m) { return m.name == "Mamba-2.8B"; });
    QCOMPARE(published_memory_bytes(*mamba, 4096, 2), published_memory_bytes(*mamba, 1 << 20, 2));
    QCOMPARE(QString::fromStdString(human_bytes(1342177280)), QString("1.34 GB"));
    auto e = Exploration::open(fixture("mamba1_tied_f32"), make_cpu_backend());
    e->set_bytes(text_bytes(10));
    QCOMPARE(e->kv_bytes_at(9), int64_t(0));
    QCOMPARE(e->live_kv_bytes(), int64_t(0));
    QCOMPARE(e->state_bytes(), int64_t(2 * 64 * (8 + 3) * 4));
  }
};

QTEST_GUILESS_MAIN(TestExploration)
#include "tst_exploration.moc"
