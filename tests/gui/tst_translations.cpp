// The Simplified Chinese UI: the committed .ts has a finished translation for every string that
// lupdate finds in the translated sources today (a new or changed string fails this test until it
// is translated), placeholders survive translation, and View → Language switches at runtime and
// is remembered.
#include <QtTest>

#include <QApplication>
#include <QDockWidget>
#include <QMenuBar>
#include <QProcess>
#include <QSettings>
#include <QTemporaryDir>
#include <QXmlStreamReader>

#include "Classroom.h"
#include "ExplorerWindow.h"
#include "UiLanguage.h"

namespace {

struct Message {
  QString context, source, translation, type;
};

QList<Message> readTs(const QString& path) {
  QList<Message> out;
  QFile f(path);
  if (!f.open(QIODevice::ReadOnly)) return out;
  QXmlStreamReader xml(&f);
  QString context;
  Message m;
  while (!xml.atEnd()) {
    xml.readNext();
    if (!xml.isStartElement()) continue;
    if (xml.name() == QLatin1String("name")) context = xml.readElementText();
    else if (xml.name() == QLatin1String("message")) m = Message{context, {}, {}, {}};
    else if (xml.name() == QLatin1String("source")) m.source = xml.readElementText();
    else if (xml.name() == QLatin1String("translation")) {
      m.type = xml.attributes().value("type").toString();
      m.translation = xml.readElementText();
      out << m;
    }
  }
  return out;
}

QString tsPath() { return QStringLiteral(STATESCOPE_SOURCE_DIR) + "/ui/translations/statescope_zh_CN.ts"; }

QStringList placeholders(const QString& s) {
  QStringList p;
  auto it = QRegularExpression("%\\d+").globalMatch(s);
  while (it.hasNext()) p << it.next().captured();
  p.sort();
  return p;
}

}  // namespace

class TestTranslations : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

  void every_entry_is_finished() {
    const QList<Message> ts = readTs(tsPath());
    QVERIFY2(ts.size() >= 100, qPrintable(QString("%1 entries in %2").arg(ts.size()).arg(tsPath())));
    for (const Message& m : ts) {
      const QString where = m.context + ": " + m.source;
      QVERIFY2(m.type.isEmpty(), qPrintable(QString("%1 is %2").arg(where, m.type)));  // unfinished, vanished, obsolete
      QVERIFY2(!m.translation.trimmed().isEmpty(), qPrintable(where));
      QVERIFY2(placeholders(m.translation) == placeholders(m.source), qPrintable(where + " -> " + m.translation));
    }
  }

  void no_string_of_the_sources_is_missing() {
    QTemporaryDir dir;
    const QString fresh = dir.filePath("fresh_zh_CN.ts");
    QStringList args = QString(STATESCOPE_TRANSLATED_SOURCES).split('|', Qt::SkipEmptyParts);
    QVERIFY(args.size() >= 10);
    args << "-no-obsolete" << "-locations" << "none" << "-ts" << fresh;
    QProcess p;
    p.start(STATESCOPE_LUPDATE, args);
    QVERIFY(p.waitForFinished(120000));
    QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
    QSet<QString> have;
    for (const Message& m : readTs(tsPath()))
      if (m.type.isEmpty() && !m.translation.isEmpty()) have.insert(m.context + "\n" + m.source);
    const QList<Message> found = readTs(fresh);
    QVERIFY(found.size() >= 100);
    for (const Message& m : found) QVERIFY2(have.contains(m.context + "\n" + m.source), qPrintable("not translated: " + m.context + ": " + m.source));
  }

  void language_switches_at_runtime_and_is_remembered() {
    ExplorerWindow w(false);
    Classroom c(&w);
    QAction* present = nullptr;
    for (QAction* a : w.findChildren<QAction*>())
      if (a->text() == "Presentation mode") present = a;
    QVERIFY(present);
    QVERIFY(UiLanguage::instance()->apply("zh"));
    QApplication::processEvents();
    QCOMPARE(present->text(), QString::fromUtf8("演示模式"));
    QCOMPARE(c.cardDock()->windowTitle(), QString::fromUtf8("课程"));
    QCOMPARE(QSettings().value("language").toString(), QString("zh"));
    // Qt's own words follow when the system has Qt's translations (qt6-translations-l10n).
    QVERIFY(UiLanguage::instance()->apply("en"));
    QApplication::processEvents();
    QCOMPARE(present->text(), QString("Presentation mode"));
    QCOMPARE(QSettings().value("language").toString(), QString("en"));
    QVERIFY(!UiLanguage::instance()->apply("fr"));
  }
};

QTEST_MAIN(TestTranslations)
#include "tst_translations.moc"
