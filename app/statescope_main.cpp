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

int main(int argc, char** argv) {
  const bool exporting = argc > 1 && std::strcmp(argv[1], "export") == 0;
  const bool deck = argc > 1 && std::strcmp(argv[1], "lesson") == 0;
  if (deck && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
  if (exporting && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
  if (exporting)  // the offscreen platform's notes about itself are not the user's business
    qInstallMessageHandler([](QtMsgType, const QMessageLogContext&, const QString& m) {
      if (!m.contains("propagateSizeHints") && !m.contains("XDG_RUNTIME_DIR")) std::fprintf(stderr, "%s\n", qPrintable(m));
    });
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
  cli.setApplicationDescription("StateScope: watch SSM, attention and hybrid models read bytes");
  cli.addHelpOption();
  QCommandLineOption model("model", "Open this model folder (repeatable; default: the built-in models).", "DIR");
  QCommandLineOption input("input", "Start with this file's bytes.", "FILE");
  QCommandLineOption device("device", "cpu, cuda or auto (default auto).", "DEVICE", "auto");
  QCommandLineOption precision("precision", "fp32 or bf16 (bf16: bf16 weights and matrix products on the GPU; default fp32).", "PRECISION", "fp32");
  QCommandLineOption present("present", "Start in presentation mode (full screen; Esc leaves), with the lesson FILE if given.");
  QCommandLineOption screen("screen", "Present on this screen (1 = the first).", "N");
  QCommandLineOption autosaveDir("autosave-dir", "Where autosave writes (default: the app's data folder).", "DIR");
  QCommandLineOption noAutosave("no-autosave", "Do not autosave.");
  QCommandLineOption restore("restore", "Restore a session that did not end normally without asking.");
  cli.addOptions({model, input, device, precision, present, screen, autosaveDir, noAutosave, restore});
  cli.addPositionalArgument("FILE", "A lesson (.json) or a workspace (.statescope) to open.", "[FILE]");
  cli.process(app);

  UiLanguage::instance()->applyRemembered();
  ExplorerWindow w;
  Classroom classroom(&w, cli.isSet(noAutosave) ? QString() : cli.isSet(autosaveDir) ? cli.value(autosaveDir) : Autosave::defaultDir());
  w.workspace()->setDevice(cli.value(device));
  w.workspace()->setPrecision(cli.value(precision));
  if (cli.isSet(model)) {
    for (const QString& m : cli.values(model)) {
      QString err;
      if (!w.workspace()->openModel(m, &err)) std::fprintf(stderr, "statescope: %s: %s\n", qPrintable(m), qPrintable(err));
    }
  } else {
    w.openBuiltinModels();
  }
  QByteArray text = ExplorerWindow::sampleText();
  if (cli.isSet(input)) {
    QFile f(cli.value(input));
    if (f.open(QIODevice::ReadOnly)) text = f.readAll();
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
    classroom.offerRestore(!cli.isSet(restore));
  }
  if (cli.isSet(present)) classroom.presentation()->enter(cli.isSet(screen) ? cli.value(screen).toInt() - 1 : -1);
  return app.exec();
}
