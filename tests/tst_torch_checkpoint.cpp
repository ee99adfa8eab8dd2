// torch.save checkpoints (issue 12, item 4): the ZIP reader, the restricted unpickler and the
// mamba_ssm format, against files torch and transformers wrote (tools/make_mamba_ssm_fixtures.py),
// and hostile or broken files (tools/make_hostile_pickles.py) that must each be refused with a
// message naming the file and what is wrong, with nothing run and no crash.
#include <QtTest>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "backend.h"
#include "config.h"
#include "error.h"
#include "model.h"
#include "model_folder.h"
#include "test_support.h"
#include "torch_checkpoint.h"

namespace fs = std::filesystem;
using namespace ss;

namespace {

const char* const kMarker = "/tmp/statescope-pwned";  // what the hostile payloads would create

std::string fixture(const std::string& rel) { return test::fixtures_dir() + "/" + rel; }

// The message of the ss::Error `f` throws ("" and a failed check if it throws none).
template <class F>
QString error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return QString::fromStdString(e.what());
  } catch (const std::exception& e) {
    return QString("not an ss::Error: ") + e.what();
  }
  return QString();
}

}  // namespace

class TestTorchCheckpoint : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() { fs::remove(kMarker); }

  // Dtypes, a transposed view, a view at an offset, a scalar, an empty tensor, a Parameter: the
  // values torch itself wrote into expected.json.
  void tensors_equal_what_torch_saved() {
    TorchCheckpoint ck(fixture("torch_tensors/tensors.pt"));
    const nlohmann::json ex = nlohmann::json::parse(test::read_text(fixture("torch_tensors/expected.json")))["tensors"];
    QCOMPARE(ck.names().size(), ex.size());
    for (auto it = ex.begin(); it != ex.end(); ++it) {
      const std::string& name = it.key();
      QVERIFY2(ck.contains(name), name.c_str());
      const Tensor t = ck.read(name);
      QCOMPARE(t.shape(), it.value()["shape"].get<Shape>());
      const auto values = it.value()["values"].get<std::vector<double>>();
      QCOMPARE(t.numel(), int64_t(values.size()));
      for (size_t i = 0; i < values.size(); ++i)
        QVERIFY2(t.data()[i] == static_cast<float>(values[i]), qPrintable(QString("%1[%2]: %3 != %4").arg(name.c_str()).arg(i).arg(t.data()[i]).arg(values[i])));
    }
    QCOMPARE(ck.dtype_of("bf16"), DType::BF16);
    QCOMPARE(ck.dtype_of("f16"), DType::F16);
    QVERIFY(!ck.same_data("f32", "transposed"));  // one storage, another view
    QCOMPARE(ck.ref("offset_view").offset, uint64_t(8));
  }

  void other_dtypes_and_the_old_format_are_refused() {
    const QString int64 = error_of([] { TorchCheckpoint ck(fixture("torch_tensors/int64.pt")); });
    QVERIFY2(int64.contains("int64.pt") && int64.contains("torch.LongStorage") && int64.contains("float32, bfloat16 and float16"), qPrintable(int64));
    const QString legacy = error_of([] { TorchCheckpoint ck(fixture("torch_tensors/legacy.pt")); });
    QVERIFY2(legacy.contains("legacy.pt") && legacy.contains("PyTorch 1.6"), qPrintable(legacy));
  }

  // --- hostile and broken files: (file, what the message must say) ---
  void hostile_files_are_refused_data() {
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("expected");
    const std::pair<const char*, const char*> rows[] = {
        {"os_system", "refused global 'posix.system'"},
        {"builtins_eval", "refused global '__builtin__.eval'"},  // protocol 2 writes builtins as __builtin__
        {"stack_global_system", "refused global 'posix.system'"},
        {"system_inside_state_dict", "refused global 'posix.system'"},
        {"inst_opcode", "opcode 0x69 'i' is not allowed"},
        {"reduce_on_tuple", "REDUCE applies a tuple"},
        {"reduce_on_storage", "REDUCE applies torch.FloatStorage"},
        {"huge_long4", "an integer of 2147483647 bytes"},
        {"huge_long1", "an integer of 255 bytes"},
        {"truncated", "truncated"},
        {"memo_out_of_range", "memo index 7 was never stored"},
        {"long_memo_out_of_range", "memo index 4294967295 was never stored"},
        {"stack_underflow", "stack underflow"},
        {"not_a_dict", "a list, not a state dict"},
        {"cyclic_list", "a list, not a state dict"},
        {"nested_checkpoint", "the value of 'model' is a dict, not a tensor"},
        {"string_past_end", "truncated"},
        {"unknown_opcode", "opcode 0xff"},
        {"storage_offset_beyond", "at offset 200 reaches past the end of storage '0', which holds 24"},
        {"view_past_storage", "a view of shape [5, 6] at offset 0 reaches past the end of storage '0'"},
        {"deflated", "is compressed (method 8, deflate)"},
        {"encrypted", "is encrypted"},
        {"storage_too_small", "storage archive/data/0 is 10 bytes but the pickle gives 24 elements of F32 (96 bytes)"},
        {"storage_missing", "its storage archive/data/0 is not in the archive"},
        {"truncated_zip", "end of central directory: not found"},
        {"directory_past_end", "runs past its end records"},
    };
    for (const auto& [file, expected] : rows) QTest::newRow(file) << QString(file) << QString(expected);
  }
  void hostile_files_are_refused() {
    QFETCH(QString, file);
    QFETCH(QString, expected);
    const std::string path = fixture("hostile_pickles/" + file.toStdString() + ".pt");
    QVERIFY2(fs::exists(path), path.c_str());
    const QString msg = error_of([&] { TorchCheckpoint ck(path); });
    QVERIFY2(!msg.isEmpty(), "accepted");
    QVERIFY2(msg.startsWith(QString::fromStdString(path) + ": "), qPrintable("message lacks the file: " + msg));
    QVERIFY2(msg.contains(expected), qPrintable(msg));
    QVERIFY2(!fs::exists(kMarker), "a payload ran");
  }

  // A 1 MiB string fetched from the memo 500,000 times: shared, not copied (copies would take
  // 500 GB); then refused as a stack of 500,001 values.
  void repeated_memo_strings_are_shared_not_copied() {
    const uint32_t n = 1u << 20;
    std::string p = "\x80\x02X";
    for (int k = 0; k < 4; ++k) p += static_cast<char>(n >> (8 * k) & 0xff);
    p += std::string(n, 'a') + std::string("q\0", 2);
    for (int k = 0; k < 500000; ++k) p += std::string("h\0", 2);
    p += ".";
    const QString msg = error_of([&] { parse_torch_pickle(p, "bomb.pt"); });
    QVERIFY2(msg.contains("STOP with 500001 values on the stack"), qPrintable(msg));
  }

  void the_stack_is_bounded() {
    const std::string p = "\x80\x02" + std::string(kMaxPickleStack + 1, ')') + ".";
    const QString msg = error_of([&] { parse_torch_pickle(p, "deep.pt"); });
    QVERIFY2(msg.contains("stack over 1048576 entries"), qPrintable(msg));
  }

  // The same refusal through the model loader: a mamba_ssm folder whose pytorch_model.bin is hostile.
  void model_folder_refuses_a_hostile_pytorch_model_bin() {
    const std::string dir = test::temp_dir("hostile-folder");
    fs::copy_file(fixture("mamba_ssm_m1_tied_f32/config.json"), dir + "/config.json");
    fs::copy_file(fixture("hostile_pickles/os_system.pt"), dir + "/pytorch_model.bin");
    auto be = make_cpu_backend();
    const QString msg = error_of([&] { Model::load(dir, *be); });
    QVERIFY2(msg.contains(QString::fromStdString(dir + "/pytorch_model.bin")) && msg.contains("posix.system"), qPrintable(msg));
    QVERIFY(!fs::exists(kMarker));
  }

  // --- the mamba_ssm format ---
  void mamba_ssm_configs_parse_data() {
    QTest::addColumn<QString>("name");
    QTest::addColumn<int>("arch");
    QTest::addColumn<int>("vocab");
    QTest::newRow("m1") << "mamba_ssm_m1_tied_f32" << int(Architecture::Mamba) << 256;  // 253 padded to a multiple of 8
    QTest::newRow("m2") << "mamba_ssm_m2_bf16" << int(Architecture::Mamba2) << 256;      // 250 padded to a multiple of 16
  }
  void mamba_ssm_configs_parse() {
    QFETCH(QString, name);
    QFETCH(int, arch);
    QFETCH(int, vocab);
    const std::string path = fixture(name.toStdString() + "/config.json");
    const ModelConfig c = parse_model_config(parse_json_relaxed(test::read_text(path)), path);
    QCOMPARE(int(c.arch), arch);
    QCOMPARE(c.vocab_size, vocab);
    QCOMPARE(int(c.layout), int(CheckpointLayout::MambaSsm));
    QCOMPARE(c.n_layers, 2);
    QCOMPARE(c.d_model, 32);
  }

  void mamba_ssm_logits_match_transformers_data() {
    QTest::addColumn<QString>("name");
    QTest::newRow("m1 tied f32") << "mamba_ssm_m1_tied_f32";
    QTest::newRow("m2 bf16 parameters") << "mamba_ssm_m2_bf16";
  }
  void mamba_ssm_logits_match_transformers() {
    QFETCH(QString, name);
    const std::string dir = fixture(name.toStdString());
    auto be = make_cpu_backend();
    auto model = Model::load(dir, *be);
    QVERIFY2(model->unused_tensors().empty(), model->unused_tensors().empty() ? "" : model->unused_tensors()[0].c_str());
    const auto tokens = test::read_input(dir + "/reference/input.bin");
    ModelState state = model->initial_state();
    const Tensor logits = model->forward(tokens, state);
    const NpyArray ref = read_npy(dir + "/reference/logits.npy");
    QCOMPARE(logits.shape(), ref.shape);
    const double err = test::rel_l2(logits, ref);
    qInfo("%s: logits rel L2 %.3g vs transformers (float64) over %zu tokens", qPrintable(name), err, tokens.size());
    QVERIFY2(err < 1e-4, qPrintable(QString::number(err)));
    QCOMPARE(test::argmax_mismatches(logits, ref), int64_t(0));
  }

  // The tied lm_head is stored twice under two names on one storage: counted once, not "unused".
  void tied_head_is_one_tensor() {
    const std::string dir = fixture("mamba_ssm_m1_tied_f32");
    ModelFolder ck(dir);
    QVERIFY(ck.same_data("lm_head.weight", "backbone.embedding.weight"));
    auto be = make_cpu_backend();
    auto model = Model::load(dir, *be);
    QCOMPARE(model->parameter_count(), ck.parameter_count() - 256 * 32);
  }

  void bad_mamba_ssm_configs_name_the_field_data() {
    QTest::addColumn<QString>("json");
    QTest::addColumn<QString>("field");
    QTest::newRow("layer") << R"({"d_model":32,"n_layer":2,"vocab_size":256,"ssm_cfg":{"layer":"Mamba3"}})" << "ssm_cfg.layer";
    QTest::newRow("d_state") << R"({"d_model":32,"n_layer":2,"vocab_size":256,"ssm_cfg":{"d_state":0}})" << "ssm_cfg.d_state";
    QTest::newRow("unknown") << R"({"d_model":32,"n_layer":2,"vocab_size":256,"ssm_cfg":{"d_staet":8}})" << "ssm_cfg.d_staet";
    QTest::newRow("headdim") << R"({"d_model":32,"n_layer":2,"vocab_size":256,"ssm_cfg":{"layer":"Mamba2","headdim":48}})" << "ssm_cfg.headdim";
    QTest::newRow("ngroups") << R"({"d_model":32,"n_layer":2,"vocab_size":256,"ssm_cfg":{"layer":"Mamba2","headdim":16,"ngroups":3}})" << "ssm_cfg.ngroups";
    QTest::newRow("D_has_hdim") << R"({"d_model":32,"n_layer":2,"vocab_size":256,"ssm_cfg":{"layer":"Mamba2","D_has_hdim":true}})" << "ssm_cfg.D_has_hdim";
    QTest::newRow("attention") << R"({"d_model":32,"n_layer":2,"vocab_size":256,"attn_layer_idx":[1]})" << "attn_layer_idx";
    QTest::newRow("mlp") << R"({"d_model":32,"n_layer":2,"vocab_size":256,"d_intermediate":64})" << "d_intermediate";
    QTest::newRow("layernorm") << R"({"d_model":32,"n_layer":2,"vocab_size":256,"rms_norm":false})" << "rms_norm";
    QTest::newRow("n_layer") << R"({"d_model":32,"n_layer":-1,"vocab_size":256})" << "n_layer";
    QTest::newRow("pad") << R"({"d_model":32,"n_layer":2,"vocab_size":256,"pad_vocab_size_multiple":0})" << "pad_vocab_size_multiple";
  }
  void bad_mamba_ssm_configs_name_the_field() {
    QFETCH(QString, json);
    QFETCH(QString, field);
    const QString msg = error_of([&] { parse_model_config(parse_json_relaxed(json.toStdString()), "x/config.json"); });
    QVERIFY2(msg.startsWith("x/config.json: " + field + ": "), qPrintable(msg));
  }

  // --- item 5: the weights must fit before a tensor is read ---
  void a_model_that_does_not_fit_is_refused_before_loading() {
    const std::string dir = fixture("mamba_ssm_m1_tied_f32");
    auto be = make_cpu_backend();
    ModelFolder ck(dir);
    const ModelConfig c = parse_model_config(ck.config(), ck.config_path());
    const int64_t need = Model::load_bytes(c, ck, *be);
    QCOMPARE(need, 4 * (ck.parameter_count() - 256 * 32) + 4 * 256 * 32);  // float32 weights, tied head once, + the largest tensor
    const QString msg = error_of([&] { Model::load(dir, *be, LoadOptions{need - 1}); });
    QVERIFY2(msg.startsWith(QString::fromStdString(dir) + ": weights: the model needs about") && msg.contains("is allowed"), qPrintable(msg));
    QVERIFY(Model::load(dir, *be, LoadOptions{need}) != nullptr);
    QVERIFY(be->memory_available() > 0);  // MemAvailable read from /proc/meminfo
  }
};

QTEST_GUILESS_MAIN(TestTorchCheckpoint)
#include "tst_torch_checkpoint.moc"
