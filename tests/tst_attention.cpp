// Attention internals: RoPE against a hand rotation, the KV cache, causal grouped-query attention and
// the whole mixer against direct double-precision computations, the traced probability window, the
// step form against the parallel form, and transformers' own attention probabilities (fixtures).
#include <QtTest>

#include <cmath>
#include <filesystem>
#include <functional>
#include <random>

#include "backend.h"
#include "model_folder.h"
#include "error.h"
#include "model.h"
#include "random_model_folder.h"
#include "test_support.h"
#include "trace_store.h"

namespace fs = std::filesystem;
using namespace ss;
using json = nlohmann::json;

namespace {

Tensor random_tensor(Shape shape, unsigned seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> n(0.0f, scale);
  Tensor t = Tensor::zeros(shape);
  for (int64_t i = 0; i < t.numel(); ++i) t.at(i) = n(rng);
  return t;
}

std::vector<int32_t> some_bytes(size_t n, unsigned seed) {
  std::vector<int32_t> t(n);
  for (size_t i = 0; i < n; ++i) t[i] = static_cast<int32_t>((i * 2654435761u + seed * 40503u) >> 9 & 0xff);
  return t;
}

json llama_config(int d, int layers, int heads, int kv, int head_dim, double theta, bool bias = false) {
  return {{"architectures", {"LlamaForCausalLM"}}, {"vocab_size", 256}, {"hidden_size", d}, {"num_hidden_layers", layers},
          {"num_attention_heads", heads}, {"num_key_value_heads", kv}, {"head_dim", head_dim}, {"intermediate_size", 2 * d},
          {"rope_parameters", {{"rope_theta", theta}, {"rope_type", "default"}}}, {"tie_word_embeddings", false},
          {"rms_norm_eps", 1e-5}, {"attention_bias", bias}, {"mlp_bias", bias}};
}

json jamba_config(int layers, int heads, int kv, int experts, int top_k, int attn_offset, int attn_period, int exp_offset, int exp_period) {
  return {{"architectures", {"JambaForCausalLM"}}, {"vocab_size", 256}, {"hidden_size", 32}, {"num_hidden_layers", layers},
          {"num_attention_heads", heads}, {"num_key_value_heads", kv}, {"intermediate_size", 48}, {"attn_layer_offset", attn_offset},
          {"attn_layer_period", attn_period}, {"expert_layer_offset", exp_offset}, {"expert_layer_period", exp_period},
          {"num_experts", experts}, {"num_experts_per_tok", top_k}, {"mamba_d_state", 8}, {"mamba_d_conv", 4}, {"mamba_expand", 2},
          {"mamba_dt_rank", 4}, {"tie_word_embeddings", true}};
}

// Rewrites a checkpoint's model.safetensors with `extra` tensors added (e.g. biases the testkit omits).
void add_tensors(const std::string& dir, const std::map<std::string, Tensor>& extra) {
  std::map<std::string, Tensor> all;
  {
    ModelFolder ck(dir);
    for (const auto& n : ck.names()) all[n] = ck.get(n, ck.shape_of(n));
  }
  for (const auto& [n, t] : extra) all[n] = t;
  testkit::write_safetensors_f32(dir + "/model.safetensors", all);
}

// Causal attention in double: probs [Hq, T, L] and out [T, Hq, hd], L = pos0 + T; head h reads kv head kv_of(h).
struct Direct {
  std::vector<double> probs, out;
};
Direct direct_attention(const Tensor& q, const Tensor& k, const Tensor& v, int64_t pos0, double scale,
                        const std::function<int64_t(int64_t)>& kv_of) {
  const int64_t T = q.size(0), Hq = q.size(1), hd = q.size(2), Hkv = k.size(1), L = pos0 + T;
  Direct d;
  d.probs.assign(Hq * T * L, 0.0);
  d.out.assign(T * Hq * hd, 0.0);
  for (int64_t h = 0; h < Hq; ++h) {
    const int64_t g = kv_of(h);
    for (int64_t t = 0; t < T; ++t) {
      const int64_t n = pos0 + t + 1;
      std::vector<double> s(n);
      double m = -INFINITY, sum = 0;
      for (int64_t j = 0; j < n; ++j) {
        double dot = 0;
        for (int64_t i = 0; i < hd; ++i) dot += double(q.at((t * Hq + h) * hd + i)) * k.at((j * Hkv + g) * hd + i);
        s[j] = dot * scale;
        m = std::max(m, s[j]);
      }
      for (double& x : s) sum += (x = std::exp(x - m));
      for (int64_t j = 0; j < n; ++j) {
        const double p = s[j] / sum;
        d.probs[(h * T + t) * L + j] = p;
        for (int64_t i = 0; i < hd; ++i) d.out[(t * Hq + h) * hd + i] += p * v.at((j * Hkv + g) * hd + i);
      }
    }
  }
  return d;
}

double rel_l2(const Tensor& ours, const std::vector<double>& ref) {
  double num = 0, den = 0;
  for (int64_t i = 0; i < ours.numel(); ++i) {
    num += (ours.at(i) - ref[i]) * (ours.at(i) - ref[i]);
    den += ref[i] * ref[i];
  }
  return std::sqrt(num / std::max(den, 1e-300));
}

// Rotate-half RoPE in double on one [hd] vector at position p.
std::vector<double> rope_direct(const float* x, int64_t hd, int64_t p, double theta) {
  std::vector<double> y(hd);
  const int64_t half = hd / 2;
  for (int64_t i = 0; i < half; ++i) {
    const double a = double(p) * std::pow(theta, -2.0 * double(i) / double(hd));
    y[i] = x[i] * std::cos(a) - x[i + half] * std::sin(a);
    y[i + half] = x[i + half] * std::cos(a) + x[i] * std::sin(a);
  }
  return y;
}

// The KV cache of one layer as [Hkv, length, hd] (without the unused capacity).
Tensor cache_contents(const KvCache& c) {
  const int64_t H = c.k.size(0), cap = c.capacity(), hd = c.k.size(2);
  Tensor out = Tensor::zeros({2, H, c.length, hd});
  for (int64_t h = 0; h < H; ++h) {
    std::copy_n(c.k.data() + h * cap * hd, c.length * hd, out.data() + h * c.length * hd);
    std::copy_n(c.v.data() + h * cap * hd, c.length * hd, out.data() + (H + h) * c.length * hd);
  }
  return out;
}

}  // namespace

class TestAttention : public QObject {
  Q_OBJECT

 private slots:
  // --- backend ops ---

  void rope_matches_hand_rotation_data() {
    QTest::addColumn<int>("heads");
    QTest::addColumn<int>("hd");
    QTest::addColumn<int>("pos0");
    QTest::addColumn<double>("theta");
    QTest::newRow("hd 4 from 0") << 2 << 4 << 0 << 10000.0;
    QTest::newRow("hd 8 at 1000, theta 5e5") << 3 << 8 << 1000 << 500000.0;
    QTest::newRow("hd 64 at 4090") << 1 << 64 << 4090 << 10000.0;
  }
  void rope_matches_hand_rotation() {
    QFETCH(int, heads);
    QFETCH(int, hd);
    QFETCH(int, pos0);
    QFETCH(double, theta);
    auto be = make_cpu_backend();
    const int64_t T = 6;
    const Tensor x = random_tensor({T, heads, hd}, 11);
    Tensor y = be->clone(x);
    be->rope(y, pos0, static_cast<float>(theta));
    double worst = 0;
    for (int64_t t = 0; t < T; ++t)
      for (int64_t h = 0; h < heads; ++h) {
        const auto ref = rope_direct(x.data() + (t * heads + h) * hd, hd, pos0 + t, theta);
        for (int64_t i = 0; i < hd; ++i) worst = std::max(worst, std::abs(y.at((t * heads + h) * hd + i) - ref[i]));
      }
    QVERIFY2(worst < 2e-6, qPrintable(QString("max abs error %1").arg(worst)));
    if (pos0 == 0) QCOMPARE(y.at(0), x.at(0));  // position 0 is the identity
  }

  void rope_scores_depend_only_on_relative_position() {
    auto be = make_cpu_backend();
    const Tensor q = random_tensor({1, 1, 16}, 3), k = random_tensor({1, 1, 16}, 4);
    auto score = [&](int64_t pq, int64_t pk) {
      Tensor a = be->clone(q), b = be->clone(k);
      be->rope(a, pq, 10000.0f);
      be->rope(b, pk, 10000.0f);
      return a.flat().dot(b.flat());
    };
    QVERIFY(std::abs(score(7, 3) - score(1007, 1003)) < 1e-4f);
    QVERIFY(std::abs(score(7, 3) - score(7, 4)) > 1e-3f);  // and it does depend on the offset
  }

  void kv_cache_grows_by_doubling_and_keeps_positions() {
    auto be = make_cpu_backend();
    KvCache c;
    std::vector<Tensor> ks, vs;
    std::vector<int64_t> caps;
    int64_t total = 0;
    for (int64_t n : {1, 5, 10, 1, 40, 7}) {
      ks.push_back(random_tensor({n, 3, 4}, 100 + unsigned(total)));
      vs.push_back(random_tensor({n, 3, 4}, 200 + unsigned(total)));
      be->kv_append(c, ks.back(), vs.back());
      total += n;
      QCOMPARE(c.length, total);
      caps.push_back(c.capacity());
    }
    QCOMPARE(caps, (std::vector<int64_t>{16, 16, 16, 32, 64, 64}));
    int64_t p = 0;
    for (size_t i = 0; i < ks.size(); ++i)
      for (int64_t t = 0; t < ks[i].size(0); ++t, ++p)
        for (int64_t h = 0; h < 3; ++h)
          for (int64_t j = 0; j < 4; ++j) {
            QCOMPARE(c.k.at((h * c.capacity() + p) * 4 + j), ks[i].at((t * 3 + h) * 4 + j));
            QCOMPARE(c.v.at((h * c.capacity() + p) * 4 + j), vs[i].at((t * 3 + h) * 4 + j));
          }
  }

  void attention_matches_direct_computation_data() {
    QTest::addColumn<int>("Hq");
    QTest::addColumn<int>("Hkv");
    QTest::addColumn<int>("hd");
    QTest::addColumn<int>("T");
    QTest::addColumn<int>("pos0");
    QTest::newRow("mha") << 4 << 4 << 8 << 20 << 0;
    QTest::newRow("gqa 8/2") << 8 << 2 << 8 << 33 << 0;
    QTest::newRow("mqa") << 4 << 1 << 16 << 7 << 0;
    QTest::newRow("gqa continuing") << 6 << 3 << 8 << 10 << 25;
    QTest::newRow("one step") << 4 << 2 << 8 << 1 << 50;
    QTest::newRow("several query blocks") << 2 << 1 << 8 << 150 << 0;
    QTest::newRow("blocks continuing") << 4 << 2 << 8 << 130 << 70;
  }
  void attention_matches_direct_computation() {
    QFETCH(int, Hq);
    QFETCH(int, Hkv);
    QFETCH(int, hd);
    QFETCH(int, T);
    QFETCH(int, pos0);
    auto be = make_cpu_backend();
    const Tensor q = random_tensor({T, Hq, hd}, 1), k = random_tensor({pos0 + T, Hkv, hd}, 2), v = random_tensor({pos0 + T, Hkv, hd}, 3);
    KvCache cache;
    be->kv_append(cache, k, v);
    AttentionArgs a;
    a.q = &q;
    a.cache = &cache;
    a.pos0 = pos0;
    a.scale = 1.0f / std::sqrt(float(hd));
    const Tensor out = be->attention(a);
    QCOMPARE(out.shape(), (Shape{T, Hq, hd}));
    const int64_t R = Hq / Hkv;
    const Direct d = direct_attention(q, k, v, pos0, a.scale, [&](int64_t h) { return h / R; });
    const double err = rel_l2(out, d.out);
    QVERIFY2(err < 1e-5, qPrintable(QString("rel L2 %1").arg(err)));
  }

  void query_head_h_reads_kv_head_h_over_ratio() {
    auto be = make_cpu_backend();
    const int64_t T = 9, Hq = 8, Hkv = 2, hd = 4;
    const Tensor q = random_tensor({T, Hq, hd}, 5), k = random_tensor({T, Hkv, hd}, 6);
    Tensor v = Tensor::zeros({T, Hkv, hd});  // kv head g holds the value g + 1 everywhere
    for (int64_t t = 0; t < T; ++t)
      for (int64_t g = 0; g < Hkv; ++g)
        for (int64_t i = 0; i < hd; ++i) v.at((t * Hkv + g) * hd + i) = float(g + 1);
    KvCache cache;
    be->kv_append(cache, k, v);
    AttentionArgs a;
    a.q = &q;
    a.cache = &cache;
    a.scale = 0.5f;
    const Tensor out = be->attention(a);
    for (int64_t t = 0; t < T; ++t)
      for (int64_t h = 0; h < Hq; ++h)
        QVERIFY2(std::abs(out.at((t * Hq + h) * hd) - float(h / (Hq / Hkv) + 1)) < 1e-5,
                 qPrintable(QString("token %1 head %2 read %3").arg(t).arg(h).arg(out.at((t * Hq + h) * hd))));
    // The other plausible mapping (h % Hkv) would differ: the assertion above can fail.
    const Direct wrong = direct_attention(q, k, v, 0, 0.5, [&](int64_t h) { return h % Hkv; });
    QVERIFY(rel_l2(out, wrong.out) > 0.1);
  }

  void probability_window_rows_data() {
    QTest::addColumn<int>("head");
    QTest::addColumn<int>("t0");
    QTest::addColumn<int>("t1");
    QTest::addColumn<int>("pos0");
    QTest::addColumn<int>("T");
    QTest::newRow("whole sequence") << 3 << 0 << 70 << 0 << 70;
    QTest::newRow("inner window") << 5 << 5 << 15 << 0 << 20;
    QTest::newRow("window split across calls") << 0 << 5 << 15 << 10 << 10;
    QTest::newRow("call inside the window") << 2 << 3 << 40 << 10 << 5;
  }
  void probability_window_rows() {
    QFETCH(int, head);
    QFETCH(int, t0);
    QFETCH(int, t1);
    QFETCH(int, pos0);
    QFETCH(int, T);
    auto be = make_cpu_backend();
    const int64_t Hq = 6, Hkv = 2, hd = 8, L = pos0 + T, W = t1 - t0;
    const Tensor q = random_tensor({T, Hq, hd}, 7), k = random_tensor({L, Hkv, hd}, 8), v = random_tensor({L, Hkv, hd}, 9);
    KvCache cache;
    be->kv_append(cache, k, v);
    Tensor probs;  // [R, W]: the window's rows whose queries are in this call
    AttentionArgs a;
    a.q = &q;
    a.cache = &cache;
    a.pos0 = pos0;
    a.scale = 1.0f / std::sqrt(float(hd));
    a.probs_window = ProbsWindow{head, t0, t1};
    a.probs = &probs;
    be->attention(a);
    const int64_t r0 = std::max<int64_t>(t0, pos0) - t0, r1 = std::min<int64_t>(t1, pos0 + T) - t0;
    QCOMPARE(probs.shape(), (Shape{r1 - r0, W}));
    const Direct d = direct_attention(q, k, v, pos0, a.scale, [&](int64_t h) { return h / (Hq / Hkv); });
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t p = t0 + r;  // query position
      double sum = 0;
      for (int64_t c = 0; c < W; ++c) {
        const float got = probs.at((r - r0) * W + c);
        const double want = t0 + c <= p ? d.probs[(head * T + (p - pos0)) * L + t0 + c] : 0.0;
        QVERIFY2(std::abs(got - want) < 1e-6, qPrintable(QString("row %1 col %2: %3 vs %4").arg(r).arg(c).arg(got).arg(want)));
        sum += got;
      }
      if (t0 == 0) QVERIFY2(std::abs(sum - 1.0) < 1e-5, qPrintable(QString("row %1 sums to %2").arg(r).arg(sum)));
    }
  }

  // --- the mixer and the model ---

  void mixer_matches_direct_computation_data() {
    QTest::addColumn<QString>("family");
    QTest::newRow("llama gqa + bias + rope") << "llama";
    QTest::newRow("jamba (no positional encoding)") << "jamba";
  }
  void mixer_matches_direct_computation() {
    QFETCH(QString, family);
    const bool llama = family == "llama";
    const std::string dir = test::temp_dir("attn-mixer");
    const json cfg = llama ? llama_config(24, 1, 6, 2, 6, 1000.0, true) : jamba_config(2, 4, 2, 4, 2, 1, 2, 1, 2);
    testkit::write_random_model_folder(cfg, dir, 21);
    const std::string p = llama ? "model.layers.0.self_attn." : "model.layers.1.self_attn.";
    if (llama) {
      add_tensors(dir, {{p + "q_proj.bias", random_tensor({36}, 31, 0.3f)}, {p + "k_proj.bias", random_tensor({12}, 32, 0.3f)},
                        {p + "v_proj.bias", random_tensor({12}, 33, 0.3f)}, {p + "o_proj.bias", random_tensor({24}, 34, 0.3f)},
                        {"model.layers.0.mlp.gate_proj.bias", random_tensor({48}, 35, 0.3f)},
                        {"model.layers.0.mlp.up_proj.bias", random_tensor({48}, 36, 0.3f)},
                        {"model.layers.0.mlp.down_proj.bias", random_tensor({24}, 37, 0.3f)}});
    }
    ModelFolder ck(dir);
    const ModelConfig c = parse_model_config(ck.config(), ck.config_path());
    auto be = make_cpu_backend();
    auto mixer = load_attention_mixer(ck, c, p, *be);
    const int64_t D = c.d_model, Hq = c.attn.n_heads, Hkv = c.attn.n_kv_heads, hd = c.attn.head_dim, T = 23;
    const Tensor x = random_tensor({T, D}, 41);
    LayerState s = mixer->initial_state(*be);
    const Tensor y = mixer->forward(*be, x, s, Tracer(), 0, LayerIntervention{});

    // Direct: projections (+ bias) and RoPE in double, then attention and o_proj.
    auto project = [&](const std::string& name, int64_t out, bool rope) {
      const Tensor w = ck.get(p + name + ".weight", {out, D});
      const Tensor b = llama ? ck.get(p + name + ".bias", {out}) : Tensor::zeros({out});
      Tensor r = Tensor::zeros({T, out});
      for (int64_t t = 0; t < T; ++t)
        for (int64_t o = 0; o < out; ++o) {
          double acc = b.at(o);
          for (int64_t i = 0; i < D; ++i) acc += double(w.at(o * D + i)) * x.at(t * D + i);
          r.at(t * out + o) = float(acc);
        }
      if (rope)
        for (int64_t t = 0; t < T; ++t)
          for (int64_t h = 0; h < out / hd; ++h) {
            const auto rot = rope_direct(r.data() + (t * out + h * hd), hd, t, c.attn.rope_theta);
            for (int64_t i = 0; i < hd; ++i) r.at(t * out + h * hd + i) = float(rot[i]);
          }
      return r.reshaped({T, out / hd, hd});
    };
    const Tensor q = project("q_proj", Hq * hd, llama), k = project("k_proj", Hkv * hd, llama), v = project("v_proj", Hkv * hd, false);
    const Direct d = direct_attention(q, k, v, 0, 1.0 / std::sqrt(double(hd)), [&](int64_t h) { return h / (Hq / Hkv); });
    const Tensor wo = ck.get(p + "o_proj.weight", {D, Hq * hd});
    const Tensor bo = llama ? ck.get(p + "o_proj.bias", {D}) : Tensor::zeros({D});
    std::vector<double> ref(T * D);
    for (int64_t t = 0; t < T; ++t)
      for (int64_t o = 0; o < D; ++o) {
        double acc = bo.at(o);
        for (int64_t i = 0; i < Hq * hd; ++i) acc += wo.at(o * Hq * hd + i) * d.out[t * Hq * hd + i];
        ref[t * D + o] = acc;
      }
    const double err = rel_l2(y, ref);
    QVERIFY2(err < 1e-5, qPrintable(QString("rel L2 %1").arg(err)));
    QCOMPARE(s.kv.length, T);
    QCOMPARE(mixer->kv_bytes(T), int64_t(2 * Hkv * hd * T * 4));
  }

  void step_equals_forward_data() {
    QTest::addColumn<QString>("config");
    QTest::newRow("llama mha") << QString::fromStdString(llama_config(32, 2, 4, 4, 8, 10000.0).dump());
    QTest::newRow("llama gqa, head_dim != d/heads") << QString::fromStdString(llama_config(48, 2, 6, 2, 12, 500000.0).dump());
    QTest::newRow("llama mqa") << QString::fromStdString(llama_config(32, 3, 4, 1, 8, 10000.0).dump());
    QTest::newRow("jamba attention at 1 and 3") << QString::fromStdString(jamba_config(4, 4, 2, 4, 2, 1, 2, 1, 2).dump());
    QTest::newRow("jamba every layer MoE, top 3 of 5") << QString::fromStdString(jamba_config(3, 4, 1, 5, 3, 2, 3, 0, 1).dump());
  }
  void step_equals_forward() {
    QFETCH(QString, config);
    auto be = make_cpu_backend();
    const std::string dir = test::temp_dir("attn-step");
    testkit::write_random_model_folder(json::parse(config.toStdString()), dir, 5);
    auto m = Model::load(dir, *be);
    const auto tokens = some_bytes(75, 9);  // more than one 64-query block
    ModelState par = m->initial_state();
    const Tensor full = m->forward(tokens, par);  // [T, V]
    const int64_t V = full.size(1);

    ModelState rec = m->initial_state();
    Tensor stepped = Tensor::zeros(full.shape());
    for (size_t t = 0; t < tokens.size(); ++t) {
      const Tensor l = m->step(tokens[t], rec);
      std::copy_n(l.data(), V, stepped.data() + t * V);
    }
    const double err = test::rel_l2(stepped, full);
    QVERIFY2(err < 1e-5, qPrintable(QString("step vs forward logits rel L2 %1").arg(err)));

    const size_t cut = tokens.size() / 3;
    ModelState split = m->initial_state();
    const Tensor a = m->forward({tokens.begin(), tokens.begin() + cut}, split);
    const Tensor b = m->forward({tokens.begin() + cut, tokens.end()}, split);
    Tensor joined = Tensor::zeros(full.shape());
    std::copy_n(a.data(), a.numel(), joined.data());
    std::copy_n(b.data(), b.numel(), joined.data() + a.numel());
    QVERIFY2(test::rel_l2(joined, full) < 1e-5, "prefix + rest differs from one pass");

    int attention_layers = 0;
    for (int l = 0; l < m->config().n_layers; ++l) {
      if (m->config().mixers[l] != MixerKind::Attention) continue;
      ++attention_layers;
      const Tensor want = cache_contents(par.layers[l].kv);
      QCOMPARE(par.layers[l].kv.length, int64_t(tokens.size()));
      QCOMPARE(rec.layers[l].kv.length, int64_t(tokens.size()));
      QVERIFY2(test::rel_l2(cache_contents(rec.layers[l].kv), want) < 1e-5, qPrintable(QString("layer %1 stepped cache").arg(l)));
      QVERIFY2(test::rel_l2(cache_contents(split.layers[l].kv), want) < 1e-5, qPrintable(QString("layer %1 split cache").arg(l)));
    }
    QVERIFY(attention_layers > 0);
  }

  void probability_window_equals_softmax_of_traced_q_k() {
    auto be = make_cpu_backend();
    const std::string dir = test::temp_dir("attn-window");
    testkit::write_random_model_folder(llama_config(48, 2, 6, 2, 8, 10000.0), dir, 8);
    auto m = Model::load(dir, *be);
    const auto tokens = some_bytes(40, 3);
    const int64_t T = 40, Hq = 6, Hkv = 2, hd = 8, head = 5, layer = 1;
    TraceRequest req;
    req.names = {trace::kAttnProbs, trace::kAttnQ, trace::kAttnK, trace::kLayerKvBytes};
    req.probs_windows[layer] = ProbsWindow{int(head), 0, T};
    TraceStore one(req);
    ModelState s = m->initial_state();
    m->forward(tokens, s, one.recording(), false);
    const Tensor P = one.get(trace::kAttnProbs, layer), q = one.get(trace::kAttnQ, layer), k = one.get(trace::kAttnK, layer);
    QCOMPARE(P.shape(), (Shape{T, T}));
    QCOMPARE(q.shape(), (Shape{T, Hq, hd}));
    QCOMPARE(k.shape(), (Shape{T, Hkv, hd}));
    QVERIFY(!one.has(trace::kAttnProbs, 0));  // no window asked for layer 0
    const Direct d = direct_attention(q, k, k, 0, 1.0 / std::sqrt(double(hd)), [&](int64_t h) { return h / (Hq / Hkv); });
    for (int64_t t = 0; t < T; ++t) {
      double sum = 0;
      for (int64_t j = 0; j < T; ++j) {
        const double want = d.probs[(head * T + t) * T + j];
        QVERIFY2(std::abs(P.at(t * T + j) - want) < 1e-5, qPrintable(QString("P[%1, %2] %3 vs %4").arg(t).arg(j).arg(P.at(t * T + j)).arg(want)));
        sum += P.at(t * T + j);
      }
      QVERIFY(std::abs(sum - 1.0) < 1e-5);
    }
    // The KV cache holds the traced keys (after RoPE).
    for (int64_t t = 0; t < T; ++t)
      for (int64_t i = 0; i < hd; ++i) QCOMPARE(s.layers[layer].kv.k.at(t * hd + i), k.at(t * Hkv * hd + i));
    const Tensor bytes = one.get(trace::kLayerKvBytes, layer);
    QCOMPARE(bytes.shape(), (Shape{T}));
    for (int64_t t = 0; t < T; ++t) QCOMPARE(double(bytes.at(t)), double(2 * Hkv * hd * 4 * (t + 1)));

    // The same window filled by a forward over a prefix and steps after it.
    TraceStore pieces(req);
    ModelState s2 = m->initial_state();
    m->forward({tokens.begin(), tokens.begin() + 17}, s2, pieces.recording(), false);
    for (int64_t t = 17; t < T; ++t) m->step(tokens[t], s2, pieces.recording());
    QVERIFY(test::rel_l2(pieces.get(trace::kAttnProbs, layer), P) < 1e-6);
    QCOMPARE(pieces.get(trace::kLayerKvBytes, layer).shape(), (Shape{T}));
    // A window inside the sequence is the matching block of the full matrix.
    TraceRequest inner = req;
    inner.probs_windows[layer] = ProbsWindow{int(head), 8, 30};
    TraceStore part(inner);
    ModelState s3 = m->initial_state();
    m->forward(tokens, s3, part.recording(), false);
    const Tensor B = part.get(trace::kAttnProbs, layer);
    QCOMPARE(B.shape(), (Shape{22, 22}));
    for (int64_t r = 0; r < 22; ++r)
      for (int64_t c = 0; c < 22; ++c) QCOMPARE(B.at(r * 22 + c), P.at((8 + r) * T + 8 + c));
  }

  void missing_attention_bias_names_the_tensor() {
    const std::string dir = test::temp_dir("attn-bias");
    testkit::write_random_model_folder(llama_config(16, 1, 2, 2, 8, 10000.0, /*bias=*/true), dir, 2);
    auto be = make_cpu_backend();
    try {
      Model::load(dir, *be);
      QFAIL("loaded a model whose attention biases are missing");
    } catch (const Error& e) {
      QCOMPARE(QString::fromStdString(e.field()), QString("model.layers.0.self_attn.q_proj.bias"));
      QVERIFY(QString::fromStdString(e.file()).endsWith("model.safetensors"));
    }
  }

  // --- transformers' own probabilities ---

  void fixture_attention_probabilities_match_transformers_data() {
    QTest::addColumn<QString>("name");
    int rows = 0;
    for (const auto& n : test::fixture_names())
      if (fs::exists(test::fixtures_dir() + "/" + n + "/reference") &&
          (n.rfind("llama", 0) == 0 || n.rfind("jamba", 0) == 0 || n.rfind("bamba", 0) == 0 || n.rfind("nemotron_h", 0) == 0 ||
           n.rfind("granite_hybrid", 0) == 0 || n.rfind("falcon_h1", 0) == 0 || n.rfind("zamba2", 0) == 0)) {
        QTest::newRow(n.c_str()) << QString::fromStdString(n);
        ++rows;
      }
    if (!rows) QSKIP("no fixtures with attention layers in tests/fixtures");
  }
  void fixture_attention_probabilities_match_transformers() {
    QFETCH(QString, name);
    const std::string dir = test::fixtures_dir() + "/" + name.toStdString();
    auto be = make_cpu_backend();
    auto m = Model::load(dir, *be);
    const auto tokens = test::read_input(dir + "/reference/input.bin");
    const int64_t T = int64_t(tokens.size()), H = m->config().attn.n_heads;
    // Zamba2's random fixtures amplify float32 rounding about tenfold (logits vs transformers 1e-6..3e-6
    // where the other families are at 3e-7; transformers' own bf16 forward is 10x further off on them
    // than on the others, docs/check_transformers.md): their deepest probabilities differ by 1.3e-5 in
    // the CI build (glibc's expf), under 1e-5 on the workstation. A wrong attention is off by O(0.1).
    const double tol = name.startsWith("zamba2") ? 5e-5 : 1e-5;
    int compared = 0;
    for (int l = 0; l < m->config().n_layers; ++l) {
      if (!m->config().has_kv_cache(l)) continue;  // attention layers, Falcon-H1's every layer, Zamba2's hybrid layers
      const NpyArray ref = read_npy(dir + "/reference/attn_L" + std::to_string(l) + ".npy");  // [H, T, T]
      QCOMPARE(ref.shape, (Shape{H, T, T}));
      for (int h = 0; h < H; ++h) {
        TraceRequest req;
        req.names = {trace::kAttnProbs};
        req.probs_windows[l] = ProbsWindow{h, 0, T};
        TraceStore store(req);
        ModelState s = m->initial_state();
        m->forward(tokens, s, store.recording(), false);
        const Tensor P = store.get(trace::kAttnProbs, l);
        double worst = 0;
        for (int64_t i = 0; i < T * T; ++i) worst = std::max(worst, std::abs(P.at(i) - ref.values[h * T * T + i]));
        QVERIFY2(worst < tol, qPrintable(QString("layer %1 head %2: max abs diff %3").arg(l).arg(h).arg(worst)));
        ++compared;
      }
    }
    QVERIFY(compared > 0);
  }
};

QTEST_GUILESS_MAIN(TestAttention)
#include "tst_attention.moc"
