#include <QtTest>
#include "test_support.h"
class TestSmoke : public QObject { Q_OBJECT
 private slots:
  void builds() { QVERIFY(true); }
};
QTEST_GUILESS_MAIN(TestSmoke)
#include "tst_smoke.moc"
