// statescope-cli: the logits file external checks read, the trace folder and its index, info.
#include <QtTest>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "backend.h"
#include "model.h"
#include "test_support.h"

namespace fs = std::filesystem;
using namespace ss;

namespace {

int run(const std::string& args, std::string* out) {
  const std::string log = test::temp_dir("cli") + "/log.txt";
  const int rc = std::system((std::string(STATESCOPE_CLI) + " " + args + " > " + log + " 2>&1").c_str());
  *out = test::read_text(log);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

}  // namespace

class TestCli : public QObject {
  Q_OBJECT
 private slots:
  void logits_file_is_float32_tokens_by_vocab() {
    const std::string model = test::fixtures_dir() + "/mamba1_tied_f32";
    const std::string input = model + "/reference/input.bin";
    const std::string out = test::temp_dir("logits") + "/logits.npy";
    std::string log;
    QCOMPARE(run("logits --model " + model + " --input " + input + " --out " + out + " --device cpu", &log), 0);
    const NpyArray a = read_npy(out);
    const auto tokens = test::read_input(input);
    QCOMPARE(a.shape, (Shape{int64_t(tokens.size()), 256}));
    QCOMPARE(test::read_text(out).substr(0, 60).find("'descr': '<f4'") != std::string::npos, true);
    auto be = make_cpu_backend();
    auto m = Model::load(model, *be);
    ModelState s = m->initial_state();
    const double err = test::rel_l2(m->forward(tokens, s), a);
    QVERIFY2(err == 0.0, qPrintable(QString::number(err)));
  }

  void trace_writes_index_and_arrays() {
    const std::string model = test::fixtures_dir() + "/mamba1_tied_f32";
    const std::string out = test::temp_dir("trace");
    std::string log;
    QCOMPARE(run("trace --model " + model + " --input " + model + "/reference/input.bin --out " + out + " --state-stride 16", &log), 0);
    const auto index = nlohmann::json::parse(test::read_text(out + "/index.json"));
    QCOMPARE(index["tokens"].get<int>(), 44);
    int checked = 0;
    for (const auto& e : index["traces"]) {
      const NpyArray a = read_npy(out + "/" + e["file"].get<std::string>());
      QCOMPARE(a.shape, e["shape"].get<Shape>());
      if (e["name"] == "mamba.delta") {
        QCOMPARE(a.shape, (Shape{44, 64}));
        ++checked;
      }
      if (e["name"] == "mamba.strided_states") {
        QCOMPARE(e["positions"].get<std::vector<int64_t>>(), (std::vector<int64_t>{15, 31}));
        ++checked;
      }
    }
    QCOMPARE(checked, 4);  // two layers each
    QCOMPARE(index["state_stride"].get<int>(), 16);
    // The old name of the option still works.
    const std::string old = test::temp_dir("trace-old");
    QCOMPARE(run("trace --model " + model + " --input " + model + "/reference/input.bin --out " + old + " --checkpoint-every 8", &log), 0);
    QCOMPARE(nlohmann::json::parse(test::read_text(old + "/index.json"))["state_stride"].get<int>(), 8);
  }

  void info_reports_memory_and_schedule() {
    std::string log;
    QCOMPARE(run("info --model " + test::fixtures_dir() + "/mamba1_tied_f32", &log), 0);
    QVERIFY2(log.find("MambaForCausalLM") != std::string::npos, log.c_str());
    QVERIFY2(log.find("schedule:     mamba mamba") != std::string::npos, log.c_str());
    // 2 layers x d_inner 64 x (N 8 + K-1 3) floats
    QVERIFY2(log.find("state bytes:  " + std::to_string(2 * 64 * 11 * 4)) != std::string::npos, log.c_str());
  }
};

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
