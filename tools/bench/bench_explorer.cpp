// statescope-bench-explorer: how fast the explorer answers a user, per model and document size.
//
//   statescope-bench-explorer [--model DIR ...] [--sizes 1024,102400] [--samples 30] [--device cpu]
//
// For each model alone in a window (1600 x 1000, offscreen) and each document size it prints:
//   first run      the first full computation of the document (every model column's engine)
//   append engine  Exploration::append of one byte (the recurrent step from the live state)
//   keystroke      one byte appended through the Workspace, until every view has refreshed and the
//                  whole window has been painted (QWidget::grab); then, for the same state, the
//                  views' refresh alone (ExplorerWindow::refreshPanels) and the window's paint alone
//   click state    Exploration::state_at(t, layer) for a token t far back (uniform in the first
//                  half), layer = the model's last SSM layer (or last attention layer)
//   click views    Workspace::selectToken(t) for such a t, until every view has refreshed and the
//                  window has been painted
// p50 and p99 (the max when fewer than 100 samples) over --samples samples, in milliseconds.
// Then the semiseparable-matrix heatmap: an 8192 x 8192 signed matrix redrawn at 900 x 800 pixels.
#include <QApplication>
#include <QElapsedTimer>
#include <QImage>
#include <QStringList>
#include <algorithm>
#include <cstdio>
#include <random>
#include <vector>

#include "ExplorerWindow.h"
#include "Heatmap.h"
#include "Panel.h"
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

int shownLayer(const ss::Exploration& ex) {
  const auto& m = ex.config().mixers;
  for (int l = int(m.size()) - 1; l >= 0; --l)
    if (m[l] != ss::MixerKind::Attention) return l;
  return int(m.size()) - 1;
}

double msSince(const QElapsedTimer& t) { return t.nsecsElapsed() / 1e6; }

}  // namespace

int main(int argc, char** argv) {
  if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
  qInstallMessageHandler([](QtMsgType, const QMessageLogContext&, const QString& m) {  // the offscreen plugin's noise
    if (!m.contains("propagateSizeHints") && !m.contains("XDG_RUNTIME_DIR")) std::fprintf(stderr, "%s\n", qPrintable(m));
  });
  QApplication app(argc, argv);
  QStringList models;
  QList<qint64> sizes = {1024, 102400};
  int samples = 30;
  QString device = "cpu";
  const QStringList args = app.arguments();
  const char* usage = "usage: statescope-bench-explorer [--model DIR ...] [--sizes N,N] [--samples N] [--device cpu|cuda|auto]\n";
  if (args.contains("--help") || args.contains("-h") || args.size() % 2 == 0) {  // options come in pairs
    std::fprintf(args.size() % 2 == 0 && !args.contains("--help") && !args.contains("-h") ? stderr : stdout, "%s", usage);
    return args.contains("--help") || args.contains("-h") ? 0 : 2;
  }
  for (int i = 1; i + 1 < args.size(); i += 2) {
    if (args[i] == "--model") models << args[i + 1];
    else if (args[i] == "--sizes") {
      sizes.clear();
      for (const QString& s : args[i + 1].split(',')) sizes << s.toLongLong();
    } else if (args[i] == "--samples") samples = args[i + 1].toInt();
    else if (args[i] == "--device") device = args[i + 1];
    else {
      std::fprintf(stderr, "%s", usage);
      return 2;
    }
  }
  if (models.isEmpty())
    for (const char* m : {"mamba1-bytes", "mamba2-bytes", "llama-bytes", "jamba-bytes"})
      models << QString(STATESCOPE_SOURCE_DIR "/assets/models/") + m;

  std::printf("| model | backend | bytes | first run s | append engine p50 / p99 ms | keystroke to views p50 / p99 ms | of which: views refresh / paint p50 ms | click state p50 / p99 ms | click to views p50 / p99 ms |\n");
  std::printf("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
  std::mt19937 rng(7);
  for (const QString& dir : models) {
    for (qint64 n : sizes) {
      ExplorerWindow win(/*restoreSettings=*/false);
      Workspace* ws = win.workspace();
      ws->setDevice(device);
      QString err;
      if (!ws->openModel(dir, &err)) {
        std::fprintf(stderr, "%s: %s\n", qPrintable(dir), qPrintable(err));
        return 1;
      }
      win.resize(1600, 1000);
      win.show();
      QCoreApplication::processEvents();
      ss::Exploration& ex = ws->exploration(0);

      QElapsedTimer t;
      t.start();
      win.setText(document(n));
      ws->waitForIdle();
      const double first = t.nsecsElapsed() / 1e9;
      ws->selectToken(n - 1);
      QCoreApplication::processEvents();
      win.grab();

      std::vector<double> engine, keystroke, clickState, clickViews, paint, refresh;
      const QByteArray more = "e";
      for (int i = 0; i < samples; ++i) {  // engine: the Exploration alone
        t.restart();
        ex.append({uint8_t('e')});
        engine.push_back(msSince(t));
      }
      ws->setBytes(QByteArray(reinterpret_cast<const char*>(ex.bytes().data()), qsizetype(ex.bytes().size())));
      ws->waitForIdle();
      if (qEnvironmentVariableIsSet("STATESCOPE_BENCH_KEYSTROKE_ONLY")) {  // for profiling the keystroke path
        for (int i = 0; i < samples; ++i) {
          ws->appendBytes(more);
          ws->selectToken(ws->computed() - 1);
          QCoreApplication::processEvents();
          win.grab();
        }
        return 0;
      }
      for (int i = 0; i < samples; ++i) {  // the whole window, as typing does
        t.restart();
        ws->appendBytes(more);
        ws->selectToken(ws->computed() - 1);
        QCoreApplication::processEvents();
        win.grab();
        keystroke.push_back(msSince(t));
      }
      for (int i = 0; i < samples; ++i) {  // where the keystroke time goes: views' refresh, then painting
        t.restart();
        win.refreshPanels();
        refresh.push_back(msSince(t));
        t.restart();
        win.grab();
        paint.push_back(msSince(t));
      }
      // Per view (the last size's line is what the doc quotes): where the refresh time goes.
      QStringList perView;
      for (Panel* panel : win.panels()) {
        std::vector<double> ms;
        for (int i = 0; i < 10; ++i) {
          t.restart();
          panel->refresh();
          ms.push_back(msSince(t));
        }
        perView << QString("%1 %2").arg(panel->key()).arg(stats(ms).p50, 0, 'f', 1);
      }
      std::fprintf(stderr, "%s %lld: refresh p50 ms per view: %s\n", ex.name().c_str(), static_cast<long long>(n),
                   qPrintable(perView.join(", ")));
      const int layer = shownLayer(ex);
      std::uniform_int_distribution<qint64> far(0, std::max<qint64>(0, ws->computed() / 2 - 1));
      for (int i = 0; i < samples; ++i) {
        const qint64 tok = far(rng);
        t.restart();
        const ss::ModelState s = ex.state_at(tok, layer);
        clickState.push_back(msSince(t));
        t.restart();
        ws->selectToken(far(rng));
        QCoreApplication::processEvents();
        win.grab();
        clickViews.push_back(msSince(t));
      }
      const Stats a = stats(engine), k = stats(keystroke), c = stats(clickState), v = stats(clickViews);
      std::printf("| %s | %s | %lld | %.2f | %.2f / %.2f | %.1f / %.1f | %.1f / %.1f | %.1f / %.1f | %.1f / %.1f |\n",
                  ex.name().c_str(), ex.backend_name().c_str(), static_cast<long long>(n), first, a.p50, a.p99, k.p50,
                  k.p99, stats(refresh).p50, stats(paint).p50, c.p50, c.p99, v.p50, v.p99);
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
  const double build = msSince(t);
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
