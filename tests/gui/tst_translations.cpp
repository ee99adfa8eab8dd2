// The Simplified Chinese UI: the committed .ts has a finished translation for every string that
// lupdate finds in the translated sources (all of ui/*.cpp; a new or changed string fails this test
// until it is translated), placeholders survive translation, every visible text of the main window
// (menus, dock and panel titles, buttons, labels, tool tips, chart and heatmap titles and axes) is
// Chinese under the Chinese UI, and View → Language switches at runtime and is remembered.
#include <QtTest>

#include <functional>

#include <QApplication>
#include <QDockWidget>
#include <QMenuBar>
#include <QProcess>
#include <QSettings>
#include <QTemporaryDir>
#include <QXmlStreamReader>
#include <QAbstractButton>
#include <QAbstractSpinBox>
#include <QChartView>
#include <QComboBox>
#include <QLabel>
#include <QPlainTextEdit>
#include <QTabBar>
#include <QTextDocument>
#include <QToolBar>
#include <QSpinBox>
#include <QLegendMarker>
#include <QAbstractAxis>

#include "Classroom.h"
#include "ExplorerWindow.h"
#include "Heatmap.h"
#include "Panel.h"
#include "Workspace.h"
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


// A text that a Chinese reader would call untranslated: no CJK character, and an English word of
// three letters or more that is not a name, a unit or a symbol of a formula.
bool looksEnglish(const QString& raw, const QSet<QString>& names) {
  QTextDocument doc;
  doc.setHtml(raw);
  QString s = Qt::mightBeRichText(raw) ? doc.toPlainText() : raw;
  for (const QString& n : names) s.remove(n, Qt::CaseInsensitive);
  static const QRegularExpression cjk("[\\x{3400}-\\x{9fff}]");
  if (cjk.match(s).hasMatch()) return false;
  // Names, units, file formats and formula symbols that Chinese texts keep as they are.
  static const QSet<QString> keep = {"statescope", "huggingface", "mamba", "llama", "jamba", "utf", "png", "svg", "pdf", "csv",
                                     "npy", "moe", "ssm", "token", "tokens", "softmax", "logits", "json", "safetensors", "fp16",
                                     "bf16", "fp32", "int8", "exp", "log", "max", "conv", "cpu", "cuda", "gpu", "bytes"};
  static const QRegularExpression word("[A-Za-z]{3,}");
  for (auto it = word.globalMatch(s); it.hasNext();)
    if (!keep.contains(it.next().captured().toLower())) return true;
  return false;
}

// Every visible text of the window and its children: what a user reads, and where it is.
QList<QPair<QString, QString>> visibleTexts(QMainWindow* w, const std::function<bool(QWidget*)>& skip = {}) {
  QList<QPair<QString, QString>> out;
  auto add = [&out](const QString& where, const QString& text) {
    if (!text.trimmed().isEmpty()) out.append({where, text});
  };
  std::function<void(QMenu*, QString)> menu = [&](QMenu* m, QString path) {
    path += " > " + m->title();
    add("menu " + path, m->title());
    for (QAction* a : m->actions()) {
      if (a->isSeparator()) continue;
      if (a->menu()) menu(a->menu(), path);
      else {
        add("menu item " + path, a->text());
        add("tool tip of menu item " + path + " > " + a->text(), a->toolTip());
      }
    }
  };
  for (QAction* a : w->menuBar()->actions())
    if (a->menu()) menu(a->menu(), QString());
  add("window title", w->windowTitle());
  for (QToolBar* tb : w->findChildren<QToolBar*>()) {
    add("tool bar", tb->windowTitle());
    for (QAction* a : tb->actions()) {
      add("tool bar button", a->text());
      add("tool bar tool tip of " + a->text(), a->toolTip());
    }
  }
  for (QDockWidget* d : w->findChildren<QDockWidget*>()) add("dock title " + d->objectName(), d->windowTitle());
  for (Panel* p : w->findChildren<Panel*>()) add("panel title " + p->key(), p->title());
  for (QWidget* c : w->findChildren<QWidget*>()) {
    if (skip && skip(c)) continue;
    const QString where = QString(c->metaObject()->className()) + " " + c->objectName();
    add("tool tip of " + where, c->toolTip());
    if (auto* b = qobject_cast<QAbstractButton*>(c)) add("button " + where, b->text());
    if (auto* l = qobject_cast<QLabel*>(c)) add("label " + where, l->text());
    if (auto* e = qobject_cast<QPlainTextEdit*>(c)) add("placeholder " + where, e->placeholderText());
    if (auto* sb = qobject_cast<QSpinBox*>(c)) add("spin box prefix " + where, sb->prefix());
    if (auto* cb = qobject_cast<QComboBox*>(c))
      for (int i = 0; i < cb->count(); ++i) add("combo box item " + where, cb->itemText(i));
    if (auto* tab = qobject_cast<QTabBar*>(c))
      for (int i = 0; i < tab->count(); ++i) add("tab " + where, tab->tabText(i));
    if (auto* h = qobject_cast<Heatmap*>(c)) {
      add("heatmap title " + where, h->title());
      add("heatmap axis " + where, h->rowAxisLabel());
      add("heatmap axis " + where, h->colAxisLabel());
      add("heatmap colorbar " + where, h->colorbarLabel());
      if (!h->rows()) add("heatmap placeholder " + where, h->placeholder());
    }
    if (auto* cv = qobject_cast<QChartView*>(c)) {
      add("chart title " + where, cv->chart()->title());
      for (QAbstractAxis* ax : cv->chart()->axes()) add("chart axis " + where, ax->titleText());
      for (QLegendMarker* m : cv->chart()->legend()->markers()) add("chart legend " + where, m->label());
    }
  }
  return out;
}

QStringList untranslated(QMainWindow* w, const QSet<QString>& names) {
  QStringList bad;
  for (const auto& [where, text] : visibleTexts(w))
    if (looksEnglish(text, names)) bad << where + ": \"" + text.left(120) + "\"";
  bad.removeDuplicates();
  return bad;
}

}  // namespace

class TestTranslations : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
  void cleanup() { UiLanguage::instance()->apply("en", false); }  // a failed test leaves no language behind

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

  // Built under the Chinese UI (the language is applied before the window, as the app starts), with
  // models, a text and every view computed: no visible text of the window is left in English.
  void main_window_is_chinese_under_zh() {
    QVERIFY(UiLanguage::instance()->apply("zh", false));
    {
      ExplorerWindow w(false);
      Classroom c(&w);
      QVERIFY(w.openBuiltinModels() >= 2);
      w.setText(ExplorerWindow::sampleText());
      w.resize(1280, 720);
      w.show();
      w.refreshPanels();
      QApplication::processEvents();
      w.refreshPanels();
      QSet<QString> names;
      for (int k = 0; k < w.workspace()->columnCount(); ++k) names.insert(QString::fromStdString(w.workspace()->column(k).name));
      for (const QString& l : UiLanguage::available()) names.insert(UiLanguage::displayName(l));  // each language in its own name
      const QStringList bad = untranslated(&w, names);
      QVERIFY2(bad.isEmpty(), qPrintable(QString("%1 English texts under zh_CN:\n").arg(bad.size()) + bad.join("\n")));
      // The checker itself: an English text is caught.
      auto* probe = new QLabel("Open model folder", &w);
      QVERIFY(!untranslated(&w, names).isEmpty());
      delete probe;
      // And back to English at runtime: the menus, tool bar, docks and panels follow.
      QVERIFY(UiLanguage::instance()->apply("en", false));
      QApplication::processEvents();
      QCOMPARE(w.windowTitle(), QString("StateScope — state space models and attention, byte by byte"));
      for (Panel* p : w.findChildren<Panel*>()) QVERIFY2(!p->title().contains(QRegularExpression("[\\x{3400}-\\x{9fff}]")), qPrintable(p->title()));
    }
    QVERIFY(UiLanguage::instance()->apply("en", false));
  }

  // Switched at runtime on a window built in English: the menus, the tool bar, the docks, the panel
  // titles, the buttons and the model columns follow.
  void runtime_switch_translates_menus_docks_and_panels() {
    QVERIFY(UiLanguage::instance()->apply("en", false));
    ExplorerWindow w(false);
    Classroom c(&w);
    QVERIFY(w.openBuiltinModels() >= 2);
    w.setText(ExplorerWindow::sampleText());
    w.refreshPanels();
    QVERIFY(UiLanguage::instance()->apply("zh", false));
    QApplication::processEvents();
    w.refreshPanels();
    QApplication::processEvents();
    QSet<QString> names;
    for (int k = 0; k < w.workspace()->columnCount(); ++k) names.insert(QString::fromStdString(w.workspace()->column(k).name));
    for (const QString& l : UiLanguage::available()) names.insert(UiLanguage::displayName(l));
    // Known gap (docs/lessons.md): the memory and cost views and the token strip set some texts once in
    // their constructors and follow a runtime switch at the next start (those files are being rewritten).
    auto later = [](QWidget* c) {
      for (QWidget* p = c; p; p = p->parentWidget())
        if (p->inherits("MemoryPanel") || p->inherits("CostPanel") || p->inherits("TokenStrip")) return true;
      return false;
    };
    QStringList bad;
    for (const auto& [where, text] : visibleTexts(&w, later))
      if ((where.startsWith("menu") || where.startsWith("tool bar") || where.startsWith("dock") || where.startsWith("panel") ||
           where.startsWith("button") || where.startsWith("window") || where.startsWith("combo") || where.startsWith("spin")) &&
          looksEnglish(text, names))
        bad << where + ": " + text;
    QVERIFY2(bad.isEmpty(), qPrintable(bad.join("\n")));
    QVERIFY(UiLanguage::instance()->apply("en", false));
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
