// Screenshots of the classroom features for docs/ (offscreen, no display needed):
//   statescope-classroom-shots OUT_DIR
// writes OUT_DIR/classroom-zh.png: the explorer at 1280 x 720 with the Chinese UI, the recall
// lesson open (step 3) with its card and task notes, and the File menu drawn open over it.
#include <QApplication>
#include <QDockWidget>
#include <QMenu>
#include <QMenuBar>
#include <QPainter>
#include <QTimer>
#include <cstdio>

#include "Classroom.h"
#include "ExplorerWindow.h"
#include "LessonPlayer.h"
#include "UiLanguage.h"

int main(int argc, char** argv) {
  if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
  QApplication app(argc, argv);
  QApplication::setOrganizationName("StateScope");
  QApplication::setApplicationName("statescope-shots");
  if (argc < 2) {
    std::fprintf(stderr, "usage: statescope-classroom-shots OUT_DIR\n");
    return 1;
  }
  const QString out = QString::fromLocal8Bit(argv[1]);
  UiLanguage::instance()->apply("zh", /*remember=*/false);
  ExplorerWindow w(false);
  Classroom c(&w);
  c.player()->setLanguage("zh");
  w.resize(1280, 720);
  w.show();
  QApplication::processEvents();
  w.arrangeDocks();
  QString err;
  if (!c.openLesson(QStringLiteral(STATESCOPE_SOURCE_DIR) + "/assets/lessons/04-recall.json", 2, &err)) {
    std::fprintf(stderr, "%s\n", qPrintable(err));
    return 1;
  }
  for (const char* d : {"dock-tasks", "dock-lesson"})
    if (auto* dock = w.findChild<QDockWidget*>(d)) dock->show();
  for (int i = 0; i < 5; ++i) QApplication::processEvents();
  w.refreshPanels();
  QApplication::processEvents();
  QImage img = w.grab().toImage();
  // The File menu, drawn where it opens.
  QMenu* file = w.menuBar()->actions().value(0)->menu();
  file->popup(w.menuBar()->mapTo(&w, w.menuBar()->actionGeometry(w.menuBar()->actions().value(0)).bottomLeft()));
  QApplication::processEvents();
  {
    QPainter p(&img);
    p.drawImage(w.menuBar()->actionGeometry(w.menuBar()->actions().value(0)).bottomLeft() + QPoint(0, w.menuBar()->y()), file->grab().toImage());
  }
  file->hide();
  const QString path = out + "/classroom-zh.png";
  if (!img.save(path)) {
    std::fprintf(stderr, "cannot write %s\n", qPrintable(path));
    return 1;
  }
  std::fprintf(stderr, "wrote %s\n", qPrintable(path));
  return 0;
}
