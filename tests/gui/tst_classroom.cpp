// The classroom features under the offscreen platform: every shipped lesson's every step sets the
// state it names; a broken lesson names file, line and field; presentation mode's keys; the deck
// command writes one PDF page per step; workspace files round-trip through the window; task notes
// score only the task's positions; autosave restores after the process is killed.
#include <QtTest>

#include <QApplication>
#include <QComboBox>
#include <QDockWidget>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMenuBar>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTextBlock>
#include <QTextBrowser>
#include <QTextDocument>
#include <cmath>
#include <filesystem>
#include <signal.h>

#include "Autosave.h"
#include "Classroom.h"
#include "ExplorerWindow.h"
#include "HighlightFrame.h"
#include "LessonCard.h"
#include "LessonPlayer.h"
#include "LessonTarget.h"
#include "Panel.h"
#include "PresentationMode.h"
#include "Zoom.h"
#include "HelpPanel.h"
#include "TaskGeneratorDialog.h"
#include "TaskNotes.h"
#include "Workspace.h"
#include "lesson.h"
#include "test_support.h"

namespace {

QString sourceDir() { return QDir::cleanPath(QString::fromStdString(ss::test::fixtures_dir()) + "/../.."); }
QString fixture(const char* name) { return QString::fromStdString(ss::test::fixtures_dir()) + "/" + name; }

int pdfPages(const QByteArray& pdf) {  // page objects ("/Type /Page", not "/Type /Pages")
  int n = 0;
  auto it = QRegularExpression("/Type\\s*/Page(?!s)").globalMatch(QString::fromLatin1(pdf));
  while (it.hasNext()) {
    it.next();
    ++n;
  }
  return n;
}

int resolve(int64_t t, qint64 n) { return int(std::clamp<qint64>(t < 0 ? n + t : t, 0, n - 1)); }

}  // namespace

class TestClassroom : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

  void every_step_of_every_shipped_lesson_sets_its_state() {
    const QStringList lessons = LessonPlayer::shippedLessons();
    QVERIFY2(lessons.size() >= 7, qPrintable(lessons.join(", ")));
    ExplorerWindow w(false);
    w.resize(1280, 720);
    w.show();
    Classroom c(&w);
    LessonTarget* t = c.target();
    for (const QString& path : lessons) {
      QString err;
      QVERIFY2(c.openLesson(path, 0, &err), qPrintable(err));
      const ss::Lesson& l = c.player()->lesson();
      QCOMPARE(t->columnCount(), int(l.models.size()));
      for (int i = 0; i < int(l.models.size()); ++i) QCOMPARE(t->modelName(i), QFileInfo(QString::fromStdString(l.models[size_t(i)].folder)).fileName());
      // What the steps add up to, tracked here independently of the player.
      std::map<std::string, ss::ModelView> views;
      std::string active;
      std::vector<std::string> panels;
      std::map<std::string, std::string> scales;
      const ss::LessonInput* input = &l.input;
      for (int s = 0; s < int(l.steps.size()); ++s) {
        const ss::LessonStep& st = l.steps[size_t(s)];
        c.player()->goTo(s);
        const QString where = QString("%1 step %2").arg(QFileInfo(path).fileName()).arg(s);
        QCOMPARE(c.player()->step(), s);
        if (st.input) input = &*st.input;
        QCOMPARE(t->input(), QByteArray::fromStdString(ss::lesson_input_bytes(l, *input).bytes));
        const qint64 n = t->computed();
        QVERIFY2(n == t->input().size(), qPrintable(where));
        if (st.window) {
          QCOMPARE(t->windowStart(), qint64(resolve(st.window->first, n)));
          QCOMPARE(t->windowEnd(), qint64(resolve(st.window->second, n)) + 1);
        }
        if (st.token) QVERIFY2(t->token() == resolve(*st.token, n), qPrintable(where + QString(": token %1").arg(t->token())));
        if (!st.active.empty()) active = st.active;
        if (!active.empty()) QVERIFY2(t->activeColumn() == l.model_index(active), qPrintable(where));
        for (const auto& [name, v] : st.models) {
          ss::ModelView& m = views[name];
          if (v.layer >= 0) m.layer = v.layer;
          if (v.head >= 0) m.head = v.head;
          if (v.channel >= 0) m.channel = v.channel;
          if (v.delta_average >= 0) m.delta_average = v.delta_average;
        }
        for (int i = 0; i < int(l.models.size()); ++i) {  // Δ → average: as the steps set it, else off
          const auto it = views.find(l.models[size_t(i)].name);
          QVERIFY2(t->deltaAverage(i) == (it != views.end() && it->second.delta_average == 1), qPrintable(where + " delta of " + QString::number(i)));
        }
        for (const auto& [name, v] : views) {
          const LessonTarget::View got = t->view(l.model_index(name));
          if (v.layer >= 0) QVERIFY2(got.layer == v.layer, qPrintable(where + " layer of " + QString::fromStdString(name)));
          if (v.head >= 0) QVERIFY2(got.head == v.head, qPrintable(where + " head"));
          if (v.channel >= 0) QVERIFY2(got.channel == v.channel, qPrintable(where + " channel"));
        }
        if (!st.panels.empty()) panels = st.panels;
        QStringList want;
        for (const auto& p : panels) want << QString::fromStdString(p);
        const QStringList shown = t->visiblePanels();
        if (!want.isEmpty())
          QVERIFY2(QSet<QString>(shown.begin(), shown.end()) == QSet<QString>(want.begin(), want.end()), qPrintable(where + ": " + shown.join(",")));
        for (const auto& [k, v] : st.scales) scales[k] = v;
        for (const auto& [k, v] : scales) QVERIFY2(t->scale(QString::fromStdString(k)) == QString::fromStdString(v), qPrintable(where + " scale " + QString::fromStdString(k)));
        QCOMPARE(c.card()->cardText(), QString::fromStdString(st.card.en));
        QCOMPARE(c.card()->formulaText(), QString::fromStdString(st.formula));
        if (st.formula.find('_') != std::string::npos) {  // h_t, h_{t−1}: set as subscripts, no '_' shown
          const QTextDocument* doc = c.card()->findChild<QTextBrowser*>()->document();
          int subscripts = 0;
          for (QTextBlock b = doc->begin(); b.isValid(); b = b.next())
            for (auto it = b.begin(); !it.atEnd(); ++it)
              subscripts += it.fragment().charFormat().verticalAlignment() == QTextCharFormat::AlignSubScript;
          QVERIFY2(subscripts > 0, qPrintable(where + ": " + QString::fromStdString(st.formula)));
          QVERIFY2(!doc->toPlainText().contains(QString::fromStdString(st.formula)), qPrintable(where + ": the formula's raw text is shown"));
        }
        HighlightFrame* h = c.card()->highlight();
        if (st.highlight) {
          QVERIFY2(h->isVisibleTo(h->parentWidget()) && h->view() == t->panelWidget(QString::fromStdString(st.highlight->panel)), qPrintable(where));
          QCOMPARE(h->region(), QRectF(st.highlight->x, st.highlight->y, st.highlight->w, st.highlight->h));
        } else {
          QVERIFY2(h->isHidden(), qPrintable(where));
        }
      }
      // Chinese cards.
      c.player()->setLanguage("zh");
      QCOMPARE(c.card()->cardText(), QString::fromStdString(l.steps.back().card.zh));
      c.player()->setLanguage("en");
    }
  }

  // The prediction view of a task model scores what the task scores: on the noise lesson its bits per
  // byte leave the junk out, the number the card and the task notes show (not the whole text's).
  void noise_lesson_prediction_scores_the_text_bytes_only() {
    ExplorerWindow w(false);
    w.show();
    Classroom c(&w);
    LessonTarget* t = c.target();
    QString err;
    QVERIFY2(c.openLesson(sourceDir() + "/assets/lessons/06-noise-padding.json", 2, &err), qPrintable(err));
    t->waitForIdle();
    const int col = t->activeColumn();
    const TaskNotes::Score score = c.taskNotes()->score(col);
    QVERIFY(score.scored > 0);
    auto* panel = qobject_cast<Panel*>(t->panelWidget("prediction"));
    QVERIFY(panel);
    QTRY_VERIFY(panel->shownFrame() && panel->shownFrame()->text_version == w.workspace()->textVersion() &&
                panel->shownFrame()->column == col);
    const ss::Frame& f = *panel->shownFrame();
    QCOMPARE(qint64(f.scalar("task_scored")), score.scored);
    QVERIFY2(std::abs(f.scalar("task_bits_per_byte") - score.bitsPerByte) < 1e-6,
             qPrintable(QString("%1 vs %2").arg(f.scalar("task_bits_per_byte")).arg(score.bitsPerByte)));
    // ... which is not the whole text's: the junk costs bits.
    QVERIFY(std::abs(f.scalar("bits_per_byte") - score.bitsPerByte) > 0.1);
  }

  void selectivity_lesson_averages_delta_live() {
    // The selectivity lesson's Δ → average steps: the language models' card numbers are marked and
    // worse averaged; the selective-copying model loses letters; going back restores the real model.
    ExplorerWindow w(false);
    w.resize(1280, 720);
    w.show();
    Classroom c(&w);
    LessonTarget* t = c.target();
    QString err;
    QVERIFY2(c.openLesson(sourceDir() + "/assets/lessons/02-selectivity.json", 0, &err), qPrintable(err));
    const ss::Lesson& l = c.player()->lesson();
    auto stepTitled = [&](const char* en) {
      for (int s = 0; s < int(l.steps.size()); ++s)
        if (l.steps[size_t(s)].title.en == en) return s;
      return -1;
    };
    const int selective = stepTitled("A longer text, selective"), averaged = stepTitled("Δ → average: a time-invariant SSM");
    const int copy = stepTitled("Selective copying: what selectivity is for"), copyAvg = stepTitled("Selective copying with Δ averaged");
    QVERIFY(selective >= 0 && averaged == selective + 1 && copy >= 0 && copyAvg == copy + 1);
    auto meanBits = [&](int column) {
      double sum = 0;
      int n = 0;
      for (float v : t->surprisals(column))
        if (!std::isnan(v)) { sum += v; ++n; }
      return sum / n;
    };
    const int m2 = l.model_index("mamba2"), cp = l.model_index("copy");
    c.player()->goTo(selective);
    const double before = meanBits(m2);
    QVERIFY(c.card()->scoreText().contains("bits/byte over the text"));
    QVERIFY(!c.card()->scoreText().contains("Δ → average"));
    c.player()->goTo(averaged);
    QVERIFY(t->deltaAverage(m2));
    const double after = meanBits(m2);
    qInfo("mamba2-bytes on texts/long_en.txt: %.4f bits/byte selective, %.4f with delta averaged", before, after);
    QVERIFY2(after > before + 0.01, qPrintable(QString("%1 -> %2").arg(before).arg(after)));
    QVERIFY2(c.card()->scoreText().contains("(Δ → average)"), qPrintable(c.card()->scoreText()));
    c.player()->goTo(copy);
    const TaskNotes::Score real = c.taskNotes()->score(cp);
    c.player()->goTo(copyAvg);
    QVERIFY(t->deltaAverage(cp));
    const TaskNotes::Score avg = c.taskNotes()->score(cp);
    qInfo("selcopy-mamba2 on the lesson's example: accuracy %.3f selective, %.3f with delta averaged", real.accuracy, avg.accuracy);
    QCOMPARE(real.scored, qint64(8));
    QVERIFY2(real.accuracy > 0.8 && avg.accuracy < real.accuracy - 0.3, qPrintable(QString("%1 -> %2").arg(real.accuracy).arg(avg.accuracy)));
    c.player()->goTo(selective);
    QVERIFY(!t->deltaAverage(m2) && !t->deltaAverage(cp));
    QVERIFY(std::abs(meanBits(m2) - before) < 1e-4);
  }

  void broken_lesson_names_file_line_and_field() {
    QTemporaryDir dir;
    const QString path = dir.filePath("broken.json");
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("{\n \"statescope_lesson\": 1,\n \"id\": \"x\",\n \"title\": {\"en\": \"X\"},\n \"models\": [{\"name\": \"m\", \"folder\": \"mamba2-bytes\"}],\n"
            " \"input\": {\"text\": \"abc\"},\n \"steps\": [\n  {\"card\": {\"en\": \"c\"}, \"models\": {\"m\": {\"layer\": 7}}}\n ]\n}\n");
    f.close();
    ExplorerWindow w(false);
    Classroom c(&w);
    QString err;
    QVERIFY(!c.openLesson(path, 0, &err));
    QVERIFY2(err.startsWith(path + ":8: steps[0].models.m.layer: layer 7 does not exist"), qPrintable(err));
    QVERIFY(!c.player()->isOpen());
  }

  void presentation_keys() {
    ExplorerWindow w(false);
    w.show();
    Classroom c(&w);
    QString err;
    QVERIFY2(c.openLesson(sourceDir() + "/assets/lessons/01-brain-vs-database.json", 0, &err), qPrintable(err));
    const double fontBefore = QApplication::font().pointSizeF();
    const double zoomBefore = Zoom::instance()->factor();
    c.presentation()->enter(-1, /*windowed=*/true, QSize(1280, 720));
    QApplication::processEvents();
    QVERIFY(c.presentation()->isActive());
    QVERIFY(w.menuBar()->isHidden());
    QVERIFY(c.target()->inputEditor()->isHidden());
    // The views' own controls are hidden too (their readouts keep a whole row), and come back on leaving.
    QList<QComboBox*> choosers;
    for (Panel* p : w.findChildren<Panel*>()) choosers << p->findChildren<QComboBox*>();
    QVERIFY(!choosers.isEmpty());
    for (QComboBox* b : choosers) QVERIFY(b->isHidden());
    QCOMPARE(QApplication::font().pointSizeF(), PresentationMode::kPointSize);
    // The large font is the explorer's zoom (line widths and model columns follow it), not a font of its own.
    QCOMPARE(Zoom::instance()->factor(), PresentationMode::kPointSize / Zoom::kBasePointSize);
    QCOMPARE(Zoom::instance()->pointSize(), PresentationMode::kPointSize);
    QApplication::processEvents();  // the window's reaction to the zoom does not undo the presentation layout
    QVERIFY(w.menuBar()->isHidden());
    QCOMPARE(w.size(), QSize(1280, 720));
    QCOMPARE(c.player()->step(), 0);
    QTest::keyClick(&w, Qt::Key_PageDown);
    QCOMPARE(c.player()->step(), 1);
    QTest::keyClick(&w, Qt::Key_PageDown);
    QTest::keyClick(&w, Qt::Key_PageUp);
    QCOMPARE(c.player()->step(), 1);
    c.player()->goTo(2);  // token 60
    QCOMPARE(c.target()->token(), qint64(60));
    QTest::keyClick(&w, Qt::Key_Right);
    QCOMPARE(c.target()->token(), qint64(61));
    QTest::keyClick(&w, Qt::Key_Left);
    QTest::keyClick(&w, Qt::Key_Left);
    QCOMPARE(c.target()->token(), qint64(59));
    QTest::keyClick(&w, Qt::Key_Space);
    QVERIFY(c.target()->isPlaying());
    QTest::keyClick(&w, Qt::Key_Space);
    QVERIFY(!c.target()->isPlaying());
    // Thick lines on every chart series.
    c.presentation()->thickenLines();
    QTest::keyClick(&w, Qt::Key_Escape);
    QVERIFY(!c.presentation()->isActive());
    QVERIFY(!w.menuBar()->isHidden());
    QVERIFY(!c.target()->inputEditor()->isHidden());
    for (QComboBox* b : choosers) QVERIFY(!b->isHidden());
    QCOMPARE(QApplication::font().pointSizeF(), fontBefore);
    QCOMPARE(Zoom::instance()->factor(), zoomBefore);
    // Keys do nothing special once out of presentation mode.
    const int step = c.player()->step();
    QTest::keyClick(&w, Qt::Key_PageDown);
    QCOMPARE(c.player()->step(), step);
  }

  void deck_has_one_page_per_step() {
    QTemporaryDir dir;
    const QString lesson = sourceDir() + "/assets/lessons/03-duality.json";
    const int steps = int(ss::load_lesson(lesson.toStdString()).steps.size());
    QProcess p;
    p.start(STATESCOPE_GUI_EXE, {"lesson", "--lesson", lesson, "--format", "pdf", "--out", dir.filePath("deck.pdf"), "--language", "zh"});
    QVERIFY(p.waitForFinished(120000));
    QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
    QFile f(dir.filePath("deck.pdf"));
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray pdf = f.readAll();
    QVERIFY(pdf.startsWith("%PDF-"));
    QCOMPARE(pdfPages(pdf), steps);
    // PNG: one 1280 x 720 image per step (a lesson of four models, whose columns would widen the window).
    const QString four = sourceDir() + "/assets/lessons/07-length.json";
    p.start(STATESCOPE_GUI_EXE, {"lesson", "--lesson", four, "--format", "png", "--out", dir.filePath("png")});
    QVERIFY(p.waitForFinished(120000));
    QCOMPARE(p.exitCode(), 0);
    const QStringList pngs = QDir(dir.filePath("png")).entryList({"step-*.png"});
    QCOMPARE(pngs.size(), int(ss::load_lesson(four.toStdString()).steps.size()));
    for (const QString& png : pngs) QCOMPARE(QImage(dir.filePath("png/" + png)).size(), QSize(1280, 720));
    // A broken lesson: exit 1 and the loader's message.
    QFile b(dir.filePath("b.json"));
    QVERIFY(b.open(QIODevice::WriteOnly));
    b.write("{\n \"statescope_lesson\": 9\n}\n");
    b.close();
    p.start(STATESCOPE_GUI_EXE, {"lesson", "--lesson", dir.filePath("b.json"), "--out", dir.filePath("b.pdf")});
    QVERIFY(p.waitForFinished(60000));
    QCOMPARE(p.exitCode(), 1);
    const QString e = p.readAllStandardError();
    QVERIFY2(e.contains("b.json:2: statescope_lesson: this lesson is format version 9"), qPrintable(e));
  }

  // Falcon-H1: every layer has attention and a Mamba-2 side by side; the part a column shows is saved
  // ("part": "attention") and restored, with its head.
  void workspace_keeps_the_attention_part_of_a_parallel_layer() {
    QTemporaryDir dir;
    const QString path = dir.filePath("falcon.statescope");
    const QString folder = sourceDir() + "/tests/fixtures/falcon_h1_a";
    ss::WorkspaceState saved;
    {
      ExplorerWindow w(false);
      w.show();
      Classroom c(&w);
      QString err;
      QVERIFY2(c.target()->setModels({folder}, &err), qPrintable(err));
      c.target()->setInput("A parallel layer: attention beside a Mamba-2.");
      c.target()->waitForIdle();
      LayerChoice ch = w.workspace()->choice(0);
      ch.layer = 1;
      ch.head = 1;
      ch.attention_part = true;
      w.workspace()->setChoice(0, ch);
      c.target()->waitForIdle();
      QVERIFY2(c.saveWorkspace(path, &err), qPrintable(err));
      saved = c.workspaceState();
      QVERIFY(saved.columns.at(0).attention_part);
    }
    ExplorerWindow w(false);
    w.show();
    Classroom c(&w);
    QString err;
    QVERIFY2(c.openWorkspace(path, &err), qPrintable(err));
    const LayerChoice back = w.workspace()->choice(0);
    QVERIFY(back.attention_part);
    QCOMPARE(back.layer, 1);
    QCOMPARE(back.head, 1);
    QCOMPARE(c.workspaceState().columns, saved.columns);
  }

  void workspace_round_trips_through_the_window() {
    QTemporaryDir dir;
    const QString path = dir.filePath("demo.statescope");
    ss::WorkspaceState saved;
    {
      ExplorerWindow w(false);
      w.show();
      Classroom c(&w);
      QString err;
      QVERIFY2(c.openLesson(sourceDir() + "/assets/lessons/02-selectivity.json", 2, &err), qPrintable(err));
      c.player()->setLanguage("zh");
      c.target()->setInput(c.target()->input() + "Typed after the step.");  // the user typed
      c.target()->waitForIdle();
      c.target()->selectWindow(10, 30);
      c.target()->selectToken(25);
      c.target()->setView(0, {3, 0, 17});
      c.target()->setDeltaAverage(1, true);  // the Δ → average switch of the second model
      c.target()->waitForIdle();
      QVERIFY2(c.saveWorkspace(path, &err), qPrintable(err));
      saved = c.workspaceState();
      QCOMPARE(c.recentWorkspaces().value(0), QFileInfo(path).absoluteFilePath());
    }
    ExplorerWindow w(false);
    w.show();
    Classroom c(&w);
    QString err;
    QVERIFY2(c.openWorkspace(path, &err), qPrintable(err));
    const ss::WorkspaceState back = c.workspaceState();
    QCOMPARE(back.input, saved.input);
    QVERIFY(back.input.find("Typed after the step.") != std::string::npos);
    QCOMPARE(back.columns, saved.columns);
    QCOMPARE(back.columns[0].channel, 17);
    QVERIFY(saved.columns[1].delta_average && !saved.columns[0].delta_average);
    QVERIFY(w.workspace()->deltaAverage(1));  // restored: the column shows the intervened model again
    QVERIFY(!w.workspace()->deltaAverage(0));
    QCOMPARE(back.token, int64_t(25));
    QCOMPARE(back.window, saved.window);
    QCOMPARE(back.lesson, saved.lesson);
    QCOMPARE(back.lesson_step, 2);
    QCOMPARE(back.language, std::string("zh"));
    QCOMPARE(back.visible_panels, saved.visible_panels);
    QCOMPARE(back.scales, saved.scales);
    QCOMPARE(back.active_column, saved.active_column);
  }

  void task_notes_score_the_task_positions() {
    ExplorerWindow w(false);
    w.show();
    Classroom c(&w);
    LessonTarget* t = c.target();
    QString err;
    // A model that does not recall (every shipped mqar-* model learned recall since training round 3):
    // the noise-padding Mamba-1, which never saw a phone book, behind mqar-llama's task.json with
    // "learned_recall": false.
    QTemporaryDir untrained;
    const QString fake = untrained.path() + "/mqar-untrained";
    QVERIFY(QDir().mkpath(fake));
    for (const char* f : {"config.json", "model.safetensors"})
      QVERIFY(QFile::copy(sourceDir() + "/assets/models/noise-mamba1/" + f, fake + "/" + f));
    {
      QFile in(sourceDir() + "/assets/models/mqar-llama/task.json");
      QVERIFY(in.open(QIODevice::ReadOnly));
      QJsonObject j = QJsonDocument::fromJson(in.readAll()).object();
      QVERIFY(j.value("learned_recall").toBool());
      j["learned_recall"] = false;
      QFile out(fake + "/task.json");
      QVERIFY(out.open(QIODevice::WriteOnly));
      out.write(QJsonDocument(j).toJson());
    }
    QVERIFY2(t->setModels({fake, sourceDir() + "/assets/models/mqar-mamba2"}, &err), qPrintable(err));
    QApplication::processEvents();
    QApplication::processEvents();
    QVERIFY(c.taskNotes()->hasTaskModels());
    ss::TaskSpec spec;
    spec.kind = ss::TaskKind::Mqar;
    spec.pairs = 16;
    spec.examples = 1;  // as the models were trained: one book from an empty state
    spec.seed = 5;
    c.insertTask(spec);
    t->waitForIdle();
    QApplication::processEvents();
    QApplication::processEvents();
    QVERIFY2(c.taskNotes()->text().contains("never learned recall"), qPrintable(c.taskNotes()->text()));
    const ss::TaskExample ex = ss::generate_task(spec);
    for (int col = 0; col < 2; ++col) {
      const TaskNotes::Score s = c.taskNotes()->score(col);
      QCOMPARE(s.scored, qint64(16));
      // The reference: the explorer's own next-byte distribution after each answer's prefix.
      int right = 0;
      // (on the session's worker: no other thread touches a model)
      w.workspace()->session().run_on_worker([&](ss::Engine& e, const ss::Document& d) {
        for (int64_t i : ex.scored) {
          const std::vector<float> p = e.exploration(d, col)->next_byte_probs(i - 1);
          right += int(std::max_element(p.begin(), p.end()) - p.begin()) == uint8_t(ex.bytes[size_t(i)]);
        }
      });
      QCOMPARE(s.accuracy, right / 16.0);
    }
    // mqar-mamba2 learned recall (task.json: 1.00 at 16 pairs); the stand-in above cannot.
    QVERIFY(c.taskNotes()->score(1).accuracy > 0.9);
    QVERIFY(c.taskNotes()->score(0).accuracy < 0.9);
    // Plain text is not a phone book: nothing scored.
    t->setInput("just some text\n");
    t->waitForIdle();
    QCOMPARE(c.taskNotes()->score(0).scored, qint64(0));
  }

  void generator_dialogs_and_help() {
    for (ss::TaskKind k : {ss::TaskKind::Mqar, ss::TaskKind::Noise, ss::TaskKind::SelectiveCopy, ss::TaskKind::Induction}) {
      TaskGeneratorDialog dlg(k, "Some text to pad.\n");
      const ss::TaskSpec spec = dlg.spec();
      QVERIFY(spec.kind == k);
      QCOMPARE(spec.examples, 1);  // one example per sequence, as the task models were trained
      const ss::TaskExample ex = ss::generate_task(spec);
      QVERIFY2(!ex.scored.empty(), ss::task_kind_name(k));
      QCOMPARE(ss::scored_positions(k, ex.bytes), ex.scored);  // what the app makes, it can score
    }
    ExplorerWindow w(false);
    Classroom c(&w);
    const QString help = c.help()->html();
    for (const QString& k : c.target()->panelKeys()) QVERIFY2(help.contains(c.target()->panelTitle(k).toHtmlEscaped()), qPrintable(k));
    for (const QString& key : {"F5", "Page Up / Page Down", "Esc"}) QVERIFY2(help.contains(key), qPrintable(key));
    QVERIFY(help.contains("h_t"));  // the views' formulas
  }

  void autosave_cleans_up_on_a_normal_exit() {
    QTemporaryDir dir;
    QString file;
    {
      ExplorerWindow w(false);
      Classroom c(&w, dir.path());
      c.target()->setInput("hello");
      c.autosave()->saveNow();
      file = c.autosave()->path();
      QVERIFY(QFile::exists(file));
      QVERIFY(Autosave::crashedSessions(dir.path()).isEmpty());  // ours is alive
    }
    QVERIFY(!QFile::exists(file));
    QVERIFY(QDir(dir.path()).entryList(QDir::Files).isEmpty());
  }

  void autosave_restores_after_the_process_is_killed() {
    QTemporaryDir dir;
    const QString autosaveDir = dir.filePath("autosave");
    const QString inputPath = dir.filePath("input.txt");
    const QByteArray text = "Typed before the crash: 草莓 strawberry " + QByteArray::number(QDateTime::currentMSecsSinceEpoch()) + "\n";
    QFile in(inputPath);
    QVERIFY(in.open(QIODevice::WriteOnly));
    in.write(text);
    in.close();
    QProcess child;
    child.start(STATESCOPE_GUI_EXE, {"--autosave-dir", autosaveDir, "--model", fixture("mamba1_tied_f32"), "--input", inputPath});
    QVERIFY(child.waitForStarted(20000));
    const QString file = QDir(autosaveDir).filePath(QString("autosave-%1.statescope").arg(child.processId()));
    QElapsedTimer clock;
    clock.start();
    while (!QFile::exists(file) && clock.elapsed() < 60000) QTest::qWait(100);
    QVERIFY2(QFile::exists(file), qPrintable(QString("no autosave after %1 ms; child says: %2").arg(clock.elapsed()).arg(QString(child.readAllStandardError()))));
    ::kill(pid_t(child.processId()), SIGKILL);  // no chance to clean up
    QVERIFY(child.waitForFinished(10000));
    QCOMPARE(child.exitStatus(), QProcess::CrashExit);
    QVERIFY(QFile::remove(inputPath));  // what is restored can only come from the autosave
    QCOMPARE(Autosave::crashedSessions(autosaveDir), QStringList{QFileInfo(file).absoluteFilePath()});

    ExplorerWindow w(false);
    w.show();
    Classroom c(&w, autosaveDir);
    QVERIFY(c.offerRestore(/*ask=*/false));
    QCOMPARE(c.target()->input(), text);
    QCOMPARE(c.target()->modelFolders(), QStringList{QDir::cleanPath(fixture("mamba1_tied_f32"))});
    QVERIFY(!QFile::exists(file));  // offered once
    QVERIFY(Autosave::crashedSessions(autosaveDir).isEmpty());
  }
};

QTEST_MAIN(TestClassroom)
#include "tst_classroom.moc"
