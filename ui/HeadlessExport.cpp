#include "HeadlessExport.h"

#include <QApplication>
#include <QFile>
#include <QFileInfo>
#include <QMap>
#include <cstdio>

#include "CostPanel.h"
#include "ExplorerWindow.h"
#include "FigureExport.h"
#include "Panel.h"
#include "Panels.h"
#include "Theme.h"
#include "UiLanguage.h"
#include "Workspace.h"
#include "error.h"
#include "regular_file.h"

namespace HeadlessExport {

QString usage() {
  return "usage: statescope export --model DIR [--model DIR ...] --input FILE\n"
         "                         --panel state|delta|matrix|memory|cost|prediction|window --token T\n"
         "                         --format png|svg|pdf|csv|npy --out FILE\n"
         "                         [--layer L] [--head H] [--channel C] [--window A:B] [--dpi N] [--size WxH] [--dark]\n"
         "                         [--language en|zh]   (the UI language of the figure; default: en)\n"
         "                         [--delta selective|average]   (average: every SSM layer's Δ replaced by its\n"
         "                          mean over the input, the intervention of the selectivity lesson)\n";
}

namespace {
constexpr uint64_t kMaxInputBytes = ss::kMaxExplorerTextBytes;

int fail(const QString& msg) {
  std::fprintf(stderr, "statescope export: %s\n", qPrintable(msg));
  return 1;
}

}  // namespace

int run(const QStringList& args) {
  QMap<QString, QString> opt{{"--format", ""}, {"--dpi", "192"}};
  QStringList models;
  bool dark = false;
  for (int i = 0; i < args.size(); ++i) {
    const QString k = args[i];
    if (k == "--dark") { dark = true; continue; }
    if (k == "--help" || k == "-h") { std::fprintf(stdout, "%s", qPrintable(usage())); return 0; }
    if (!k.startsWith("--") || i + 1 >= args.size()) {
      std::fprintf(stderr, "%s", qPrintable(usage()));
      return fail(QString("option '%1' needs a value").arg(k));
    }
    static const QStringList known = {"--input", "--panel", "--out", "--format", "--token", "--layer", "--head", "--channel",
                                      "--window", "--dpi", "--size", "--language", "--delta"};
    if (k == "--model") models << args[++i];
    else if (known.contains(k)) opt[k] = args[++i];
    else {  // a misspelt option must not be ignored silently
      std::fprintf(stderr, "%s", qPrintable(usage()));
      return fail(QString("unknown option '%1'").arg(k));
    }
  }
  const QString delta = opt.value("--delta", "selective");
  if (delta != "selective" && delta != "average") return fail(QString("--delta: '%1' is not selective or average").arg(delta));
  for (const char* req : {"--input", "--panel", "--out"})
    if (!opt.contains(req)) {
      std::fprintf(stderr, "%s", qPrintable(usage()));
      return fail(QString("%1 is required").arg(req));
    }
  if (models.isEmpty()) return fail("--model is required");
  const QString panelKey = opt["--panel"];
  if (panelKey != "window" && !Panels::keys().contains(panelKey))
    return fail(QString("--panel: '%1' is not one of %2|window").arg(panelKey, Panels::keys().join("|")));
  QString format = opt["--format"].isEmpty() ? QFileInfo(opt["--out"]).suffix().toLower() : opt["--format"].toLower();
  if (!QStringList{"png", "svg", "pdf", "csv", "npy"}.contains(format)) return fail(QString("--format: '%1' is not png, svg, pdf, csv or npy").arg(format));
  if ((format == "csv" || format == "npy") && panelKey == "window") return fail("--panel window has no data: choose a panel for csv / npy");

  // A regular file of at most kMaxInputBytes: a FIFO, /dev/zero or a huge file is refused before reading.
  QByteArray bytes;
  try {
    const std::string text = ss::RegularFile(opt["--input"].toStdString(), "--input").read_all(kMaxInputBytes);
    bytes = QByteArray(text.data(), qsizetype(text.size()));
  } catch (const ss::Error& e) {
    return fail(QString::fromStdString(e.what()));
  }
  if (bytes.isEmpty()) return fail(QString("--input: %1 is empty").arg(opt["--input"]));

  // The language first: every widget below is created with its texts in it.
  const QString language = opt.value("--language", "en");
  if (!UiLanguage::available().contains(language)) return fail(QString("--language: '%1' is not one of %2").arg(language, UiLanguage::available().join("|")));
  if (!UiLanguage::instance()->apply(language, /*remember=*/false)) return fail(QString("--language: the %1 translation is not built in").arg(language));

  // A single panel needs the session (Workspace) and that panel only; "window" builds the window.
  std::unique_ptr<ExplorerWindow> window;
  std::unique_ptr<Workspace> own;
  if (panelKey == "window") {
    window = std::make_unique<ExplorerWindow>(/*restoreSettings=*/false);
    window->setDark(dark);
  } else {
    own = std::make_unique<Workspace>();
    if (auto* app = qobject_cast<QApplication*>(QCoreApplication::instance())) Theme::apply(*app, dark, app->font().pointSizeF() > 0 ? app->font().pointSizeF() : 12.0);
  }
  Workspace* ws = window ? window->workspace() : own.get();
  ws->setDevice(qEnvironmentVariable("STATESCOPE_DEVICE", "auto"));
  for (const QString& m : models) {
    QString err;
    if (!ws->openModel(m, &err)) return fail(QString("--model %1: %2").arg(m, err));
  }
  ws->setBytes(bytes);
  ws->waitForIdle();
  for (int c = 0; c < ws->columnCount(); ++c)
    if (!ws->columnError(c).isEmpty()) return fail(QString("--model %1: %2").arg(models.value(c), ws->columnError(c)));
  if (delta == "average") {
    bool anySsm = false;
    for (int c = 0; c < ws->columnCount(); ++c) {
      if (ws->hasSsm(c)) ws->setDeltaAverage(c, true);
      anySsm = anySsm || ws->hasSsm(c);
    }
    if (!anySsm) return fail("--delta average: none of the models has an SSM layer (attention has no Δ)");
    ws->waitForIdle();
  }
  for (int c = 0; c < ws->columnCount(); ++c)  // as the CLI: unused tensors, a GPU fault that sent the model to the CPU
    for (const QString& w : ws->columnWarnings(c)) std::fprintf(stderr, "warning: %s\n", qPrintable(w));
  const qint64 n = ws->computed();
  bool ok = true;
  const qint64 token = opt.contains("--token") ? opt["--token"].toLongLong(&ok) : n - 1;
  if (!ok || token < 0 || token >= n) return fail(QString("--token: '%1' is not a token of the %2-byte input (0..%3)").arg(opt.value("--token")).arg(n).arg(n - 1));
  // --layer, --head, --channel: whole numbers; a head or channel the chosen layer lacks is refused
  // (it used to crash the state view or read out of range).
  int layerOpt = 0, headOpt = 0, channelOpt = 0;
  for (auto [key, out] : {std::pair{QString("--layer"), &layerOpt}, {QString("--head"), &headOpt}, {QString("--channel"), &channelOpt}}) {
    if (!opt.contains(key)) continue;
    bool isInt = false;
    *out = opt[key].toInt(&isInt);
    if (!isInt || *out < 0) return fail(QString("%1: '%2' is not a whole number >= 0").arg(key, opt[key]));
  }
  for (int c = 0; c < ws->columnCount(); ++c) {
    LayerChoice ch = ws->choice(c);
    const ss::ModelConfig& cfg = ws->column(c).config;
    if (opt.contains("--layer")) ch.layer = std::clamp(layerOpt, 0, cfg.n_layers - 1);  // models differ in depth: the nearest layer
    const ss::MixerKind kind = ss::shown_mixer(cfg, ch);  // a Falcon-H1 layer: its Mamba-2 (the views' default part)
    const int heads = kind == ss::MixerKind::Attention || kind == ss::MixerKind::Mamba2 ? ss::shown_heads(cfg, ch) : 0;
    const int channels = kind == ss::MixerKind::Mamba ? cfg.mamba.d_inner : 0;
    if (opt.contains("--head") && heads > 0) {
      if (headOpt >= heads) return fail(QString("--head: %1 does not exist in layer %2 of %3 (heads 0..%4)").arg(headOpt).arg(ch.layer).arg(models.value(c)).arg(heads - 1));
      ch.head = headOpt;
    }
    if (opt.contains("--channel") && channels > 0) {
      if (channelOpt >= channels)
        return fail(QString("--channel: %1 does not exist in layer %2 of %3 (channels 0..%4)").arg(channelOpt).arg(ch.layer).arg(models.value(c)).arg(channels - 1));
      ch.channel = channelOpt;
    }
    ws->setChoice(c, ch);
  }
  if (opt.contains("--window")) {
    const QStringList ab = opt["--window"].split(':');
    if (ab.size() != 2) return fail("--window: expected A:B (token positions, inclusive)");
    ws->selectWindow(ab[0].toLongLong(), ab[1].toLongLong());
    ws->selectToken(token);
  } else {
    ws->selectToken(token);
  }

  QSize size(1920, 1080);
  if (opt.contains("--size")) {
    const QStringList wh = opt["--size"].split('x');
    if (wh.size() == 2) size = QSize(wh[0].toInt(), wh[1].toInt());
  } else if (panelKey != "window") {
    size = QSize(1280, 640);
  }

  QWidget* target = window.get();
  Panel* panel = nullptr;
  std::unique_ptr<Panel> standalone;
  if (window) {
    window->setAttribute(Qt::WA_DontShowOnScreen);
    window->resize(size);
    window->show();
    QApplication::processEvents();
    window->arrangeDocks();
  } else {
    standalone.reset(Panels::create(panelKey, ws));
    panel = standalone.get();
    panel->setAttribute(Qt::WA_DontShowOnScreen);
    panel->setAutoFillBackground(true);
    panel->resize(size);
    panel->show();
    target = panel;
  }
  if (panelKey == "cost") static_cast<CostPanel*>(panel)->measure(/*wait=*/true);
  if (panelKey == "window") static_cast<CostPanel*>(window->panel("cost"))->measure(/*wait=*/true);
  ws->waitForIdle();
  QApplication::processEvents();
  if (window) window->refreshPanels();
  if (panel) panel->refresh();
  QApplication::processEvents();

  const QString err = (format == "csv" || format == "npy") ? FigureExport::exportData(panel->data(), opt["--out"])
                                                            : FigureExport::exportWidget(target, opt["--out"], format, opt["--dpi"].toInt());
  if (!err.isEmpty()) return fail(err);
  std::fprintf(stderr, "wrote %s (%s, token %lld, %d model(s))\n", qPrintable(opt["--out"]), qPrintable(panelKey), token, ws->columnCount());
  return 0;
}

}  // namespace HeadlessExport
