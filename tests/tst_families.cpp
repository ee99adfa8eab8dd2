// The families added for issue 12 (Falcon-Mamba, Bamba, Nemotron-H, Granite 4.0 hybrid, Falcon-H1, Zamba2): what their
// config.json says becomes the layer schedule and parameters transformers 5.17 uses; values StateScope
// does not run are refused naming the file and the key; random models (testkit, the tensor names
// save_pretrained writes) load, and their recurrent step form and chunked parallel form agree.
// Agreement with transformers itself is in tst_reference (the fixtures made by tools/make_fixtures.py).
#include <QtTest>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>

#include "backend.h"
#include "config.h"
#include "error.h"
#include "exploration.h"
#include "model.h"
#include "model_folder.h"
#include "observation_check.h"
#include "random_model_folder.h"
#include "test_support.h"
#include "trace_store.h"

using namespace ss;
using json = nlohmann::json;

namespace {

// A small version of testkit's family config (d 256 -> 32), so the CPU runs are quick. Falcon-H1 in
// three shapes: "falcon_h1" (GQA, 2 groups, gated norm after the gate, every multiplier != 1, untied),
// "falcon_h1_tied" (head_dim 12 != 32 / 4, mamba_d_ssm null: expand * hidden, no gated norm, tied with
// scaled head), "falcon_h1_bias" (one KV head, norm before the gate, every bias). Zamba2 in two:
// "zamba2" (2 shared blocks, adapters, RoPE, 2 groups), "zamba2_gqa" (1 block used 3 times, GQA, biases).
json small_config(const std::string& family) {
  if (family.rfind("falcon_h1", 0) == 0) {
    json j = testkit::bench_config("falcon_h1");
    j["hidden_size"] = 32;
    j["intermediate_size"] = 48;
    j["mamba_d_ssm"] = 64;  // 8 heads x 8
    j["mamba_d_state"] = 8;
    j["mamba_chunk_size"] = 8;
    if (family == "falcon_h1_tied") {
      j["head_dim"] = 12;
      j["mamba_d_ssm"] = nullptr;  // mamba_expand (2) * hidden_size
      j["mamba_expand"] = 2;
      j["mamba_n_groups"] = 1;
      j["mamba_rms_norm"] = false;
      j["tie_word_embeddings"] = true;
    }
    if (family == "falcon_h1_bias") {
      j["num_key_value_heads"] = 1;
      j["mamba_norm_before_gate"] = true;
      for (const char* k : {"mamba_proj_bias", "projectors_bias", "attention_bias", "mlp_bias"}) j[k] = true;
    }
    return j;
  }
  if (family.rfind("zamba2", 0) == 0) {  // zamba2: 2 shared blocks, adapters, RoPE, 2 groups
    json j = testkit::bench_config("zamba2");
    j["hidden_size"] = 32;
    j["num_attention_heads"] = 4;  // head size 2 * 32 / 4 = 16
    j["num_key_value_heads"] = 4;
    j["n_mamba_heads"] = 4;        // 64 / 4 = 16
    j["mamba_d_state"] = 8;
    j["chunk_size"] = 8;
    j["intermediate_size"] = 48;
    j["adapter_rank"] = 4;
    if (family == "zamba2_gqa") {  // 1 shared block used 3 times, GQA, no attention adapters, no RoPE, biases
      j["layers_block_type"] = {"hybrid", "linear_attention", "hybrid", "hybrid", "linear_attention"};
      j["num_mem_blocks"] = 1;
      j["num_key_value_heads"] = 2;
      j["use_shared_attention_adapter"] = false;
      j["use_mem_rope"] = false;
      j["add_bias_linear"] = true;
      j["mamba_ngroups"] = 1;
      j["tie_word_embeddings"] = false;
    }
    return j;
  }
  json j = testkit::bench_config(family);
  j["hidden_size"] = 32;
  if (family == "falcon_mamba") j["time_step_rank"] = 4;
  if (family == "bamba" || family == "granite_hybrid") {
    j["mamba_d_head"] = 8;  // 8 heads x 8 = expand 2 x 32
    j["mamba_d_state"] = 8;
    j["mamba_chunk_size"] = 8;
    j["intermediate_size"] = 48;
  }
  if (family == "granite_hybrid") {
    j["shared_intermediate_size"] = 40;
    j["attention_multiplier"] = 0.125;
  }
  if (family == "nemotron_h") {
    j["head_dim"] = 8;
    j["mamba_head_dim"] = 8;
    j["ssm_state_size"] = 8;
    j["chunk_size"] = 8;
    j["intermediate_size"] = 48;
  }
  if (family == "nemotron_h_moe") {  // M E * E -: MoE layers (6 experts in 3 groups) beside an MLP layer
    j = small_config("nemotron_h");
    j["hybrid_override_pattern"] = "ME*E-";
    j["n_routed_experts"] = 6;
    j["num_experts_per_tok"] = 2;
    j["moe_intermediate_size"] = 12;
    j["moe_shared_expert_intermediate_size"] = 20;
    j["n_group"] = 3;
    j["topk_group"] = 2;
    j["routed_scaling_factor"] = 1.7;
    j["norm_topk_prob"] = true;
  }
  return j;
}

ModelConfig parse(const json& j) { return parse_model_config(j, "test/config.json"); }

// The key an ss::Error for `j` names (empty when it parses).
std::string refused_key(const json& j) {
  try {
    parse(j);
  } catch (const Error& e) {
    return e.field();
  }
  return "";
}

std::vector<int32_t> some_tokens(int n) {
  std::vector<int32_t> t(n);
  for (int i = 0; i < n; ++i) t[i] = (i * 37 + 11) % 256;
  return t;
}

}  // namespace

class TestFamilies : public QObject {
  Q_OBJECT

 private slots:
  void falcon_mamba_has_weightless_norms_with_their_own_eps() {
    json j = small_config("falcon_mamba");
    j["mixer_rms_eps"] = 1e-3;
    const ModelConfig c = parse(j);
    QCOMPARE(c.arch, Architecture::FalconMamba);
    QVERIFY(c.mamba.dt_bc_norms);
    QVERIFY(!c.mamba.dt_bc_norm_weights);
    QCOMPARE(c.mamba.dt_bc_norm_eps, 1e-3f);
    QCOMPARE(c.norm_eps, 1e-5f);  // layer_norm_epsilon: the block and final norms
    j.erase("mixer_rms_eps");
    QCOMPARE(parse(j).mamba.dt_bc_norm_eps, 1e-6f);  // FalconMambaConfig's default
    QCOMPARE(std::string(architecture_name(Architecture::FalconMamba)), std::string("FalconMambaForCausalLM"));
  }

  void bamba_schedule_and_partial_rotary() {
    json j = small_config("bamba");
    j["num_hidden_layers"] = 5;
    j["attn_layer_indices"] = {1, 4};
    const ModelConfig c = parse(j);
    QCOMPARE(c.arch, Architecture::Bamba);
    const std::vector<MixerKind> want = {MixerKind::Mamba2, MixerKind::Attention, MixerKind::Mamba2, MixerKind::Mamba2, MixerKind::Attention};
    QVERIFY(c.mixers == want);
    for (FfnKind f : c.ffns) QCOMPARE(f, FfnKind::Mlp);
    QCOMPARE(c.attn.head_dim, 8);
    QCOMPARE(c.attn.rotary_dim, 4);  // BambaConfig: partial_rotary_factor 0.5
    QCOMPARE(c.mamba2.d_inner, 64);
    QCOMPARE(c.mamba2.norm_group_size, 64);  // BambaRMSNormGated: over all of d_inner
    j.erase("rope_parameters");
    QCOMPARE(parse(j).attn.rotary_dim, 4);  // 0.5 whatever config.json says (or does not say)
    j["rope_parameters"] = {{"rope_theta", 10000.0}, {"rope_type", "default"}, {"partial_rotary_factor", 1.0}};
    QCOMPARE(refused_key(j), std::string("rope_parameters.partial_rotary_factor"));
    j = small_config("bamba");
    j["attn_layer_indices"] = {7};
    QCOMPARE(refused_key(j), std::string("attn_layer_indices[0]"));
    j = small_config("bamba");
    j["mamba_d_head"] = 5;
    QCOMPARE(refused_key(j), std::string("mamba_d_head"));
  }

  void nemotron_h_pattern_string_and_list_give_one_schedule() {
    json j = small_config("nemotron_h");
    j["hybrid_override_pattern"] = "M*-MM-";
    const ModelConfig a = parse(j);
    j.erase("hybrid_override_pattern");
    j["layers_block_type"] = {"mamba", "attention", "mlp", "linear_attention", "linear_attention", "mlp"};  // legacy names too
    j["num_hidden_layers"] = 52;  // ignored, as transformers does: the list decides
    const ModelConfig b = parse(j);
    const std::vector<MixerKind> mix = {MixerKind::Mamba2, MixerKind::Attention, MixerKind::None,
                                        MixerKind::Mamba2, MixerKind::Mamba2,    MixerKind::None};
    const std::vector<FfnKind> ffn = {FfnKind::None, FfnKind::None, FfnKind::Mlp, FfnKind::None, FfnKind::None, FfnKind::Mlp};
    QVERIFY(a.mixers == mix && b.mixers == mix);
    QVERIFY(a.ffns == ffn && b.ffns == ffn);
    QCOMPARE(a.n_layers, 6);
    QCOMPARE(b.n_layers, 6);
    QCOMPARE(a.ffn.mlp, MlpKind::Relu2);
    QVERIFY(!a.attn.rope);
    QCOMPARE(a.mamba2.norm_group_size, a.mamba2.d_inner / a.mamba2.n_groups);  // Zamba2RMSNormGated per group
    QCOMPARE(a.mamba2.dt_min, 0.001f);  // Δ clamped below at time_step_min
    QCOMPARE(std::string(mixer_name(MixerKind::None)), std::string("none"));
  }

  void nemotron_h_refusals_name_the_key() {
    json j = small_config("nemotron_h");
    j["hybrid_override_pattern"] = "M*X";
    QCOMPARE(refused_key(j), std::string("hybrid_override_pattern"));
    j.erase("hybrid_override_pattern");
    QCOMPARE(refused_key(j), std::string("layers_block_type"));  // no layout at all
    j = small_config("nemotron_h");
    j["mlp_hidden_act"] = "gelu";
    QCOMPARE(refused_key(j), std::string("mlp_hidden_act"));
    j = small_config("nemotron_h");
    j["sliding_window"] = 128;
    QCOMPARE(refused_key(j), std::string("sliding_window"));
  }

  void nemotron_h_moe_layers_and_their_refusals() {
    json j = small_config("nemotron_h_moe");
    const ModelConfig c = parse(j);
    const std::vector<MixerKind> mix = {MixerKind::Mamba2, MixerKind::None, MixerKind::Attention, MixerKind::None, MixerKind::None};
    const std::vector<FfnKind> ffn = {FfnKind::None, FfnKind::Moe, FfnKind::None, FfnKind::Moe, FfnKind::Mlp};
    QVERIFY(c.mixers == mix);
    QVERIFY(c.ffns == ffn);
    QCOMPARE(c.ffn.routing, MoeRouting::SigmoidGroupedTopK);
    QCOMPARE(c.ffn.n_experts, 6);
    QCOMPARE(c.ffn.moe_intermediate, 12);
    QCOMPARE(c.ffn.intermediate, 48);  // the "-" layer's MLP keeps intermediate_size
    QCOMPARE(c.ffn.shared_intermediate, 20);
    QCOMPARE(c.ffn.n_groups, 3);
    QCOMPARE(c.ffn.topk_groups, 2);
    QCOMPARE(c.ffn.routed_scale, 1.7f);
    QVERIFY(c.ffn.norm_topk);
    j["moe_latent_size"] = 8;
    QCOMPARE(refused_key(j), std::string("moe_latent_size"));
    j = small_config("nemotron_h_moe");
    j["n_group"] = 4;  // 6 experts do not split into 4 groups
    QCOMPARE(refused_key(j), std::string("n_group"));
    j["n_group"] = 6;  // groups of one: a group is scored by its best two
    QCOMPARE(refused_key(j), std::string("n_group"));
    j = small_config("nemotron_h_moe");
    j["topk_group"] = 1;
    j["num_experts_per_tok"] = 3;  // one group of 2 experts cannot give 3
    QCOMPARE(refused_key(j), std::string("num_experts_per_tok"));
  }

  // The group limit and the score-correction bias decide which experts run, not how much they weigh:
  // a model whose bias is raised for one expert routes more tokens to it and computes different logits.
  void nemotron_h_moe_bias_steers_the_choice() {
    json j = small_config("nemotron_h_moe");
    const std::string dir = testkit::write_random_model_folder(j, test::temp_dir("nemo-moe-bias"), 7);
    auto be = make_cpu_backend();
    auto m = Model::load(dir, *be);
    QVERIFY2(m->unused_tensors().empty(), "every tensor of the folder is used");
    const auto tokens = some_tokens(30);
    ModelState s = m->initial_state();
    const Tensor a = m->forward(tokens, s);
    // Raise expert 5's bias far above the others: it is then chosen for every token (its group is among the best).
    const std::string st = dir + "/model.safetensors";
    std::map<std::string, Tensor> tensors;
    {
      ModelFolder ck(dir);
      for (const std::string& name : ck.names()) tensors[name] = ck.get(name, ck.shape_of(name));
    }
    for (auto& [name, t] : tensors)
      if (name.find("e_score_correction_bias") != std::string::npos) t.at(5) = 50.0f;
    test::write_safetensors(st, tensors);
    auto m2 = Model::load(dir, *be);
    TraceRequest req;
    req.names = {trace::kMoeExperts, trace::kMoeWeights, trace::kMoeRouterLogits};
    TraceStore store(req);
    ModelState s2 = m2->initial_state();
    const Tensor b = m2->forward(tokens, s2, store.recording());
    for (int l : {1, 3}) {
      const Tensor chosen = store.get(trace::kMoeExperts, l), w = store.get(trace::kMoeWeights, l);  // [T, K]
      const Tensor logits = store.get(trace::kMoeRouterLogits, l);                                     // [T, E]
      QCOMPARE(chosen.size(0), int64_t(tokens.size()));
      for (int64_t t = 0; t < chosen.size(0); ++t) {
        QVERIFY(chosen.at(t * 2) == 5.0f || chosen.at(t * 2 + 1) == 5.0f);
        // weights: the sigmoid scores of the chosen (the bias only chooses), renormalised to 1, times 1.7
        const auto score = [&](int k) { return 1.0 / (1.0 + std::exp(-double(logits.at(t * 6 + int(chosen.at(t * 2 + k)))))); };
        const double s0 = score(0), s1 = score(1);
        QVERIFY(std::abs(w.at(t * 2) - 1.7 * s0 / (s0 + s1)) < 1e-5);
        QVERIFY(std::abs(w.at(t * 2 + 1) - 1.7 * s1 / (s0 + s1)) < 1e-5);
      }
    }
    QVERIFY(test::rel_l2(a, b) > 1e-3);
  }

  void granite_multipliers_moe_and_rope_choice() {
    json j = small_config("granite_hybrid");
    const ModelConfig c = parse(j);
    QCOMPARE(c.arch, Architecture::GraniteMoeHybrid);
    const std::vector<MixerKind> want = {MixerKind::Mamba2, MixerKind::Attention, MixerKind::Mamba2, MixerKind::Mamba2};
    QVERIFY(c.mixers == want);
    for (FfnKind f : c.ffns) QCOMPARE(f, FfnKind::Moe);
    QCOMPARE(c.ffn.routing, MoeRouting::TopKThenSoftmax);
    QCOMPARE(c.ffn.shared_intermediate, 40);
    QCOMPARE(c.mult.embedding, 12.0f);
    QCOMPARE(c.mult.residual, 0.22f);
    QCOMPARE(c.mult.logits_scaling, 8.0f);
    QCOMPARE(c.attn.scale, 0.125f);
    QVERIFY(c.attn.rope);
    QCOMPARE(c.attn.rotary_dim, c.attn.head_dim);
    j["position_embedding_type"] = nullptr;
    QVERIFY(!parse(j).attn.rope);
    j["num_local_experts"] = 0;  // dense: the shared MLP alone
    for (FfnKind f : parse(j).ffns) QCOMPARE(f, FfnKind::Mlp);
    j["position_embedding_type"] = "alibi";
    QCOMPARE(refused_key(j), std::string("position_embedding_type"));
    j = small_config("granite_hybrid");
    j["layer_types"] = {"mamba", "attention"};
    QCOMPARE(refused_key(j), std::string("layer_types"));
  }

  void falcon_h1_config_fields_and_defaults() {
    json j = small_config("falcon_h1");
    ModelConfig c = parse(j);
    QCOMPARE(c.arch, Architecture::FalconH1);
    QCOMPARE(c.n_layers, 4);
    for (MixerKind k : c.mixers) QCOMPARE(k, MixerKind::AttentionMamba2);
    for (FfnKind f : c.ffns) QCOMPARE(f, FfnKind::Mlp);
    QVERIFY(c.has_ssm() && has_ssm(MixerKind::AttentionMamba2) && has_attention(MixerKind::AttentionMamba2));
    QCOMPARE(ssm_kind(MixerKind::AttentionMamba2), MixerKind::Mamba2);
    QCOMPARE(std::string(mixer_name(MixerKind::AttentionMamba2)), std::string("attention+mamba2"));
    QCOMPARE(c.mamba2.d_inner, 64);
    QCOMPARE(c.mamba2.head_dim, 8);  // "auto": 64 / 8 heads
    QCOMPARE(c.mamba2.n_groups, 2);
    QCOMPARE(c.mamba2.norm_group_size, 32);  // FalconH1RMSNormGated: per group
    QVERIFY(c.mamba2.gated_norm && !c.mamba2.norm_before_gate);
    QVERIFY(!c.mamba2.in_proj_bias && !c.mamba2.out_proj_bias);
    QCOMPARE(c.attn.n_heads, 4);
    QCOMPARE(c.attn.n_kv_heads, 2);
    QCOMPARE(c.attn.head_dim, 8);
    QVERIFY(c.attn.rope && c.attn.rotary_dim == 8);
    QCOMPARE(c.mult.embedding, 2.0f);
    QCOMPARE(c.mult.lm_head, 0.5f);
    QCOMPARE(c.mult.mlp_gate, 1.5f);
    QCOMPARE(c.mult.mlp_down, 0.7f);
    QCOMPARE(c.mult.key, 0.8f);
    QCOMPARE(c.mult.attention_in, 1.2f);
    QCOMPARE(c.mult.attention_out, 0.9f);
    QCOMPARE(c.mult.ssm_in, 0.7f);
    QCOMPARE(c.mult.ssm_out, 1.4f);
    QCOMPARE(c.mult.ssm_zxbcdt[4], 1.2f);
    QCOMPARE(c.mult.residual, 1.0f);
    QVERIFY(!c.tied_embeddings);
    // FalconH1Config's defaults: mamba_d_ssm absent is 1024 and null is mamba_expand * hidden_size;
    // num_key_value_heads absent is 8, null is num_attention_heads; mamba_rms_norm off, the norm before the gate.
    json d = j;
    d.erase("mamba_d_ssm");
    d.erase("mamba_rms_norm");
    d.erase("mamba_norm_before_gate");
    d["num_attention_heads"] = 8;
    d.erase("num_key_value_heads");
    d["projectors_bias"] = true;
    c = parse(d);
    QCOMPARE(c.mamba2.d_inner, 1024);
    QCOMPARE(c.mamba2.head_dim, 128);
    QCOMPARE(c.attn.n_kv_heads, 8);
    QVERIFY(!c.mamba2.gated_norm && c.mamba2.norm_before_gate);
    QVERIFY(!c.mamba2.in_proj_bias && c.mamba2.out_proj_bias);  // projectors_bias: out_proj only
    d["mamba_d_ssm"] = nullptr;
    d["num_key_value_heads"] = nullptr;
    d["mamba_expand"] = 3;
    c = parse(d);
    QCOMPARE(c.mamba2.d_inner, 96);
    QCOMPARE(c.attn.n_kv_heads, 8);
    // The model_type alone names the family; {"__float__": "Infinity"} is the unlimited Δ.
    d.erase("architectures");
    d["model_type"] = "falcon_h1";
    d["time_step_limit"] = json::array({0.0, {{"__float__", "Infinity"}}});
    QCOMPARE(parse(d).arch, Architecture::FalconH1);
  }

  void falcon_h1_refusals_name_the_key() {
    const auto with = [](const char* key, const json& v) {
      json j = small_config("falcon_h1");
      j[key] = v;
      return refused_key(j);
    };
    QCOMPARE(with("ssm_multipliers", json::array({1.0, 1.0, 1.0, 1.0})), std::string("ssm_multipliers"));
    QCOMPARE(with("mlp_multipliers", json::array({"x", 1.0})), std::string("mlp_multipliers[0]"));
    QCOMPARE(with("ssm_multipliers", json::array({1.0, 1.0, 1.0, 1.0, 1e9})), std::string("ssm_multipliers[4]"));
    QCOMPARE(with("key_multiplier", "big"), std::string("key_multiplier"));
    QCOMPARE(with("mamba_n_heads", 7), std::string("mamba_n_heads"));  // 64 is not a multiple of 7
    QCOMPARE(with("mamba_d_head", 4), std::string("mamba_d_head"));    // 8 heads x 4 != 64
    QCOMPARE(with("mamba_n_groups", 3), std::string("mamba_n_groups"));
    QCOMPARE(with("hidden_act", "gelu"), std::string("hidden_act"));
    QCOMPARE(with("rope_parameters", json{{"rope_type", "linear"}, {"factor", 2.0}}), std::string("rope_parameters.rope_type"));
    QCOMPARE(with("time_step_limit", json::array({0.5, 0.1})), std::string("time_step_limit"));
    json j = small_config("falcon_h1");
    j.erase("num_key_value_heads");  // 8 by default, and 4 heads are not a multiple of it
    QCOMPARE(refused_key(j), std::string("num_key_value_heads"));
  }

  // Random models with the tensor names transformers 5.17's save_pretrained writes (testkit): they
  // load, and the recurrent step form, the parallel form and a split parallel form agree.
  void step_and_split_forward_equal_forward_data() {
    QTest::addColumn<QString>("family");
    for (const char* f : {"falcon_mamba", "bamba", "nemotron_h", "nemotron_h_moe", "granite_hybrid", "falcon_h1", "falcon_h1_tied", "falcon_h1_bias",
                          "zamba2", "zamba2_gqa"})
      QTest::newRow(f) << QString(f);
  }
  void step_and_split_forward_equal_forward() {
    QFETCH(QString, family);
    const std::string dir = testkit::write_random_model_folder(small_config(family.toStdString()), test::temp_dir("fam-" + family.toStdString()), 3);
    auto be = make_cpu_backend();
    auto m = Model::load(dir, *be);
    QVERIFY2(m->unused_tensors().empty(), "every tensor of the folder is used");
    const auto tokens = some_tokens(40);
    ModelState par = m->initial_state();
    const Tensor full = m->forward(tokens, par);  // [T, V]
    ModelState rec = m->initial_state();
    Tensor stepped = Tensor::zeros(full.shape());
    const int64_t V = full.size(1);
    for (size_t t = 0; t < tokens.size(); ++t) {
      const Tensor l = m->step(tokens[t], rec);
      std::copy(l.data(), l.data() + V, stepped.data() + t * V);
    }
    const double err = test::rel_l2(stepped, full);
    qInfo("%s: step vs parallel rel L2 %.3g", qPrintable(family), err);
    QVERIFY2(err < 1e-5, qPrintable(QString("rel L2 %1").arg(err)));
    ModelState split = m->initial_state();
    m->set_chunk_tokens(13);  // chunks that cross the SSD chunk boundaries (8) unevenly
    const Tensor chunked = m->forward(tokens, split);
    QVERIFY2(test::rel_l2(chunked, full) < 1e-5, "forward in chunks of 13 differs from one pass");
    QCOMPARE(split.position, int64_t(tokens.size()));
    for (size_t l = 0; l < par.layers.size(); ++l) {
      if (!par.layers[l].ssm_state.empty()) QVERIFY(test::rel_l2(rec.layers[l].ssm_state, par.layers[l].ssm_state) < 1e-5);
      if (m->config().mixers[l] == MixerKind::None) QVERIFY(par.layers[l].ssm_state.empty() && par.layers[l].kv.length == 0);
      // Each layer with attention (Zamba2: each hybrid layer, though the weights are shared) has its own cache.
      QCOMPARE(par.layers[l].kv.length, m->config().has_kv_cache(int(l)) ? int64_t(tokens.size()) : int64_t(0));
      QCOMPARE(rec.layers[l].kv.length, par.layers[l].kv.length);
      if (m->config().mixers[l] == MixerKind::AttentionMamba2) {  // both: the SSM state and the KV cache
        QVERIFY(!par.layers[l].ssm_state.empty() && !par.layers[l].conv_state.empty());
        QCOMPARE(par.layers[l].kv.length, int64_t(tokens.size()));
        QCOMPARE(rec.layers[l].kv.length, int64_t(tokens.size()));
      }
    }
  }

  // Falcon-H1's multipliers folded into the weights equal the multipliers applied by hand to the
  // weights of a model whose multipliers are all 1 (each as transformers applies it to activations:
  // FalconH1Model, FalconH1DecoderLayer, FalconH1Attention, FalconH1Mixer's mup_vector, FalconH1MLP).
  void falcon_h1_folded_multipliers_equal_hand_scaled_weights_data() {
    QTest::addColumn<QString>("family");
    for (const char* f : {"falcon_h1", "falcon_h1_tied", "falcon_h1_bias"}) QTest::newRow(f) << QString(f);
  }
  void falcon_h1_folded_multipliers_equal_hand_scaled_weights() {
    QFETCH(QString, family);
    json j = small_config(family.toStdString());
    j["tie_word_embeddings"] = false;  // the hand-scaled folder needs its own head
    const std::string dir = testkit::write_random_model_folder(j, test::temp_dir("fh1-mult-" + family.toStdString()), 9);
    const ModelConfig c = parse(j);
    const Multipliers& m = c.mult;
    QVERIFY(m.embedding != 1.0f && m.ssm_zxbcdt[2] != 1.0f);
    ModelFolder ck(dir);
    std::map<std::string, Tensor> w;
    for (const std::string& name : ck.names()) w[name] = ck.get(name, ck.shape_of(name));
    const auto scale = [&](const std::string& name, float f) { w.at(name).flat() *= f; };
    scale("model.embed_tokens.weight", m.embedding);
    scale("lm_head.weight", m.lm_head);
    const int64_t Di = c.mamba2.d_inner, GN = int64_t(c.mamba2.n_groups) * c.mamba2.d_state, D = c.d_model;
    const int64_t starts[6] = {0, Di, 2 * Di, 2 * Di + GN, 2 * Di + 2 * GN, 2 * Di + 2 * GN + c.mamba2.n_heads};
    for (int l = 0; l < c.n_layers; ++l) {
      const std::string p = "model.layers." + std::to_string(l) + ".";
      scale(p + "self_attn.q_proj.weight", m.attention_in);
      scale(p + "self_attn.k_proj.weight", m.attention_in * m.key);
      scale(p + "self_attn.v_proj.weight", m.attention_in);
      scale(p + "self_attn.o_proj.weight", m.attention_out);
      Tensor& in = w.at(p + "mamba.in_proj.weight");  // [2Di + 2GN + H, D]: rows z | x | B | C | dt
      for (int part = 0; part < 5; ++part)
        for (int64_t r = starts[part]; r < starts[part + 1]; ++r)
          for (int64_t k = 0; k < D; ++k) in.data()[r * D + k] *= m.ssm_in * m.ssm_zxbcdt[part];
      scale(p + "mamba.out_proj.weight", m.ssm_out);
      scale(p + "feed_forward.gate_proj.weight", m.mlp_gate);
      scale(p + "feed_forward.down_proj.weight", m.mlp_down);
      if (c.attn.bias) {
        scale(p + "self_attn.k_proj.bias", m.key);
        scale(p + "self_attn.o_proj.bias", m.attention_out);
      }
      if (c.mamba2.in_proj_bias) {
        Tensor& b = w.at(p + "mamba.in_proj.bias");
        for (int part = 0; part < 5; ++part)
          for (int64_t r = starts[part]; r < starts[part + 1]; ++r) b.data()[r] *= m.ssm_zxbcdt[part];
      }
      if (c.mamba2.out_proj_bias) scale(p + "mamba.out_proj.bias", m.ssm_out);
      if (c.ffn.mlp_bias) {
        scale(p + "feed_forward.gate_proj.bias", m.mlp_gate);
        scale(p + "feed_forward.down_proj.bias", m.mlp_down);
      }
    }
    json unit = j;
    for (const char* k : {"embedding_multiplier", "lm_head_multiplier", "key_multiplier", "attention_in_multiplier",
                          "attention_out_multiplier", "ssm_in_multiplier", "ssm_out_multiplier"})
      unit[k] = 1.0;
    unit["mlp_multipliers"] = json::array({1.0, 1.0});
    unit["ssm_multipliers"] = json::array({1.0, 1.0, 1.0, 1.0, 1.0});
    const std::string dir1 = test::temp_dir("fh1-unit-" + family.toStdString());
    testkit::write_safetensors_f32(dir1 + "/model.safetensors", w);
    std::ofstream(dir1 + "/config.json") << unit.dump();
    auto be = make_cpu_backend();
    auto folded = Model::load(dir, *be);
    auto by_hand = Model::load(dir1, *be);
    const auto tokens = some_tokens(24);
    ModelState s1 = folded->initial_state(), s2 = by_hand->initial_state();
    const Tensor a = folded->forward(tokens, s1), b = by_hand->forward(tokens, s2);
    const double err = test::rel_l2(a, b);
    qInfo("%s: folded vs hand-scaled rel L2 %.3g", qPrintable(family), err);
    QVERIFY2(err < 1e-5, qPrintable(QString("rel L2 %1").arg(err)));
    // ... and the multipliers matter: the same weights with every multiplier at 1 differ.
    std::ofstream(dir + "/config.json") << unit.dump();
    auto plain = Model::load(dir, *be);
    ModelState s3 = plain->initial_state();
    QVERIFY(test::rel_l2(plain->forward(tokens, s3), a) > 1e-2);
  }

  // A Falcon-H1 layer records both parts under its index, the SSM (Δ, states, the decay) and the
  // attention (probabilities, q, k, its KV bytes), and recording them changes no bit of the logits or
  // of the states (forward, forward + steps, steps only).
  void falcon_h1_layer_records_ssm_and_attention() {
    const std::string dir = testkit::write_random_model_folder(small_config("falcon_h1"), test::temp_dir("fh1-trace"), 4);
    auto be = make_cpu_backend();
    auto m = Model::load(dir, *be);
    const auto tokens = some_tokens(20);
    const int64_t T = int64_t(tokens.size());
    for (const int64_t split : {T, T / 2, int64_t(0)}) {
      TraceStore store(testkit::everything_request(*m, T, 1));
      const std::string diff = testkit::observation_difference(*m, tokens, split, store);
      QVERIFY2(diff.empty(), qPrintable(QString::fromStdString(diff)));
      for (int l = 0; l < m->config().n_layers; ++l) {
        for (const char* name : {trace::kMamba2Delta, trace::kMamba2State, trace::kMamba2StridedStates, trace::kMamba2Decay,
                                 trace::kAttnProbs, trace::kAttnQ, trace::kAttnK, trace::kLayerKvBytes})
          QVERIFY2(store.has(name, l), qPrintable(QString("%1 of layer %2 (split %3)").arg(name).arg(l).arg(split)));
        QCOMPARE(store.get(trace::kMamba2Delta, l).shape(), Shape({T, int64_t(m->config().mamba2.n_heads)}));
        QCOMPARE(store.get(trace::kAttnProbs, l).shape(), Shape({T, T}));
      }
    }
    // Memory: the SSM state (conv + SSM, every layer) is fixed; the KV cache grows per token.
    const ModelConfig& c = m->config();
    const int64_t conv_dim = c.mamba2.d_inner + 2 * int64_t(c.mamba2.n_groups) * c.mamba2.d_state;
    const int64_t per_layer_state = 4 * (int64_t(c.mamba2.n_heads) * c.mamba2.head_dim * c.mamba2.d_state + conv_dim * (c.mamba2.d_conv - 1));
    QCOMPARE(m->state_bytes(), c.n_layers * per_layer_state);
    QCOMPARE(m->kv_bytes_per_token(), int64_t(c.n_layers) * 2 * 4 * c.attn.n_kv_heads * c.attn.head_dim);
  }

  // The explorer reruns a Falcon-H1 model from a snapshot (conv and SSM states) plus the prefix of the
  // live KV cache: the state after a token, a traced window (Δ, states, attention probabilities) and
  // an edited text's results equal a plain forward from token 0 (with snapshots every 8 tokens, so
  // every query below starts from a later one).
  void falcon_h1_exploration_reruns_with_state_and_kv_prefix() {
    const std::string dir = testkit::write_random_model_folder(small_config("falcon_h1"), test::temp_dir("fh1-explore"), 6);
    auto ex = Exploration::open(dir, make_cpu_backend(), /*snapshot_every=*/8);
    std::vector<uint8_t> text;
    for (int32_t t : some_tokens(40)) text.push_back(uint8_t(t));
    ex->set_bytes(text);
    QVERIFY(ex->snapshot_positions().size() >= 4);
    auto be = make_cpu_backend();
    auto m = Model::load(dir, *be);
    const int64_t t = 21;
    const std::vector<int32_t> prefix(ex->ids().begin(), ex->ids().begin() + t + 1);
    ModelState plain = m->initial_state();
    m->forward(prefix, plain);
    const ModelState st = ex->state_at(t, 1);  // a rerun from the snapshot at 16 through layer 1
    QVERIFY2(test::rel_l2(st.layers[1].ssm_state, plain.layers[1].ssm_state) < 1e-5, "layer 1's SSM state after a rerun");
    QCOMPARE(st.layers[1].kv.length, t + 1);
    // A window of layer 1 from the snapshot at 16: its Δ and attention probabilities as one trace from 0.
    const LayerWindow w = ex->trace_window(1, 18, 30, kWindowGate | kWindowStates | kWindowAttention, 1);
    QCOMPARE(w.kind, MixerKind::AttentionMamba2);
    QVERIFY(!w.delta.empty() && !w.states.empty() && !w.attn.empty());
    TraceRequest req;
    req.layers = {1};
    req.names = {trace::kMamba2Delta, trace::kAttnProbs};
    req.probs_windows[1] = ProbsWindow{1, 18, 30};
    TraceStore store(req);
    ModelState fresh = m->initial_state();
    m->forward(std::vector<int32_t>(ex->ids().begin(), ex->ids().begin() + 30), fresh, store.recording());
    const Tensor delta = store.get(trace::kMamba2Delta, 1), probs = store.get(trace::kAttnProbs, 1);  // [30, H], [12, 12]
    const int64_t H = delta.size(1);
    for (int64_t i = 0; i < 12; ++i)
      for (int64_t h = 0; h < H; ++h) QVERIFY(std::abs(w.delta.data()[i * H + h] - delta.data()[(18 + i) * H + h]) < 1e-5f);
    QVERIFY2(test::rel_l2(w.attn, probs) < 1e-5, "attention probabilities of the window");
    // An edit at byte 30: rewinds to the snapshot at 24 and recomputes; the logits as a fresh run.
    text[30] = uint8_t(text[30] ^ 0x55);
    ex->set_bytes(text);
    ModelState again = m->initial_state();
    const Tensor logits = m->forward(ex->ids(), again);  // [40, V]
    const std::vector<float> p = ex->next_byte_probs(35);
    double z = 0;
    const float* row = logits.data() + 35 * logits.size(1);
    const float mx = *std::max_element(row, row + logits.size(1));
    for (int64_t v = 0; v < logits.size(1); ++v) z += std::exp(double(row[v]) - mx);
    for (int b : {0, 65, 200}) QVERIFY(std::abs(p[size_t(b)] - std::exp(double(row[b]) - mx) / z) < 1e-5);
  }

  // Zamba2Config's fields as transformers 5.17 derives them, and the refusals.
  void zamba2_config_is_read_as_transformers_does() {
    json j = small_config("zamba2");
    ModelConfig c = parse(j);
    QCOMPARE(c.arch, Architecture::Zamba2);
    QCOMPARE(c.n_layers, 4);
    for (MixerKind k : c.mixers) QCOMPARE(k, MixerKind::Mamba2);  // every layer ends in its own Mamba-2
    QCOMPARE(c.shared_blocks, (std::vector<int>{-1, 0, -1, 1}));  // hybrid layers use the blocks in rotation
    QVERIFY(c.has_kv_cache(1) && !c.has_kv_cache(2));
    QCOMPARE(c.attn.head_dim, 16);                                 // 2 * hidden_size / num_attention_heads
    QCOMPARE(c.attn.scale, float(1.0 / std::sqrt(8.0)));          // (head_dim / 2)^-0.5
    QVERIFY(c.attn.rope);
    QCOMPARE(c.attn.rotary_dim, 16);
    QCOMPARE(c.mamba2.head_dim, 16);
    QCOMPARE(c.mamba2.norm_group_size, 32);                        // d_inner / mamba_ngroups
    QCOMPARE(c.mamba2.gated_norm_eps, 1e-5f);
    QCOMPARE(c.mamba2.dt_min, 1e-3f);                              // time_step_limit = (time_step_min, inf)
    QVERIFY(c.mamba2.conv_bias);
    QVERIFY(c.zamba2.attention_adapters);
    QCOMPARE(c.zamba2.adapter_rank, 4);
    QCOMPARE(c.ffn.intermediate, 48);
    QVERIFY(c.tied_embeddings);
    j["use_conv_bias"] = false;  // nn.Conv1d(bias=True) whatever it says
    QVERIFY(parse(j).mamba2.conv_bias);
    j["layers_block_type"] = {"mamba", "hybrid", "hybrid"};  // the legacy name
    c = parse(j);
    QCOMPARE(c.shared_blocks, (std::vector<int>{-1, 0, 1}));
    j["num_mem_blocks"] = 1;
    QCOMPARE(parse(j).shared_blocks, (std::vector<int>{-1, 0, 0}));
    j.erase("layers_block_type");  // Zamba2Config's default: 54 layers, 9 of them hybrid
    c = parse(j);
    QCOMPARE(c.n_layers, 54);
    QCOMPARE(int(std::count_if(c.shared_blocks.begin(), c.shared_blocks.end(), [](int b) { return b >= 0; })), 9);
    j = small_config("zamba2");
    j["layers_block_type"] = {"hybrid", "full_attention"};
    QCOMPARE(refused_key(j), std::string("layers_block_type[1]"));
    j = small_config("zamba2");
    j["num_key_value_heads"] = 2;  // the k/v adapters' output is 2 * hidden_size wide
    QCOMPARE(refused_key(j), std::string("num_key_value_heads"));
    j = small_config("zamba2");
    j["hidden_act"] = "silu";
    QCOMPARE(refused_key(j), std::string("hidden_act"));
    j = small_config("zamba2");
    j["n_mamba_heads"] = 5;
    QCOMPARE(refused_key(j), std::string("n_mamba_heads"));
    j = small_config("zamba2");
    j["rope_parameters"] = {{"rope_theta", 10000.0}, {"rope_type", "linear"}};
    QCOMPARE(refused_key(j), std::string("rope_parameters.rope_type"));
  }

  // The shared blocks: written once (under their first user), loaded once; a checkpoint that also
  // writes the tied copies under later users' names loads to the same model when they are equal, and
  // is refused when they differ. Each hybrid layer holds one KV cache of its own.
  void zamba2_shared_blocks_load_once_and_tied_copies_must_agree() {
    json j = small_config("zamba2_gqa");  // one block used by layers 0, 2, 3
    j["tie_word_embeddings"] = true;      // transformers ties the blocks only then (next test)
    const std::string dir = testkit::write_random_model_folder(j, test::temp_dir("zamba2-tied"), 7);
    auto be = make_cpu_backend();
    auto m = Model::load(dir, *be);
    const auto tokens = some_tokens(20);
    ModelState s = m->initial_state();
    const Tensor want = m->forward(tokens, s);
    // One cache per use: 3 hybrid layers x (k + v) x Hkv 2 x head 16 x 4 bytes.
    QCOMPARE(m->kv_bytes_per_token(), int64_t(3 * 2 * 2 * 16 * 4));
    const int64_t params = m->parameter_count();

    // The tied copies written out too, under layers 2 and 3.
    ModelFolder ck(dir);
    std::map<std::string, Tensor> all;
    for (const std::string& n : ck.names()) all[n] = ck.get(n, ck.shape_of(n));
    for (const std::string& n : ck.names()) {
      const std::string owner = "model.layers.0.shared_transformer.";
      if (n.rfind(owner, 0) != 0 || n.find("adapter_list") != std::string::npos) continue;
      for (const char* later : {"model.layers.2.shared_transformer.", "model.layers.3.shared_transformer."})
        all[later + n.substr(owner.size())] = be->clone(all[n]);  // its own numbers (Tensor copies share storage)
    }
    const std::string dir2 = test::temp_dir("zamba2-tied-copies");
    std::filesystem::copy_file(dir + "/config.json", dir2 + "/config.json");
    testkit::write_safetensors_f32(dir2 + "/model.safetensors", all);
    auto m2 = Model::load(dir2, *be);
    QVERIFY2(m2->unused_tensors().empty(), "the tied copies count as used");
    ModelState s2 = m2->initial_state();
    QCOMPARE(test::rel_l2(m2->forward(tokens, s2), want), 0.0);
    QVERIFY(m2->parameter_count() > params);  // the folder holds more numbers; the model the same

    all["model.layers.3.shared_transformer.self_attn.q_proj.weight"].at(5) += 1.0f;
    testkit::write_safetensors_f32(dir2 + "/model.safetensors", all);
    try {
      Model::load(dir2, *be);
      QFAIL("a tied copy that differs was accepted");
    } catch (const Error& e) {
      QCOMPARE(e.field(), std::string("model.layers.3.shared_transformer.self_attn.q_proj.weight"));
    }
  }

  // With tie_word_embeddings false transformers 5.17 ties nothing (get_expanded_tied_weights_keys is
  // empty): every hybrid layer runs its own copy of the "shared" block, as save_pretrained writes it
  // (the fixture zamba2_gqa_f32 holds three different copies). Each copy is loaded and used.
  void zamba2_untied_blocks_are_each_layers_own() {
    const json j = small_config("zamba2_gqa");  // tie_word_embeddings false; one block used by layers 0, 2, 3
    const std::string dir = testkit::write_random_model_folder(j, test::temp_dir("zamba2-untied"), 7);
    ModelFolder ck(dir);
    for (int l : {0, 2, 3}) QVERIFY(ck.has("model.layers." + std::to_string(l) + ".shared_transformer.self_attn.q_proj.weight"));
    auto be = make_cpu_backend();
    auto m = Model::load(dir, *be);
    QVERIFY2(m->unused_tensors().empty(), "every layer's copy is used");
    const auto tokens = some_tokens(20);
    ModelState s = m->initial_state();
    const Tensor want = m->forward(tokens, s);
    // Layer 3's own copy changed: the model changes (it is read, not checked against layer 0's).
    std::map<std::string, Tensor> all;
    for (const std::string& n : ck.names()) all[n] = ck.get(n, ck.shape_of(n));
    all["model.layers.3.shared_transformer.self_attn.q_proj.weight"].at(5) += 1.0f;
    testkit::write_safetensors_f32(dir + "/model.safetensors", all);
    auto m2 = Model::load(dir, *be);
    ModelState s2 = m2->initial_state();
    QVERIFY(test::rel_l2(m2->forward(tokens, s2), want) > 1e-7);
  }

  // The explorer's queries on a Zamba2 model: a rerun from a snapshot restores each hybrid layer's own
  // KV cache (else the layer's Mamba-2 input and every state above it would differ), and a hybrid
  // layer's window carries its Mamba-2's Δ beside its shared attention's probabilities.
  void zamba2_exploration_reruns_and_windows() {
    const std::string dir = testkit::write_random_model_folder(small_config("zamba2"), test::temp_dir("zamba2-explore"), 11);
    auto ex = Exploration::open(dir, make_cpu_backend(), /*snapshot_every=*/8);
    std::vector<uint8_t> text(30);
    for (size_t i = 0; i < text.size(); ++i) text[i] = uint8_t((i * 53 + 7) % 256);
    ex->set_bytes(text);
    QCOMPARE(ex->computed(), int64_t(30));
    auto be = make_cpu_backend();
    auto m = Model::load(dir, *be);
    const std::vector<int32_t> tokens(text.begin(), text.end());
    ModelState fresh = m->initial_state();
    m->forward({tokens.begin(), tokens.begin() + 11}, fresh);
    const ModelState st = ex->state_at(10);  // from the snapshot at 8, 3 tokens rerun
    for (int l = 0; l < m->config().n_layers; ++l) {
      QVERIFY2(test::rel_l2(st.layers[l].ssm_state, fresh.layers[l].ssm_state) < 1e-5, qPrintable(QString("layer %1").arg(l)));
      QCOMPARE(st.layers[l].kv.length, m->config().has_kv_cache(l) ? int64_t(11) : int64_t(0));
    }
    const int layer = 3;  // S1+M2
    const LayerWindow w = ex->trace_window(layer, 4, 20, kWindowGate | kWindowAttention, /*head=*/2);
    QCOMPARE(w.kind, MixerKind::Mamba2);
    QCOMPARE(w.delta.size(0), int64_t(16));
    QCOMPARE(w.attn.shape(), (Shape{16, 16}));
    TraceRequest req;
    req.names = {trace::kAttnProbs};
    req.probs_windows[layer] = ProbsWindow{2, 4, 20};
    TraceStore store(req);
    ModelState s = m->initial_state();
    m->forward(tokens, s, store.recording(), false);
    QVERIFY(test::rel_l2(w.attn, store.get(trace::kAttnProbs, layer)) < 1e-6);
  }

  // Granite's multipliers folded into the weights equal the multipliers applied to activations: the
  // same folder with all four at 1 and the embedding / output projections / head scaled by hand.
  void granite_folded_multipliers_equal_unit_multipliers_on_scaled_weights() {
    json j = small_config("granite_hybrid");
    j["tie_word_embeddings"] = false;
    const std::string dir = testkit::write_random_model_folder(j, test::temp_dir("granite-mult"), 5);
    json unit = j;
    unit["embedding_multiplier"] = 1.0;
    unit["residual_multiplier"] = 1.0;
    unit["logits_scaling"] = 1.0;
    const std::string dir1 = test::temp_dir("granite-unit");
    std::filesystem::copy_file(dir + "/model.safetensors", dir1 + "/model.safetensors");
    std::ofstream(dir1 + "/config.json") << unit.dump();
    auto be = make_cpu_backend();
    auto scaled = Model::load(dir, *be);
    auto plain = Model::load(dir1, *be);
    const auto tokens = some_tokens(24);
    ModelState s1 = scaled->initial_state(), s2 = plain->initial_state();
    const Tensor a = scaled->forward(tokens, s1), b = plain->forward(tokens, s2);
    // Not equal: the multipliers change the function (so they are not ignored) ...
    QVERIFY(test::rel_l2(a, b) > 1e-2);
    // ... and logits_scaling alone divides the logits exactly (everything before the head is the same).
    unit["embedding_multiplier"] = j["embedding_multiplier"];
    unit["residual_multiplier"] = j["residual_multiplier"];
    std::ofstream(dir1 + "/config.json") << unit.dump();
    auto unscaled_head = Model::load(dir1, *be);
    ModelState s3 = unscaled_head->initial_state();
    Tensor c = unscaled_head->forward(tokens, s3);
    c.flat() /= j["logits_scaling"].get<float>();
    QVERIFY2(test::rel_l2(a, c) < 1e-6, qPrintable(QString("rel L2 %1").arg(test::rel_l2(a, c))));
  }

  // The two ops Zamba2 added to the backend, on the CPU reference: gelu_mul is the exact (erf) GELU
  // times up, as torch's gelu(approximate="none"); concat_cols puts b's columns after a's.
  void gelu_mul_and_concat_cols_on_the_cpu() {
    auto be = make_cpu_backend();
    const std::vector<float> g = {-30.0f, -3.0f, -1.0f, -0.1f, 0.0f, 0.5f, 1.0f, 2.5f, 30.0f};
    Tensor gate = Tensor::zeros({3, 3}), up = Tensor::zeros({3, 3});
    for (int i = 0; i < 9; ++i) {
      gate.at(i) = g[i];
      up.at(i) = 0.5f + 0.25f * float(i);
    }
    const Tensor y = be->gelu_mul(gate, up);
    for (int i = 0; i < 9; ++i) {
      const double x = g[i], want = 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0))) * up.at(i);
      QVERIFY2(std::abs(y.at(i) - want) <= 1e-6 * std::max(1.0, std::abs(want)), qPrintable(QString("gelu(%1)").arg(x)));
    }
    const Tensor c = be->concat_cols(gate, up.reshaped({3, 3}));  // [3, 6]
    QCOMPARE(c.shape(), (Shape{3, 6}));
    for (int r = 0; r < 3; ++r)
      for (int k = 0; k < 3; ++k) {
        QCOMPARE(c.at(r * 6 + k), gate.at(r * 3 + k));
        QCOMPARE(c.at(r * 6 + 3 + k), up.at(r * 3 + k));
      }
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, be->concat_cols(gate, Tensor::zeros({2, 3})));
  }

  // Partial rotary on the CPU reference: the first r dims rotate as a whole head of width r would,
  // the others are left as they are.
  void partial_rope_rotates_only_the_first_dims() {
    auto be = make_cpu_backend();
    const int64_t T = 6, H = 3, hd = 16, r = 8;
    Tensor x = Tensor::zeros({T, H, hd});
    for (int64_t i = 0; i < x.numel(); ++i) x.at(i) = std::sin(0.37f * float(i)) + 0.1f * float(i % 5);
    Tensor part = be->clone(x);
    be->rope(part, 9, 10000.0f, r);
    Tensor narrow = Tensor::zeros({T, H, r});
    for (int64_t i = 0; i < T * H; ++i) std::copy(x.data() + i * hd, x.data() + i * hd + r, narrow.data() + i * r);
    be->rope(narrow, 9, 10000.0f);
    for (int64_t i = 0; i < T * H; ++i)
      for (int64_t d = 0; d < hd; ++d)
        QCOMPARE(part.data()[i * hd + d], d < r ? narrow.data()[i * r + d] : x.data()[i * hd + d]);
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, be->rope(part, 0, 10000.0f, 5));
  }
};

QTEST_GUILESS_MAIN(TestFamilies)
#include "tst_families.moc"
