// statescope: the explorer window; `statescope export ...` writes a figure without a display.
#include <QApplication>
#include <QCommandLineParser>
#include <QFile>
#include <QSettings>
#include <cstring>

#include "ExplorerWindow.h"
#include "HeadlessExport.h"
#include "Workspace.h"

int main(int argc, char** argv) {
  const bool exporting = argc > 1 && std::strcmp(argv[1], "export") == 0;
  if (exporting && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
  QApplication::setAttribute(Qt::AA_ShareOpenGLContexts);
  QApplication app(argc, argv);
  QApplication::setOrganizationName("StateScope");
  QApplication::setApplicationName("statescope");
  if (exporting) {
    QStringList args = app.arguments();
    args.remove(0, 2);
    return HeadlessExport::run(args);
  }

  QCommandLineParser cli;
  cli.setApplicationDescription("StateScope: watch SSM, attention and hybrid models read bytes");
  cli.addHelpOption();
  QCommandLineOption model("model", "Open this model folder (repeatable; default: the built-in models).", "DIR");
  QCommandLineOption input("input", "Start with this file's bytes.", "FILE");
  QCommandLineOption device("device", "cpu, cuda or auto (default auto).", "DEVICE", "auto");
  QCommandLineOption precision("precision", "fp32 or bf16 (bf16: bf16 weights and matrix products on the GPU; default fp32).", "PRECISION", "fp32");
  cli.addOptions({model, input, device, precision});
  cli.process(app);

  ExplorerWindow w;
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
  return app.exec();
}
