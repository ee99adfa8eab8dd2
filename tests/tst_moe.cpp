// Jamba's mixture of experts: routing and expert sums against a dense brute-force computation, the
// routing traces, both stored expert layouts (per expert and fused), bad expert tensors, and the
// router against transformers' own router logits and top-k choices (fixtures).
#include <QtTest>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>
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

json jamba_config(int experts, int top_k, int layers = 2) {
  // Every layer has experts; attention at odd layers.
  return {{"architectures", {"JambaForCausalLM"}}, {"vocab_size", 256}, {"hidden_size", 24}, {"num_hidden_layers", layers},
          {"num_attention_heads", 4}, {"num_key_value_heads", 2}, {"intermediate_size", 40}, {"attn_layer_offset", 1},
          {"attn_layer_period", 2}, {"expert_layer_offset", 0}, {"expert_layer_period", 1}, {"num_experts", experts},
          {"num_experts_per_tok", top_k}, {"mamba_d_state", 4}, {"mamba_d_conv", 3}, {"mamba_expand", 2}, {"mamba_dt_rank", 3},
          {"tie_word_embeddings", false}};
}

std::map<std::string, Tensor> all_tensors(const std::string& dir) {
  ModelFolder ck(dir);
  std::map<std::string, Tensor> all;
  for (const auto& n : ck.names()) all[n] = ck.get(n, ck.shape_of(n));
  return all;
}

// Rewrites a per-expert checkpoint in transformers 5's fused in-memory layout:
// experts.gate_up_proj [E, 2I, D] (gate rows first), experts.down_proj [E, D, I].
void fuse_experts(const std::string& dir, int E, int64_t D, int64_t I, bool wrong_shape = false) {
  std::map<std::string, Tensor> all = all_tensors(dir), out;
  std::map<std::string, std::pair<Tensor, Tensor>> fused;  // prefix -> (gate_up, down)
  for (auto& [name, t] : all) {
    const auto at = name.find("experts.");
    if (at == std::string::npos) { out[name] = t; continue; }
    const std::string prefix = name.substr(0, at + 8);
    auto& f = fused[prefix];
    if (f.first.empty()) {
      f.first = Tensor::zeros({E, 2 * I, D});
      f.second = Tensor::zeros({E, D, I});
    }
    const std::string rest = name.substr(at + 8);  // "<e>.gate_proj.weight"
    const int e = std::stoi(rest);
    const std::string what = rest.substr(rest.find('.') + 1);
    float* dst = what == "gate_proj.weight" ? f.first.data() + e * 2 * I * D
                 : what == "up_proj.weight" ? f.first.data() + (e * 2 * I + I) * D
                                            : f.second.data() + e * D * I;
    std::copy_n(t.data(), t.numel(), dst);
  }
  for (auto& [prefix, f] : fused) {
    out[prefix + "gate_up_proj"] = wrong_shape ? f.first.reshaped({E, I, 2 * D}) : f.first;
    out[prefix + "down_proj"] = f.second;
  }
  testkit::write_safetensors_f32(dir + "/model.safetensors", out);
}

}  // namespace

class TestMoe : public QObject {
  Q_OBJECT

 private slots:
  void moe_matches_dense_brute_force_data() {
    QTest::addColumn<int>("experts");
    QTest::addColumn<int>("top_k");
    QTest::newRow("4 experts, top 2") << 4 << 2;
    QTest::newRow("8 experts, top 3") << 8 << 3;
    QTest::newRow("5 experts, top 1") << 5 << 1;
    QTest::newRow("3 experts, all chosen") << 3 << 3;
  }
  void moe_matches_dense_brute_force() {
    QFETCH(int, experts);
    QFETCH(int, top_k);
    const std::string dir = test::temp_dir("moe-dense");
    testkit::write_random_model_folder(jamba_config(experts, top_k), dir, 3);
    ModelFolder ck(dir);
    const ModelConfig c = parse_model_config(ck.config(), ck.config_path());
    QCOMPARE(c.ffns[0], FfnKind::Moe);
    auto be = make_cpu_backend();
    const std::string p = "model.layers.0.feed_forward.";
    auto moe = load_moe(ck, c, p, *be);
    const int64_t T = 37, D = c.d_model, I = c.ffn.intermediate, E = experts, K = top_k;
    const Tensor x = random_tensor({T, D}, 12);
    TraceStore store;
    const Tensor y = moe->forward(*be, x, Tracer(store.recording(), be.get(), 0), 0);
    QCOMPARE(y.shape(), (Shape{T, D}));

    // Dense: every expert on every token, in double; weights = softmax over all experts, kept for the top K.
    const Tensor wr = ck.get(p + "router.weight", {E, D});
    std::vector<double> ref(T * D, 0.0), logits(T * E);
    std::vector<std::vector<int>> chosen(T);
    std::vector<std::vector<double>> weight(T);
    for (int64_t t = 0; t < T; ++t) {
      std::vector<double> pr(E);
      double m = -INFINITY, sum = 0;
      for (int64_t e = 0; e < E; ++e) {
        double acc = 0;
        for (int64_t i = 0; i < D; ++i) acc += double(wr.at(e * D + i)) * x.at(t * D + i);
        logits[t * E + e] = pr[e] = acc;
        m = std::max(m, acc);
      }
      for (double& v : pr) sum += (v = std::exp(v - m));
      for (double& v : pr) v /= sum;
      std::vector<int> order(E);
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return pr[a] > pr[b]; });
      for (int k = 0; k < K; ++k) {
        chosen[t].push_back(order[k]);
        weight[t].push_back(pr[order[k]]);
      }
    }
    for (int64_t e = 0; e < E; ++e) {
      const std::string pe = p + "experts." + std::to_string(e) + ".";
      const Tensor g = ck.get(pe + "gate_proj.weight", {I, D}), u = ck.get(pe + "up_proj.weight", {I, D}),
                   dn = ck.get(pe + "down_proj.weight", {D, I});
      for (int64_t t = 0; t < T; ++t) {
        std::vector<double> h(I);
        for (int64_t j = 0; j < I; ++j) {
          double a = 0, b = 0;
          for (int64_t i = 0; i < D; ++i) {
            a += double(g.at(j * D + i)) * x.at(t * D + i);
            b += double(u.at(j * D + i)) * x.at(t * D + i);
          }
          h[j] = a / (1.0 + std::exp(-a)) * b;
        }
        double w = 0;  // the routing weight of expert e for token t (0 when not chosen)
        for (int k = 0; k < K; ++k)
          if (chosen[t][k] == e) w = weight[t][k];
        for (int64_t o = 0; o < D; ++o) {
          double acc = 0;
          for (int64_t j = 0; j < I; ++j) acc += double(dn.at(o * I + j)) * h[j];
          ref[t * D + o] += w * acc;
        }
      }
    }
    double num = 0, den = 0;
    for (int64_t i = 0; i < T * D; ++i) {
      num += (y.at(i) - ref[i]) * (y.at(i) - ref[i]);
      den += ref[i] * ref[i];
    }
    QVERIFY2(std::sqrt(num / den) < 1e-5, qPrintable(QString("rel L2 %1").arg(std::sqrt(num / den))));

    // Routing traces: router logits, chosen experts (largest weight first), unnormalised weights.
    const Tensor tl = store.get(trace::kMoeRouterLogits, 0), te = store.get(trace::kMoeExperts, 0), tw = store.get(trace::kMoeWeights, 0);
    QCOMPARE(tl.shape(), (Shape{T, E}));
    QCOMPARE(te.shape(), (Shape{T, K}));
    QCOMPARE(tw.shape(), (Shape{T, K}));
    for (int64_t t = 0; t < T; ++t) {
      for (int64_t e = 0; e < E; ++e) QVERIFY(std::abs(tl.at(t * E + e) - logits[t * E + e]) < 1e-4);
      double sum = 0;
      for (int k = 0; k < K; ++k) {
        QCOMPARE(int(te.at(t * K + k)), chosen[t][k]);
        QVERIFY(std::abs(tw.at(t * K + k) - weight[t][k]) < 1e-6);
        sum += tw.at(t * K + k);
      }
      if (K < E) QVERIFY2(sum < 1.0 - 1e-4, "top-k weights were renormalised");
      else QVERIFY(std::abs(sum - 1.0) < 1e-5);
    }
  }

  void whole_batch_equals_token_by_token() {
    const std::string dir = test::temp_dir("moe-rows");
    testkit::write_random_model_folder(jamba_config(6, 2), dir, 4);
    ModelFolder ck(dir);
    const ModelConfig c = parse_model_config(ck.config(), ck.config_path());
    auto be = make_cpu_backend();
    auto moe = load_moe(ck, c, "model.layers.1.feed_forward.", *be);
    const int64_t T = 20, D = c.d_model;
    const Tensor x = random_tensor({T, D}, 5);
    const Tensor all = moe->forward(*be, x, Tracer(), 1);
    for (int64_t t = 0; t < T; ++t) {
      Tensor row = Tensor::zeros({1, D});
      std::copy_n(x.data() + t * D, D, row.data());
      const Tensor y = moe->forward(*be, row, Tracer(), 1);
      for (int64_t i = 0; i < D; ++i) QVERIFY(std::abs(y.at(i) - all.at(t * D + i)) < 1e-5f * (1.0f + std::abs(y.at(i))));
    }
  }

  void fused_layout_equals_per_expert_layout() {
    const std::string a = test::temp_dir("moe-split"), b = test::temp_dir("moe-fused");
    const json cfg = jamba_config(4, 2, 3);
    testkit::write_random_model_folder(cfg, a, 6);
    testkit::write_random_model_folder(cfg, b, 6);
    fuse_experts(b, 4, 24, 40);
    QVERIFY(ModelFolder(b).has("model.layers.0.feed_forward.experts.gate_up_proj"));
    QVERIFY(!ModelFolder(b).has("model.layers.0.feed_forward.experts.0.gate_proj.weight"));
    auto be = make_cpu_backend();
    auto ma = Model::load(a, *be), mb = Model::load(b, *be);
    std::vector<int32_t> tokens(30);
    for (int i = 0; i < 30; ++i) tokens[i] = (i * 37 + 11) % 256;
    ModelState sa = ma->initial_state(), sb = mb->initial_state();
    const Tensor la = ma->forward(tokens, sa), lb = mb->forward(tokens, sb);
    QVERIFY2(test::rel_l2(lb, la) < 1e-6, qPrintable(QString("rel L2 %1").arg(test::rel_l2(lb, la))));
  }

  void bad_expert_tensors_name_the_tensor_data() {
    QTest::addColumn<QString>("damage");
    QTest::addColumn<QString>("field");
    QTest::newRow("fused gate_up_proj of the wrong shape") << "wrong shape" << "model.layers.0.feed_forward.experts.gate_up_proj";
    QTest::newRow("fused down_proj missing") << "no down" << "model.layers.0.feed_forward.experts.down_proj";
    QTest::newRow("no experts at all") << "no experts" << "model.layers.0.feed_forward.experts.0.gate_proj.weight";
  }
  void bad_expert_tensors_name_the_tensor() {
    QFETCH(QString, damage);
    QFETCH(QString, field);
    const std::string dir = test::temp_dir("moe-bad");
    testkit::write_random_model_folder(jamba_config(4, 2), dir, 7);
    if (damage == "wrong shape") {
      fuse_experts(dir, 4, 24, 40, /*wrong_shape=*/true);
    } else {
      if (damage == "no down") fuse_experts(dir, 4, 24, 40);
      std::map<std::string, Tensor> all = all_tensors(dir), kept;
      for (auto& [n, t] : all)
        if (n.find(damage == "no down" ? "experts.down_proj" : "experts.") == std::string::npos) kept[n] = t;
      testkit::write_safetensors_f32(dir + "/model.safetensors", kept);
    }
    auto be = make_cpu_backend();
    try {
      Model::load(dir, *be);
      QFAIL("loaded a model with broken experts");
    } catch (const Error& e) {
      QCOMPARE(QString::fromStdString(e.field()), field);
      QVERIFY2(QString::fromStdString(e.file()).endsWith("model.safetensors"), e.what());
    }
  }

  void router_matches_transformers_data() {
    QTest::addColumn<QString>("name");
    int rows = 0;
    for (const auto& n : test::fixture_names())
      if (n.rfind("jamba", 0) == 0) {
        QTest::newRow(n.c_str()) << QString::fromStdString(n);
        ++rows;
      }
    if (!rows) QSKIP("no jamba fixtures in tests/fixtures");
  }
  void router_matches_transformers() {
    QFETCH(QString, name);
    const std::string dir = test::fixtures_dir() + "/" + name.toStdString();
    auto be = make_cpu_backend();
    auto m = Model::load(dir, *be);
    const auto tokens = test::read_input(dir + "/reference/input.bin");
    TraceRequest req;
    req.names = {trace::kMoeRouterLogits, trace::kMoeExperts};
    TraceStore store(req);
    ModelState s = m->initial_state();
    m->forward(tokens, s, store.recording(), false);
    int compared = 0;
    for (int l = 0; l < m->config().n_layers; ++l) {
      const std::string logits_path = dir + "/reference/router_logits_L" + std::to_string(l) + ".npy";
      QCOMPARE(fs::exists(logits_path), m->config().ffns[l] == FfnKind::Moe);
      if (!fs::exists(logits_path)) continue;
      const NpyArray ref_logits = read_npy(logits_path), ref_topk = read_npy(dir + "/reference/router_topk_L" + std::to_string(l) + ".npy");
      const Tensor logits = store.get(trace::kMoeRouterLogits, l), chosen = store.get(trace::kMoeExperts, l);
      QCOMPARE(logits.shape(), ref_logits.shape);
      QCOMPARE(chosen.shape(), ref_topk.shape);
      const double err = test::rel_l2(logits, ref_logits);
      QVERIFY2(err < 1e-5, qPrintable(QString("layer %1 router logits rel L2 %2").arg(l).arg(err)));
      for (int64_t i = 0; i < chosen.numel(); ++i)
        QVERIFY2(chosen.at(i) == float(ref_topk.values[i]), qPrintable(QString("layer %1 choice %2").arg(l).arg(i)));
      ++compared;
    }
    QVERIFY(compared > 0);
  }
};

QTEST_GUILESS_MAIN(TestMoe)
#include "tst_moe.moc"
