// Robustness (issue 13): every probe an attacker or a careless user ran against the loaders and the
// CLI, each a regression test that failed before the fix. docs/robustness.md lists them with what
// the user sees.
#include <QtTest>

#include <sys/resource.h>
#include <sys/stat.h>

#include <csignal>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>

#include <nlohmann/json.hpp>

#include "atomic_file.h"
#include "backend.h"
#include "error.h"
#include "json_file.h"
#include "model.h"
#include "npy.h"
#include "safetensors.h"
#include "session.h"
#include "test_support.h"
#include "workspace_file.h"

namespace fs = std::filesystem;
using namespace ss;
using json = nlohmann::json;

namespace {

std::string copy_fixture(const std::string& name) {
  const std::string dir = test::temp_dir("rob") + "/" + name;
  fs::copy(test::fixtures_dir() + "/" + name, dir, fs::copy_options::recursive);
  fs::remove_all(dir + "/reference");
  return dir;
}

void edit_config(const std::string& dir, const std::function<void(json&)>& edit) {
  json j = json::parse(test::read_text(dir + "/config.json"));
  edit(j);
  test::write_file(dir + "/config.json", j.dump(1));
}

// Overwrites value `index` of an F32 tensor in a model.safetensors.
void poke_f32(const std::string& file, const std::string& tensor, int64_t index, float value) {
  const SafetensorsFile st(file);
  const SafetensorsEntry& e = st.entries().at(tensor);
  std::ifstream in(file, std::ios::binary);
  unsigned char b[8];
  in.read(reinterpret_cast<char*>(b), 8);
  uint64_t hlen = 0;
  for (int i = 7; i >= 0; --i) hlen = hlen << 8 | b[i];
  in.close();
  std::fstream io(file, std::ios::binary | std::ios::in | std::ios::out);
  io.seekp(static_cast<std::streamoff>(8 + hlen + e.begin + index * 4));
  io.write(reinterpret_cast<const char*>(&value), 4);
}

// The message of the ss::Error that loading `dir` throws ("" if it loads).
std::string load_error(const std::string& dir) {
  auto be = make_cpu_backend();
  try {
    Model::load(dir, *be);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

int run_cli(const std::string& args, std::string* out, int timeout_s = 60) {
  const std::string log = test::temp_dir("cli") + "/log.txt";
  // `timeout` turns a hang (a FIFO opened for reading) into a failure instead of a stuck suite.
  const int rc = std::system(("timeout " + std::to_string(timeout_s) + " " + std::string(STATESCOPE_CLI) + " " + args + " > " + log + " 2>&1").c_str());
  *out = test::read_text(log);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

std::string mamba_dir() { return test::make_tiny_mamba({}, test::temp_dir("rob")); }
std::string input_file(const std::string& text) {
  const std::string p = test::temp_dir("in") + "/input.txt";
  test::write_file(p, text);
  return p;
}

#define VERIFY_HAS(text, part) QVERIFY2(std::string(text).find(part) != std::string::npos, qPrintable(QString::fromStdString(std::string("expected '") + (part) + "' in: " + (text))))
#define VERIFY_LACKS(text, part) QVERIFY2(std::string(text).find(part) == std::string::npos, qPrintable(QString::fromStdString(std::string("did not expect '") + (part) + "' in: " + (text))))

}  // namespace

class TestRobustness : public QObject {
  Q_OBJECT
 private slots:
  // ---- 1. no silently wrong numbers ----------------------------------------------------------
  void non_finite_weights_are_refused_naming_the_tensor_data() {
    QTest::addColumn<float>("value");
    QTest::newRow("nan") << std::nanf("");
    QTest::newRow("inf") << INFINITY;
    QTest::newRow("-inf") << -INFINITY;
  }
  void non_finite_weights_are_refused_naming_the_tensor() {
    QFETCH(float, value);
    const std::string dir = mamba_dir();
    poke_f32(dir + "/model.safetensors", "backbone.layers.1.mixer.out_proj.weight", 5, value);
    const std::string err = load_error(dir);
    VERIFY_HAS(err, "backbone.layers.1.mixer.out_proj.weight");
    VERIFY_HAS(err, "1 of ");
    VERIFY_HAS(err, "NaN or infinite");
    VERIFY_HAS(err, "flat index 5");
  }

  void activation_other_than_silu_is_refused_data() {
    QTest::addColumn<QString>("fixture");
    QTest::addColumn<QString>("act");
    QTest::newRow("mamba1 gelu") << "mamba1_tied_f32" << "gelu";
    QTest::newRow("mamba1 relu") << "mamba1_tied_f32" << "relu";
    QTest::newRow("mamba2 gelu") << "mamba2_g1_f32" << "gelu";
    QTest::newRow("mamba2 relu") << "mamba2_g1_f32" << "relu";
    QTest::newRow("jamba gelu") << "jamba_a" << "gelu";
  }
  void activation_other_than_silu_is_refused() {
    QFETCH(QString, fixture);
    QFETCH(QString, act);
    const std::string dir = copy_fixture(fixture.toStdString());
    QCOMPARE(QString::fromStdString(load_error(dir)), QString());
    edit_config(dir, [&](json& j) { j["hidden_act"] = act.toStdString(); });
    const std::string err = load_error(dir);
    VERIFY_HAS(err, "config.json: hidden_act");
    edit_config(dir, [&](json& j) { j["hidden_act"] = "swish"; });  // transformers' alias of SiLU
    QCOMPARE(QString::fromStdString(load_error(dir)), QString());
  }

  void rope_scaling_in_rope_parameters_is_refused_data() {
    QTest::addColumn<QString>("params");
    QTest::addColumn<QString>("field");
    QTest::newRow("legacy type linear") << R"({"type": "linear", "factor": 4.0, "rope_theta": 10000.0})" << "rope_parameters.type";
    QTest::newRow("rope_type linear") << R"({"rope_type": "linear", "factor": 4.0, "rope_theta": 10000.0})" << "rope_parameters.rope_type";
    QTest::newRow("partial rotary") << R"({"rope_type": "default", "rope_theta": 10000.0, "partial_rotary_factor": 0.5})" << "rope_parameters.partial_rotary_factor";
  }
  void rope_scaling_in_rope_parameters_is_refused() {
    QFETCH(QString, params);
    QFETCH(QString, field);
    const std::string dir = copy_fixture("llama_mha_f32");
    edit_config(dir, [&](json& j) { j["rope_parameters"] = json::parse(params.toStdString()); });
    VERIFY_HAS(load_error(dir), "config.json: " + field.toStdString());
    edit_config(dir, [&](json& j) { j["rope_parameters"] = {{"rope_type", "default"}, {"rope_theta", 10000.0}}; });
    QCOMPARE(QString::fromStdString(load_error(dir)), QString());
  }

  void duplicate_keys_are_refused() {
    // In a safetensors header: two "x" entries (the second used to replace the first silently).
    {
      const std::string dir = mamba_dir();
      test::write_raw_safetensors(dir + "/model.safetensors",
                                  R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", 8);
      const std::string err = load_error(dir);
      VERIFY_HAS(err, "model.safetensors: header: x: key given twice");
    }
    // In an index's weight_map.
    {
      const std::string dir = copy_fixture("llama_gqa_sharded");
      std::string index = test::read_text(dir + "/model.safetensors.index.json");
      const size_t at = index.find("\"weight_map\": {") + std::strlen("\"weight_map\": {");
      QVERIFY(at != std::string::npos + std::strlen("\"weight_map\": {"));
      index.insert(at, "\"model.norm.weight\": \"model-00001-of-00004.safetensors\",");
      test::write_file(dir + "/model.safetensors.index.json", index);
      const std::string err = load_error(dir);
      VERIFY_HAS(err, "model.safetensors.index.json: model.norm.weight: key given twice");
    }
    // In config.json.
    {
      const std::string dir = mamba_dir();
      std::string cfg = test::read_text(dir + "/config.json");
      cfg.insert(1, "\"state_size\": 8, ");
      test::write_file(dir + "/config.json", cfg);
      VERIFY_HAS(load_error(dir), "config.json: state_size: key given twice");
    }
  }

  void unused_tensors_are_reported() {
    const std::string dir = mamba_dir();  // has conv1d.bias
    edit_config(dir, [](json& j) { j["use_conv_bias"] = false; });
    auto be = make_cpu_backend();
    auto m = Model::load(dir, *be);
    QCOMPARE(m->unused_tensors(), (std::vector<std::string>{"backbone.layers.0.mixer.conv1d.bias", "backbone.layers.1.mixer.conv1d.bias"}));
    std::string out;
    QCOMPARE(run_cli("info --model " + dir, &out), 0);
    VERIFY_HAS(out, "warning: " + dir + ": 2 tensors are not used by this config");
    VERIFY_HAS(out, "backbone.layers.0.mixer.conv1d.bias");
    // A complete folder reports nothing.
    QVERIFY(Model::load(mamba_dir(), *be)->unused_tensors().empty());
  }

  void safetensors_must_tile_the_data_section_data() {
    QTest::addColumn<QString>("header");
    QTest::addColumn<int>("data_bytes");
    QTest::addColumn<QString>("expected");
    QTest::newRow("hole") << R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})" << 12 << "belong to no tensor";
    QTest::newRow("bytes before the first") << R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})" << 8 << "bytes 0..4";
    QTest::newRow("bytes after the last") << R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})" << 12 << "bytes after the last tensor";
    QTest::newRow("metadata not strings") << R"({"__metadata__":{"format":1},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})" << 4 << "__metadata__";
    QTest::newRow("metadata not an object") << R"({"__metadata__":[1],"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})" << 4 << "__metadata__";
  }
  void safetensors_must_tile_the_data_section() {
    QFETCH(QString, header);
    QFETCH(int, data_bytes);
    QFETCH(QString, expected);
    const std::string path = test::temp_dir("st") + "/model.safetensors";
    test::write_raw_safetensors(path, header.toStdString(), data_bytes);
    try {
      SafetensorsFile st(path);
      QFAIL("accepted");
    } catch (const Error& e) {
      VERIFY_HAS(e.what(), expected.toStdString());
      VERIFY_HAS(e.what(), path);
    }
    // String metadata and an exact tiling are fine.
    test::write_raw_safetensors(path, R"({"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"z":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}})", 4);
    QCOMPARE(SafetensorsFile(path).entries().size(), size_t(2));
  }

  // ---- 2. bounded memory -------------------------------------------------------------------
  void json_files_and_headers_are_capped() {
    {  // config.json over 4 MiB: refused before it is read
      const std::string dir = mamba_dir();
      test::write_file(dir + "/config.json", "{" + std::string(5 << 20, ' ') + "}");
      VERIFY_HAS(load_error(dir), "config.json: is 5242882 bytes; the limit for this file is 4194304");
    }
    {  // index over 32 MiB (sparse)
      const std::string dir = copy_fixture("llama_gqa_sharded");
      fs::resize_file(dir + "/model.safetensors.index.json", 33ull << 20);
      VERIFY_HAS(load_error(dir), "model.safetensors.index.json: is 34603008 bytes; the limit");
    }
    {  // a safetensors header over 16 MiB
      const std::string path = test::temp_dir("st") + "/model.safetensors";
      test::write_raw_safetensors(path, "{}", 0, (16ull << 20) + 1);
      fs::resize_file(path, 17ull << 20);
      try { SafetensorsFile st(path); QFAIL("accepted"); } catch (const Error& e) { VERIFY_HAS(e.what(), "over the limit of 16777216 bytes"); }
    }
    {  // nesting deeper than 64 levels
      const std::string dir = mamba_dir();
      test::write_file(dir + "/config.json", std::string(100, '[') + std::string(100, ']'));
      VERIFY_HAS(load_error(dir), "config.json: nested more than 64 levels deep");
    }
  }

  // ---- 5. only regular files; nothing of a wrong file echoed ---------------------------------
  void special_files_are_refused_without_hanging_data() {
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("kind");  // "fifo" or a device path to link to
    QTest::addColumn<QString>("expected");
    QTest::newRow("config FIFO") << "config.json" << "fifo" << "config.json: is a FIFO (named pipe), not a regular file";
    QTest::newRow("weights FIFO") << "model.safetensors" << "fifo" << "model.safetensors: is a FIFO (named pipe), not a regular file";
    QTest::newRow("config -> /dev/zero") << "config.json" << "/dev/zero" << "outside the model folder";
    QTest::newRow("config a folder") << "config.json" << "dir" << "config.json: is a folder, not a regular file";
  }
  void special_files_are_refused_without_hanging() {
    QFETCH(QString, file);
    QFETCH(QString, kind);
    QFETCH(QString, expected);
    const std::string dir = mamba_dir();
    const std::string path = dir + "/" + file.toStdString();
    fs::remove(path);
    if (kind == "fifo") QCOMPARE(::mkfifo(path.c_str(), 0600), 0);
    else if (kind == "dir") fs::create_directory(path);
    else fs::create_symlink(kind.toStdString(), path);
    VERIFY_HAS(load_error(dir), expected.toStdString());
  }

  void index_fifo_is_refused() {
    const std::string dir = copy_fixture("llama_gqa_sharded");
    fs::remove(dir + "/model.safetensors.index.json");
    QCOMPARE(::mkfifo((dir + "/model.safetensors.index.json").c_str(), 0600), 0);
    VERIFY_HAS(load_error(dir), "model.safetensors.index.json: is a FIFO");
  }

  void links_out_of_the_folder_are_refused_but_hf_cache_snapshots_load() {
    // A link to a file outside the folder: refused, and nothing of the target shows.
    const std::string secret = test::temp_dir("secret") + "/passwd";
    test::write_file(secret, "root:x:0:0:root:/root:/bin/bash\n");
    const std::string dir = mamba_dir();
    fs::remove(dir + "/model.safetensors");
    fs::create_symlink(secret, dir + "/model.safetensors");
    std::string err = load_error(dir);
    VERIFY_HAS(err, "model.safetensors: is a link to a file outside the model folder");
    VERIFY_LACKS(err, "root");
    // The same bytes as a regular file in the folder: the header length (the first 8 bytes as a
    // number, 3472328296227680882 for "root:x:0") is not printed, nor are the bytes.
    fs::remove(dir + "/model.safetensors");
    test::write_file(dir + "/model.safetensors", test::read_text(secret));
    err = load_error(dir);
    VERIFY_HAS(err, "model.safetensors: header length: the first 8 bytes claim a header longer");
    VERIFY_LACKS(err, "3472328296227680882");
    VERIFY_LACKS(err, "root");
    // config.json with those bytes: a JSON error with the position, without the bytes.
    test::write_file(dir + "/config.json", test::read_text(secret));
    err = load_error(dir);
    VERIFY_HAS(err, "config.json: not valid JSON (parse error at line 1, column 1");
    VERIFY_LACKS(err, "root");

    // A HuggingFace cache snapshot: snapshots/REV/* link to ../../blobs/*: loads.
    const std::string repo = test::temp_dir("hub") + "/models--t--tiny";
    const std::string src = mamba_dir();
    fs::create_directories(repo + "/blobs");
    fs::create_directories(repo + "/snapshots/abc123");
    for (const char* f : {"config.json", "model.safetensors"}) {
      fs::copy_file(src + "/" + f, repo + "/blobs/" + f + ".blob");
      fs::create_symlink(std::string("../../blobs/") + f + ".blob", repo + "/snapshots/abc123/" + f);
    }
    QCOMPARE(QString::fromStdString(load_error(repo + "/snapshots/abc123")), QString());
  }

  // ---- 4. atomic writes ----------------------------------------------------------------------
  void npy_is_never_half_written() {
    const std::string dir = test::temp_dir("npy");
    const std::string path = dir + "/out.npy";
    test::write_file(path, "previous contents");
    {
      NpyWriter w(path, {4, 2});
      const float row[2] = {1, 2};
      w.append(row, 2);
      // destroyed before commit (an exception, an interrupt unwinding): nothing replaces the file
    }
    QCOMPARE(QString::fromStdString(test::read_text(path)), QString("previous contents"));
    QCOMPARE(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1L);  // no temporary left
    {
      NpyWriter w(path, {2, 2});
      const float v[2] = {1, 2};
      w.append(v, 2);
      try { w.commit(); QFAIL("a short array was committed"); } catch (const Error& e) { VERIFY_HAS(e.what(), "2 values written for a shape of 4"); }
    }
    QCOMPARE(QString::fromStdString(test::read_text(path)), QString("previous contents"));
    write_npy(path, Shape{2}, std::vector<float>{3, 4});
    QCOMPARE(read_npy(path).values, (std::vector<double>{3, 4}));
    QCOMPARE(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1L);
  }

  void workspace_write_errors_name_the_reason_and_keep_the_file() {
    // A write that fails part-way (here a 1 KB file-size limit, as a full disk fails): the workspace
    // file keeps what it held, no temporary is left, and the error says why (it said "disk full?"
    // for any error before, through a second copy of the atomic write; now core/atomic_file).
    const std::string dir = test::temp_dir("wsfull");
    const std::string path = dir + "/lesson.statescope";
    test::write_file(path, "previous contents");
    WorkspaceState st;
    st.input = std::string(8000, 'x');
    struct rlimit old {};
    QVERIFY(getrlimit(RLIMIT_FSIZE, &old) == 0);
    struct rlimit lim = old;
    lim.rlim_cur = 1024;
    const auto previous = std::signal(SIGXFSZ, SIG_IGN);  // a write past the limit fails with EFBIG instead
    QVERIFY(setrlimit(RLIMIT_FSIZE, &lim) == 0);
    std::string err;
    try {
      save_workspace(st, path);
    } catch (const Error& e) {
      err = e.what();
    }
    setrlimit(RLIMIT_FSIZE, &old);
    std::signal(SIGXFSZ, previous);
    VERIFY_HAS(err, path);
    VERIFY_HAS(err, std::strerror(EFBIG));
    QCOMPARE(QString::fromStdString(test::read_text(path)), QString("previous contents"));
    QCOMPARE(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1L);
    save_workspace(st, path);  // and without the limit it is written
    QCOMPARE(load_workspace(path).input, st.input);
  }

  void the_session_reports_unused_tensors_beside_the_model() {
    // The explorer's session keeps the warning the CLI prints (unused_tensors_are_reported), for the
    // column to show: ColumnInfo::warnings.
    const std::string dir = mamba_dir();
    edit_config(dir, [](json& j) { j["use_conv_bias"] = false; });
    Session s;
    std::string err;
    QVERIFY2(s.open_model(dir, "cpu", "fp32", &err), err.c_str());
    const ColumnInfo& info = *s.document().columns.at(0);
    QCOMPARE(int(info.warnings.size()), 1);
    VERIFY_HAS(info.warnings[0], dir + ": 2 tensors are not used by this config (check config.json)");
    VERIFY_HAS(info.warnings[0], "backbone.layers.1.mixer.conv1d.bias");
    QVERIFY(!info.cpu_fallback);  // "cpu" asked for: nothing to fall back from
    QVERIFY(s.open_model(mamba_dir(), "auto", "fp32", &err));
    const ColumnInfo& clean = *s.document().columns.at(1);
    QVERIFY(clean.cpu_fallback);
    for (const std::string& w : clean.warnings) QVERIFY2(w.find("not used") == std::string::npos, w.c_str());
  }

  void cli_never_writes_over_its_inputs_data() {
    QTest::addColumn<QString>("cmd");
    QTest::addColumn<QString>("out");  // INPUT, MODEL, LINK (a link to MODEL/model.safetensors) are replaced
    QTest::addColumn<QString>("expected");
    QTest::newRow("logits over the input") << "logits" << "INPUT" << "is the input file";
    QTest::newRow("logits over the weights") << "logits" << "MODEL/model.safetensors" << "is inside the model folder";
    QTest::newRow("logits over config.json") << "logits" << "MODEL/config.json" << "is inside the model folder";
    QTest::newRow("logits through a link") << "logits" << "LINK" << "is inside the model folder";
    QTest::newRow("trace into the model") << "trace" << "MODEL" << "is inside the model folder";
    QTest::newRow("trace into a subfolder of the model") << "trace" << "MODEL/traces" << "is inside the model folder";
    QTest::newRow("trace into the input's folder") << "trace" << "INPUTDIR" << "holds the input file";
  }
  void cli_never_writes_over_its_inputs() {
    QFETCH(QString, cmd);
    QFETCH(QString, out);
    QFETCH(QString, expected);
    const std::string model = mamba_dir();
    const std::string input = input_file("hello world");
    const std::string link = test::temp_dir("link") + "/logits.npy";
    fs::create_symlink(model + "/model.safetensors", link);
    std::string o = out.toStdString();
    if (o == "INPUT") o = input;
    else if (o == "LINK") o = link;
    else if (o == "INPUTDIR") o = fs::path(input).parent_path().string();
    else if (o.rfind("MODEL", 0) == 0) o = model + o.substr(5);
    const std::string weights = test::read_text(model + "/model.safetensors"), cfg = test::read_text(model + "/config.json");
    std::string log;
    QCOMPARE(run_cli(cmd.toStdString() + " --model " + model + " --input " + input + " --out " + o + " --device cpu", &log), 1);
    VERIFY_HAS(log, expected.toStdString());
    QVERIFY(test::read_text(model + "/model.safetensors") == weights);
    QVERIFY(test::read_text(model + "/config.json") == cfg);
    QCOMPARE(QString::fromStdString(test::read_text(input)), QString("hello world"));
  }

  // ---- 7. the .npy reader ------------------------------------------------------------------
  void npy_reader_is_strict_data() {
    QTest::addColumn<QString>("header");
    QTest::addColumn<QString>("expected");
    QTest::newRow("unterminated shape in a 1 MB header") << "{'descr': '<f4', 'fortran_order': False, 'shape': (" + QString(1000000, '1') << "shape: a dimension is absurdly large";
    QTest::newRow("unterminated shape, spaces") << "{'descr': '<f4', 'fortran_order': False, 'shape': (1, " + QString(1000000, ' ') << "shape: a dimension is not a non-negative integer";
    QTest::newRow("2^32 x 2^32") << "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }" << "more than 2^40 values";
    QTest::newRow("(2.5, 3)") << "{'descr': '<f4', 'fortran_order': False, 'shape': (2.5, 3), }" << "expected ')'";
    QTest::newRow("negative") << "{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }" << "not a non-negative integer";
    QTest::newRow("unknown key") << "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}" << "unexpected key";
    QTest::newRow("shape larger than the file") << "{'descr': '<f4', 'fortran_order': False, 'shape': (1000,), }" << "file shorter than its shape";
  }
  void npy_reader_is_strict() {
    QFETCH(QString, header);
    QFETCH(QString, expected);
    const std::string h = header.toStdString() + "\n";
    std::string file = std::string("\x93NUMPY\x02\x00", 8);
    for (int i = 0; i < 4; ++i) file += static_cast<char>(h.size() >> (8 * i) & 0xff);
    file += h + std::string(8, '\0');
    const std::string path = test::temp_dir("npy") + "/a.npy";
    test::write_file(path, file);
    try {
      read_npy(path);
      QFAIL("accepted");
    } catch (const Error& e) {
      VERIFY_HAS(e.what(), expected.toStdString());
      VERIFY_HAS(e.what(), path);
    }
  }
  void npy_reader_reads_what_numpy_writes() {
    const std::string path = test::temp_dir("npy") + "/a.npy";
    write_npy(path, Shape{2, 3}, std::vector<float>{1, 2, 3, 4, 5, 6});
    NpyArray a = read_npy(path);
    QCOMPARE(a.shape, (Shape{2, 3}));
    QCOMPARE(a.values, (std::vector<double>{1, 2, 3, 4, 5, 6}));
    // numpy's own spelling of a 1-D shape and of a scalar
    for (const auto& [shape_text, shape] : std::vector<std::pair<std::string, Shape>>{{"(3,)", Shape{3}}, {"()", Shape{}}}) {
      std::string h = "{'descr': '|u1', 'fortran_order': False, 'shape': " + shape_text + ", }";
      h.append(64 - (10 + h.size() + 1) % 64, ' ');
      h += '\n';
      test::write_file(path, std::string("\x93NUMPY\x01\x00", 8) + static_cast<char>(h.size() & 0xff) + static_cast<char>(h.size() >> 8) + h + "\x07\x08\x09");
      a = read_npy(path);
      QCOMPARE(a.shape, shape);
      QCOMPARE(a.values.front(), 7.0);
    }
  }

  // ---- fuzz findings, kept --------------------------------------------------------------------
  void workspace_without_input_is_a_clear_error() {
    // fuzz_workspace, mutation 223: "input" renamed; JsonFields reached nlohmann's at() and threw
    // json::out_of_range ("key 'input' not found") instead of an error naming the file and field.
    std::string text = test::read_text(test::fixtures_dir() + "/../fuzz/corpus/workspace/two_columns.statescope");
    text.replace(text.find("\"input\""), 7, "\"NaNinput\"");
    try {
      workspace_from_json(text, "w.statescope");
      QFAIL("accepted");
    } catch (const Error& e) {
      VERIFY_HAS(e.what(), "w.statescope");
      VERIFY_HAS(e.what(), "input");
      VERIFY_HAS(e.what(), "missing");
    }
  }

  // ---- 5/6. the CLI's input and options -------------------------------------------------------
  void cli_refuses_special_inputs_data() {
    QTest::addColumn<QString>("input");  // "FIFO" makes one
    QTest::addColumn<QString>("expected");
    QTest::newRow("fifo") << "FIFO" << "is a FIFO (named pipe), not a regular file";
    QTest::newRow("/dev/zero") << "/dev/zero" << "/dev/zero: --input: is a character device, not a regular file";
    QTest::newRow("folder") << "/tmp" << "/tmp: --input: is a folder";
  }
  void cli_refuses_special_inputs() {
    QFETCH(QString, input);
    QFETCH(QString, expected);
    std::string in = input.toStdString();
    if (in == "FIFO") {
      in = test::temp_dir("fifo") + "/input";
      QCOMPARE(::mkfifo(in.c_str(), 0600), 0);
    }
    std::string log;
    QCOMPARE(run_cli("logits --model " + mamba_dir() + " --input " + in + " --out " + test::temp_dir("o") + "/l.npy --device cpu", &log, 20), 1);
    VERIFY_HAS(log, expected.toStdString());
  }

  void cli_options_are_strict_data() {
    QTest::addColumn<QString>("args");  // MODEL and IN are replaced
    QTest::addColumn<int>("rc");
    QTest::addColumn<QString>("expected");
    QTest::newRow("unknown option") << "logits --model MODEL --input IN --out OUT --devcie cpu" << 2 << "--devcie: unknown option for 'logits'";
    QTest::newRow("option of another command") << "info --model MODEL --checkpoint-every 4" << 2 << "--checkpoint-every: unknown option for 'info'";
    QTest::newRow("given twice") << "info --model MODEL --model MODEL" << 2 << "--model: given twice";
    QTest::newRow("missing value") << "info --model" << 2 << "--model: needs a value";
    QTest::newRow("stray argument") << "info MODEL" << 2 << "unexpected argument";
    QTest::newRow("unknown command") << "logit --model MODEL" << 2 << "unknown command 'logit'";
    QTest::newRow("missing --out") << "logits --model MODEL --input IN" << 2 << "--out: required";
    QTest::newRow("checkpoint-every abc") << "trace --model MODEL --input IN --out OUTDIR --checkpoint-every abc" << 1 << "--checkpoint-every: 'abc' is not a whole number";
    QTest::newRow("checkpoint-every 2^64-1") << "trace --model MODEL --input IN --out OUTDIR --checkpoint-every 18446744073709551615" << 1 << "--checkpoint-every: '18446744073709551615' is not a whole number";
    QTest::newRow("checkpoint-every -1") << "trace --model MODEL --input IN --out OUTDIR --checkpoint-every -1" << 1 << "is not a whole number";
    QTest::newRow("checkpoint-every 4x") << "trace --model MODEL --input IN --out OUTDIR --checkpoint-every 4x" << 1 << "'4x' is not a whole number";
    QTest::newRow("state-stride abc") << "trace --model MODEL --input IN --out OUTDIR --state-stride abc" << 1 << "--state-stride: 'abc' is not a whole number";
    QTest::newRow("state-stride and its old name") << "trace --model MODEL --input IN --out OUTDIR --state-stride 4 --checkpoint-every 4" << 2
                                                   << "--checkpoint-every: is the old name of --state-stride";
    QTest::newRow("max-memory 12Q") << "logits --model MODEL --input IN --out OUT --max-memory 12Q" << 1 << "--max-memory: '12Q' is not a byte count";
  }
  void cli_options_are_strict() {
    QFETCH(QString, args);
    QFETCH(int, rc);
    QFETCH(QString, expected);
    std::string a = args.toStdString();
    auto replace = [&a](const std::string& from, const std::string& to) {
      for (size_t p; (p = a.find(from)) != std::string::npos;) a.replace(p, from.size(), to);
    };
    replace("OUTDIR", test::temp_dir("o") + "/trace");
    replace("OUT", test::temp_dir("o") + "/l.npy");
    replace("MODEL", mamba_dir());
    replace("IN", input_file("abc"));
    std::string log;
    QCOMPARE(run_cli(a, &log), rc);
    VERIFY_HAS(log, expected.toStdString());
    VERIFY_LACKS(log, "internal error");
  }

  void cli_memory_is_computed_before_running() {
    const std::string model = test::fixtures_dir() + "/mamba1_tied_f32";
    const std::string input = input_file(std::string(8000, 'a') + "the end");
    const std::string out = test::temp_dir("o") + "/l.npy";
    std::string log;
    // Too little memory for this run: refused with the numbers, nothing written.
    QCOMPARE(run_cli("logits --model " + model + " --input " + input + " --out " + out + " --device cpu --max-memory 1M", &log), 1);
    VERIFY_HAS(log, "logits of 8007 tokens would need about");
    VERIFY_HAS(log, "raise --max-memory");
    QVERIFY(!fs::exists(out));
    QCOMPARE(run_cli("trace --model " + model + " --input " + input + " --out " + out + ".d --device cpu --max-memory 4M", &log), 1);
    VERIFY_HAS(log, "a trace of 8007 tokens would need about");
    QVERIFY(!fs::exists(out + ".d"));
    // Enough: the logits equal the in-process forward. 96M holds 6144 rows of logits at a time
    // (1/16 of the limit), so the 8007 rows are computed and written in two pieces.
    QCOMPARE(run_cli("logits --model " + model + " --input " + input + " --out " + out + " --device cpu --max-memory 96M", &log), 0);
    auto be = make_cpu_backend();
    auto m = Model::load(model, *be);
    ModelState s = m->initial_state();
    const double err = test::rel_l2(m->forward(test::read_input(input), s), read_npy(out));
    QVERIFY2(err < 1e-6, qPrintable(QString::number(err)));
  }
};

QTEST_GUILESS_MAIN(TestRobustness)
#include "tst_robustness.moc"
