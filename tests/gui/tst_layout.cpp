#include <QtTest>
#include <QApplication>
#include <QDockWidget>
#include "ExplorerWindow.h"
#include "Workspace.h"
#include "Panel.h"
#include <QMenuBar>
#include <QStatusBar>
#include <QToolBar>
#include <QScreen>

class TestLayout : public QObject {
  Q_OBJECT
 private slots:
  void probe() {
    ExplorerWindow w(false);
    qInfo() << "font" << QApplication::font().pointSizeF();
    qInfo() << "empty min" << w.minimumSizeHint() << w.minimumSize();
    QCOMPARE(w.openBuiltinModels(), 4);
    w.setText(ExplorerWindow::sampleText());
    w.workspace()->waitForIdle();
    w.resize(1280, 720);
    w.show();
    QApplication::processEvents();
    w.refreshPanels();
    QApplication::processEvents();
    qInfo() << "4 models min" << w.minimumSizeHint() << "size" << w.size();
    for (auto* p : w.panels()) qInfo() << p->key() << p->minimumSizeHint();
    qInfo() << "screen" << w.screen()->availableGeometry();
    qInfo() << "menubar" << w.menuBar()->sizeHint() << "status" << w.statusBar()->minimumSizeHint() << "central" << w.centralWidget()->minimumSizeHint();
    for (auto* d : w.findChildren<QDockWidget*>()) qInfo() << d->objectName() << d->minimumSizeHint() << d->geometry() << d->isVisible();
    for (auto* t : w.findChildren<QToolBar*>()) qInfo() << "toolbar" << t->minimumSizeHint() << t->sizeHint();
  }
};
QTEST_MAIN(TestLayout)
#include "tst_layout.moc"
