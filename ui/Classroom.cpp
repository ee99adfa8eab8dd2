#include "Classroom.h"

#include <QAction>
#include <QApplication>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QGuiApplication>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QScreen>
#include <QSettings>
#include <QStatusBar>
#include <cmath>

#include "Autosave.h"
#include "DeckExport.h"
#include "ExplorerWindow.h"
#include "HelpPanel.h"
#include "LessonCard.h"
#include "LessonPlayer.h"
#include "LessonTarget.h"
#include "PresentationMode.h"
#include "TaskGeneratorDialog.h"
#include "TaskNotes.h"
#include "UiLanguage.h"

namespace {
constexpr int kMaxRecent = 8;
QDockWidget* makeDock(QMainWindow* w, const QString& title, const QString& name, QWidget* content, Qt::DockWidgetArea area) {
  auto* d = new QDockWidget(title, w);
  d->setObjectName(name);
  d->setWidget(content);
  w->addDockWidget(area, d);
  d->hide();
  return d;
}
}  // namespace

Classroom::Classroom(ExplorerWindow* window, const QString& autosaveDir) : QObject(window), m_window(window) {
  m_target = new LessonTarget(window);
  m_player = new LessonPlayer(m_target, this);
  m_card = new LessonCard(m_player, m_target);
  m_cardDock = makeDock(window, QString(), "dock-lesson", m_card, Qt::RightDockWidgetArea);
  m_taskNotes = new TaskNotes(m_target);
  m_tasksDock = makeDock(window, QString(), "dock-tasks", m_taskNotes, Qt::RightDockWidgetArea);
  m_help = new HelpPanel(m_target);
  m_helpDock = makeDock(window, QString(), "dock-help", m_help, Qt::RightDockWidgetArea);
  m_presentation = new PresentationMode(m_target, m_player, m_card, m_cardDock, this);
  connect(m_taskNotes, &TaskNotes::taskModelsOpened, this, [this] {
    if (!m_presentation->isActive()) m_tasksDock->show();
  });
  // The card shows each model's task score live (the recall and noise lessons compare them).
  m_card->setScoreSource([this] {
    QStringList parts;
    for (int c = 0; c < m_target->columnCount(); ++c) {
      const TaskNotes::Score s = m_taskNotes->score(c);
      if (s.scored == 0) continue;
      const QString v = !std::isnan(s.accuracy) ? QString::number(s.accuracy, 'f', 2) : QString::number(s.bitsPerByte, 'f', 2) + " b/B";
      const QString avg = m_target->deltaAverage(c) ? (m_player->language() == "zh" ? QString::fromUtf8("（Δ → 平均）") : QString(" (Δ → average)")) : QString();
      parts << QString("%1%2 <b>%3</b>").arg(m_target->modelName(c).toHtmlEscaped(), avg, v);
    }
    const bool zh = m_player->language() == "zh";
    // Δ → average (the selectivity lesson): while the active column is a language model (no task)
    // that is intervened, or whose "delta" the step sets, each language model's bits per byte over
    // the whole text, the intervened ones marked, so the card compares them live.
    QString lm;
    const int active = m_target->activeColumn();
    bool showLm = active >= 0 && active < m_target->columnCount() && m_target->deltaAverage(active);
    if (active >= 0 && m_player->isOpen() && m_player->step() >= 0 && active < int(m_player->lesson().models.size())) {
      const auto it = m_player->currentStep().models.find(m_player->lesson().models[size_t(active)].name);
      showLm |= it != m_player->currentStep().models.end() && it->second.delta_average >= 0;
    }
    showLm = showLm && !m_taskNotes->score(active).scored;
    if (showLm) {
      QStringList lines;
      qint64 counted = 0;
      for (int c = 0; c < m_target->columnCount(); ++c) {
        if (m_taskNotes->score(c).scored) continue;
        double sum = 0;
        qint64 n = 0;
        for (float v : m_target->surprisals(c))
          if (!std::isnan(v)) { sum += v; ++n; }
        if (n == 0) continue;
        counted = n;
        const QString mark = m_target->deltaAverage(c) ? (zh ? QString::fromUtf8("（Δ → 平均）") : QString(" (Δ → average)")) : QString();
        lines << QString("%1%2 <b>%3</b>").arg(m_target->modelName(c).toHtmlEscaped(), mark, QString::number(sum / double(n), 'f', 3));
      }
      if (!lines.isEmpty())
        lm = (zh ? QString::fromUtf8("比特/字节（全文 %1 个字节）") : QString("bits/byte over the text (%1 bytes)")).arg(counted) + ":<br>" + lines.join(" · ");
    }
    if (parts.isEmpty()) return lm;
    const TaskNotes::Score first = [&] {
      for (int c = 0; c < m_target->columnCount(); ++c)
        if (m_taskNotes->score(c).scored) return m_taskNotes->score(c);
      return TaskNotes::Score{};
    }();
    const QString what = !std::isnan(first.accuracy) ? (zh ? QString::fromUtf8("准确率（%1 个答案）") : QString("accuracy over %1 answers"))
                                                     : (zh ? QString::fromUtf8("比特/字节（%1 个文字字节，不计垃圾）") : QString("bits/byte over %1 text bytes (junk not counted)"));
    return what.arg(first.scored) + ":<br>" + parts.join(" · ") + (lm.isEmpty() ? QString() : "<br>" + lm);
  });
  connect(m_target, &LessonTarget::resultsChanged, m_card, &LessonCard::refresh);
  buildMenus();
  if (!autosaveDir.isEmpty()) {
    m_autosave = new Autosave(autosaveDir, [this] { return workspaceState(); }, this);
    connect(m_target, &LessonTarget::changed, m_autosave, &Autosave::markDirty);
    connect(m_player, &LessonPlayer::stepChanged, m_autosave, &Autosave::markDirty);
    connect(m_player, &LessonPlayer::lessonChanged, m_autosave, &Autosave::markDirty);
  }
}

Classroom::~Classroom() {
  if (m_presentation->isActive()) m_presentation->leave();
}

void Classroom::warn(const QString& title, const QString& message) {
  if (m_window->isVisible() && !m_window->testAttribute(Qt::WA_DontShowOnScreen)) QMessageBox::warning(m_window, title, message);
  else std::fprintf(stderr, "statescope: %s: %s\n", qPrintable(title), qPrintable(message));
}

void Classroom::translated(QObject* o, std::function<QString()> text) {
  m_texts.append({o, std::move(text)});
  retranslate();
}

void Classroom::retranslate() {
  for (const auto& [o, text] : m_texts) {
    if (!o) continue;
    if (auto* a = qobject_cast<QAction*>(o)) a->setText(text());
    else if (auto* m = qobject_cast<QMenu*>(o)) m->setTitle(text());
    else if (auto* d = qobject_cast<QDockWidget*>(o)) d->setWindowTitle(text());
  }
}

void Classroom::buildMenus() {
  QMenuBar* bar = m_window->menuBar();
  QMenu* file = nullptr;
  QMenu* view = nullptr;
  // The explorer's own menus, by their (possibly translated) titles.
  const char* fileTitle = "&File";
  const char* viewTitle = "&View";
  for (QAction* a : bar->actions()) {
    if (!a->menu()) continue;
    if (a->text() == fileTitle || a->text() == QCoreApplication::translate("ExplorerWindow", fileTitle)) file = a->menu();
    if (a->text() == viewTitle || a->text() == QCoreApplication::translate("ExplorerWindow", viewTitle)) view = a->menu();
  }
  if (!file) file = bar->addMenu(QString());
  if (!view) view = bar->addMenu(QString());
  translated(m_cardDock, [] { return tr("Lesson"); });
  translated(m_tasksDock, [] { return tr("Task notes"); });
  translated(m_helpDock, [] { return tr("Help"); });

  // File: lessons and workspaces, before the existing entries.
  QAction* first = file->actions().value(0);
  auto* openLessonAct = new QAction(file);
  translated(openLessonAct, [] { return tr("Open lesson…"); });
  openLessonAct->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_L));
  connect(openLessonAct, &QAction::triggered, this, &Classroom::askLesson);
  auto* lessons = new QMenu(file);
  translated(lessons, [] { return tr("Lessons"); });
  for (const QString& path : LessonPlayer::shippedLessons()) {
    ss::LocalText title{QFileInfo(path).completeBaseName().toStdString(), ""};
    try {
      title = ss::load_lesson(path.toStdString()).title;
    } catch (const std::exception&) {
    }
    QAction* a = lessons->addAction(QString(), this, [this, path] {
      QString err;
      if (!openLesson(path, 0, &err)) warn(tr("Cannot open the lesson"), err);
    });
    translated(a, [title] { return QString::fromStdString(title.in(UiLanguage::instance()->current().toStdString())); });
  }
  auto* exportDeckAct = new QAction(file);
  translated(exportDeckAct, [] { return tr("Export lesson as PDF deck…"); });
  connect(exportDeckAct, &QAction::triggered, this, &Classroom::exportDeck);
  auto* openWs = new QAction(file);
  translated(openWs, [] { return tr("Open workspace…"); });
  openWs->setShortcut(QKeySequence::Open);
  connect(openWs, &QAction::triggered, this, [this] {
    const QString p = QFileDialog::getOpenFileName(m_window, tr("Open a workspace"), QString(), tr("StateScope workspace (*.statescope)"));
    QString err;
    if (!p.isEmpty() && !openWorkspace(p, &err)) warn(tr("Cannot open the workspace"), err);
  });
  auto* saveWs = new QAction(file);
  translated(saveWs, [] { return tr("Save workspace"); });
  saveWs->setShortcut(QKeySequence::Save);
  auto* saveWsAs = new QAction(file);
  translated(saveWsAs, [] { return tr("Save workspace as…"); });
  auto saveAs = [this] {
    QString p = QFileDialog::getSaveFileName(m_window, tr("Save the workspace"), m_workspacePath.isEmpty() ? "lesson.statescope" : m_workspacePath,
                                             tr("StateScope workspace (*.statescope)"));
    if (p.isEmpty()) return;
    if (!p.endsWith(".statescope")) p += ".statescope";
    QString err;
    if (!saveWorkspace(p, &err)) warn(tr("Cannot save the workspace"), err);
  };
  connect(saveWsAs, &QAction::triggered, this, saveAs);
  connect(saveWs, &QAction::triggered, this, [this, saveAs] {
    QString err;
    if (m_workspacePath.isEmpty()) saveAs();
    else if (!saveWorkspace(m_workspacePath, &err)) warn(tr("Cannot save the workspace"), err);
  });
  m_recentMenu = new QMenu(file);
  translated(m_recentMenu, [] { return tr("Recent workspaces"); });
  file->insertAction(first, openLessonAct);
  file->insertMenu(first, lessons);
  file->insertAction(first, exportDeckAct);
  file->insertSeparator(first);
  file->insertAction(first, openWs);
  file->insertMenu(first, m_recentMenu);
  file->insertAction(first, saveWs);
  file->insertAction(first, saveWsAs);
  file->insertSeparator(first);
  rebuildRecent();

  // View: presentation mode, the screen it uses, the languages, the classroom docks.
  view->addSeparator();
  QAction* present = view->addAction(QString());
  translated(present, [] { return tr("Presentation mode"); });
  present->setShortcut(QKeySequence(Qt::Key_F5));
  present->setShortcutContext(Qt::ApplicationShortcut);
  connect(present, &QAction::triggered, m_presentation, &PresentationMode::toggle);
  QMenu* screens = view->addMenu(QString());
  translated(screens, [] { return tr("Present on screen"); });
  connect(screens, &QMenu::aboutToShow, this, [this, screens] {
    screens->clear();
    const QList<QScreen*> list = QGuiApplication::screens();
    for (int i = 0; i < list.size(); ++i) {
      QAction* a = screens->addAction(tr("%1: %2 (%3×%4)").arg(i + 1).arg(list[i]->name()).arg(list[i]->size().width()).arg(list[i]->size().height()));
      a->setCheckable(true);
      a->setChecked(m_presentation->screen() == i);
      connect(a, &QAction::triggered, this, [this, i] { m_presentation->setScreen(i); });
    }
  });
  QMenu* uiLang = view->addMenu(QString());
  translated(uiLang, [] { return tr("Language"); });
  for (const QString& code : UiLanguage::available()) {
    QAction* a = uiLang->addAction(UiLanguage::displayName(code));
    a->setCheckable(true);
    a->setChecked(UiLanguage::instance()->current() == code);
    a->setObjectName("ui-language-" + code);
    connect(a, &QAction::triggered, this, [this, code] {
      if (!UiLanguage::instance()->apply(code)) warn(tr("Language"), tr("The translation for %1 is missing from this build.").arg(UiLanguage::displayName(code)));
    });
    connect(UiLanguage::instance(), &UiLanguage::changed, a, [a, code](const QString& l) { a->setChecked(l == code); });
  }
  QMenu* lang = view->addMenu(QString());
  translated(lang, [] { return tr("Lesson language"); });
  for (const QString& code : UiLanguage::available()) {
    QAction* a = lang->addAction(UiLanguage::displayName(code));
    a->setCheckable(true);
    a->setChecked(m_player->language() == code);
    connect(a, &QAction::triggered, this, [this, code] { m_player->setLanguage(code); });
    connect(m_player, &LessonPlayer::languageChanged, a, [a, code](const QString& l) { a->setChecked(l == code); });
  }
  view->addAction(m_cardDock->toggleViewAction());
  view->addAction(m_tasksDock->toggleViewAction());

  // Insert: the task generators.
  QMenu* insert = bar->addMenu(QString());
  translated(insert, [] { return tr("&Insert"); });
  for (ss::TaskKind k : {ss::TaskKind::Mqar, ss::TaskKind::Noise, ss::TaskKind::SelectiveCopy, ss::TaskKind::Induction}) {
    QAction* a = insert->addAction(QString(), this, [this, k] { askInsert(k); });
    translated(a, [k] { return TaskGeneratorDialog::title(k) + "…"; });
  }

  // Help.
  QMenu* help = bar->addMenu(QString());
  translated(help, [] { return tr("&Help"); });
  QAction* helpAct = m_helpDock->toggleViewAction();
  translated(helpAct, [] { return tr("Views, formulas and shortcuts"); });
  helpAct->setShortcut(QKeySequence::HelpContents);
  help->addAction(helpAct);
  connect(UiLanguage::instance(), &UiLanguage::changed, this, &Classroom::retranslate);
}

bool Classroom::openLesson(const QString& path, int step, QString* error) {
  if (!m_player->open(path, step, error)) return false;
  m_cardDock->show();
  m_cardDock->raise();
  return true;
}

void Classroom::askLesson() {
  const QString dir = LessonPlayer::shippedLessonsDir();
  const QString p = QFileDialog::getOpenFileName(m_window, tr("Open a lesson"), dir, tr("StateScope lesson (*.json)"));
  if (p.isEmpty()) return;
  QString err;
  if (!openLesson(p, 0, &err)) warn(tr("Cannot open the lesson"), err);
}

void Classroom::insertTask(const ss::TaskSpec& spec) {
  const ss::TaskExample ex = ss::generate_task(spec);
  m_target->setInput(QByteArray::fromStdString(ex.bytes));
}

void Classroom::askInsert(ss::TaskKind kind) {
  TaskGeneratorDialog dlg(kind, m_target->input(), m_window);
  if (dlg.exec() != QDialog::Accepted) return;
  try {
    insertTask(dlg.spec());
  } catch (const std::exception& e) {
    warn(tr("Cannot make the input"), QString::fromStdString(e.what()));
  }
}

void Classroom::exportDeck() {
  if (!m_player->isOpen()) {
    warn(tr("Export lesson"), tr("Open a lesson first (File → Open lesson…)."));
    return;
  }
  const QString out = QFileDialog::getSaveFileName(m_window, tr("Export the lesson as a PDF deck"),
                                                   QString::fromStdString(m_player->lesson().id) + ".pdf", tr("PDF (*.pdf)"));
  if (out.isEmpty()) return;
  DeckExport::Options o;
  o.lesson = m_player->path();
  o.out = out;
  o.language = m_player->language();
  o.modelsRoot = m_player->modelsRoot();
  QString err;
  const int pages = DeckExport::write(o, &err);
  if (pages < 0) warn(tr("Cannot export the lesson"), err);
  else m_window->statusBar()->showMessage(tr("wrote %1 (%2 pages)").arg(out).arg(pages), 8000);
}

ss::WorkspaceState Classroom::workspaceState() const {
  ss::WorkspaceState s = m_target->state();
  s.language = m_player->language().toStdString();
  if (m_player->isOpen()) {
    s.lesson = m_player->path().toStdString();
    s.lesson_step = m_player->step();
  }
  return s;
}

bool Classroom::restoreWorkspace(const ss::WorkspaceState& s, QString* error) {
  m_player->setLanguage(QString::fromStdString(s.language));
  if (!s.lesson.empty()) {
    // The lesson puts its models and the step's view in place; the saved state then overrides
    // what the user changed after the step (text typed, another token...).
    QString err;
    if (!openLesson(QString::fromStdString(s.lesson), s.lesson_step, &err) && error) *error = err;
  }
  QString err;
  const bool ok = m_target->restore(s, &err);
  if (!ok && error && error->isEmpty()) *error = err;
  return ok;
}

bool Classroom::saveWorkspace(const QString& path, QString* error) {
  try {
    ss::save_workspace(workspaceState(), path.toStdString());
  } catch (const std::exception& e) {
    if (error) *error = QString::fromStdString(e.what());
    return false;
  }
  m_workspacePath = path;
  rememberRecent(path);
  return true;
}

bool Classroom::openWorkspace(const QString& path, QString* error) {
  ss::WorkspaceState s;
  try {
    s = ss::load_workspace(path.toStdString());
  } catch (const std::exception& e) {
    if (error) *error = QString::fromStdString(e.what());
    return false;
  }
  m_workspacePath = path;
  rememberRecent(path);
  return restoreWorkspace(s, error);
}

QStringList Classroom::recentWorkspaces() const { return QSettings().value("recentWorkspaces").toStringList(); }

void Classroom::rememberRecent(const QString& path) {
  QStringList list = recentWorkspaces();
  const QString abs = QFileInfo(path).absoluteFilePath();
  list.removeAll(abs);
  list.prepend(abs);
  while (list.size() > kMaxRecent) list.removeLast();
  QSettings().setValue("recentWorkspaces", list);
  rebuildRecent();
}

void Classroom::rebuildRecent() {
  if (!m_recentMenu) return;
  m_recentMenu->clear();
  for (const QString& p : recentWorkspaces())
    m_recentMenu->addAction(QFileInfo(p).fileName(), this, [this, p] {
      QString err;
      if (!openWorkspace(p, &err)) warn(tr("Cannot open the workspace"), err);
    })->setToolTip(p);
  m_recentMenu->setEnabled(!m_recentMenu->isEmpty());
}

bool Classroom::offerRestore(bool ask) {
  if (!m_autosave) return false;
  const QStringList crashed = Autosave::crashedSessions(QFileInfo(m_autosave->path()).absolutePath());
  if (crashed.isEmpty()) return false;
  if (ask && QMessageBox::question(m_window, tr("Restore the last session?"),
                                   tr("StateScope did not close normally last time. Restore the text, models, lesson and view it had?")) !=
                 QMessageBox::Yes)
    return false;
  ss::WorkspaceState s;
  QString err;
  if (!Autosave::take(crashed.first(), &s, &err)) {
    warn(tr("Cannot restore the session"), err);
    return false;
  }
  if (!restoreWorkspace(s, &err)) warn(tr("Restored with problems"), err);
  return true;
}
