// statescope: the explorer window; `statescope export ...` writes a figure and `statescope lesson ...`
// a lesson's slide deck without a display.
#include <QApplication>
#include <QCommandLineParser>
#include <QFile>
#include <QSettings>
#include <cstdio>
#include <cstring>

#include "Autosave.h"
#include "Classroom.h"
#include "DeckExport.h"
#include "ExplorerWindow.h"
#include "HeadlessExport.h"
#include "LessonPlayer.h"
#include "PresentationMode.h"
#include "UiLanguage.h"
#include "Workspace.h"
#include "error.h"
#include "regular_file.h"

namespace {

// The window's command line (the same for --help without a display).
struct Options {
  QCommandLineOption model{"model", "Open this model folder (repeatable; default: the built-in models).", "DIR"};
  QCommandLineOption input{"input", "Start with this file's bytes.", "FILE"};
  QCommandLineOption device{"device", "cpu, cuda or auto (default auto).", "DEVICE", "auto"};
  QCommandLineOption precision{"precision", "fp32 or bf16 (bf16: bf16 weights and matrix products on the GPU; default fp32).", "PRECISION", "fp32"};
  QCommandLineOption present{"present", "Start in presentation mode (full screen; Esc leaves), with the lesson FILE if given."};
  QCommandLineOption screen{"screen", "Present on this screen (1 = the first).", "N"};
  QCommandLineOption autosaveDir{"autosave-dir", "Where autosave writes (default: the app's data folder).", "DIR"};
  QCommandLineOption noAutosave{"no-autosave", "Do not autosave."};
  QCommandLineOption restore{"restore", "Restore a session that did not end normally without asking."};
  explicit Options(QCommandLineParser& cli) {
    cli.setApplicationDescription(
        "StateScope: watch SSM, attention and hybrid models read bytes.\n"
        "Without a display: statescope export --help (a figure), statescope lesson --help (a slide deck).");
    cli.addHelpOption();
    cli.addOptions({model, input, device, precision, present, screen, autosaveDir, noAutosave, restore});
    cli.addPositionalArgument("FILE", "A lesson (.json) or a workspace (.statescope) to open.", "[FILE]");
  }
};

}  // namespace

int main(int argc, char** argv) {
  const bool exporting = argc > 1 && std::strcmp(argv[1], "export") == 0;
  const bool deck = argc > 1 && std::strcmp(argv[1], "lesson") == 0;
  if (deck && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
  if (exporting && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
  if (exporting || deck)  // the offscreen platform's notes about itself are not the user's business
    qInstallMessageHandler([](QtMsgType, const QMessageLogContext&, const QString& m) {
      if (!m.contains("propagateSizeHints") && !m.contains("XDG_RUNTIME_DIR")) std::fprintf(stderr, "%s\n", qPrintable(m));
    });
  // The window needs a display. Without one (no DISPLAY or WAYLAND_DISPLAY, no QT_QPA_PLATFORM),
  // Qt's xcb plugin aborts; so --help, --version and a clear message come from a core application.
  const bool haveDisplay = !qEnvironmentVariableIsEmpty("DISPLAY") || !qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY") ||
                           !qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM");
  if (!haveDisplay && !exporting && !deck) {
    QCoreApplication core(argc, argv);
    QCoreApplication::setApplicationName("statescope");
    QCommandLineParser cli;
    Options options(cli);
    cli.process(core);  // --help / --version print and exit; an unknown option is an error
    std::fprintf(stderr,
                 "statescope: no display to open the window on (DISPLAY and WAYLAND_DISPLAY are not set).\n"
                 "  Run it in a desktop session, or under xvfb-run; without a display,\n"
                 "  `statescope export ...` writes a figure and `statescope lesson ...` a slide deck.\n");
    return 2;
  }
  QApplication::setAttribute(Qt::AA_ShareOpenGLContexts);
  QApplication app(argc, argv);
  QApplication::setOrganizationName("StateScope");
  QApplication::setApplicationName("statescope");
  if (exporting) {
    QStringList args = app.arguments();
    args.remove(0, 2);
    return HeadlessExport::run(args);
  }
  if (deck) {
    QStringList args = app.arguments();
    args.remove(0, 2);
    return DeckExport::run(args);
  }

  QCommandLineParser cli;
  Options o(cli);
  cli.process(app);
  // The input file is read before anything opens: a file that cannot be read is an error, not the
  // sample text in its place.
  QByteArray text = ExplorerWindow::sampleText();
  if (cli.isSet(o.input)) {
    try {  // a regular file of at most 16 MiB (a FIFO, a device or a huge file is refused before reading)
      const std::string s = ss::RegularFile(cli.value(o.input).toStdString(), "--input").read_all(ss::kMaxExplorerTextBytes);
      text = QByteArray(s.data(), qsizetype(s.size()));
    } catch (const ss::Error& e) {
      std::fprintf(stderr, "statescope: %s\n", e.what());
      return 2;
    }
  }

  UiLanguage::instance()->applyRemembered();
  ExplorerWindow w;
  Classroom classroom(&w, cli.isSet(o.noAutosave) ? QString() : cli.isSet(o.autosaveDir) ? cli.value(o.autosaveDir) : Autosave::defaultDir());
  w.workspace()->setDevice(cli.value(o.device));
  w.workspace()->setPrecision(cli.value(o.precision));
  if (cli.isSet(o.model)) {
    for (const QString& m : cli.values(o.model)) {
      QString err;
      if (!w.workspace()->openModel(m, &err)) std::fprintf(stderr, "statescope: %s: %s\n", qPrintable(m), qPrintable(err));
    }
  } else {
    w.openBuiltinModels();
  }
  w.setText(text);
  if (!text.isEmpty()) w.workspace()->selectToken(std::min<qint64>(20, text.size() - 1));
  w.show();
  const QString file = cli.positionalArguments().value(0);
  QString err;
  if (file.endsWith(".statescope")) {
    if (!classroom.openWorkspace(file, &err)) std::fprintf(stderr, "statescope: %s\n", qPrintable(err));
  } else if (!file.isEmpty()) {
    if (!classroom.openLesson(file, 0, &err)) std::fprintf(stderr, "statescope: %s\n", qPrintable(err));
  } else {
    classroom.offerRestore(!cli.isSet(o.restore));
  }
  if (cli.isSet(o.present)) classroom.presentation()->enter(cli.isSet(o.screen) ? cli.value(o.screen).toInt() - 1 : -1);
  return app.exec();
}
