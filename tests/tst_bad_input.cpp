// Bad input: every malformed folder, file, config value or input gets an ss::Error naming the file
// and the field, never a crash or a read outside the file; the CLI exits non-zero with that message.
#include <QtTest>

#include <filesystem>
#include <fstream>
#include <functional>

#include "backend.h"
#include "error.h"
#include "model.h"
#include "safetensors.h"
#include "test_support.h"

namespace fs = std::filesystem;
using namespace ss;

Q_DECLARE_METATYPE(std::function<void(const std::string&)>)
using Corrupt = std::function<void(const std::string&)>;

namespace {

std::string st(const std::string& dir) { return (fs::path(dir) / "model.safetensors").string(); }
std::string cfg(const std::string& dir) { return (fs::path(dir) / "config.json").string(); }

void set_config(const std::string& dir, const std::function<void(nlohmann::json&)>& edit) {
  nlohmann::json j = test::tiny_mamba_config({});
  edit(j);
  std::ofstream(cfg(dir)) << j.dump();
}

int run_cli(const std::string& args, std::string* output) {
  const std::string log = test::temp_dir("cli") + "/out.txt";
  const int rc = std::system((std::string(STATESCOPE_CLI) + " " + args + " > " + log + " 2>&1").c_str());
  std::ifstream in(log);
  output->assign(std::istreambuf_iterator<char>(in), {});
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

}  // namespace

class TestBadInput : public QObject {
  Q_OBJECT
 private slots:
  void load_errors_name_file_and_field_data() {
    QTest::addColumn<Corrupt>("corrupt");
    QTest::addColumn<QString>("file");   // substring of the path the message must name
    QTest::addColumn<QString>("field");  // substring of the field the message must name

    QTest::newRow("missing folder") << Corrupt([](const std::string& d) { fs::remove_all(d); }) << "" << "no such directory";
    QTest::newRow("missing config") << Corrupt([](const std::string& d) { fs::remove(cfg(d)); }) << "config.json" << "missing";
    QTest::newRow("config not json") << Corrupt([](const std::string& d) { test::write_file(cfg(d), "{\"hidden_size\": 3,,}"); }) << "config.json" << "not valid JSON";
    QTest::newRow("unknown architecture") << Corrupt([](const std::string& d) { set_config(d, [](auto& j) { j["architectures"] = {"GPT2LMHeadModel"}; }); }) << "config.json" << "architectures";
    QTest::newRow("negative hidden_size") << Corrupt([](const std::string& d) { set_config(d, [](auto& j) { j["hidden_size"] = -4; }); }) << "config.json" << "hidden_size";
    QTest::newRow("absurd state_size") << Corrupt([](const std::string& d) { set_config(d, [](auto& j) { j["state_size"] = 1 << 30; }); }) << "config.json" << "state_size";
    QTest::newRow("string layer count") << Corrupt([](const std::string& d) { set_config(d, [](auto& j) { j["num_hidden_layers"] = "two"; }); }) << "config.json" << "num_hidden_layers";
    QTest::newRow("missing vocab") << Corrupt([](const std::string& d) { set_config(d, [](auto& j) { j.erase("vocab_size"); }); }) << "config.json" << "vocab_size";
    QTest::newRow("shape disagrees with config") << Corrupt([](const std::string& d) { set_config(d, [](auto& j) { j["state_size"] = 8; }); }) << "model.safetensors" << "mixer.x_proj.weight";
    QTest::newRow("missing weights") << Corrupt([](const std::string& d) { fs::remove(st(d)); }) << "" << "model.safetensors";
    QTest::newRow("empty safetensors") << Corrupt([](const std::string& d) { test::write_file(st(d), ""); }) << "model.safetensors" << "header length";
    QTest::newRow("truncated safetensors") << Corrupt([](const std::string& d) {
      fs::resize_file(st(d), fs::file_size(st(d)) - 100);
    }) << "model.safetensors" << "data_offsets";
    QTest::newRow("absurd header size") << Corrupt([](const std::string& d) { test::write_raw_safetensors(st(d), "{}", 0, 1ull << 62); }) << "model.safetensors" << "header length";
    QTest::newRow("header past file end") << Corrupt([](const std::string& d) { test::write_raw_safetensors(st(d), "{}", 0, 4096); }) << "model.safetensors" << "header length";
    QTest::newRow("header not json") << Corrupt([](const std::string& d) { test::write_raw_safetensors(st(d), "{\"a\": [1,", 0); }) << "model.safetensors" << "header";
    QTest::newRow("offsets past file") << Corrupt([](const std::string& d) {
      test::write_raw_safetensors(st(d), R"({"x":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"y":{"dtype":"F32","shape":[1000],"data_offsets":[16,4016]}})", 64);
    }) << "model.safetensors" << "tensor 'y'.data_offsets";
    QTest::newRow("overlapping tensors") << Corrupt([](const std::string& d) {
      test::write_raw_safetensors(st(d), R"({"x":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"y":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}})", 32);
    }) << "model.safetensors" << "overlap";
    QTest::newRow("size disagrees with shape") << Corrupt([](const std::string& d) {
      test::write_raw_safetensors(st(d), R"({"x":{"dtype":"F32","shape":[5],"data_offsets":[0,16]}})", 16);
    }) << "model.safetensors" << "tensor 'x'.data_offsets";
    QTest::newRow("unsupported dtype") << Corrupt([](const std::string& d) {
      test::write_raw_safetensors(st(d), R"({"x":{"dtype":"I64","shape":[2],"data_offsets":[0,16]}})", 16);
    }) << "model.safetensors" << "tensor 'x'.dtype";
    QTest::newRow("negative dimension") << Corrupt([](const std::string& d) {
      test::write_raw_safetensors(st(d), R"({"x":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8);
    }) << "model.safetensors" << "tensor 'x'.shape";
    QTest::newRow("absurd dimension") << Corrupt([](const std::string& d) {
      test::write_raw_safetensors(st(d), R"({"x":{"dtype":"F32","shape":[1099511627776, 1099511627776],"data_offsets":[0,8]}})", 8);
    }) << "model.safetensors" << "tensor 'x'.shape";
    QTest::newRow("tensor missing") << Corrupt([](const std::string& d) {
      test::write_raw_safetensors(st(d), R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 8);
    }) << "model.safetensors" << "backbone.embeddings.weight";
    QTest::newRow("index names missing shard") << Corrupt([](const std::string& d) {
      fs::remove(st(d));
      test::write_file((fs::path(d) / "model.safetensors.index.json").string(), R"({"weight_map":{"backbone.embeddings.weight":"model-00001-of-00002.safetensors"}})");
    }) << "model-00001-of-00002.safetensors" << "";
    QTest::newRow("index escapes folder") << Corrupt([](const std::string& d) {
      fs::remove(st(d));
      test::write_file((fs::path(d) / "model.safetensors.index.json").string(), R"({"weight_map":{"backbone.embeddings.weight":"../../etc/passwd"}})");
    }) << "model.safetensors.index.json" << "weight_map.backbone.embeddings.weight";
  }

  void load_errors_name_file_and_field() {
    QFETCH(Corrupt, corrupt);
    QFETCH(QString, file);
    QFETCH(QString, field);
    const std::string dir = test::make_tiny_mamba({}, test::temp_dir("bad"));
    corrupt(dir);
    auto be = make_cpu_backend();
    try {
      Model::load(dir, *be);
      QFAIL("loading succeeded");
    } catch (const Error& e) {
      const QString msg = QString::fromStdString(e.what());
      QVERIFY2(msg.contains(QString::fromStdString(dir)) || QString::fromStdString(dir).contains(QString::fromStdString(e.file())), qPrintable(msg));
      QVERIFY2(msg.contains(file), qPrintable("message lacks the file: " + msg));
      QVERIFY2(msg.contains(field), qPrintable("message lacks the field: " + msg));
    }
  }

  void good_folder_loads() {
    const std::string dir = test::make_tiny_mamba({}, test::temp_dir("good"));
    auto be = make_cpu_backend();
    auto m = Model::load(dir, *be);
    QCOMPARE(m->config().n_layers, 2);
  }

  void cli_reports_and_exits_nonzero_data() {
    QTest::addColumn<QString>("input");     // bytes to write, or "<none>" for a missing file
    QTest::addColumn<QString>("expected");  // substring of the message
    QTest::newRow("empty input") << "" << "is empty";
    QTest::newRow("missing input") << "<none>" << "--input";
  }
  void cli_reports_and_exits_nonzero() {
    QFETCH(QString, input);
    QFETCH(QString, expected);
    const std::string dir = test::make_tiny_mamba({}, test::temp_dir("cli"));
    const std::string in = test::temp_dir("in") + "/input.bin";
    if (input != "<none>") test::write_file(in, input.toStdString());
    std::string out;
    const int rc = run_cli("logits --model " + dir + " --input " + in + " --out " + test::temp_dir("o") + "/l.npy --device cpu", &out);
    QVERIFY2(rc != 0, out.c_str());
    QVERIFY2(QString::fromStdString(out).contains(expected), out.c_str());
    QVERIFY2(QString::fromStdString(out).contains(QString::fromStdString(in)), out.c_str());
  }

  void cli_rejects_bad_model_and_device() {
    std::string out;
    QVERIFY(run_cli("info --model /nonexistent/model", &out) != 0);
    QVERIFY2(QString::fromStdString(out).contains("/nonexistent/model"), out.c_str());
    const std::string dir = test::make_tiny_mamba({}, test::temp_dir("dev"));
    QVERIFY(run_cli("info --model " + dir + " --device tpu", &out) != 0);
    QVERIFY2(QString::fromStdString(out).contains("--device"), out.c_str());
  }

  void small_vocab_is_refused_for_bytes() {
    test::TinyMamba spec;
    spec.vocab = 100;
    const std::string dir = test::make_tiny_mamba(spec, test::temp_dir("vocab"));
    const std::string in = test::temp_dir("in") + "/input.bin";
    test::write_file(in, "hello");
    std::string out;
    QVERIFY(run_cli("logits --model " + dir + " --input " + in + " --out " + test::temp_dir("o") + "/l.npy --device cpu", &out) != 0);
    QVERIFY2(QString::fromStdString(out).contains("vocab_size"), out.c_str());
  }

  void half_precision_conversions_are_exact() {
    QCOMPARE(half_to_float(0x3c00), 1.0f);
    QCOMPARE(half_to_float(0xc000), -2.0f);
    QCOMPARE(half_to_float(0x0001), std::ldexp(1.0f, -24));  // smallest subnormal
    QCOMPARE(half_to_float(0x7bff), 65504.0f);
    QVERIFY(std::isinf(half_to_float(0x7c00)));
    QCOMPARE(bfloat16_to_float(0x3f80), 1.0f);
    QCOMPARE(bfloat16_to_float(0xc2f7), -123.5f);
  }
};

QTEST_GUILESS_MAIN(TestBadInput)
#include "tst_bad_input.moc"
