// statescope-soak-explorer: the explorer open on a long text for minutes of scripted clicking and
// typing (issue 13, item 8): does its resident memory stay within what the design keeps?
//
//   statescope-soak-explorer [--model DIR] [--bytes 1048576] [--minutes 10 | --seconds S] [--samples 20]
//                            [--seed 1] [--slack 64] [--dwell 1000] [--device cpu]
//
// One model (default assets/models/mamba1-bytes) in an offscreen window (1600 x 1000) on --bytes of
// prose (the sample text repeated). After the first run, random user actions until the time is up:
//   click        a token anywhere in the strip (scrolled there first, as a user scrolls)   30 %
//   shift-click  a window from the last clicked token to a token near it                  5 %
//   → key        the next token                                                           15 %
//   type         a letter at the end of the text (an append: the recurrent step)          20 %
//   backspace    at the end (a rerun from the snapshot before the new end)                10 %
//   edit         a letter typed or deleted at a random place of the last 32 KB (a rerun
//                from the snapshot before it to the end; later actions supersede it and it
//                continues under them)                                                     5 %
//   layer        the next layer in the model's column                                     15 %
// Each action waits for every view to draw its frames, at most --dwell ms (a user's pace; a long
// rerun goes on under the next actions). Edits far from the end are left out: on a 1 MB text each
// reruns the rest of the text (minutes on the CPU), which is time, not memory.
//
// Memory: VmRSS (/proc/self/status) after malloc_trim(0) (freed heap handed back, so RSS is what is
// live), sampled --samples times after a warm-up (the first tenth of the time), each at a moment the
// worker is idle; beside it what the design keeps, asked of the session's worker: the model's
// snapshots, per-token results, text and the window it extends while typing (Exploration::tally;
// snapshots at most 512 MB) and the caches of traced windows and frames (Engine::tally; windows at
// most 384 MB, 64 frames), each storage counted once.
// Unexplained growth = the RSS growth minus the growth of what is kept; exit 1 when it is over --slack MB.
#include <QApplication>
#include <QElapsedTimer>
#include <QPlainTextEdit>
#include <QSpinBox>
#include <QStringList>
#include <QTest>
#include <QTextCursor>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <vector>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "ExplorerWindow.h"
#include "event_loop.h"
#include "InputEditor.h"
#include "ModelColumn.h"
#include "Panel.h"
#include "TokenStrip.h"
#include "Workspace.h"
#include "session.h"

namespace {

double rss_mb() {
#ifdef __GLIBC__
  malloc_trim(0);
#endif
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::atof(line.c_str() + 6) / 1024.0;  // kB
  return -1;
}

QByteArray document(qint64 n) {
  const QByteArray base = ExplorerWindow::sampleText();
  QByteArray out;
  out.reserve(n);
  while (out.size() < n) out += base;
  out.truncate(n);
  return out;
}

// Runs the event loop until every panel shows a frame of the document's newest state, at most `ms`.
void settle(ExplorerWindow& win, int ms) {
  Workspace* ws = win.workspace();
  const quint64 serial = ws->document().serial;
  auto drawn = [&] { return win.showsDocumentState(serial); };
  bench::run_until(drawn, ms);  // inside an event loop, as the application runs (event_loop.h)
}

struct Sample {
  double seconds = 0;
  int64_t actions = 0;
  double rss = 0, kept = 0, caches = 0;  // MB
};

}  // namespace

int main(int argc, char** argv) {
  if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
  qInstallMessageHandler([](QtMsgType, const QMessageLogContext&, const QString& m) {  // the offscreen plugin's noise
    if (!m.contains("propagateSizeHints") && !m.contains("XDG_RUNTIME_DIR")) std::fprintf(stderr, "%s\n", qPrintable(m));
  });
  const char* usage =
      "usage: statescope-soak-explorer [--model DIR] [--bytes N] [--minutes M | --seconds S] [--samples K] [--seed N] [--slack MB] "
      "[--dwell MS] [--device cpu|cuda|auto]\n";
  QApplication app(argc, argv);
  QString model = QString(STATESCOPE_SOURCE_DIR "/assets/models/mamba1-bytes"), device = "cpu";
  qint64 bytes = 1 << 20;
  double seconds = 600, slack = 64;
  int samples = 20, dwell = 1000;
  unsigned seed = 1;
  const QStringList args = app.arguments();
  for (int i = 1; i < args.size(); ++i) {
    if (args[i] == "--help" || args[i] == "-h") {
      std::printf("%s", usage);
      return 0;
    }
    if (i + 1 >= args.size()) {
      std::fprintf(stderr, "%s", usage);
      return 2;
    }
    const QString v = args[++i];
    if (args[i - 1] == "--model") model = v;
    else if (args[i - 1] == "--bytes") bytes = v.toLongLong();
    else if (args[i - 1] == "--minutes") seconds = v.toDouble() * 60;
    else if (args[i - 1] == "--seconds") seconds = v.toDouble();
    else if (args[i - 1] == "--samples") samples = v.toInt();
    else if (args[i - 1] == "--seed") seed = v.toUInt();
    else if (args[i - 1] == "--slack") slack = v.toDouble();
    else if (args[i - 1] == "--dwell") dwell = v.toInt();
    else if (args[i - 1] == "--device") device = v;
    else {
      std::fprintf(stderr, "%s", usage);
      return 2;
    }
  }
  if (bytes < 16 || seconds <= 0 || samples < 2) {
    std::fprintf(stderr, "%s", usage);
    return 2;
  }

  ExplorerWindow win(/*restoreSettings=*/false);
  Workspace* ws = win.workspace();
  ws->setDevice(device);
  QString err;
  if (!ws->openModel(model, &err)) {
    std::fprintf(stderr, "statescope-soak-explorer: %s: %s\n", qPrintable(model), qPrintable(err));
    return 1;
  }
  ws->setActiveColumn(0);
  win.resize(1600, 1000);
  win.show();
  bench::drain();
  QElapsedTimer clock;
  clock.start();
  win.setText(document(bytes));
  ws->waitForIdle();
  settle(win, 600000);
  const double firstRun = clock.elapsed() / 1e3;
  const ss::ColumnInfo& info = ws->column(0);
  std::printf("statescope-soak-explorer: %s (%s), %lld bytes, first run %.1f s; %.0f s of actions, seed %u\n", info.name.c_str(),
              info.backend.c_str(), static_cast<long long>(bytes), firstRun, seconds, seed);
  std::fflush(stdout);

  QPlainTextEdit* editor = win.inputEditor()->editor();
  TokenStrip* strip = win.tokenStrip();
  ModelColumn* column = nullptr;
  for (ModelColumn* c : win.findChildren<ModelColumn*>())
    if (c->column() == 0) column = c;
  const int layers = info.config.n_layers;
  std::mt19937 rng(seed);
  auto uniform = [&](qint64 a, qint64 b) { return std::uniform_int_distribution<qint64>(a, std::max(a, b))(rng); };
  qint64 lastClicked = 0;
  const char* kActions[] = {"click", "shift-click", "arrow", "type", "backspace", "edit", "layer"};
  const int kWeights[] = {30, 5, 15, 20, 10, 5, 15};
  std::discrete_distribution<int> pick(std::begin(kWeights), std::end(kWeights));
  std::vector<int64_t> counts(std::size(kActions), 0);
  int64_t actions = 0;
  auto act = [&] {
    const int a = pick(rng);
    const qint64 n = ws->bytes().size();
    switch (a) {
      case 0:
      case 1: {  // click, shift-click
        const qint64 tok = a == 0 ? uniform(0, n - 1) : std::clamp<qint64>(lastClicked + uniform(-300, 300), 0, n - 1);
        strip->ensureVisible(tok);
        bench::drain();
        QTest::mouseClick(strip->viewport(), Qt::LeftButton, a == 1 ? Qt::ShiftModifier : Qt::NoModifier, strip->cellRect(tok).center());
        if (a == 0) lastClicked = tok;
        break;
      }
      case 2: QTest::keyClick(strip, Qt::Key_Right); break;
      case 3:
      case 4: {  // at the end
        editor->moveCursor(QTextCursor::End);
        if (a == 3) QTest::keyClick(editor, static_cast<char>('a' + uniform(0, 25)));
        else QTest::keyClick(editor, Qt::Key_Backspace);
        break;
      }
      case 5: {  // somewhere in the last 32 KB (characters of the editor: the sample text is mostly ASCII)
        QTextCursor c = editor->textCursor();
        const int chars = editor->document()->characterCount() - 1;
        c.setPosition(static_cast<int>(uniform(std::max(0, chars - 32768), chars)));
        editor->setTextCursor(c);
        if (uniform(0, 1)) QTest::keyClick(editor, static_cast<char>('a' + uniform(0, 25)));
        else QTest::keyClick(editor, Qt::Key_Backspace);
        break;
      }
      case 6:
        if (column && layers > 1) column->layerBox()->setValue((column->layerBox()->value() + 1) % layers);
        break;
    }
    ++counts[a];
    ++actions;
    settle(win, dwell);
  };

  // What the design keeps, asked of the worker when it is idle (run_on_worker waits for it).
  auto sample = [&] {
    Sample s;
    ws->waitForIdle();
    int64_t kept = 0, caches = 0;
    ws->session().run_on_worker([&](ss::Engine& e, const ss::Document&) {
      ss::MemoryTally m, c;
      e.tally(m, c);
      kept = m.bytes();
      caches = c.bytes();
    });
    bench::drain();
    s.seconds = clock.elapsed() / 1e3 - firstRun;
    s.actions = actions;
    s.kept = double(kept) / 1048576.0;
    s.caches = double(caches) / 1048576.0;
    s.rss = rss_mb();
    return s;
  };

  std::vector<Sample> out;
  const double warm = seconds / 10, t0 = clock.elapsed() / 1e3;
  auto elapsed = [&] { return clock.elapsed() / 1e3 - t0; };
  while (elapsed() < warm) act();
  out.push_back(sample());
  for (int k = 1; k < samples; ++k) {
    const double until = warm + (seconds - warm) * k / (samples - 1);
    while (elapsed() < until) act();
    out.push_back(sample());
    const Sample& s = out.back();
    std::printf("  %7.0f s %7lld actions  RSS %8.1f MB  kept %7.1f MB  caches %7.1f MB\n", s.seconds, static_cast<long long>(s.actions), s.rss,
                s.kept, s.caches);
    std::fflush(stdout);
  }

  std::printf("\n%10s %9s %10s %10s %10s %12s\n", "seconds", "actions", "RSS MB", "kept MB", "caches MB", "unexplained");
  const Sample& b = out.front();
  double worst = 0;
  for (const Sample& s : out) {
    const double unexplained = (s.rss - b.rss) - ((s.kept - b.kept) + (s.caches - b.caches));
    worst = std::max(worst, unexplained);
    std::printf("%10.0f %9lld %10.1f %10.1f %10.1f %12.1f\n", s.seconds, static_cast<long long>(s.actions), s.rss, s.kept, s.caches, unexplained);
  }
  std::printf("actions:");
  for (size_t a = 0; a < counts.size(); ++a) std::printf(" %s %lld", kActions[a], static_cast<long long>(counts[a]));
  std::printf("; text now %lld bytes\n", static_cast<long long>(ws->bytes().size()));
  const Sample& e = out.back();
  const double growth = e.rss - b.rss, accounted = (e.kept - b.kept) + (e.caches - b.caches), unexplained = growth - accounted;
  double peak = 0;
  for (const Sample& s : out) peak = std::max(peak, s.rss);
  std::printf("RSS growth after the warm-up (%.0f s): %.1f MB (peak %.1f MB); of it kept by design: %.1f MB (models %.1f, caches %.1f); "
              "the largest unexplained growth at any sample: %.1f MB\n",
              warm, growth, peak, accounted, e.kept - b.kept, e.caches - b.caches, worst);
  const bool ok = unexplained <= slack;
  std::printf("%s: unexplained growth %.1f MB %s the slack of %.1f MB\n", ok ? "PASS" : "FAIL", unexplained, ok ? "within" : "over", slack);
  return ok ? 0 : 1;
}
