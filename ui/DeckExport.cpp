#include "DeckExport.h"

#include "UiLanguage.h"

#include <QApplication>
#include <QBuffer>
#include <QDir>
#include <QFileInfo>
#include <QImage>
#include <QPageSize>
#include <QPainter>
#include <QPdfWriter>
#include <cstdio>

#include "Classroom.h"
#include "ExplorerWindow.h"
#include "FigureExport.h"
#include "LessonPlayer.h"
#include "LessonTarget.h"
#include "PresentationMode.h"

namespace DeckExport {

QString usage() {
  return "usage: statescope lesson --lesson FILE --format pdf|png --out DECK.pdf|DIR\n"
         "                         [--language en|zh] [--dark] [--size WxH] [--models-root DIR]\n"
         "  pdf: one page per lesson step; png: DIR/step-01.png, step-02.png, ...\n";
}

namespace {

void settle(ExplorerWindow& w, PresentationMode* pm) {
  QApplication::processEvents();
  w.refreshPanels();
  QApplication::processEvents();
  pm->thickenLines();
  QApplication::processEvents();
}

}  // namespace

int write(const Options& o, QString* error) {
  if (o.format != "pdf" && o.format != "png") {
    *error = QString("--format: '%1' is not pdf or png").arg(o.format);
    return -1;
  }
  if (o.language != "en" && o.language != "zh") {
    *error = QString("--language: '%1' is not en or zh").arg(o.language);
    return -1;
  }
  // The deck's panels, axes and legends speak the cards' language too (not remembered as the app's).
  const QString uiBefore = UiLanguage::instance()->current();
  if (!UiLanguage::instance()->apply(o.language, /*remember=*/false)) {
    *error = QString("--language: no translation file for '%1'").arg(o.language);
    return -1;
  }
  struct RestoreUi {
    QString code;
    ~RestoreUi() { UiLanguage::instance()->apply(code, /*remember=*/false); }
  } restoreUi{uiBefore};
  ExplorerWindow window(/*restoreSettings=*/false);
  window.setAttribute(Qt::WA_DontShowOnScreen);
  window.setDark(o.dark);
  Classroom classroom(&window);
  if (!o.modelsRoot.isEmpty()) classroom.player()->setModelsRoot(o.modelsRoot);
  classroom.player()->setLanguage(o.language);
  window.resize(o.size);
  window.show();
  QApplication::processEvents();
  window.arrangeDocks();
  if (!classroom.openLesson(o.lesson, 0, error)) return -1;
  PresentationMode* pm = classroom.presentation();
  pm->enter(-1, /*windowed=*/true, o.size);
  QApplication::processEvents();

  LessonPlayer* player = classroom.player();
  const int steps = player->stepCount();
  int pages = 0;
  if (o.format == "pdf") {
    QByteArray bytes;  // the deck is made in memory, then written through a QSaveFile (never half-written)
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    QPdfWriter pdf(&buffer);
    pdf.setResolution(96);
    pdf.setPageSize(QPageSize(QSizeF(o.size) * (25.4 / 96.0), QPageSize::Millimeter));
    pdf.setPageMargins(QMarginsF(0, 0, 0, 0));
    pdf.setTitle(player->text(player->lesson().title));
    pdf.setCreator("StateScope");
    QPainter p;
    if (!p.begin(&pdf)) {
      *error = QString("--out: cannot write %1").arg(o.out);
      pm->leave();
      return -1;
    }
    const QRect page = pdf.pageLayout().paintRectPixels(pdf.resolution());
    for (int i = 0; i < steps; ++i) {
      player->goTo(i);
      settle(window, pm);
      if (i > 0) pdf.newPage();
      p.save();
      const qreal s = std::min(page.width() / qreal(window.width()), page.height() / qreal(window.height()));
      p.scale(s, s);
      p.fillRect(QRect(QPoint(), window.size()), window.palette().color(QPalette::Window));
      window.render(&p, QPoint(), QRegion(), QWidget::DrawChildren);
      p.restore();
      ++pages;
    }
    p.end();
    if (const QString err = FigureExport::saveBytes(bytes, o.out); !err.isEmpty()) {
      *error = "--out: " + err;
      pm->leave();
      return -1;
    }
  } else {
    if (!QDir().mkpath(o.out)) {
      *error = QString("--out: cannot make the folder %1").arg(o.out);
      pm->leave();
      return -1;
    }
    for (int i = 0; i < steps; ++i) {
      player->goTo(i);
      settle(window, pm);
      QImage img(window.size(), QImage::Format_ARGB32);
      img.fill(window.palette().color(QPalette::Window));
      {
        QPainter p(&img);
        window.render(&p, QPoint(), QRegion(), QWidget::DrawChildren);
      }
      const QString path = QDir(o.out).filePath(QString("step-%1.png").arg(i + 1, 2, 10, QChar('0')));
      QByteArray png;
      QBuffer buffer(&png);
      buffer.open(QIODevice::WriteOnly);
      const QString err = img.save(&buffer, "PNG") ? FigureExport::saveBytes(png, path) : QString("cannot encode %1").arg(path);
      if (!err.isEmpty()) {
        *error = "--out: " + err;
        pm->leave();
        return -1;
      }
      ++pages;
    }
  }
  pm->leave();
  return pages;
}

int run(const QStringList& args) {
  Options o;
  bool formatGiven = false;
  for (int i = 0; i < args.size(); ++i) {
    const QString k = args[i];
    if (k == "--help" || k == "-h") {
      std::fprintf(stdout, "%s", qPrintable(usage()));
      return 0;
    }
    if (k == "--dark") { o.dark = true; continue; }
    if (i + 1 >= args.size() || !k.startsWith("--")) {
      std::fprintf(stderr, "%sstatescope lesson: option '%s' needs a value\n", qPrintable(usage()), qPrintable(k));
      return 1;
    }
    const QString v = args[++i];
    if (k == "--lesson") o.lesson = v;
    else if (k == "--out") o.out = v;
    else if (k == "--format") { o.format = v.toLower(); formatGiven = true; }
    else if (k == "--language") o.language = v;
    else if (k == "--models-root") o.modelsRoot = v;
    else if (k == "--size") {
      const QStringList wh = v.split('x');
      if (wh.size() != 2 || wh[0].toInt() < 320 || wh[1].toInt() < 240) {
        std::fprintf(stderr, "statescope lesson: --size: '%s' is not WxH (at least 320x240)\n", qPrintable(v));
        return 1;
      }
      o.size = QSize(wh[0].toInt(), wh[1].toInt());
    } else {
      std::fprintf(stderr, "%sstatescope lesson: unknown option '%s'\n", qPrintable(usage()), qPrintable(k));
      return 1;
    }
  }
  if (o.lesson.isEmpty() || o.out.isEmpty()) {
    std::fprintf(stderr, "%sstatescope lesson: --lesson and --out are required\n", qPrintable(usage()));
    return 1;
  }
  if (!formatGiven && QFileInfo(o.out).suffix().toLower() == "pdf") o.format = "pdf";
  QString err;
  const int pages = write(o, &err);
  if (pages < 0) {
    std::fprintf(stderr, "statescope lesson: %s\n", qPrintable(err));
    return 1;
  }
  std::fprintf(stderr, "wrote %s (%d %s)\n", qPrintable(o.out), pages, o.format == "pdf" ? "pages" : "images");
  return 0;
}

}  // namespace DeckExport
