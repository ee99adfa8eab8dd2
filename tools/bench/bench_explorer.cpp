// statescope-bench-explorer: how fast the explorer answers a user, measured as a user feels it:
// from the input event to the last widget it changes being painted.
//
//   statescope-bench-explorer [--model DIR ...] [--sizes 1024,102400] [--samples 30] [--device cpu]
//                             [--together] [--phases keystroke,click,layer] [--help]
//
// For each model alone in a window (1600 x 1000, offscreen), or with --together all the models in
// one window (the first one active), and each document size:
//   first run    from setting the text to every view drawn for it (the worker's first computation)
//   max stall    the longest the GUI thread went without running its event loop during the first run
//                (a 1 ms timer's longest gap: the worker computes, the GUI thread must not wait)
//   keystroke    a key press in the editor (one byte appended at the end; the selection follows it)
//                until every view has drawn the frame for the new text and the last paint is done
//   click        a mouse click on a token of the strip anywhere in the text (uniform; scrolled into
//                view first, untimed) until every view has drawn the frames for it
//   → key        the right-arrow key in the token strip (the next token, as a teacher steps through a
//                text) until every view has drawn
//   layer        a layer change in the active model's column until every view has drawn
// p50 and p99 (the max when fewer than 100 samples) over --samples samples, in milliseconds.
// --phases measures only the phases named (click includes the → key), e.g. to profile one of them.
// Environment: STATESCOPE_BENCH_SAMPLES=1 prints each keystroke's time and selection to stderr (and
// "first run done" / "keystrokes done" marks), STATESCOPE_BENCH_PAUSE_MS=N then waits N ms before the
// keystrokes, STATESCOPE_BENCH_RERUNS=1 also prints the tokens each keystroke reran from snapshots.
// Then the semiseparable-matrix heatmap: an 8192 x 8192 signed matrix redrawn at 900 x 800 pixels.
#include <QApplication>
#include <QElapsedTimer>
#include <QImage>
#include <QPlainTextEdit>
#include <QSpinBox>
#include <QStringList>
#include <QTest>
#include <QTimer>
#include <algorithm>
#include <cstdio>
#include <random>
#include <vector>

#include "ExplorerWindow.h"
#include "event_loop.h"
#include "Heatmap.h"
#include "InputEditor.h"
#include "ModelColumn.h"
#include "Panel.h"
#include "TokenStrip.h"
#include "Workspace.h"

namespace {

struct Stats {
  double p50 = 0, p99 = 0;
};

Stats stats(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  if (ms.empty()) return {};
  const size_t n = ms.size();
  return {ms[n / 2], ms[std::min(n - 1, static_cast<size_t>(0.99 * double(n)))]};
}

QByteArray document(qint64 n) {
  // Prose-like bytes: the sample text repeated (the models are trained on English prose).
  const QByteArray base = ExplorerWindow::sampleText();
  QByteArray out;
  out.reserve(n);
  while (out.size() < n) out += base;
  out.truncate(n);
  return out;
}

// Remembers when the last paint event of any widget ended (paints that the frames cause).
class PaintClock : public QObject {
 public:
  QElapsedTimer clock;
  qint64 lastPaintNs = 0;
  PaintClock() { clock.start(); }
  bool eventFilter(QObject* o, QEvent* e) override {
    if (e->type() == QEvent::Paint && o->isWidgetType()) {
      o->event(e);  // paint now (and only here), then note the time it ended
      lastPaintNs = clock.nsecsElapsed();
      return true;
    }
    return false;
  }
};

// Runs the event loop until every panel shows the frames of the document's newest state, then until
// no paint is pending. Returns the time of the last paint (ns on `pc.clock`).
qint64 settle(ExplorerWindow& win, PaintClock& pc) {
  Workspace* ws = win.workspace();
  const quint64 serial = ws->document().serial;
  auto drawn = [&] { return win.showsDocumentState(serial); };
  bench::run_until(drawn, 600000);  // inside an event loop, as the application runs (event_loop.h)
  return pc.lastPaintNs;
}

double ms(qint64 ns) { return ns / 1e6; }

}  // namespace

int main(int argc, char** argv) {
  if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
  qInstallMessageHandler([](QtMsgType, const QMessageLogContext&, const QString& m) {  // the offscreen plugin's noise
    if (!m.contains("propagateSizeHints") && !m.contains("XDG_RUNTIME_DIR")) std::fprintf(stderr, "%s\n", qPrintable(m));
  });
  const char* usage = "usage: statescope-bench-explorer [--model DIR ...] [--sizes N,N] [--samples N] [--device cpu|cuda|auto] [--together]\n"
                      "                                 [--phases keystroke,click,layer]\n";
  for (int i = 1; i < argc; ++i)
    if (QByteArray(argv[i]) == "--help" || QByteArray(argv[i]) == "-h") {
      std::printf("%s", usage);
      return 0;
    }
  QApplication app(argc, argv);
  QStringList models;
  QList<qint64> sizes = {1024, 102400};
  int samples = 30;
  bool together = false;
  QString device = "cpu";
  QStringList phases = {"keystroke", "click", "layer"};
  const QStringList args = app.arguments();
  for (int i = 1; i < args.size(); ++i) {
    if (args[i] == "--together") { together = true; continue; }
    if (i + 1 >= args.size()) { std::fprintf(stderr, "%s", usage); return 2; }
    if (args[i] == "--model") models << args[++i];
    else if (args[i] == "--sizes") {
      sizes.clear();
      for (const QString& s : args[++i].split(',')) sizes << s.toLongLong();
    } else if (args[i] == "--samples") samples = args[++i].toInt();
    else if (args[i] == "--device") device = args[++i];
    else if (args[i] == "--phases") phases = args[++i].split(',');
    else { std::fprintf(stderr, "%s", usage); return 2; }
  }
  if (models.isEmpty())
    for (const char* m : {"mamba1-bytes", "mamba2-bytes", "llama-bytes", "jamba-bytes"})
      models << QString(STATESCOPE_SOURCE_DIR "/assets/models/") + m;

  std::printf("| models (active first) | backend | bytes | first run s | max GUI stall ms | keystroke to views p50 / p99 ms | click to views p50 / p99 ms | → key to views p50 / p99 ms | layer change p50 / p99 ms |\n");
  std::printf("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
  std::mt19937 rng(7);
  QList<QStringList> sets;
  if (together) sets << models;
  else
    for (const QString& m : models) sets << QStringList{m};
  for (const QStringList& set : sets) {
    for (qint64 n : sizes) {
      ExplorerWindow win(/*restoreSettings=*/false);
      Workspace* ws = win.workspace();
      ws->setDevice(device);
      for (const QString& dir : set) {
        QString err;
        if (!ws->openModel(dir, &err)) {
          std::fprintf(stderr, "%s: %s\n", qPrintable(dir), qPrintable(err));
          return 1;
        }
      }
      ws->setActiveColumn(0);
      win.resize(1600, 1000);
      win.show();
      bench::drain();
      PaintClock pc;
      app.installEventFilter(&pc);

      // First run, and the longest event-loop gap meanwhile.
      QElapsedTimer gapClock;
      gapClock.start();
      qint64 lastTick = 0, maxGap = 0;
      QTimer tick;
      tick.setInterval(1);
      QObject::connect(&tick, &QTimer::timeout, [&] {
        const qint64 now = gapClock.nsecsElapsed();
        maxGap = std::max(maxGap, now - lastTick);
        lastTick = now;
      });
      qint64 t0 = pc.clock.nsecsElapsed();
      lastTick = gapClock.nsecsElapsed();
      tick.start();
      win.setText(document(n));
      const double first = ms(settle(win, pc) - t0) / 1e3;
      tick.stop();

      QPlainTextEdit* editor = win.inputEditor()->editor();
      editor->moveCursor(QTextCursor::End);
      const bool verbose = qEnvironmentVariableIsSet("STATESCOPE_BENCH_SAMPLES");
      if (verbose) {  // STATESCOPE_BENCH_PAUSE_MS: time for a profiler to attach, or for the worker's idle work
        std::fprintf(stderr, "first run done\n");
        const qint64 until = pc.clock.elapsed() + qEnvironmentVariableIntValue("STATESCOPE_BENCH_PAUSE_MS");
        bench::run_until([&] { return pc.clock.elapsed() >= until; }, 4000);
      }
      std::vector<double> keystroke, click, arrow, layer;
      // (asking the worker for its rerun count waits for its background jobs: only with ..._RERUNS)
      const bool countReruns = qEnvironmentVariableIsSet("STATESCOPE_BENCH_RERUNS");
      auto reruns = [&] {  // tokens the active model has rerun from snapshots for queries so far
        int64_t n = 0;
        ws->session().run_on_worker([&](ss::Engine& e, const ss::Document& d) {
          if (ss::Exploration* ex = e.exploration(d, 0)) n = ex->query_tokens_run();
        });
        return n;
      };
      for (int i = 0; i < samples && phases.contains("keystroke"); ++i) {
        const int64_t before = countReruns ? reruns() : 0;
        const qint64 selected = ws->token();
        t0 = pc.clock.nsecsElapsed();
        QTest::keyClick(editor, 'e');
        keystroke.push_back(ms(settle(win, pc) - t0));
        if (verbose)
          std::fprintf(stderr, "keystroke %d: %.1f ms (token %lld -> %lld of %lld; %lld tokens rerun)\n", i, keystroke.back(),
                       static_cast<long long>(selected), static_cast<long long>(ws->token()), static_cast<long long>(ws->bytes().size()),
                       static_cast<long long>(countReruns ? reruns() - before : -1));
      }
      if (verbose) std::fprintf(stderr, "keystrokes done\n");
      TokenStrip* strip = win.tokenStrip();
      std::uniform_int_distribution<qint64> anywhere(0, std::max<qint64>(0, ws->bytes().size() - 2));
      for (int i = 0; i < samples && phases.contains("click"); ++i) {
        const qint64 tok = anywhere(rng);
        strip->ensureVisible(tok);  // scrolls there (not timed), then the click is
        bench::drain();
        const QPoint at = strip->cellRect(tok).center();
        t0 = pc.clock.nsecsElapsed();
        QTest::mouseClick(strip->viewport(), Qt::LeftButton, {}, at);
        click.push_back(ms(settle(win, pc) - t0));
        // Then the next token, with the key.
        t0 = pc.clock.nsecsElapsed();
        QTest::keyClick(strip, Qt::Key_Right);
        arrow.push_back(ms(settle(win, pc) - t0));
      }
      ModelColumn* column = nullptr;
      for (ModelColumn* c : win.findChildren<ModelColumn*>())
        if (c->column() == 0) column = c;
      const int layers = ws->column(0).config.n_layers;
      for (int i = 0; i < samples && column && layers > 1 && phases.contains("layer"); ++i) {
        t0 = pc.clock.nsecsElapsed();
        column->layerBox()->setValue((column->layerBox()->value() + 1) % layers);
        layer.push_back(ms(settle(win, pc) - t0));
      }
      app.removeEventFilter(&pc);
      QStringList names;
      for (int c = 0; c < ws->columnCount(); ++c) names << QString::fromStdString(ws->column(c).name);
      auto cell = [](const std::vector<double>& v) {  // "p50 / p99", or "-" for a phase not measured
        const Stats s = stats(v);
        return v.empty() ? QByteArray("-") : QByteArray::number(s.p50, 'f', 1) + " / " + QByteArray::number(s.p99, 'f', 1);
      };
      std::printf("| %s | %s | %lld | %.2f | %.0f | %s | %s | %s | %s |\n", qPrintable(names.join(", ")), ws->column(0).backend.c_str(),
                  static_cast<long long>(n), first, ms(maxGap), cell(keystroke).constData(), cell(click).constData(),
                  cell(arrow).constData(), cell(layer).constData());
      std::fflush(stdout);
    }
  }

  // The semiseparable-matrix view at its largest window.
  Heatmap h;
  const int n = 8192;
  QVector<float> v(qsizetype(n) * n);
  for (qsizetype i = 0; i < v.size(); ++i) v[i] = float((i * 2654435761u) % 1000) / 1000.0f - 0.5f;
  QElapsedTimer t;
  t.start();
  h.setScale(ColorScale::Signed);
  h.setData(n, n, v);
  const double build = t.nsecsElapsed() / 1e6;
  h.resize(900, 800);
  QImage img(h.size(), QImage::Format_ARGB32);
  h.render(&img);  // the first paint builds the image for this size
  std::vector<double> redraw;
  for (int i = 0; i < 10; ++i) {
    h.render(&img);
    redraw.push_back(h.lastPaintMs());
  }
  std::printf("\nHeatmap 8192 x 8192 at 900 x 800 px: level-of-detail pyramid built in %.0f ms; redraw p50 %.1f ms, max %.1f ms\n",
              build, stats(redraw).p50, *std::max_element(redraw.begin(), redraw.end()));
  return 0;
}
