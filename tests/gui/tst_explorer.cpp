// The explorer under the offscreen platform: load models, type, select token 5 and check that each
// panel's data is token 5's (values from the Exploration, not pixels); shift-select a window; export
// every panel to PNG / SVG / PDF and data to CSV / .npy; the headless `statescope export` command;
// stepping appends through the recurrent path.
#include <QtTest>
#include <sys/resource.h>
#include <sys/stat.h>

#include <csignal>

#include <QApplication>
#include <QDir>
#include <QDockWidget>
#include <QFile>
#include <QProcess>
#include <QXmlStreamReader>
#include <algorithm>
#include <cmath>
#include <random>

#include "CostPanel.h"
#include "DeltaGatePanel.h"
#include "ExplorerWindow.h"
#include "FigureExport.h"
#include "Heatmap.h"
#include "HeatmapPyramid.h"
#include "HiddenStatePanel.h"
#include "InputEditor.h"
#include "MatrixPanel.h"
#include "MemoryPanel.h"
#include "ModelColumn.h"
#include "Panels.h"
#include "PredictionPanel.h"
#include "Stepper.h"
#include "TokenStrip.h"
#include "random_model_folder.h"
#include "Workspace.h"
#include "test_support.h"
#include "window_matrix.h"

namespace {

const QByteArray kText = "Hello state space! 状态 ok. The quick brown fox jumps over the lazy dog.";

QString fixture(const char* name) { return QString::fromStdString(ss::test::fixtures_dir()) + "/" + name; }

// An Exploration of our own over `text`: the reference the frames are checked against.
std::unique_ptr<ss::Exploration> reference(const char* model, const QByteArray& text) {
  auto e = ss::Exploration::open(fixture(model).toStdString(), ss::make_cpu_backend());
  e->set_bytes(std::vector<uint8_t>(text.begin(), text.end()));
  return e;
}

void checkFigure(const QString& path, const QString& format) {
  QFile f(path);
  QVERIFY2(f.open(QIODevice::ReadOnly), qPrintable(path));
  const QByteArray b = f.readAll();
  QVERIFY2(b.size() > 1000, qPrintable(QString("%1 is only %2 bytes").arg(path).arg(b.size())));
  if (format == "png") {
    QVERIFY(b.startsWith("\x89PNG\r\n\x1a\n"));
    QImage img;
    QVERIFY(img.loadFromData(b, "PNG"));
    QVERIFY(img.width() >= 400 && img.height() >= 200);
  } else if (format == "svg") {
    QXmlStreamReader xml(b);
    bool sawSvg = false;
    while (!xml.atEnd()) {
      xml.readNext();
      if (xml.isStartElement() && xml.name() == QLatin1String("svg")) sawSvg = true;
    }
    QVERIFY2(!xml.hasError(), qPrintable(xml.errorString()));
    QVERIFY(sawSvg);
  } else {
    QVERIFY(b.startsWith("%PDF-"));
    QVERIFY(b.contains("/Type /Page") || b.contains("/Type/Page"));
    QVERIFY(b.contains("%%EOF"));
  }
}

}  // namespace

class TestExplorer : public QObject {
  Q_OBJECT
 private:
  ExplorerWindow* m_win = nullptr;
  Workspace* ws() { return m_win->workspace(); }

 private slots:
  void initTestCase() {
    m_win = new ExplorerWindow(/*restoreSettings=*/false);
    QString err;
    QVERIFY2(m_win->workspace()->openModel(fixture("mamba1_tied_f32"), &err), qPrintable(err));
    QVERIFY2(m_win->workspace()->openModel(fixture("mamba1_untied_bf16"), &err), qPrintable(err));
    m_win->resize(1600, 1000);
    m_win->show();
    // Type the text into the editor, as a user would.
    m_win->inputEditor()->editor()->setFocus();
    // (QTest types ASCII only: the CJK characters arrive as a paste would.)
    const QString text = QString::fromUtf8(kText);
    const qsizetype cjk = text.indexOf(QString::fromUtf8("状"));
    QTest::keyClicks(m_win->inputEditor()->editor(), text.left(cjk));
    m_win->inputEditor()->editor()->insertPlainText(text.mid(cjk, 2));
    QTest::keyClicks(m_win->inputEditor()->editor(), text.mid(cjk + 2));
    m_win->refreshPanels();
    QCOMPARE(ws()->bytes(), kText);
    QCOMPARE(ws()->computed(), qint64(kText.size()));
  }
  void cleanupTestCase() { delete m_win; }

  void token_strip_groups_utf8() {
    TokenStrip* s = m_win->tokenStrip();
    const qint64 zhuang = kText.indexOf("状");
    QCOMPARE(s->groupLength(zhuang), 3);
    QCOMPARE(s->groupStart(zhuang + 2), zhuang);
    QCOMPARE(s->glyph(zhuang + 1), QString::fromUtf8("状"));
    QCOMPARE(s->glyph(kText.indexOf(' ')), QString::fromUtf8("␣"));
    {  // a control byte (noise padding's junk) is drawn as a mark, never as a blank cell
      TokenStrip junk;
      junk.setBytes(QByteArray("a\x03" "b", 3));
      QCOMPARE(junk.glyph(1), QString::fromUtf8("⌧"));
      QCOMPARE(junk.glyph(0), QString("a"));
    }
    // Clicking a cell selects its token.
    QTest::mouseClick(s->viewport(), Qt::LeftButton, {}, s->cellRect(7).center());
    QCOMPARE(ws()->token(), qint64(7));
    QTest::keyClick(s, Qt::Key_Right);
    QCOMPARE(ws()->token(), qint64(8));
  }

  void panels_show_token_5() {
    ws()->setActiveColumn(0);
    ws()->setChoice(0, LayerChoice{1, 0, 3});
    ws()->selectToken(5);
    m_win->refreshPanels();
    const auto own = reference("mamba1_tied_f32", ws()->bytes());  // our own model, not the session's
    ss::Exploration& ex = *own;
    const ss::ModelState st = ex.state_at(5);
    // Hidden state: h_5 of layer 1, shown state dim x channel.
    const PanelData h = m_win->panel("state")->data();
    QCOMPARE(h.token, qint64(5));
    const ss::Tensor& ref = st.layers[1].ssm_state;  // [Di, N]
    const int N = int(ref.size(1)), Di = int(ref.size(0));
    QCOMPARE(h.rows, qint64(N));
    QCOMPARE(h.cols, qint64(Di));
    for (int d : {0, 3, Di - 1})
      for (int n : {0, N - 1}) QCOMPARE(h.at(n, d), ref.data()[d * N + n]);
    // The state chart ends its norm line inside the window and has a point at token 5.
    const auto* norm = static_cast<HiddenStatePanel*>(m_win->panel("state"))->normSeries();
    double a = 0;
    for (qint64 i = 0; i < ref.numel(); ++i) a += double(ref.data()[i]) * ref.data()[i];
    bool found = false;
    for (const QPointF& p : norm->points())
      if (p.x() == 5) { found = true; QVERIFY(std::abs(p.y() - std::sqrt(a)) < 1e-4 * std::max(1.0, std::sqrt(a))); }
    QVERIFY(found);
    // Δ gate: the row of token 5 is Δ_5 of layer 1.
    const PanelData d = m_win->panel("delta")->data();
    QCOMPARE(d.token, qint64(5));
    const ss::LayerWindow w = ex.trace_window(1, 5, 6, ss::kWindowGate);
    const qint64 row = 5 - ws()->windowStart();
    QCOMPARE(d.cols, w.delta.size(1));
    for (int c : {0, 3, 10}) QVERIFY(std::abs(d.at(row, c) - w.delta.data()[c]) < 1e-6);
    // Prediction: p(next byte | bytes 0..5).
    const PanelData p = m_win->panel("prediction")->data();
    QCOMPARE(p.token, qint64(5));
    const std::vector<float> probs = ex.next_byte_probs(5);
    QCOMPARE(p.cols, qint64(probs.size()));
    for (int b : {0, int('H'), int(' '), 200}) QVERIFY(std::abs(p.at(0, b) - probs[b]) < 1e-7);
    // Matrix: row 5 of M (channel 3 of layer 1) over the window.
    const PanelData m = m_win->panel("matrix")->data();
    const ss::LayerWindow gw = ex.trace_window(1, ws()->windowStart(), ws()->windowEnd(), ss::kWindowGate);
    const ss::MatrixD M = ss::window_matrix(gw, ex.ssm_A(1), 3);
    QCOMPARE(m.rows, qint64(M.rows()));
    for (int j = 0; j <= 5; ++j) QVERIFY(std::abs(m.at(row, j) - M(row, j)) < 1e-6 * std::max(1.0, std::abs(M(row, j))));
    // Memory: state bytes flat, every model.
    const PanelData mem = m_win->panel("memory")->data();
    QCOMPARE(mem.cols, qint64(2));
    QCOMPARE(mem.at(0, 0), float(ex.state_bytes()));
    QCOMPARE(mem.at(mem.rows - 1, 0), float(ex.state_bytes()));
    // Moving the selection changes the data.
    ws()->selectToken(6);
    m_win->refreshPanels();
    QCOMPARE(m_win->panel("state")->data().token, qint64(6));
    QVERIFY(m_win->panel("state")->data().values != h.values);
  }

  void shift_select_window() {
    TokenStrip* s = m_win->tokenStrip();
    QTest::mouseClick(s->viewport(), Qt::LeftButton, {}, s->cellRect(10).center());
    QTest::mouseClick(s->viewport(), Qt::LeftButton, Qt::ShiftModifier, s->cellRect(30).center());
    QCOMPARE(ws()->windowStart(), qint64(10));
    QCOMPARE(ws()->windowEnd(), qint64(31));
    QCOMPARE(ws()->token(), qint64(30));
    QVERIFY(ws()->hasExplicitWindow());
    m_win->refreshPanels();
    const PanelData d = m_win->panel("delta")->data();
    QCOMPARE(d.rows, qint64(21));
    QCOMPARE(d.rowLabels.first(), QString("10"));
    const PanelData m = m_win->panel("matrix")->data();
    QCOMPARE(m.rows, qint64(21));
    // A block below the diagonal has rank <= N.
    auto* mp = static_cast<MatrixPanel*>(m_win->panel("matrix"));
    mp->selectBlock(0, 12, 0, 20, 8);  // answered by the worker
    ws()->waitForIdle();
    QVERIFY2(mp->readout().contains("numerical rank"), qPrintable(mp->readout()));
    mp->selectCell(0, 15, 4);
    ws()->waitForIdle();
    QVERIFY2(mp->readout().contains("Σ_n"), qPrintable(mp->readout()));
    // Shift+arrow extends the window.
    QTest::keyClick(s, Qt::Key_Right, Qt::ShiftModifier);
    QCOMPARE(ws()->windowEnd(), qint64(32));
    ws()->selectToken(5);
  }

  void export_panels_data() { QTest::addColumn<QString>("panel"); QTest::addColumn<QString>("format");
    for (const QString& p : Panels::keys() + QStringList{"window"})
      for (const QString& f : FigureExport::figureFormats()) QTest::newRow(qPrintable(p + "." + f)) << p << f;
  }
  void export_panels() {
    QFETCH(QString, panel);
    QFETCH(QString, format);
    if (panel == "cost" && (!ws()->frame(ss::View::Cost) || ws()->frame(ss::View::Cost)->empty()))
      static_cast<CostPanel*>(m_win->panel("cost"))->measure(true);
    m_win->refreshPanels();
    QWidget* w = panel == "window" ? static_cast<QWidget*>(m_win) : m_win->panel(panel);
    if (panel != "window") w->resize(900, 500);  // a dock may be tabbed away (zero size)
    const QString path = QString::fromStdString(ss::test::temp_dir("export")) + "/" + panel + "." + format;
    QCOMPARE(FigureExport::exportWidget(w, path, format, 120), QString());
    checkFigure(path, format);
  }

  void export_data() {
    m_win->refreshPanels();
    const QString dir = QString::fromStdString(ss::test::temp_dir("data"));
    const PanelData d = m_win->panel("state")->data();
    QCOMPARE(FigureExport::exportData(d, dir + "/state.csv"), QString());
    QCOMPARE(FigureExport::exportData(d, dir + "/state.npy"), QString());
    const ss::NpyArray a = ss::read_npy((dir + "/state.npy").toStdString());
    QCOMPARE(a.shape, (ss::Shape{d.rows, d.cols}));
    QCOMPARE(float(a.values[7]), d.values[7]);
    QFile f(dir + "/state.csv");
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QList<QByteArray> lines = f.readAll().split('\n');
    QCOMPARE(lines.size() - 1, int(d.rows) + 2);  // comment, header, rows (and the final newline)
  }

  void headless_export_data() {
    QTest::addColumn<QString>("panel");
    QTest::addColumn<QString>("format");
    for (const QString& p : Panels::keys() + QStringList{"window"})
      for (const QString& f : FigureExport::figureFormats()) QTest::newRow(qPrintable(p + "." + f)) << p << f;
  }
  void headless_export() {
    QFETCH(QString, panel);
    QFETCH(QString, format);
    const QString dir = QString::fromStdString(ss::test::temp_dir("headless"));
    QFile in(dir + "/input.txt");
    QVERIFY(in.open(QIODevice::WriteOnly));
    in.write(kText);
    in.close();
    const QString out = dir + "/" + panel + "." + format;
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("QT_QPA_PLATFORM", "offscreen");
    p.setProcessEnvironment(env);
    p.start(STATESCOPE_GUI_EXE, {"export", "--model", fixture("mamba1_tied_f32"), "--input", dir + "/input.txt", "--panel", panel,
                                 "--token", "5", "--format", format, "--out", out});
    QVERIFY(p.waitForFinished(120000));
    QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
    checkFigure(out, format);
  }

  // `statescope export --delta average`: the Δ the figure's data shows is the same at every token
  // (each channel its mean over the input); without it, it varies. An unknown option and --delta on
  // a model without SSM layers are refused.
  void headless_export_delta_average() {
    const QString dir = QString::fromStdString(ss::test::temp_dir("headless-delta"));
    QFile in(dir + "/input.txt");
    QVERIFY(in.open(QIODevice::WriteOnly));
    in.write(kText);
    in.close();
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("QT_QPA_PLATFORM", "offscreen");
    p.setProcessEnvironment(env);
    auto rows = [&](const QStringList& extra) {
      const QString out = dir + "/delta.csv";
      QFile::remove(out);
      p.start(STATESCOPE_GUI_EXE, QStringList{"export", "--model", fixture("mamba2_g1_f32"), "--input", dir + "/input.txt", "--panel", "delta",
                                              "--token", "5", "--format", "csv", "--out", out} + extra);
      p.waitForFinished(120000);
      QFile f(out);
      QSet<QString> distinct;
      if (p.exitCode() == 0 && f.open(QIODevice::ReadOnly))
        for (const QByteArray& line : f.readAll().split('\n'))
          if (!line.isEmpty() && std::isdigit(uchar(line[0])))  // a data row: its token, then Δ per channel/head
            distinct << QString(line.mid(line.indexOf(',') + 1));
      return distinct.size();
    };
    QVERIFY(rows({}) > 2);                           // Δ varies over the tokens
    QCOMPARE(rows({"--delta", "average"}), 1);       // one row, repeated: Δ → average
    QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
    p.start(STATESCOPE_GUI_EXE, {"export", "--model", fixture("llama_mha_f32"), "--input", dir + "/input.txt", "--panel", "delta", "--format",
                                 "csv", "--out", dir + "/x.csv", "--delta", "average"});
    QVERIFY(p.waitForFinished(120000));
    QCOMPARE(p.exitCode(), 1);
    QVERIFY(p.readAllStandardError().contains("has an SSM layer"));
    p.start(STATESCOPE_GUI_EXE, {"export", "--model", fixture("mamba2_g1_f32"), "--input", dir + "/input.txt", "--panel", "delta", "--format",
                                 "csv", "--out", dir + "/x.csv", "--dleta", "average"});
    QVERIFY(p.waitForFinished(120000));
    QCOMPARE(p.exitCode(), 1);
    QVERIFY(p.readAllStandardError().contains("unknown option '--dleta'"));
  }

  void headless_export_rejects_bad_input() {
    QProcess p;
    p.start(STATESCOPE_GUI_EXE, {"export", "--model", fixture("mamba1_tied_f32"), "--input", "/nonexistent", "--panel", "state",
                                 "--token", "5", "--format", "png", "--out", "/tmp/x.png"});
    QVERIFY(p.waitForFinished(60000));
    QCOMPARE(p.exitCode(), 1);
    QVERIFY(p.readAllStandardError().contains("--input"));
    p.start(STATESCOPE_GUI_EXE, {"export", "--model", fixture("mamba1_tied_f32"), "--input", STATESCOPE_GUI_EXE, "--panel", "nosuch",
                                 "--format", "png", "--out", "/tmp/x.png"});
    QVERIFY(p.waitForFinished(60000));
    QCOMPARE(p.exitCode(), 1);
    QVERIFY(p.readAllStandardError().contains("--panel"));
  }

  // The window's command line without a display: --help prints the options (Qt's xcb plugin used to
  // abort before a word was parsed), anything else says there is no display and what to use instead;
  // with a display, an --input that cannot be read (missing, a FIFO) stops with its name, exit 2.
  void the_window_without_a_display_or_with_a_bad_input() {
    QProcessEnvironment bare = QProcessEnvironment::systemEnvironment();
    for (const char* v : {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"}) bare.remove(v);
    QProcess p;
    p.setProcessEnvironment(bare);
    p.start(STATESCOPE_GUI_EXE, {"--help"});
    QVERIFY(p.waitForFinished(60000));
    QCOMPARE(p.exitStatus(), QProcess::NormalExit);
    QCOMPARE(p.exitCode(), 0);
    const QByteArray help = p.readAllStandardOutput();
    QVERIFY2(help.contains("--model") && help.contains("--present") && help.contains("statescope export"), help.constData());
    p.start(STATESCOPE_GUI_EXE, {"--model", fixture("mamba1_tied_f32")});
    QVERIFY(p.waitForFinished(60000));
    QCOMPARE(p.exitStatus(), QProcess::NormalExit);
    QCOMPARE(p.exitCode(), 2);
    QVERIFY(p.readAllStandardError().contains("no display"));

    QProcessEnvironment offscreen = bare;
    offscreen.insert("QT_QPA_PLATFORM", "offscreen");
    p.setProcessEnvironment(offscreen);
    const QString fifo = QDir::tempPath() + "/statescope-test-fifo-" + QString::number(QCoreApplication::applicationPid());
    QVERIFY(::mkfifo(fifo.toLocal8Bit().constData(), 0600) == 0);
    for (const QString& bad : {QString("/nonexistent/text.txt"), fifo}) {
      p.start(STATESCOPE_GUI_EXE, {"--no-autosave", "--model", fixture("mamba1_tied_f32"), "--input", bad});
      QVERIFY(p.waitForFinished(60000));  // a FIFO is refused, never read (it would hang)
      QCOMPARE(p.exitCode(), 2);
      const QByteArray err = p.readAllStandardError();
      QVERIFY2(err.contains(bad.toLocal8Bit()) && err.contains("--input"), err.constData());
    }
    // File > Open in the editor: the same refusal, shown in the editor; the text stays.
    InputEditor editor;
    editor.setBytes("kept");
    editor.openFile(fifo);
    QCOMPARE(editor.bytes(), QByteArray("kept"));
    bool said = false;
    for (QLabel* l : editor.findChildren<QLabel*>()) said = said || l->text().contains(fifo.toHtmlEscaped());
    QVERIFY(said);
    QFile::remove(fifo);
  }

  // Issue 13: --channel 99999 (Mamba-1) and --head 99999 (Mamba-2) crashed the state view, --channel
  // past d_inner read out of range, a FIFO or /dev/zero as the input hung or aborted: each is now
  // refused with a message naming the option, exit code 1, no crash.
  void headless_export_rejects_bad_choices_data() {
    QTest::addColumn<QString>("model");
    QTest::addColumn<QStringList>("extra");
    QTest::addColumn<QString>("input");
    QTest::addColumn<QString>("expected");
    QTest::newRow("mamba1 channel 99999") << "mamba1_tied_f32" << QStringList{"--channel", "99999"} << "" << "--channel: 99999 does not exist";
    QTest::newRow("mamba1 channel 1000") << "mamba1_tied_f32" << QStringList{"--channel", "1000"} << "" << "--channel: 1000 does not exist";
    QTest::newRow("mamba2 head 99999") << "mamba2_g1_f32" << QStringList{"--head", "99999"} << "" << "--head: 99999 does not exist";
    QTest::newRow("channel not a number") << "mamba1_tied_f32" << QStringList{"--channel", "abc"} << "" << "--channel: 'abc' is not a whole number";
    QTest::newRow("input /dev/zero") << "mamba1_tied_f32" << QStringList{} << "/dev/zero" << "not a regular file";
    QTest::newRow("input a FIFO") << "mamba1_tied_f32" << QStringList{} << "FIFO" << "not a regular file";
  }
  void headless_export_rejects_bad_choices() {
    QFETCH(QString, model);
    QFETCH(QStringList, extra);
    QFETCH(QString, input);
    QFETCH(QString, expected);
    const QString dir = QString::fromStdString(ss::test::temp_dir("export-bad"));
    if (input.isEmpty()) {
      input = dir + "/input.txt";
      QFile f(input);
      QVERIFY(f.open(QIODevice::WriteOnly));
      f.write(kText);
    } else if (input == "FIFO") {
      input = dir + "/fifo";
      QFile::remove(input);
      QCOMPARE(::mkfifo(input.toLocal8Bit().constData(), 0600), 0);
    }
    QProcess p;
    p.start(STATESCOPE_GUI_EXE, QStringList{"export", "--model", fixture(model.toUtf8().constData()), "--input", input, "--panel", "state", "--format", "csv",
                                            "--out", dir + "/state.csv"} + extra);
    QVERIFY(p.waitForFinished(60000));
    const QByteArray err = p.readAllStandardError();
    QCOMPARE(p.exitStatus(), QProcess::NormalExit);
    QVERIFY2(p.exitCode() == 1, err.constData());
    QVERIFY2(err.contains(expected.toUtf8()), err.constData());
  }

  void append_and_edit_equal_full_recompute() {
    // Typing one more byte runs the recurrent step; the values equal a fresh model's.
    const QByteArray more = kText + "!";
    QTest::keyClick(m_win->inputEditor()->editor(), '!');
    m_win->refreshPanels();
    QCOMPARE(ws()->bytes(), more);
    const auto fresh = reference("mamba1_tied_f32", more);
    ws()->setActiveColumn(0);
    m_win->refreshPanels();
    const ss::FramePtr p = ws()->frame(ss::View::Prediction);
    QCOMPARE(p->text_version, ws()->textVersion());
    const auto& a = *p->per_token;
    const auto& b = fresh->surprisals();
    QCOMPARE(a.size(), b.size());
    for (size_t i = 1; i < a.size(); ++i) QVERIFY(std::abs(a[i] - b[i]) < 1e-3);
    // An edit in the middle: the state view's h_t at the last token equals a fresh model's.
    QByteArray edited = more;
    edited[20] = 'X';
    m_win->setText(edited);
    QCOMPARE(m_win->inputEditor()->bytes(), edited);  // the editor follows the session
    ws()->setChoice(0, LayerChoice{1, 0, 0});
    ws()->selectToken(edited.size() - 1);
    m_win->refreshPanels();
    const auto ref = reference("mamba1_tied_f32", edited);
    const ss::Tensor h = ref->state_at(edited.size() - 1).layers[1].ssm_state;  // [Di, N]
    const PanelData d = m_win->panel("state")->data();
    const int N = int(h.size(1));
    QCOMPARE(d.token, qint64(edited.size() - 1));
    for (int c : {0, 5}) QVERIFY(std::abs(d.at(1, c) - h.data()[c * N + 1]) < 1e-4f * std::max(1.0f, std::abs(h.data()[c * N + 1])));
  }

  // Stepping and typing at the end of a long text touch only the new bytes (the editor inserts them,
  // the strip groups and lays out from the old end): the result must be what the whole text gives.
  void editor_and_strip_follow_appends_piece_by_piece() {
    const QByteArray text = QByteArray("ab状态 c\n") + QByteArray("\xC2\xA0") + "x😀y" + QByteArray("e\xCC\x81") + "状\r\n" +
                            QByteArray(200, 'q') + "态";
    InputEditor editor;
    editor.setHexMode(false);
    TokenStrip strip, fresh;
    strip.resize(300, 200);
    fresh.resize(300, 200);
    std::mt19937 rng(3);
    QByteArray shown;
    for (qsizetype i = 0; i < text.size();) {
      i = std::min<qsizetype>(text.size(), i + 1 + qsizetype(rng() % 3));  // 1-3 bytes: characters split across steps
      shown = text.left(i);
      editor.setBytes(shown);
      strip.setBytes(shown);
      QVERIFY(!editor.hexMode());
      InputEditor whole;  // what the editor shows when given the whole text at once
      whole.setBytes(shown);
      QCOMPARE(editor.editor()->toPlainText(), whole.editor()->toPlainText());
      fresh.setBytes(shown);
      for (qint64 b = 0; b < shown.size(); ++b) {
        QCOMPARE(strip.groupStart(b), fresh.groupStart(b));
        QCOMPARE(strip.groupLength(b), fresh.groupLength(b));
        QCOMPARE(strip.cellRect(b), fresh.cellRect(b));
      }
    }
    // An invalid byte appended: the whole text again, in hex.
    editor.setBytes(shown + "\xFF");
    QVERIFY(editor.hexMode());
    editor.setHexMode(false);
    editor.setBytes(text);

    // Typing at the end adds the typed characters' bytes and leaves the others alone (the text's no-break
    // space and CR, which the editor shows as a space and a line break, stay what they were).
    QPlainTextEdit* ed = editor.editor();
    ed->moveCursor(QTextCursor::End);
    QTest::keyClicks(ed, "Hi ");
    ed->insertPlainText(QString::fromUtf8("状态😀\u00a0z\n"));
    QCOMPARE(editor.bytes(), text + "Hi " + "状态😀 z\n");  // a typed no-break space reads as a space, as toPlainText writes it
    // Typing elsewhere: the whole text, as the editor shows it.
    ed->moveCursor(QTextCursor::Start);
    QTest::keyClick(ed, 'S');
    QCOMPARE(editor.bytes(), ed->toPlainText().toUtf8());
    QVERIFY(editor.bytes().startsWith("Sab"));
  }

  void stepping_feeds_one_byte_per_step() {
    m_win->setText(kText);
    ws()->selectToken(9);
    Stepper* st = m_win->stepper();
    st->step();  // begins at token 10: the text is cut after token 9, then one byte is fed
    QVERIFY(st->isStepping());
    QCOMPARE(ws()->bytes().size(), 11);
    QCOMPARE(ws()->token(), qint64(10));
    st->step();
    QCOMPARE(ws()->bytes().size(), 12);
    st->stop();
    QCOMPARE(ws()->bytes(), kText);
  }

  void stepping_and_typing_share_one_text() {
    // The Stepper bug: the editor kept the whole text while stepping; typing appended the next
    // stepped byte after the typed one, and "Whole text" dropped the typed byte.
    m_win->inputEditor()->setHexMode(false);  // (an earlier test left invalid UTF-8 and hex mode)
    m_win->setText(kText);
    ws()->selectToken(9);
    Stepper* st = m_win->stepper();
    st->step();
    QCOMPARE(m_win->inputEditor()->bytes(), kText.left(11));  // the editor shows the stepped text
    QPlainTextEdit* ed = m_win->inputEditor()->editor();
    ed->setFocus();
    ed->moveCursor(QTextCursor::End);
    QTest::keyClick(ed, 'Z');  // typing while stepping
    QCOMPARE(ws()->bytes(), kText.left(11) + "Z");
    st->step();  // the next byte of the text follows the typed one
    QCOMPARE(ws()->bytes(), kText.left(11) + "Z" + kText.mid(11, 1));
    QCOMPARE(m_win->inputEditor()->bytes(), ws()->bytes());
    st->stop();  // "Whole text" keeps what was typed
    QCOMPARE(ws()->bytes(), kText.left(11) + "Z" + kText.mid(11));
    QCOMPARE(m_win->inputEditor()->bytes(), ws()->bytes());
    QVERIFY(!st->isStepping());
    m_win->refreshPanels();
    QCOMPARE(m_win->panel("state")->data().token, ws()->token());
  }

  void selection_follows_typing() {
    // Defect 4: with the last byte selected, typing moves every view to the byte just typed.
    m_win->inputEditor()->setHexMode(false);
    m_win->setText(kText);
    ws()->selectToken(kText.size() - 1);
    QPlainTextEdit* ed = m_win->inputEditor()->editor();
    ed->setFocus();
    ed->moveCursor(QTextCursor::End);
    QTest::keyClicks(ed, "ab");
    m_win->refreshPanels();
    const qint64 last = kText.size() + 1;
    QCOMPARE(ws()->token(), last);
    for (const QString& k : {QString("state"), QString("prediction")}) QCOMPARE(m_win->panel(k)->data().token, last);
    QCOMPARE(m_win->panel("delta")->data().rowLabels.last(), QString::number(last));
    // A token picked further back stays.
    ws()->selectToken(3);
    QTest::keyClick(ed, 'c');
    m_win->refreshPanels();
    QCOMPARE(m_win->panel("state")->data().token, qint64(3));
    m_win->setText(kText);
  }

  void requests_while_the_worker_runs() {
    // The data race: a click on a matrix cell reached the model while a worker update ran. Now the
    // GUI only posts requests: during a long update they return at once, the window stays usable,
    // and the answers come when the worker gets to them.
    QByteArray big;
    while (big.size() < 300000) big += kText;
    m_win->setText(big);
    QTRY_VERIFY_WITH_TIMEOUT(ws()->isBusy(), 20000);
    auto* mp = static_cast<MatrixPanel*>(m_win->panel("matrix"));
    for (int i = 0; i < 10; ++i) {
      mp->selectCell(0, 3, 2);
      mp->selectBlock(0, 10, 0, 20, 5);
      ws()->selectToken(i);
      QCoreApplication::processEvents();
    }
    QVERIFY2(ws()->isBusy(), "the update should still run: make the text longer");
    for (Panel* p : m_win->panels())
      if (p->key() != "cost" && p->shownFrame() && !p->shownFrame()->empty()) QVERIFY2(!p->ageNote().isEmpty(), qPrintable(p->key()));  // an older result, said so
    ws()->cancel();
    ws()->waitForIdle();
    QCoreApplication::processEvents();
    QVERIFY(ws()->isPaused());
    QVERIFY(ws()->computed() < big.size());
    m_win->refreshPanels();
    QCOMPARE(m_win->panel("state")->data().token, qint64(9));  // token 9 is computed: shown
    m_win->setText(kText);
    m_win->refreshPanels();
    QVERIFY(!ws()->isPaused());
    QCOMPARE(ws()->computed(), qint64(kText.size()));
  }

  void stale_panels_are_cleared() {
    // Defect 2: views kept titles, curves and captions of models, layers and texts that were gone.
    ExplorerWindow w(/*restoreSettings=*/false);
    Workspace* s = w.workspace();
    QVERIFY(s->openModel(fixture("jamba_a")));
    w.resize(1400, 900);
    w.show();
    w.setText(kText);
    s->selectToken(20);
    const ss::ModelConfig& cfg = s->column(0).config;
    int attn = 0;
    while (cfg.mixers[attn] != ss::MixerKind::Attention) ++attn;
    s->setChoice(0, LayerChoice{attn, 0, 0});
    w.refreshPanels();
    auto* delta = static_cast<DeltaGatePanel*>(w.panel("delta"));
    auto* state = static_cast<HiddenStatePanel*>(w.panel("state"));
    auto* cost = static_cast<CostPanel*>(w.panel("cost"));
    auto* memory = static_cast<MemoryPanel*>(w.panel("memory"));
    auto* prediction = static_cast<PredictionPanel*>(w.panel("prediction"));
    // An attention layer: no Δ title with a layer, no Δ values; no channel in the state legend.
    QVERIFY2(delta->heatmap()->title().isEmpty(), qPrintable(delta->heatmap()->title()));
    QVERIFY(delta->heatmap()->placeholder().contains("attention"));
    QVERIFY(delta->data().values.isEmpty());
    QVERIFY(!state->channelInLegend());
    QCOMPARE(state->channelSeries()->count(), 0);
    // The cost caption follows the models.
    cost->measure(true);
    w.refreshPanels();
    QVERIFY2(cost->caption().contains("× 1 models"), qPrintable(cost->caption()));
    QVERIFY(s->openModel(fixture("mamba1_tied_f32")));
    w.refreshPanels();
    QVERIFY2(!cost->caption().contains("× 1 models"), qPrintable(cost->caption()));
    QVERIFY(cost->data().values.isEmpty());
    // A 0-byte text: no "h_t after token 20", no old curves.
    s->setChoice(0, LayerChoice{0, 0, 0});
    w.setText(QByteArray());
    w.refreshPanels();
    QVERIFY(state->heatmap()->title().isEmpty());
    QCOMPARE(state->normSeries()->count(), 0);
    QCOMPARE(memory->lineCount(), 0);
    QVERIFY(prediction->chartTitle().isEmpty());
    for (Panel* p : w.panels()) QVERIFY2(p->data().values.isEmpty(), qPrintable(p->key()));
    // Closing every model: nothing says "jamba_a" any more.
    w.setText(kText);
    w.refreshPanels();
    QVERIFY2(delta->caption().contains("jamba_a"), qPrintable(delta->caption()));
    s->closeModel(1);
    s->closeModel(0);
    w.refreshPanels();
    for (Panel* p : w.panels()) QVERIFY2(p->data().values.isEmpty(), qPrintable(p->key()));
    QVERIFY2(!delta->caption().contains("jamba"), qPrintable(delta->caption()));
    QVERIFY(delta->heatmap()->title().isEmpty());
    QVERIFY(state->heatmap()->title().isEmpty());
    QCOMPARE(memory->lineCount(), 0);
  }

  void the_active_column_is_the_users() {
    // Defect 3: closing a column before the active one changed the active model; a press on another
    // column's header or its selected layer block did not make it active.
    ExplorerWindow w(/*restoreSettings=*/false);
    Workspace* s = w.workspace();
    for (const char* m : {"mamba1_tied_f32", "mamba2_g1_f32", "llama_mha_f32"}) QVERIFY(s->openModel(fixture(m)));
    w.resize(1400, 900);
    w.show();
    w.setText(kText);
    s->setActiveColumn(2);
    s->closeModel(0);
    QCOMPARE(QString::fromStdString(s->column(s->activeColumn()).name), QString("llama_mha_f32"));
    QList<ModelColumn*> cols = w.findChildren<ModelColumn*>();
    QCOMPARE(cols.size(), 2);
    ModelColumn* mamba2 = cols[0]->column() == 0 ? cols[0] : cols[1];
    QTest::mousePress(mamba2->layerBox(), Qt::LeftButton);  // its header
    QCOMPARE(s->activeColumn(), 0);
    ModelColumn* llama = mamba2 == cols[0] ? cols[1] : cols[0];
    emit llama->schedule()->layerClicked(s->choice(1).layer);  // its selected layer block: the same layer
    QCOMPARE(s->activeColumn(), 1);
    w.refreshPanels();
    QCOMPARE(w.panel("state")->shownFrame()->model, std::string("llama_mha_f32"));
  }

  void a_zamba2_hybrid_layer_shows_its_mamba2_or_its_shared_attention() {
    // Zamba2: a hybrid layer runs a shared block's attention, then its own Mamba-2. The column offers
    // the attention on hybrid layers only; the views follow the choice.
    nlohmann::json cfg = ss::testkit::bench_config("zamba2");
    cfg["hidden_size"] = 32;
    cfg["num_attention_heads"] = 4;
    cfg["num_key_value_heads"] = 4;
    cfg["n_mamba_heads"] = 8;  // Mamba-2 heads 8, attention heads 4
    cfg["mamba_d_state"] = 8;
    cfg["chunk_size"] = 8;
    cfg["intermediate_size"] = 48;
    cfg["adapter_rank"] = 4;
    const std::string dir = ss::testkit::write_random_model_folder(cfg, ss::test::temp_dir("explorer-zamba2"), 4);
    ExplorerWindow w(/*restoreSettings=*/false);
    Workspace* s = w.workspace();
    QVERIFY(s->openModel(QString::fromStdString(dir)));
    w.resize(1400, 900);
    w.show();
    w.setText(kText);
    s->waitForIdle();
    ModelColumn* col = w.findChildren<ModelColumn*>().value(0);
    QVERIFY(col);
    QVERIFY(!col->partBox()->isVisibleTo(col));  // layer 0: a plain Mamba-2 layer
    col->layerBox()->setValue(3);                // S1+M2: the part box, as for a Falcon-H1 layer
    QVERIFY(col->partBox()->isVisibleTo(col));
    QVERIFY(col->partBox()->toolTip().contains("Zamba2"));
    auto shown = [&](const char* panel) {
      s->waitForIdle();
      w.refreshPanels();
      const ss::FramePtr f = w.panel(panel)->shownFrame();
      return f ? f->mixer : std::string("(none)");
    };
    QCOMPARE(shown("matrix"), std::string("mamba2"));
    QCOMPARE(col->headBox()->maximum(), 7);  // the Mamba-2's 8 heads
    col->partBox()->setCurrentIndex(1);      // attention
    QVERIFY(s->choice(0).attention_part);
    QCOMPARE(shown("matrix"), std::string("attention"));
    QCOMPARE(shown("state"), std::string("attention"));
    QCOMPARE(shown("delta"), std::string("mamba2"));  // Δ is always the Mamba-2's
    QCOMPARE(col->headBox()->maximum(), 3);  // the attention's 4 heads
    col->partBox()->setCurrentIndex(0);
    QCOMPARE(shown("matrix"), std::string("mamba2"));
    col->partBox()->setCurrentIndex(1);
    col->layerBox()->setValue(2);  // a plain Mamba-2 layer: no attention to show
    QVERIFY(!s->choice(0).attention_part);
    QVERIFY(!col->partBox()->isVisibleTo(col));
  }

  void delta_average_is_a_column_switch() {
    // Δ → average (core/intervention.h): a checkable control on SSM columns only; on, the column
    // says it is intervened, and its frames are the intervened model's (Δ flat over tokens).
    ExplorerWindow w(/*restoreSettings=*/false);
    Workspace* s = w.workspace();
    for (const char* m : {"mamba2_g1_f32", "llama_mha_f32"}) QVERIFY(s->openModel(fixture(m)));
    w.resize(1400, 900);
    w.show();
    w.setText(kText);
    s->waitForIdle();
    QList<ModelColumn*> cols = w.findChildren<ModelColumn*>();
    QCOMPARE(cols.size(), 2);
    ModelColumn* ssm = cols[0]->column() == 0 ? cols[0] : cols[1];
    ModelColumn* attn = ssm == cols[0] ? cols[1] : cols[0];
    QVERIFY(ssm->deltaAverageBox()->isVisibleTo(ssm));
    QVERIFY(!attn->deltaAverageBox()->isVisibleTo(attn));
    QVERIFY(!ssm->interventionLabel()->isVisibleTo(ssm));
    ssm->deltaAverageBox()->click();
    QVERIFY(s->deltaAverage(0));
    QCOMPARE(s->activeColumn(), 0);
    QVERIFY(ssm->interventionLabel()->isVisibleTo(ssm));
    QVERIFY(!ssm->interventionLabel()->text().isEmpty());
    s->waitForIdle();
    w.refreshPanels();
    const ss::FramePtr d = w.panel("delta")->shownFrame();
    QVERIFY(d && d->error.empty() && d->delta_average && d->rows > 1);
    for (int64_t r = 1; r < d->rows; ++r)
      for (int64_t c = 0; c < d->cols; ++c) QCOMPARE(d->at(r, c), d->at(0, c));
    const ss::FramePtr p = w.panel("prediction")->shownFrame();
    QVERIFY(p && p->delta_average);
    ssm->deltaAverageBox()->click();
    QVERIFY(!s->deltaAverage(0));
    QVERIFY(!ssm->interventionLabel()->isVisibleTo(ssm));
    s->waitForIdle();
    w.refreshPanels();
    QVERIFY(!w.panel("delta")->shownFrame()->delta_average);
  }

  void exports_are_never_half_written_data() {
    QTest::addColumn<QString>("format");
    for (const QString& f : QStringList{"csv", "npy"} + FigureExport::figureFormats()) QTest::newRow(qPrintable(f)) << f;
  }
  void exports_are_never_half_written() {
    // An export that fails part-way (a 2 KB file-size limit here, as a full disk fails) leaves the
    // file it was to replace as it was, and no temporary: every export goes through a QSaveFile
    // (before: QFile / QImage::save / QPdfWriter truncated the old file, then stopped half-way).
    QFETCH(QString, format);
    m_win->refreshPanels();
    QWidget* panel = m_win->panel("state");
    panel->resize(900, 500);
    PanelData d;  // 64 x 64 values: more than 2 KB as CSV or .npy
    d.name = "test";
    d.rows = d.cols = 64;
    for (int i = 0; i < 64 * 64; ++i) d.values << float(i) / 7;
    const QString dir = QString::fromStdString(ss::test::temp_dir("half"));
    const QString path = dir + "/state." + format;
    ss::test::write_file(path.toStdString(), "previous contents");
    auto exportIt = [&] { return format == "csv" || format == "npy" ? FigureExport::exportData(d, path) : FigureExport::exportWidget(panel, path, format, 120); };
    struct rlimit old {};
    QVERIFY(getrlimit(RLIMIT_FSIZE, &old) == 0);
    struct rlimit lim = old;
    lim.rlim_cur = 2048;
    const auto previous = std::signal(SIGXFSZ, SIG_IGN);  // a write past the limit fails with EFBIG instead
    QVERIFY(setrlimit(RLIMIT_FSIZE, &lim) == 0);
    const QString err = exportIt();
    setrlimit(RLIMIT_FSIZE, &old);
    std::signal(SIGXFSZ, previous);
    QVERIFY2(!err.isEmpty(), "the export reports the failure");
    QVERIFY2(err.contains(path), qPrintable(err));
    QCOMPARE(QString::fromStdString(ss::test::read_text(path.toStdString())), QString("previous contents"));
    QCOMPARE(QDir(dir).entryList(QDir::Files | QDir::Hidden), QStringList{"state." + format});
    QCOMPARE(exportIt(), QString());  // without the limit it is written whole
    if (format != "csv" && format != "npy") checkFigure(path, format);
  }

  void a_model_with_unused_tensors_warns_beside_it() {
    // The CLI warns on stderr (tst_robustness::unused_tensors_are_reported); the explorer says it in
    // the model's column, and the model still runs (as transformers does).
    const std::string dir = ss::test::make_tiny_mamba({}, ss::test::temp_dir("unused"));
    nlohmann::json j = nlohmann::json::parse(ss::test::read_text(dir + "/config.json"));
    j["use_conv_bias"] = false;
    ss::test::write_file(dir + "/config.json", j.dump(1));
    ExplorerWindow w(/*restoreSettings=*/false);
    Workspace* s = w.workspace();
    QVERIFY(s->openModel(QString::fromStdString(dir)));
    QVERIFY(s->openModel(fixture("mamba1_tied_f32")));
    w.setText(kText);
    s->waitForIdle();
    QCOMPARE(s->columnError(0), QString());
    QCOMPARE(s->columnWarnings(0).size(), 1);
    QVERIFY2(s->columnWarnings(0)[0].contains("2 tensors are not used by this config"), qPrintable(s->columnWarnings(0)[0]));
    QVERIFY(s->columnWarnings(1).filter("not used").isEmpty());
    ModelColumn* col = nullptr;
    for (ModelColumn* c : w.findChildren<ModelColumn*>())
      if (c->column() == 0) col = c;
    QVERIFY(col);
    QVERIFY2(col->errorText().contains("not used by this config") && col->errorText().contains("conv1d.bias"), qPrintable(col->errorText()));
    QVERIFY(s->computed() == qint64(kText.size()));  // a warning, not an error: the model ran
  }

  void a_model_with_only_slow_tokenizer_files_says_why() {
    // Issue 13: a folder with vocab.json/merges.txt and no tokenizer.json was run as bytes without a
    // word. Model::load refuses it now (Tokenizer::load; tst_tokenizer::refused), so the explorer's
    // column shows the refusal, naming the file and how to write a tokenizer.json, and never runs the
    // model on bytes; the model beside it runs.
    const std::string dir = ss::test::make_tiny_mamba({}, ss::test::temp_dir("slowtok"));
    ss::test::write_file(dir + "/vocab.json", "{\"a\": 0}");
    ss::test::write_file(dir + "/merges.txt", "#version: 0.2\n");
    ExplorerWindow w(/*restoreSettings=*/false);
    Workspace* s = w.workspace();
    QString err;
    QVERIFY(!s->openModel(QString::fromStdString(dir), &err));
    QVERIFY2(err.contains("vocab.json") && err.contains("without tokenizer.json"), qPrintable(err));
    QVERIFY(s->openModel(fixture("mamba1_tied_f32")));
    w.resize(1400, 900);
    w.show();
    w.setText(kText);
    s->waitForIdle();
    QVERIFY2(s->columnError(0).contains("without tokenizer.json"), qPrintable(s->columnError(0)));
    ModelColumn* col = nullptr;
    for (ModelColumn* c : w.findChildren<ModelColumn*>())
      if (c->column() == 0) col = c;
    QVERIFY(col);
    QVERIFY2(col->errorText().contains("vocab.json") && col->errorText().contains("save_pretrained"), qPrintable(col->errorText()));
    QCOMPARE(s->columnError(1), QString());
    QCOMPARE(s->computed(), qint64(kText.size()));  // the other model ran the text
  }

  void a_failing_model_says_why() {
    // Bad input: a model that fails to load keeps a column saying why; the window stays usable.
    ExplorerWindow w(/*restoreSettings=*/false);
    Workspace* s = w.workspace();
    QString err;
    QVERIFY(!s->openModel(fixture("no_such_model"), &err));
    QVERIFY(err.contains("no_such_model"));
    QVERIFY(s->openModel(fixture("mamba1_tied_f32")));
    w.resize(1400, 900);
    w.show();
    w.setText(kText);
    s->setActiveColumn(0);
    w.refreshPanels();
    QList<ModelColumn*> cols = w.findChildren<ModelColumn*>();
    ModelColumn* bad = cols[0]->column() == 0 ? cols[0] : cols[1];
    QVERIFY2(bad->errorText().contains("no_such_model"), qPrintable(bad->errorText()));
    auto* state = static_cast<HiddenStatePanel*>(w.panel("state"));
    QVERIFY(state->data().values.isEmpty());
    QVERIFY2(state->heatmap()->placeholder().contains("no_such_model"), qPrintable(state->heatmap()->placeholder()));
    s->setActiveColumn(1);
    w.refreshPanels();
    QVERIFY(!state->data().values.isEmpty());
    QVERIFY(!static_cast<MatrixPanel*>(w.panel("matrix"))->heatmap(1)->values().isEmpty());
  }

  void large_heatmap_draws_from_a_coarse_level() {
    // An 8K x 8K matrix is drawn from the pyramid level that matches the pixels (the redraw time is
    // in statescope-bench-explorer), and a single strong cell survives every halving with its sign.
    const int n = 8192;
    QVector<float> v(qsizetype(n) * n, 0.01f);
    v[qsizetype(5001) * n + 3007] = -7.0f;
    HeatmapPyramid p;
    p.setData(n, n, v);
    QCOMPARE(p.level(0).rows, n);
    const int k = p.levelFor(800, 900);
    const HeatmapPyramid::Level& L = p.level(k);
    QVERIFY2(L.rows >= 800 && L.cols >= 900 && L.rows < 2 * 900 && L.cols < 2 * 900,
             qPrintable(QString("level %1 is %2 x %3").arg(k).arg(L.rows).arg(L.cols)));
    for (int j = 1; j < p.levelCount(); ++j) {
      const HeatmapPyramid::Level& Lj = p.level(j);
      QCOMPARE(Lj.rows, (p.level(j - 1).rows + 1) / 2);
      QCOMPARE(*std::min_element(Lj.values.begin(), Lj.values.end()), -7.0f);
      QCOMPARE(Lj.values[qsizetype(5001 >> j) * Lj.cols + (3007 >> j)], -7.0f);
    }
  }

  void hidden_panels_cost_nothing() {
    // A closed dock's view is not computed on a change; it is when the dock shows again.
    auto* dock = m_win->findChild<QDockWidget*>("dock-matrix");
    QVERIFY(dock);
    const bool wasVisible = dock->isVisible();
    dock->show();
    QCoreApplication::processEvents();
    dock->hide();
    QCoreApplication::processEvents();
    QVERIFY(!ws()->views().contains(ss::View::Matrix));
    QVERIFY(ws()->views().contains(ss::View::Prediction));
    const QByteArray before = ws()->bytes();
    ws()->setBytes(before + "!");
    ws()->waitForIdle();
    const quint64 v = ws()->textVersion();
    QCOMPARE(ws()->frame(ss::View::Prediction)->text_version, v);
    QVERIFY(ws()->frame(ss::View::Matrix, 0)->text_version < v);  // not recomputed while hidden
    dock->show();
    QCoreApplication::processEvents();
    QVERIFY(ws()->views().contains(ss::View::Matrix));
    ws()->waitForIdle();
    QCOMPARE(ws()->frame(ss::View::Matrix, 0)->text_version, v);  // computed when it shows
    dock->setVisible(wasVisible);
    ws()->setBytes(before);
    m_win->refreshPanels();
  }

  void large_window_state_view() {
    // A window longer than Workspace::kSharedWindow: the state view charts at most that many tokens
    // around the selection and still shows h_t of the selected token (last test: it changes the text).
    QByteArray text;
    while (text.size() < 3000) text += kText;
    m_win->setText(text);
    ws()->waitForIdle();
    ws()->setActiveColumn(0);
    ws()->setChoice(0, LayerChoice{1, 0, 3});
    ws()->selectWindow(0, text.size() - 1);
    ws()->selectToken(1500);  // inside the explicit window: the window stays
    QCOMPARE(ws()->windowEnd() - ws()->windowStart(), qint64(text.size()));
    m_win->refreshPanels();
    const PanelData h = m_win->panel("state")->data();
    QCOMPARE(h.token, qint64(1500));
    const ss::Tensor ref = reference("mamba1_tied_f32", text)->state_at(1500, 1).layers[1].ssm_state;  // [Di, N]
    const int N = int(ref.size(1)), Di = int(ref.size(0));
    for (int d : {0, 3, Di - 1})
      for (int n : {0, N - 1}) QVERIFY(std::abs(h.at(n, d) - ref.data()[d * N + n]) <= 1e-5f * std::max(1.0f, std::abs(ref.data()[d * N + n])));
    const auto* norm = static_cast<HiddenStatePanel*>(m_win->panel("state"))->normSeries();
    QCOMPARE(norm->count(), int(Workspace::kSharedWindow));
    QVERIFY(norm->points().first().x() <= 1500 && norm->points().last().x() >= 1500);
  }

  void a_tokenizer_model_shows_its_tokens() {
    // A model folder with a tokenizer.json: the strip groups the bytes by its tokens (text over the
    // bytes, id below), the views select the token that holds the clicked byte (last test: it changes
    // the models).
    QTemporaryDir tmp;
    const QString dir = tmp.path() + "/tokmodel";
    nlohmann::json cfg = ss::testkit::bench_config("mamba2");
    cfg["vocab_size"] = 2048;
    cfg["num_hidden_layers"] = 2;
    ss::testkit::write_random_model_folder(cfg, dir.toStdString(), 3);
    for (const char* f : {"tokenizer.json", "tokenizer_config.json"})
      QVERIFY(QFile::copy(fixture("tokenizers/sp_metaspace_2k/") + f, dir + "/" + f));
    const QByteArray text = QByteArray("Hello state space! The quick brown fox. ") + QString::fromUtf8("状态").toUtf8();
    m_win->setText(text);
    QString err;
    QVERIFY2(ws()->openModel(dir, &err), qPrintable(err));
    ws()->setActiveColumn(ws()->columnCount() - 1);
    const qint64 fox = text.indexOf("fox") + 1;
    ws()->selectToken(fox);
    ws()->waitForIdle();
    m_win->refreshPanels();
    TokenStrip* s = m_win->tokenStrip();
    QVERIFY(s->showsTokens());
    // Our own tokens of the text, from the model's tokenizer.
    auto backend = ss::make_cpu_backend();
    auto model = ss::Model::load(dir.toStdString(), *backend);
    const std::vector<ss::TokenPiece> pieces = model->tokenize(std::string_view(text.constData(), size_t(text.size())));
    qint64 tok = -1;
    for (size_t i = 0; i < pieces.size(); ++i)
      if (pieces[i].begin <= fox && fox < pieces[i].end) tok = qint64(i);
    QCOMPARE(s->tokenOfByte(fox), tok);
    QCOMPARE(s->groupStart(fox), qint64(pieces[size_t(tok)].begin));
    QCOMPARE(s->groupLength(fox), int(pieces[size_t(tok)].end - pieces[size_t(tok)].begin));
    const ss::TokenPiece& piece = pieces[size_t(tok)];
    QCOMPARE(s->glyph(fox), QString::fromUtf8(text.mid(piece.begin, piece.end - piece.begin)).replace(' ', QString::fromUtf8("␣")));
    QVERIFY(!s->glyph(text.indexOf(QString::fromUtf8("状").toUtf8())).contains(QChar(0xFFFD)));
    // The views show that token, and predict tokens.
    const PanelData p = m_win->panel("prediction")->data();
    QCOMPARE(p.token, tok);
    QCOMPARE(p.cols, qint64(2048));
    // Arrow keys move by token.
    QTest::keyClick(s, Qt::Key_Right);
    QCOMPARE(ws()->token(), qint64(pieces[size_t(tok) + 1].begin));
    ws()->closeModel(ws()->columnCount() - 1);
  }
};

QTEST_MAIN(TestExplorer)
#include "tst_explorer.moc"
