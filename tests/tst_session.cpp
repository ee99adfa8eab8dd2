// The Qt-free session (session/): the document's rules (the selection follows the end, the active
// column stays the same model, stepping edits the one text), the frames of every view for every
// family checked against an Exploration of our own (values, not pixels), superseding, cancel and
// resume, a model that fails, and requests made while the worker runs (the old data race).
#include <QtTest>

#include <QTemporaryDir>

#include <chrono>
#include <cmath>
#include <cstring>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <filesystem>

#include "random_model_folder.h"
#include "session.h"
#include "test_support.h"
#include "scan_matrix_check.h"
#include "window_matrix.h"

using namespace ss;

namespace {

std::string fixture(const char* name) { return test::fixtures_dir() + "/" + name; }

std::vector<uint8_t> bytes_of(const std::string& s) { return std::vector<uint8_t>(s.begin(), s.end()); }

const std::string kText = "Hello state space! The quick brown fox jumps over the lazy dog. 状态 ok.";

// Collects what the worker hands out (its callbacks run on the worker thread).
struct Log {
  std::mutex m;
  std::vector<FramePtr> frames;
  std::vector<Session::Status> statuses;
  Session::Callbacks callbacks() {
    return {[this](FramePtr f) { std::lock_guard l(m); frames.push_back(f); },
            [this](const Session::Status& s) { std::lock_guard l(m); statuses.push_back(s); }};
  }
  FramePtr last(View v, int column = -1) {
    std::lock_guard l(m);
    for (auto it = frames.rbegin(); it != frames.rend(); ++it)
      if ((*it)->view == v && (column < 0 || (*it)->column == column)) return *it;
    return nullptr;
  }
  void clear() {
    std::lock_guard l(m);
    frames.clear();
    statuses.clear();
  }
};

int first_layer(const ModelConfig& c, MixerKind k) {
  for (int l = 0; l < c.n_layers; ++l)
    if (c.mixers[l] == k) return l;
  return -1;
}

}  // namespace

class TestSession : public QObject {
  Q_OBJECT
 private slots:
  // --- the document (no models) ---
  void selection_follows_the_end() {
    // Defect 4: with the last byte selected, typing moves every view to the new last byte.
    Document d;
    d.set_text(bytes_of("abc"));
    QCOMPARE(d.token, int64_t(2));
    d.set_text(bytes_of("abcd"));
    QCOMPARE(d.token, int64_t(3));
    QCOMPARE(d.w1, int64_t(4));
    // A token picked further back stays while typing; picking the last byte follows again.
    d.select_token(1);
    QVERIFY(!d.follow_end);
    d.set_text(bytes_of("abcde"));
    QCOMPARE(d.token, int64_t(1));
    d.select_token(4);
    QVERIFY(d.follow_end);
    d.set_text(bytes_of("abcdef"));
    QCOMPARE(d.token, int64_t(5));
    // An empty text selects nothing.
    d.set_text({});
    QCOMPARE(d.token, int64_t(0));
    QCOMPARE(d.w1, int64_t(0));
  }

  void active_column_stays_the_same_model() {
    // Defect 3: with column 1 active, closing column 0 keeps the same model active.
    Document d;
    for (uint64_t id = 1; id <= 3; ++id) {
      auto c = std::make_shared<ColumnInfo>();
      c->id = id;
      c->error = "test column";
      d.add_column(c);
    }
    d.set_active(1);
    d.remove_column(0);
    QCOMPARE(d.columns[d.active]->id, uint64_t(2));
    d.set_active(1);  // id 3
    d.remove_column(1);  // closing the active one: the last left
    QCOMPARE(d.active, 0);
    d.remove_column(0);
    QCOMPARE(d.active, 0);
    QVERIFY(d.columns.empty());
  }

  void stepping_edits_the_one_text() {
    // The Stepper bug: stepping cut the models' text while the editor kept the whole text; typing
    // then appended the next stepped byte after the typed one and "Whole text" dropped the typed byte.
    Document d;
    d.set_text(bytes_of("hello world"));
    d.select_token(4);
    QVERIFY(d.begin_stepping());
    QCOMPARE(d.text.vector(), bytes_of("hello"));
    QCOMPARE(d.step(), int64_t(1));
    QCOMPARE(d.text.vector(), bytes_of("hello "));
    QCOMPARE(d.token, int64_t(5));
    d.set_text(bytes_of("hello X"));  // the user types while stepping
    QCOMPARE(d.step(), int64_t(1));
    QCOMPARE(d.text.vector(), bytes_of("hello Xw"));
    d.feed_rest();  // "Whole text": every byte not fed yet, after what was typed
    QCOMPARE(d.text.vector(), bytes_of("hello Xworld"));
    QVERIFY(!d.stepping);
    // With the last token selected, stepping starts from the first byte; past the end it stops.
    d.set_text(bytes_of("ab"));
    QVERIFY(d.begin_stepping());
    QCOMPARE(d.text.vector(), bytes_of("a"));
    QCOMPARE(d.step(), int64_t(1));
    QVERIFY(!d.stepping);
    QCOMPARE(d.step(), int64_t(0));
  }

  void shared_text_appends_without_copying() {
    // Issue 13: a step copied the whole text (and the rest to feed) once per byte. A SharedText
    // appends into its buffer, and the texts appended from one another share it.
    const std::vector<uint8_t> w = bytes_of(" world"), x = bytes_of("X");
    const SharedText a(bytes_of("hello"));  // a buffer of exactly the text: the first append copies
    const SharedText b = a.appended(w.data(), 1);
    QCOMPARE(b.vector(), bytes_of("hello "));
    QCOMPARE(a.vector(), bytes_of("hello"));
    SharedText c = b;
    for (size_t i = 1; i < w.size(); ++i) c = c.appended(w.data() + i, 1);
    QCOMPARE(c.vector(), bytes_of("hello world"));
    QVERIFY(c.extends(b));
    QVERIFY(c.data() == b.data());  // one buffer
    // Appending to b again (an edit that branches off) copies, and leaves c as it was.
    const SharedText e = b.appended(x.data(), 1);
    QCOMPARE(e.vector(), bytes_of("hello X"));
    QVERIFY(e.data() != b.data());
    QVERIFY(!e.extends(b));
    QCOMPARE(c.vector(), bytes_of("hello world"));
    QCOMPARE(b.vector(), bytes_of("hello "));
    QCOMPARE(c.substr(6).vector(), bytes_of("world"));
    QVERIFY(c.substr(0, 6) == b);
    QVERIFY(c == bytes_of("hello world"));
    QVERIFY(SharedText(bytes_of("hello world")) == c);
    QVERIFY(!(c == bytes_of("hello worle")));
    // 1 MiB appended one byte at a time: a new buffer about log2(1 MiB / 256) times.
    SharedText big;
    int buffers = 0;
    const uint8_t* last = nullptr;
    for (int i = 0; i < (1 << 20); ++i) {
      const uint8_t byte = static_cast<uint8_t>(i * 31);
      big = big.appended(&byte, 1);
      if (big.data() != last) ++buffers;
      last = big.data();
    }
    QCOMPARE(big.size(), int64_t(1) << 20);
    QCOMPARE(big[12345], static_cast<uint8_t>(12345 * 31));
    QVERIFY2(buffers <= 14, qPrintable(QString::number(buffers)));
    // A document's steps extend its text in place and drop the front of the rest to feed.
    Document d;
    d.set_text(bytes_of("abcdefghij"));
    d.select_token(1);
    QVERIFY(d.begin_stepping());
    d.step();  // the first step copies "ab" + "c" into a buffer of its own
    const SharedText s1 = d.text, p1 = d.pending;
    d.step(2);
    QCOMPARE(d.text.vector(), bytes_of("abcde"));
    QVERIFY(d.text.extends(s1));
    QVERIFY(d.pending.data() == p1.data() + 2);
    QCOMPARE(d.pending.vector(), bytes_of("fghij"));
  }

  void stepping_gives_the_numbers_of_setting_the_text() {
    // The worker hands a step's bytes to the model as an append (Exploration::append, O(1) per
    // byte) instead of the whole text: the results must be those of setting the same texts.
    const std::string text = kText + kText + kText + kText;  // past a few snapshots
    auto surprisals = [&](bool stepping) {
      Session s;
      s.set_views({});
      std::string err;
      if (!s.open_model(fixture("mamba1_tied_f32"), "cpu", "fp32", &err)) qFatal("%s", err.c_str());
      s.set_text(bytes_of(text));
      s.select_token(9);
      s.wait_idle();
      if (stepping) {
        s.begin_stepping();
        s.wait_idle();
        while (s.step(1 + s.document().size() % 3) > 0) s.wait_idle();  // 1 to 3 bytes a step
      } else {
        s.set_text(bytes_of(text.substr(0, 10)));  // where begin_stepping cuts it
        s.wait_idle();
        for (size_t n = 10; n <= text.size();) {
          n += 1 + n % 3;
          s.set_text(bytes_of(text.substr(0, std::min(n, text.size()))));
          s.wait_idle();
          if (n >= text.size()) break;
        }
      }
      std::vector<float> out;
      std::vector<uint8_t> held;
      s.run_on_worker([&](Engine& e, const Document& d) {
        held = e.exploration(d, 0)->bytes();
        out = e.exploration(d, 0)->surprisals();
      });
      if (held != bytes_of(text)) out.clear();
      return out;
    };
    const std::vector<float> stepped = surprisals(true), set = surprisals(false);
    QCOMPARE(set.size(), text.size());
    QCOMPARE(stepped.size(), set.size());
    QVERIFY(std::memcmp(stepped.data(), set.data(), set.size() * sizeof(float)) == 0);
  }

  // --- frames of every family against an Exploration of our own ---
  // Nemotron-H's MLP layers mix no tokens: their state, Δ and matrix views say so instead of showing
  // another layer's numbers or failing; its Mamba-2 layer next to them still shows its state.
  void feed_forward_layers_have_no_mixer_views() {
    const std::string dir = fixture("nemotron_h_f32");
    Log log;
    Session s(log.callbacks());
    std::string err;
    QVERIFY2(s.open_model(dir, "cpu", "fp32", &err), err.c_str());
    s.set_text(bytes_of(kText));
    s.select_token(5);
    s.set_choice(0, Choice{2, 0, 0});  // layers: M2 A F M2 F
    s.wait_idle();
    for (View v : {View::State, View::Delta, View::Matrix}) {
      FramePtr f = log.last(v);
      QVERIFY(f);
      QVERIFY2(QString::fromStdString(f->error).contains("feed-forward layer"), f->error.c_str());
    }
    FramePtr p = log.last(View::Prediction);
    QVERIFY(p && p->error.empty());
    log.clear();
    s.set_choice(0, Choice{0, 0, 0});
    s.wait_idle();
    FramePtr st = log.last(View::State);
    QVERIFY(st && st->error.empty());
    QCOMPARE(st->layer, 0);
  }

  // A Falcon-H1 layer holds attention and a Mamba-2 side by side: by default the state, Δ and matrix
  // views show its Mamba-2 (h_t, Δ, M with the duality readout); with Choice::attention_part the state
  // and matrix views show its attention (cached keys, probabilities) and Δ stays the Mamba-2's; the
  // memory view counts both (fixed state plus a KV cache that grows). Numbers against an Exploration.
  void parallel_layers_show_the_chosen_part() {
    QTemporaryDir tmp;
    nlohmann::json cfg = testkit::bench_config("falcon_h1");
    cfg["hidden_size"] = 32;
    cfg["num_hidden_layers"] = 2;
    cfg["mamba_d_ssm"] = 64;
    cfg["mamba_d_state"] = 8;
    cfg["mamba_chunk_size"] = 8;
    cfg["intermediate_size"] = 48;
    const std::string dir = testkit::write_random_model_folder(cfg, tmp.path().toStdString() + "/fh1", 5);
    auto ref = Exploration::open(dir, make_cpu_backend());
    ref->set_bytes(bytes_of(kText));
    const ModelConfig& c = ref->config();
    QCOMPARE(c.mixers[1], MixerKind::AttentionMamba2);
    Log log;
    Session s(log.callbacks());
    std::string err;
    QVERIFY2(s.open_model(dir, "cpu", "fp32", &err), err.c_str());
    s.set_text(bytes_of(kText));
    s.select_token(5);
    s.set_choice(0, Choice{1, 7, 0});  // the Mamba-2 part: 8 heads
    s.wait_idle();
    const int64_t t = 5, w0 = s.document().w0, w1 = s.document().w1;
    QCOMPARE(s.document().choices[0].head, 7);
    FramePtr st = log.last(View::State), dl = log.last(View::Delta), mx = log.last(View::Matrix, 0);
    QVERIFY(st && dl && mx);
    QVERIFY2(st->error.empty() && dl->error.empty() && mx->error.empty(), (st->error + dl->error + mx->error).c_str());
    QCOMPARE(st->mixer, std::string("mamba2"));
    const Tensor h = ref->state_at(t, 1).layers[1].ssm_state;  // [H, P, N]
    const int64_t N = h.size(-1);
    QCOMPARE(st->cols, h.numel() / N);
    for (int64_t col : {int64_t(0), st->cols - 1}) QVERIFY(std::abs(st->at(N - 1, col) - h.data()[col * N + N - 1]) < 1e-5f);
    QCOMPARE(dl->mixer, std::string("mamba2"));
    QCOMPARE(dl->cols, int64_t(c.mamba2.n_heads));
    const LayerWindow gw = ref->trace_window(1, w0, w1, kWindowGate, 7);
    for (int64_t hd : {int64_t(0), dl->cols - 1}) QVERIFY(std::abs(dl->at(t, hd) - gw.delta.data()[t * dl->cols + hd]) < 1e-6f);
    QCOMPARE(mx->mixer, std::string("mamba2"));
    const MatrixD M = window_matrix(gw, ref->ssm_A(1), 7);  // the window's kind: the layer's; its matrix: the Mamba-2's
    for (int64_t j = 0; j <= t; ++j) QVERIFY(std::abs(mx->at(t, j) - M(t, j)) <= 1e-5 * std::max(1.0, std::abs(M(t, j))));
    QVERIFY(mx->scalars.count("scan_vs_matrix") && mx->scalar("scan_vs_matrix") <= 1e-4 * std::max(1.0, mx->scalar("scan_max_abs")));

    // The attention part: 4 heads (head 7 is clamped), keys and probabilities.
    log.clear();
    s.set_choice(0, Choice{1, 7, 0, /*attention_part=*/true});
    s.wait_idle();
    const Choice ch = s.document().choices[0];
    QVERIFY(ch.attention_part);
    QCOMPARE(ch.head, c.attn.n_heads - 1);
    st = log.last(View::State);
    dl = log.last(View::Delta);
    mx = log.last(View::Matrix, 0);
    QVERIFY(st && st->error.empty() && dl && dl->error.empty() && mx && mx->error.empty());
    QCOMPARE(st->mixer, std::string("attention"));
    const int kvh = ch.head / (c.attn.n_heads / c.attn.n_kv_heads);
    const Tensor k = ref->cached_keys(t, 1, kvh);  // [t + 1, hd]
    QCOMPARE(st->cols, t + 1);
    for (int64_t j = 0; j <= t; ++j) QCOMPARE(st->at(0, j), k.data()[j * k.size(1)]);
    QCOMPARE(dl->mixer, std::string("mamba2"));  // Δ: always the Mamba-2's
    QCOMPARE(dl->cols, int64_t(c.mamba2.n_heads));
    QCOMPARE(mx->mixer, std::string("attention"));
    QVERIFY(!mx->scalars.count("scan_vs_matrix"));
    const LayerWindow aw = ref->trace_window(1, w0, w1, kWindowAttention, ch.head);
    const int64_t W = w1 - w0;
    QCOMPARE(mx->rows, W);
    for (int64_t j = 0; j <= t; ++j) QCOMPARE(mx->at(t, j), aw.attn.data()[t * W + j]);
    float row = 0;
    for (int64_t j = 0; j <= t; ++j) row += mx->at(t, j);
    QVERIFY(std::abs(row - 1.0f) < 1e-5f);  // probabilities, not the SSM's M
    // Memory: the fixed state and the KV cache of every layer.
    FramePtr mem = log.last(View::Memory);
    QVERIFY(mem);
    QCOMPARE(mem->at(mem->rows - 1, 0), float(ref->state_bytes() + ref->kv_bytes_at(int64_t(kText.size()) - 1)));
    QVERIFY(ref->state_bytes() > 0 && ref->kv_bytes_at(0) > 0);
    // Every layer of Falcon-H1 has both parts: the part chosen stays with a new layer.
    s.set_choice(0, Choice{0, 0, 0, true});
    s.wait_idle();
    QVERIFY(s.document().choices[0].attention_part);
  }

  // Δ → average (core/intervention.h) is the document's, per column: the column's every frame is
  // then the intervened model's (Δ flat over tokens, the same numbers as an Exploration with the
  // intervention), says so (Frame::delta_average), and switching back gives the trained model's.
  void delta_average_per_column() {
    const std::string dir = fixture("jamba_a");
    auto ref = Exploration::open(dir, make_cpu_backend());
    ref->set_delta_average(true);
    ref->set_bytes(bytes_of(kText));
    Log log;
    Session s(log.callbacks());
    std::string err;
    QVERIFY2(s.open_model(dir, "cpu", "fp32", &err), err.c_str());
    QVERIFY2(s.open_model(fixture("llama_mha_f32"), "cpu", "fp32", &err), err.c_str());
    s.set_text(bytes_of(kText));
    const int layer = first_layer(ref->config(), MixerKind::Mamba);
    QVERIFY(layer >= 0);
    s.set_choice(0, Choice{layer, 0, 0});
    s.wait_idle();
    FramePtr plain = log.last(View::Prediction, 0);
    QVERIFY(plain && plain->error.empty() && !plain->delta_average);
    const std::vector<float> plain_surprisal = *plain->per_token;
    s.set_delta_average(1, true);  // attention only: nothing to average
    QVERIFY(!s.document().averaged(1));
    log.clear();
    s.set_delta_average(0, true);
    QVERIFY(s.document().averaged(0));
    s.wait_idle();
    FramePtr d = log.last(View::Delta, 0), p = log.last(View::Prediction, 0);
    QVERIFY(d && d->error.empty() && d->delta_average);
    QVERIFY(p && p->error.empty() && p->delta_average);
    const Tensor& mean = ref->intervention().delta_means[size_t(layer)];
    QCOMPARE(d->cols, mean.numel());
    for (int64_t r = 0; r < d->rows; ++r)
      for (int64_t c = 0; c < d->cols; ++c) QCOMPARE(d->at(r, c), mean.at(c));
    QCOMPARE(p->per_token->size(), ref->surprisals().size());
    double changed = 0;
    for (size_t i = 1; i < ref->surprisals().size(); ++i) {
      QVERIFY(std::abs((*p->per_token)[i] - ref->surprisals()[i]) < 1e-4);
      changed = std::max(changed, double(std::abs((*p->per_token)[i] - plain_surprisal[i])));
    }
    QVERIFY(changed > 1e-3);
    FramePtr other = log.last(View::Prediction, 1);
    QVERIFY(!other || !other->delta_average);
    // Off again: the trained model's numbers.
    log.clear();
    s.set_delta_average(0, false);
    s.wait_idle();
    p = log.last(View::Prediction, 0);
    QVERIFY(p && !p->delta_average);
    for (size_t i = 1; i < plain_surprisal.size(); ++i) QVERIFY(std::abs((*p->per_token)[i] - plain_surprisal[i]) < 1e-5);
    // Closing a column keeps the flags of the others with their columns.
    s.set_delta_average(0, true);
    s.close_model(1);
    QVERIFY(s.document().averaged(0));
    QCOMPARE(s.document().delta_average.size(), size_t(1));
  }

  void frames_match_the_engine_data() {
    QTest::addColumn<QString>("model");
    for (const char* m : {"mamba1_tied_f32", "mamba2_g1_f32", "llama_mha_f32", "jamba_a"}) QTest::newRow(m) << QString(m);
  }
  void frames_match_the_engine() {
    QFETCH(QString, model);
    const std::string dir = fixture(model.toUtf8().constData());
    auto ref = Exploration::open(dir, make_cpu_backend());
    ref->set_bytes(bytes_of(kText));
    const ModelConfig& cfg = ref->config();
    Log log;
    Session s(log.callbacks());
    std::string err;
    QVERIFY2(s.open_model(dir, "cpu", "fp32", &err), err.c_str());
    s.set_text(bytes_of(kText));
    s.select_token(5);
    const int64_t t = 5, w0 = s.document().w0, w1 = s.document().w1;
    QCOMPARE(w0, int64_t(0));
    QCOMPARE(w1, int64_t(kText.size()));
    for (MixerKind kind : {MixerKind::Mamba, MixerKind::Mamba2, MixerKind::Attention}) {
      const int layer = first_layer(cfg, kind);
      if (layer < 0) continue;
      log.clear();
      s.set_choice(0, Choice{layer, 1, 3});
      s.wait_idle();
      const Choice ch = s.document().choices[0];
      // State: h_t [N, channels] (attention: the cached keys [hd, t + 1]).
      FramePtr st = log.last(View::State);
      QVERIFY(st && st->error.empty() && st->note.empty());
      QCOMPARE(st->token, t);
      QCOMPARE(st->layer, layer);
      if (kind == MixerKind::Attention) {
        const int kvh = ch.head / (cfg.attn.n_heads / cfg.attn.n_kv_heads);
        const Tensor k = ref->cached_keys(t, layer, kvh);  // [t + 1, hd]
        QCOMPARE(st->cols, t + 1);
        for (int64_t j = 0; j <= t; ++j)
          for (int64_t dd : {int64_t(0), k.size(1) - 1}) QCOMPARE(st->at(dd, j), k.data()[j * k.size(1) + dd]);
      } else {
        const Tensor h = ref->state_at(t, layer).layers[layer].ssm_state;  // [Di, N] or [H, P, N]
        const int64_t N = h.size(-1), C = h.numel() / N;
        QCOMPARE(st->rows, N);
        QCOMPARE(st->cols, C);
        for (int64_t c : {int64_t(0), C / 2, C - 1})
          for (int64_t n : {int64_t(0), N - 1}) QVERIFY(std::abs(st->at(n, c) - h.data()[c * N + n]) <= 1e-5f * std::max(1.0f, std::abs(h.data()[c * N + n])));
        QCOMPARE(int64_t(st->series.at(0).x.size()), w1 - w0);  // ‖h_t‖ over the window
      }
      // Δ: the window's Δ rows; attention: a note, no values and no stale title.
      FramePtr dl = log.last(View::Delta);
      QVERIFY(dl);
      if (kind == MixerKind::Attention) {
        QVERIFY(dl->empty());
        QVERIFY(QString::fromStdString(dl->note).contains("attention"));
        QVERIFY(dl->series.empty());
      } else {
        const LayerWindow w = ref->trace_window(layer, w0, w1, kWindowGate, ch.head);
        QCOMPARE(dl->rows, w1 - w0);
        QCOMPARE(dl->cols, w.delta.size(1));
        for (int64_t c : {int64_t(0), dl->cols - 1}) QVERIFY(std::abs(dl->at(t, c) - w.delta.data()[t * dl->cols + c]) < 1e-6);
        QCOMPARE(float(dl->scalar("mean_delta")), ref->mean_delta(layer)[t]);
      }
      // Matrix: M of the chosen channel / head over the window.
      FramePtr mx = log.last(View::Matrix, 0);
      QVERIFY(mx && mx->error.empty());
      const LayerWindow mw = ref->trace_window(layer, w0, w1, kind == MixerKind::Attention ? kWindowAttention : kWindowGate, ch.head);
      const MatrixD M = window_matrix(mw, ref->ssm_A(layer), kind == MixerKind::Mamba ? ch.channel : ch.head);
      QCOMPARE(mx->rows, int64_t(M.rows()));
      for (int64_t j = 0; j <= t; ++j) QVERIFY(std::abs(mx->at(t, j) - M(t, j)) <= 1e-5 * std::max(1.0, std::abs(M(t, j))));
      // The duality readout: the scan's output equals M x over the window (fp32 rounding apart).
      if (kind == MixerKind::Attention) {
        QVERIFY(!mx->scalars.count("scan_vs_matrix"));
      } else {
        QVERIFY(mx->scalars.count("scan_vs_matrix"));
        QVERIFY(mx->scalar("scan_max_abs") > 0);
        QVERIFY2(mx->scalar("scan_vs_matrix") <= 1e-4 * std::max(1.0, mx->scalar("scan_max_abs")),
                 qPrintable(QString("%1 vs %2").arg(mx->scalar("scan_vs_matrix")).arg(mx->scalar("scan_max_abs"))));
      }
    }
    // Prediction: p(next byte | bytes 0..5) and the surprisal of every byte.
    FramePtr p = log.last(View::Prediction);
    QVERIFY(p && p->error.empty());
    const std::vector<float> probs = ref->next_byte_probs(t);
    QCOMPARE(p->cols, int64_t(probs.size()));
    for (int b : {0, int('H'), int(' '), 200}) QCOMPARE(p->at(0, b), probs[b]);
    QCOMPARE(p->order.size(), size_t(10));
    QCOMPARE(p->values[p->order[0]], *std::max_element(probs.begin(), probs.end()));
    QCOMPARE(int(p->scalar("next_byte")), int(uint8_t(kText[t + 1])));
    QCOMPARE(p->per_token->size(), ref->surprisals().size());
    // Memory: state + KV bytes after each position.
    FramePtr mem = log.last(View::Memory);
    QVERIFY(mem && mem->cols == 1);
    QCOMPARE(mem->at(0, 0), float(ref->state_bytes() + ref->kv_bytes_at(0)));
    QCOMPARE(mem->at(mem->rows - 1, 0), float(ref->state_bytes() + ref->kv_bytes_at(int64_t(kText.size()) - 1)));
  }

  // A Zamba2 hybrid layer ("S0+M2"): the state, Δ and matrix views show its Mamba-2 (the layer's mixer);
  // the memory view counts one KV cache per hybrid layer although the shared blocks' weights are shared.
  void zamba2_hybrid_layer_views() {
    nlohmann::json cfg = testkit::bench_config("zamba2");
    cfg["hidden_size"] = 32;
    cfg["num_attention_heads"] = 4;
    cfg["num_key_value_heads"] = 4;
    cfg["n_mamba_heads"] = 4;
    cfg["mamba_d_state"] = 8;
    cfg["chunk_size"] = 8;
    cfg["intermediate_size"] = 48;
    cfg["adapter_rank"] = 4;
    const std::string dir = testkit::write_random_model_folder(cfg, test::temp_dir("session-zamba2"), 4);
    auto ref = Exploration::open(dir, make_cpu_backend());
    ref->set_bytes(bytes_of(kText));
    QCOMPARE(ref->config().shared_blocks, (std::vector<int>{-1, 0, -1, 1}));
    Log log;
    Session s(log.callbacks());
    std::string err;
    QVERIFY2(s.open_model(dir, "cpu", "fp32", &err), err.c_str());
    s.set_text(bytes_of(kText));
    s.select_token(5);
    for (const int layer : {1, 3}) {
      log.clear();
      s.set_choice(0, Choice{layer, 1, 0});
      s.wait_idle();
      FramePtr st = log.last(View::State);
      QVERIFY(st && st->error.empty());
      const Tensor h = ref->state_at(5, layer).layers[layer].ssm_state;  // [H, P, N]: the Mamba-2's
      QCOMPARE(st->rows, h.size(-1));
      QCOMPARE(st->cols, h.numel() / h.size(-1));
      QVERIFY(std::abs(st->at(0, 0) - h.data()[0]) <= 1e-5f * std::max(1.0f, std::abs(h.data()[0])));
      FramePtr dl = log.last(View::Delta);
      QVERIFY(dl && dl->error.empty() && dl->note.empty());
      QCOMPARE(dl->cols, int64_t(4));  // Mamba-2 heads
      FramePtr mx = log.last(View::Matrix, 0);
      QVERIFY(mx && mx->error.empty());
      QVERIFY(mx->scalars.count("scan_vs_matrix"));
      QVERIFY(mx->scalar("scan_vs_matrix") <= 1e-4 * std::max(1.0, mx->scalar("scan_max_abs")));
    }
    // The same layer with its attention part chosen (Choice::attention_part, as for Falcon-H1): the
    // state view shows this layer's own KV cache, the matrix view the attention probabilities of its use
    // of shared block 1, Δ still the Mamba-2's.
    log.clear();
    s.set_choice(0, Choice{3, 2, 0, /*attention_part=*/true});
    s.wait_idle();
    QVERIFY(s.document().choices[0].attention_part);
    const int64_t t = 5, T = int64_t(kText.size());
    FramePtr kv = log.last(View::State);
    QVERIFY(kv && kv->error.empty() && kv->mixer == "attention");
    const Tensor k = ref->cached_keys(t, 3, 2);  // [t + 1, hd]: kv head 2 of this layer's own cache
    QCOMPARE(kv->cols, t + 1);
    for (int64_t j = 0; j <= t; ++j) QCOMPARE(kv->at(0, j), k.data()[j * k.size(1)]);
    FramePtr dl = log.last(View::Delta);
    QVERIFY(dl && dl->error.empty() && dl->note.empty() && dl->mixer == "mamba2");
    QCOMPARE(dl->cols, int64_t(4));  // Mamba-2 heads
    FramePtr mx = log.last(View::Matrix, 0);
    QVERIFY(mx && mx->error.empty() && mx->mixer == "attention");
    QVERIFY(QString::fromStdString(mx->title).contains("shared attention (block 1)"));
    const LayerWindow aw = ref->trace_window(3, 0, T, kWindowAttention, 2);
    QCOMPARE(mx->rows, T);
    for (int64_t j = 0; j <= t; ++j) QVERIFY(std::abs(mx->at(t, j) - aw.attn.data()[t * T + j]) <= 1e-6f);
    QVERIFY(std::abs(mx->at(t, t + 1)) == 0.0f);  // causal
    s.set_choice(0, Choice{2, 0, 0, true});  // a plain Mamba-2 layer has no attention part
    QVERIFY(!s.document().choices[0].attention_part);

    FramePtr mem = log.last(View::Memory);
    QVERIFY(mem && mem->cols == 1);
    const int64_t per_use = 2 * 4 * 4 * 16;  // k + v, 4 kv heads of 16, fp32, per position
    QCOMPARE(ref->model().kv_bytes_per_token(), 2 * per_use);  // two hybrid layers, two caches
    QCOMPARE(mem->at(mem->rows - 1, 0), float(ref->state_bytes() + ref->kv_bytes_at(int64_t(kText.size()) - 1)));
    QCOMPARE(ref->live_kv_bytes(), int64_t(kText.size()) * 2 * per_use);
  }

  // Moving the selection by one token moves the 256-token window by one: the engine serves it from
  // the wider window it traced for the previous selection (engine.h, kWindowSlack). The numbers must
  // be those of a fresh trace of exactly the new window, for every layer kind.
  void a_window_from_a_wider_one_is_exact_data() {
    QTest::addColumn<QString>("model");
    for (const char* m : {"mamba1_tied_f32", "mamba2_g1_f32", "llama_mha_f32"}) QTest::newRow(m) << QString(m);
  }
  void a_window_from_a_wider_one_is_exact() {
    QFETCH(QString, model);
    const std::string dir = fixture(model.toUtf8().constData());
    std::string text;
    while (text.size() < 900) text += kText;
    auto ref = Exploration::open(dir, make_cpu_backend());
    ref->set_bytes(bytes_of(text));
    const ModelConfig& cfg = ref->config();
    const MixerKind kind = cfg.mixers[0];
    Log log;
    Session s(log.callbacks());
    std::string err;
    QVERIFY2(s.open_model(dir, "cpu", "fp32", &err), err.c_str());
    s.set_text(bytes_of(text));
    s.set_choice(0, Choice{0, 1, 2});
    s.select_token(400);
    s.wait_idle();
    const int64_t first_w0 = s.document().w0;
    log.clear();
    s.select_token(401);  // the next token: the window moves by one
    s.wait_idle();
    const int64_t w0 = s.document().w0, w1 = s.document().w1, t = 401;
    QCOMPARE(w0, first_w0 + 1);
    const Choice ch = s.document().choices[0];
    const bool attn = kind == MixerKind::Attention;
    const LayerWindow w = ref->trace_window(0, w0, w1, attn ? kWindowAttention : (kWindowGate | kWindowStates), ch.head);
    FramePtr mx = log.last(View::Matrix, 0);
    QVERIFY(mx && mx->error.empty());
    const MatrixD M = window_matrix(w, ref->ssm_A(0), kind == MixerKind::Mamba ? ch.channel : ch.head);
    QCOMPARE(mx->rows, int64_t(M.rows()));
    for (int64_t i : {int64_t(0), t - w0, w1 - w0 - 1})
      for (int64_t j = 0; j <= i; j += 7) QVERIFY(std::abs(mx->at(i, j) - M(i, j)) <= 1e-5 * std::max(1.0, std::abs(M(i, j))));
    if (attn) return;
    FramePtr dl = log.last(View::Delta);
    QVERIFY(dl && dl->error.empty());
    QCOMPARE(dl->rows, w1 - w0);
    QCOMPARE(dl->row0, w0);
    for (int64_t i : {int64_t(0), t - w0, w1 - w0 - 1})
      for (int64_t c : {int64_t(0), dl->cols - 1}) QCOMPARE(dl->at(i, c), w.delta.data()[i * dl->cols + c]);
    FramePtr st = log.last(View::State);
    QVERIFY(st && st->error.empty());
    const std::vector<double>& norms = st->series.at(0).y;  // ‖h_t‖ over the window
    QCOMPARE(int64_t(norms.size()), w1 - w0);
    const int64_t per = w.states.numel() / w.states.size(0);
    for (int64_t i : {int64_t(0), w1 - w0 - 1}) {
      double n2 = 0;
      for (int64_t k = 0; k < per; ++k) n2 += double(w.states.data()[i * per + k]) * w.states.data()[i * per + k];
      QVERIFY(std::abs(norms[size_t(i)] - std::sqrt(n2)) <= 1e-4 * std::max(1.0, std::sqrt(n2)));
    }
  }

  // A click far from the end reruns the model from a snapshot once: the prediction's rerun also
  // answers the tokens after it (the → key reruns nothing), the state entering the matrix's window
  // (the duality readout's carry) comes from the traced window, and a layer change keeps the
  // prediction. The numbers must be the plain computation's (Exploration queries of their own).
  void a_click_answers_its_neighbours_data() {
    QTest::addColumn<QString>("model");
    for (const char* m : {"mamba1_tied_f32", "mamba2_g1_f32", "jamba_a"}) QTest::newRow(m) << QString(m);
  }
  void a_click_answers_its_neighbours() {
    QFETCH(QString, model);
    const std::string dir = fixture(model.toUtf8().constData());
    std::string text;
    while (text.size() < 900) text += kText;
    auto ref = Exploration::open(dir, make_cpu_backend());
    ref->set_bytes(bytes_of(text));
    const ModelConfig& cfg = ref->config();
    int layer = -1;  // an SSM layer (jamba_a's first is attention)
    for (int l = 0; l < cfg.n_layers && layer < 0; ++l)
      if (ss::has_ssm(cfg.mixers[l])) layer = l;
    QVERIFY(layer >= 0);
    Log log;
    Session s(log.callbacks());
    std::string err;
    QVERIFY2(s.open_model(dir, "cpu", "fp32", &err), err.c_str());
    s.set_text(bytes_of(text));
    s.set_choice(0, Choice{layer, 0, 1});
    s.wait_idle();
    auto reruns = [&] {
      int64_t n = 0;
      s.run_on_worker([&](Engine& e, const Document& d) { n = e.exploration(d, 0)->query_tokens_run(); });
      return n;
    };
    for (int64_t t : {int64_t(400), int64_t(401), int64_t(402), int64_t(399)}) {
      log.clear();
      const int64_t before = reruns();
      s.select_token(t);
      s.wait_idle();
      if (t != 400) QCOMPARE(reruns(), before);  // the neighbours of the click: from its reruns
      FramePtr p = log.last(View::Prediction);
      QVERIFY(p && p->error.empty());
      QCOMPARE(p->token, t);
      const std::vector<float> plain = ref->next_byte_probs(t);
      QCOMPARE(p->values.size(), plain.size());
      double d = 0;
      for (size_t b = 0; b < plain.size(); ++b) d = std::max(d, std::abs(double(p->values[b]) - plain[b]));
      QVERIFY2(d < 2e-6, qPrintable(QString("token %1: %2").arg(t).arg(d)));
      // The carry: the state after the token before the window, against state_at's rerun.
      const int64_t w0 = s.document().w0;
      QVERIFY(w0 > 0);
      Tensor carry;
      s.run_on_worker([&](Engine& e, const Document& doc) { carry = e.ssm_state_after(doc, 0, layer, w0 - 1); });
      const Tensor h = ref->state_at(w0 - 1, layer).layers[layer].ssm_state;
      QCOMPARE(carry.shape(), h.shape());
      QVERIFY2(test::rel_l2(carry, h) < 1e-6, qPrintable(QString("carry before %1: %2").arg(w0).arg(test::rel_l2(carry, h))));
      FramePtr mx = log.last(View::Matrix, 0);
      QVERIFY(mx && mx->error.empty());
      QVERIFY(mx->scalar("scan_vs_matrix") <= 1e-4 * std::max(1.0, mx->scalar("scan_max_abs")));
    }
    // Another layer: the prediction is the same frame's numbers, with the new layer in its header.
    const FramePtr before = log.last(View::Prediction);
    const int other = layer + 1 < cfg.n_layers ? layer + 1 : layer - 1;
    log.clear();
    const int64_t runs = reruns();
    s.set_choice(0, Choice{other, 0, 1});
    s.wait_idle();
    FramePtr p = log.last(View::Prediction);
    QVERIFY(p && p->error.empty());
    QCOMPARE(p->layer, other);
    QCOMPARE(p->values, before->values);
    QVERIFY(reruns() > runs);  // (the other layer's window was traced: the counter works)
  }

  // Typing at the end after a text was opened (a long first run): the views already show the end, so
  // a typed byte's step extends their window and nothing is rerun from a snapshot, from the first
  // keystroke on (the benchmark's keystroke p99 was that first one).
  void typing_after_opening_reruns_nothing_data() {
    QTest::addColumn<QString>("model");
    for (const char* m : {"mamba1_tied_f32", "mamba2_g1_f32", "llama_mha_f32", "jamba_a"}) QTest::newRow(m) << QString(m);
  }
  void typing_after_opening_reruns_nothing() {
    QFETCH(QString, model);
    const std::string dir = fixture(model.toUtf8().constData());
    std::string text;
    while (text.size() < 3000) text += kText;
    Log log;
    Session s(log.callbacks());
    std::string err;
    QVERIFY2(s.open_model(dir, "cpu", "fp32", &err), err.c_str());
    s.set_views({View::State, View::Delta, View::Matrix, View::Prediction, View::Memory});
    s.set_text(bytes_of(text));
    s.wait_idle();
    QCOMPARE(s.document().token, int64_t(text.size()) - 1);  // the selection follows the end
    auto reruns = [&] {
      int64_t n = 0;
      s.run_on_worker([&](Engine& e, const Document& d) { n = e.exploration(d, 0)->query_tokens_run(); });
      return n;
    };
    for (int k = 0; k < 3; ++k) {
      const int64_t before = reruns();
      s.append({uint8_t('a' + k)});
      s.wait_idle();
      QCOMPARE(s.document().token, int64_t(text.size()) + k);
      QCOMPARE(reruns(), before);
      for (View v : {View::State, View::Prediction}) {
        const FramePtr f = log.last(v);
        QVERIFY(f && f->error.empty() && f->token == s.document().token);
      }
    }
  }

  // A view takes a frame that draws the same as the one it shows without redrawing (ss::same_drawing):
  // the memory view after a click, the prediction view after a layer change. Anything a view draws
  // that differs must count.
  void same_drawing_only_when_nothing_drawn_differs() {
    std::string text;
    while (text.size() < 600) text += kText;
    Log log;
    Session s(log.callbacks());
    QVERIFY(s.open_model(fixture("mamba1_tied_f32"), "cpu"));
    s.set_text(bytes_of(text));
    s.select_token(300);
    s.wait_idle();
    const FramePtr mem1 = log.last(View::Memory), pred1 = log.last(View::Prediction), state1 = log.last(View::State);
    s.select_token(301);
    s.wait_idle();
    const FramePtr mem2 = log.last(View::Memory), state2 = log.last(View::State);
    QVERIFY(mem1 && mem2 && mem1 != mem2 && state1 && state2);
    QVERIFY(!same_drawing(*mem1, *mem2));                                     // another selection in its header
    QVERIFY(same_drawing(*mem1, *mem2, kIgnoreSelection | kIgnoreChoice));    // the same bytes per position
    QVERIFY(!same_drawing(*state1, *state2, kIgnoreSelection | kIgnoreChoice));  // h_t of another token
    s.select_token(300);
    s.set_choice(0, Choice{1, 0, 0});
    s.wait_idle();
    const FramePtr pred2 = log.last(View::Prediction);
    QVERIFY(pred2 && pred2 != pred1 && pred2->layer == 1 && pred1->layer == 0);
    QVERIFY(!same_drawing(*pred1, *pred2));
    QVERIFY(same_drawing(*pred1, *pred2, kIgnoreChoice));  // NaN scalars (no task) compare equal to themselves
    Frame changed = *pred2;
    changed.values[7] = std::nextafter(changed.values[7], 1.0f);  // one bit
    QVERIFY(!same_drawing(*pred1, changed, kIgnoreChoice));
    changed = *pred2;
    changed.scalars["p_next"] = 0.5;
    QVERIFY(!same_drawing(*pred1, changed, kIgnoreChoice));
  }

  // The worker must never go idle with the newest text half computed. A document posted while the
  // worker was taking the previous one used to raise the interrupt after the worker had taken the
  // new document, so it dropped that work as stale and went idle (a race: this loop provokes it).
  void idle_means_the_newest_text_is_computed() {
    Log log;
    Session s(log.callbacks());
    std::string err;
    QVERIFY2(s.open_model(fixture("mamba1_tied_f32"), "cpu", "fp32", &err), err.c_str());
    std::string text = kText;
    for (int i = 0; i < 300; ++i) {
      text += char('a' + i % 26);
      s.set_text(bytes_of(text));
      for (int k = 0; k < 4; ++k) s.select_token(int64_t(text.size()) / (k + 2));  // posts right behind the text's
      s.wait_idle();
      const Session::Status st = s.status();
      QVERIFY2(!st.busy && st.computed == int64_t(text.size()),
               qPrintable(QString("round %1: %2 of %3 bytes computed").arg(i).arg(st.computed).arg(text.size())));
    }
  }

  // A window that does not start at token 0: the state entering it is part of the scan's output
  // (the carry); without it the two sides differ, with it they agree. For both SSM families.
  void scan_vs_matrix_with_a_carried_state_data() {
    QTest::addColumn<QString>("model");
    for (const char* m : {"mamba1_tied_f32", "mamba2_g1_f32"}) QTest::newRow(m) << QString(m);
  }
  void scan_vs_matrix_with_a_carried_state() {
    QFETCH(QString, model);
    const std::string dir = fixture(model.toUtf8().constData());
    Log log;
    Session s(log.callbacks());
    QVERIFY(s.open_model(dir, "cpu"));
    s.set_text(bytes_of(kText));
    s.select_window(20, 50);
    s.wait_idle();
    FramePtr m = log.last(View::Matrix, 0);
    QVERIFY(m && m->error.empty());
    QCOMPARE(m->t0, int64_t(20));
    const double diff = m->scalar("scan_vs_matrix", -1), scale = m->scalar("scan_max_abs");
    QVERIFY2(diff >= 0 && diff <= 1e-4 * std::max(1.0, scale), qPrintable(QString("%1 vs %2").arg(diff).arg(scale)));
    // The same check by hand, without the carried state: it fails by more than rounding.
    auto ref = Exploration::open(dir, make_cpu_backend());
    ref->set_bytes(bytes_of(kText));
    const Choice ch = s.document().choices[0];
    const int index = ref->config().mixers[ch.layer] == MixerKind::Mamba ? ch.channel : ch.head;
    // The engine traced the window wider, from the snapshot at 0 to the end of the text, and carries the
    // state after token 19 from that trace's own states (Engine::ssm_state_after): the same run by hand.
    const LayerWindow wide = ref->trace_window(ch.layer, 0, ref->computed(), kWindowGate | kWindowStates, ch.head);
    const LayerWindow w = sub_window(wide, 20, 50);
    const MatrixF M = window_matrix_blocked(w, ref->ssm_A(ch.layer), index);
    const int64_t per = wide.states.numel() / wide.states.size(0);
    const Tensor h19 = Tensor::from(Shape(wide.states.shape().begin() + 1, wide.states.shape().end()),
                                    std::vector<float>(wide.states.data() + 19 * per, wide.states.data() + 20 * per));
    const ScanMatrixCheck with = scan_vs_matrix(w, ref->ssm_A(ch.layer), index, M, h19);
    const ScanMatrixCheck without = scan_vs_matrix(w, ref->ssm_A(ch.layer), index, M, Tensor());
    QCOMPARE(with.max_abs_diff, diff);
    // state_at(19) reruns tokens 0..19 alone: the same state to rounding (Mamba-2: its chunk's closed
    // form, not the recurrence), so the readout agrees to the rounding it measures.
    const Tensor rerun = ref->state_at(19, ch.layer).layers[ch.layer].ssm_state;
    QVERIFY(test::rel_l2(h19, rerun) < 1e-6);
    const ScanMatrixCheck with_rerun = scan_vs_matrix(w, ref->ssm_A(ch.layer), index, M, rerun);
    QVERIFY(std::abs(with_rerun.max_abs_diff - diff) <= 1e-6 * std::max(1.0, with.max_abs_y));
    qInfo("%s window 20..49: max |scan - (M x + carry)| = %.3g, without the carry %.3g, max |y| = %.3g", qPrintable(model),
          with.max_abs_diff, without.max_abs_diff, with.max_abs_y);
    QVERIFY2(without.max_abs_diff > 100 * std::max(with.max_abs_diff, 1e-7),
             qPrintable(QString("without the carry %1, with %2").arg(without.max_abs_diff).arg(with.max_abs_diff)));
  }

  // --- a model with a tokenizer.json: its views work in its tokens ---
  void tokenizer_models_work_in_tokens_data() {
    QTest::addColumn<QString>("family");
    QTest::addColumn<QString>("tokenizer");
    QTest::newRow("mamba2 + SentencePiece BPE") << "mamba2" << "sp_metaspace_2k";
    QTest::newRow("jamba + byte-level BPE") << "jamba" << "bytelevel_prefix_1k";
  }
  void tokenizer_models_work_in_tokens() {
    QFETCH(QString, family);
    QFETCH(QString, tokenizer);
    QTemporaryDir tmp;
    const std::string dir = tmp.path().toStdString() + "/model";
    nlohmann::json cfg = testkit::bench_config(family.toStdString());
    cfg["vocab_size"] = 2048;
    cfg["num_hidden_layers"] = family == "jamba" ? 4 : 2;
    testkit::write_random_model_folder(cfg, dir, 7);
    const std::string tokDir = test::fixtures_dir() + "/tokenizers/" + tokenizer.toStdString();
    for (const char* f : {"tokenizer.json", "tokenizer_config.json"})
      if (std::filesystem::exists(tokDir + "/" + f)) std::filesystem::copy_file(tokDir + "/" + f, dir + "/" + f);
    // The reference: the model's own tokenizer and forward over its ids, without the session.
    const std::string text = kText + " naïve 😀 end";
    auto backend = make_cpu_backend();
    auto model = Model::load(dir, *backend);
    QVERIFY(model->has_tokenizer());
    const std::vector<TokenPiece> pieces = model->tokenize(std::string_view(text));
    QVERIFY(pieces.size() < text.size());  // tokens, not bytes
    std::vector<int32_t> ids;
    for (const TokenPiece& p : pieces) ids.push_back(p.id);
    ModelState st = model->initial_state();
    const Tensor logits = model->forward(ids, st, {}, true);  // [tokens, V]
    const int64_t V = logits.size(1);

    Log log;
    Session s(log.callbacks());
    std::string err;
    QVERIFY2(s.open_model(dir, "cpu", "fp32", &err), err.c_str());
    QVERIFY(!s.document().columns[0]->tokenizer.empty());
    s.set_text(bytes_of(text));
    const int64_t byte = int64_t(text.find("fox")) + 1;  // the 'o' of "fox"
    s.select_token(byte);
    s.wait_idle();
    // The token that holds that byte.
    int64_t tok = -1;
    for (size_t i = 0; i < pieces.size(); ++i)
      if (pieces[i].begin <= byte && byte < pieces[i].end) tok = int64_t(i);
    QVERIFY(tok > 0);
    FramePtr p = log.last(View::Prediction);
    QVERIFY(p && p->error.empty() && p->note.empty());
    QCOMPARE(p->token, tok);
    QCOMPARE(p->t0, int64_t(0));
    QCOMPARE(p->t1, int64_t(pieces.size()));
    QCOMPARE(p->cols, V);
    QCOMPARE(p->scalar("tokenized"), 1.0);
    QVERIFY(p->tokens);
    QCOMPARE(p->tokens->ids, ids);
    for (size_t i = 0; i < pieces.size(); ++i) {
      QCOMPARE(p->tokens->begin[i], pieces[i].begin);
      QCOMPARE(p->tokens->end[i], pieces[i].end);
      QVERIFY2(p->tokens->labels[i].find("\xEF\xBF\xBD") == std::string::npos, p->tokens->labels[i].c_str());  // never U+FFFD
    }
    const std::vector<float> ref = softmax_row(logits.data() + tok * V, V);
    for (int64_t v : {int64_t(0), int64_t(ids[tok + 1]), V - 1}) QVERIFY(std::abs(p->at(0, v) - ref[v]) <= 1e-5f);
    QCOMPARE(int(p->scalar("next_byte")), ids[tok + 1]);
    QCOMPARE(p->order_labels.size(), p->order.size());
    QCOMPARE(p->per_token->size(), pieces.size());  // a surprisal per token
    // Δ and M over the window's tokens, labelled with the tokens' texts.
    FramePtr dl = log.last(View::Delta);
    QVERIFY(dl && dl->error.empty());
    if (dl->note.empty()) {
      QCOMPARE(dl->rows, int64_t(pieces.size()));
      QCOMPARE(dl->row_labels.size(), pieces.size());
      QCOMPARE(dl->highlight_row, tok);
    }
    FramePtr mx = log.last(View::Matrix, 0);
    QVERIFY(mx && mx->error.empty());
    QCOMPARE(mx->rows, int64_t(pieces.size()));
    // Memory counts tokens: at the last byte the model holds every token.
    FramePtr mem = log.last(View::Memory);
    QVERIFY(mem && mem->empty() == false);
    auto ex = Exploration::open(dir, make_cpu_backend());
    QCOMPARE(mem->at(mem->rows - 1, 0), float(ex->state_bytes() + ex->kv_bytes_at(int64_t(pieces.size()) - 1)));
    // Status counts text bytes.
    QCOMPARE(s.status().computed, int64_t(text.size()));

    // Typing at the end, and an edit in the middle (which may change the tokens before it), equal a
    // model given the final text at once.
    for (char ch : std::string(" more")) s.append({uint8_t(ch)});
    std::vector<uint8_t> edited = bytes_of(text + " more");
    edited.insert(edited.begin() + 10, {uint8_t('X'), uint8_t('y')});
    s.set_text(edited);
    s.select_token(int64_t(edited.size()) - 1);
    s.wait_idle();
    ex->set_bytes(edited);
    QCOMPARE(ex->size(), int64_t(model->tokenize(std::string_view(reinterpret_cast<const char*>(edited.data()), edited.size())).size()));
    p = log.last(View::Prediction);
    QVERIFY(p && p->error.empty());
    QCOMPARE(p->token, ex->token_at_byte(int64_t(edited.size()) - 1));  // the token of the last byte (an EOS may follow)
    const std::vector<float> fresh = ex->next_byte_probs(p->token);
    for (int64_t v : {int64_t(0), int64_t(5), V - 1}) QVERIFY(std::abs(p->at(0, v) - fresh[v]) <= 1e-5f);
    QCOMPARE(p->per_token->size(), ex->surprisals().size());
    for (size_t i = 1; i < p->per_token->size(); ++i) QVERIFY(std::abs((*p->per_token)[i] - ex->surprisals()[i]) <= 1e-4f);
  }

  void block_rank_and_cell_terms() {
    Log log;
    Session s(log.callbacks());
    QVERIFY(s.open_model(fixture("mamba1_tied_f32"), "cpu"));
    s.set_text(bytes_of(kText));
    s.select_window(10, 40);
    s.request_block_rank(0, 12, 0, 30, 8);
    s.request_cell_terms(0, 15, 4);
    s.wait_idle();
    FramePtr r = log.last(View::BlockRank);
    QVERIFY(r && r->error.empty());
    QVERIFY(r->scalar("rank") >= 1 && r->scalar("rank") <= r->scalar("N"));  // strictly below the diagonal: <= N
    QCOMPARE(r->scalar("r0"), 22.0);
    FramePtr c = log.last(View::CellTerms);
    QVERIFY(c && c->error.empty());
    QVERIFY2(QString::fromStdString(c->text).contains("Σ_n"), c->text.c_str());
    FramePtr m = log.last(View::Matrix, 0);
    QVERIFY(std::abs(c->scalar("value") - m->at(15, 4)) < 1e-5 * std::max(1.0, std::abs(c->scalar("value"))));
  }

  // --- the worker ---
  void appends_equal_a_fresh_model() {
    Log log;
    Session s(log.callbacks());
    QVERIFY(s.open_model(fixture("mamba2_g1_f32"), "cpu"));
    s.set_text(bytes_of(kText));
    for (char ch : std::string("abc!")) s.append({uint8_t(ch)});  // typed bytes: the recurrent step
    s.wait_idle();
    auto ref = Exploration::open(fixture("mamba2_g1_f32"), make_cpu_backend());
    ref->set_bytes(bytes_of(kText + "abc!"));
    FramePtr p = log.last(View::Prediction);
    QCOMPARE(p->token, int64_t(kText.size() + 3));  // the selection followed the end
    QCOMPARE(p->text_version, s.document().text_version);
    const std::vector<float> probs = ref->next_byte_probs(p->token);
    for (int b : {0, int('e'), 255}) QVERIFY(std::abs(p->at(0, b) - probs[b]) < 1e-5);
  }

  void the_newest_document_wins() {
    // Many clicks in a row: stale frames may be dropped, the last frames are the last click's.
    Log log;
    Session s(log.callbacks());
    QVERIFY(s.open_model(fixture("mamba1_tied_f32"), "cpu"));
    s.set_text(bytes_of(kText));
    for (int64_t t = 0; t < 40; ++t) s.select_token(t);
    s.wait_idle();
    QCOMPARE(log.last(View::State)->token, int64_t(39));
    QCOMPARE(log.last(View::State)->request, s.document().serial);
    QVERIFY(s.status().serial == s.document().serial);
    int states = 0;
    for (const FramePtr& f : log.frames) states += f->view == View::State;
    QVERIFY2(states <= 41, qPrintable(QString::number(states)));
  }

  void cancel_resume_and_requests_while_busy() {
    // A long text: the owner's requests return at once while the worker runs (no widget waits on a
    // model, and none touches one: the old race was a click reaching the model mid-update); cancel
    // stops it with the frames saying what is not computed; resume finishes it.
    std::string big;
    while (big.size() < 400000) big += kText;
    Log log;
    Session s(log.callbacks());
    QVERIFY(s.open_model(fixture("mamba1_untied_bf16"), "cpu"));
    s.set_text(bytes_of(big));
    QTRY_VERIFY_WITH_TIMEOUT(s.status().busy && s.status().progress > 0, 60000);
    QTRY_VERIFY_WITH_TIMEOUT(s.status().eta_seconds > 0, 60000);  // time left, measured from the chunks so far
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < 20; ++i) {
      s.select_token(i);
      s.select_window(3, 30 + i);
      s.request_cell_terms(0, 5, 2);
      s.request_block_rank(0, 10, 0, 20, 5);
    }
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    QVERIFY2(s.status().busy, "the update should still run: make the text longer");
    QVERIFY2(ms < 1000, qPrintable(QString("80 requests took %1 ms on the owner's thread").arg(ms)));
    s.select_token(int64_t(big.size()) - 1);
    s.cancel();
    s.wait_idle();
    Session::Status st = s.status();
    QVERIFY(st.paused);
    QVERIFY(st.computed < int64_t(big.size()));
    FramePtr f = log.last(View::State);
    QVERIFY(f && f->empty());
    QVERIFY2(QString::fromStdString(f->note).contains("not computed"), f->note.c_str());
    s.resume();
    s.wait_idle();
    st = s.status();
    QVERIFY(!st.paused);
    QCOMPARE(st.computed, int64_t(big.size()));
    f = log.last(View::State);
    QVERIFY(f && !f->empty());
    QCOMPARE(f->token, int64_t(big.size()) - 1);
  }

  void a_failing_model_keeps_its_column() {
    Log log;
    Session s(log.callbacks());
    std::string err;
    QVERIFY(!s.open_model(fixture("no_such_model"), "cpu", "fp32", &err));
    QVERIFY2(QString::fromStdString(err).contains("no_such_model"), err.c_str());
    QVERIFY(s.open_model(fixture("mamba1_tied_f32"), "cpu"));
    QCOMPARE(int(s.document().columns.size()), 2);
    QVERIFY(!s.document().columns[0]->loaded());
    s.set_text(bytes_of(kText));
    s.set_active(0);
    s.wait_idle();
    FramePtr bad = log.last(View::State);
    QVERIFY(bad && bad->empty());
    QCOMPARE(bad->error, err);  // the failing column says why
    QVERIFY(log.last(View::Matrix, 1) && !log.last(View::Matrix, 1)->empty());  // the other model works
    QCOMPARE(log.last(View::Memory)->cols, int64_t(1));
    s.close_model(0);
    s.wait_idle();
    QCOMPARE(s.document().active, 0);
    QVERIFY(!log.last(View::State)->empty());
  }

  void no_model_or_no_text_clears_every_view() {
    // Defect 2 at the source: with no model or no text, every frame is empty (a note, no series).
    Log log;
    Session s(log.callbacks());
    QVERIFY(s.open_model(fixture("jamba_a"), "cpu"));
    s.set_text(bytes_of(kText));
    s.measure_cost({16, 32}, 1);
    s.wait_idle();
    QVERIFY(!log.last(View::Cost)->empty());
    s.set_text({});
    s.wait_idle();
    for (View v : {View::State, View::Delta, View::Prediction, View::Memory}) {
      FramePtr f = log.last(v);
      QVERIFY2(f && f->empty() && f->series.empty() && !f->note.empty(), view_name(v));
    }
    s.close_model(0);
    s.wait_idle();
    QVERIFY(log.last(View::State)->note == "no model");
    QVERIFY(log.last(View::Cost)->empty());  // the timing was of models that are gone
  }
};

QTEST_GUILESS_MAIN(TestSession)
#include "tst_session.moc"
