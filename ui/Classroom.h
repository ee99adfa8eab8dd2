// Classroom: the teaching features of the explorer, added to an ExplorerWindow without changing
// it: lessons (File → Open lesson…, the lesson card), presentation mode (F5), task generators
// (Insert), task notes for task models, the help panel (F1), workspace files with recent files
// (File → Open / Save workspace) and autosave. Everything it asks of the explorer goes through
// one LessonTarget.
#pragma once

#include <QObject>
#include <QPointer>
#include <functional>
#include <QString>

#include "task_generator.h"
#include "workspace_file.h"

class Autosave;
class ExplorerWindow;
class HelpPanel;
class LessonCard;
class LessonPlayer;
class LessonTarget;
class PresentationMode;
class QDockWidget;
class QMenu;
class TaskNotes;

class Classroom : public QObject {
  Q_OBJECT
 public:
  // `autosaveDir`: where autosave writes ("" = no autosave: headless export, most tests).
  explicit Classroom(ExplorerWindow* window, const QString& autosaveDir = QString());
  ~Classroom() override;

  LessonTarget* target() const { return m_target; }
  LessonPlayer* player() const { return m_player; }
  LessonCard* card() const { return m_card; }
  PresentationMode* presentation() const { return m_presentation; }
  TaskNotes* taskNotes() const { return m_taskNotes; }
  HelpPanel* help() const { return m_help; }
  Autosave* autosave() const { return m_autosave; }
  QDockWidget* cardDock() const { return m_cardDock; }

  // Opens a lesson at `step` and shows its card; on failure returns false with the loader's message.
  bool openLesson(const QString& path, int step = 0, QString* error = nullptr);
  void insertTask(const ss::TaskSpec& spec);  // replaces the text by generated examples

  ss::WorkspaceState workspaceState() const;  // the explorer's state, the lesson and its step, the language
  bool restoreWorkspace(const ss::WorkspaceState& s, QString* error);
  bool saveWorkspace(const QString& path, QString* error);
  bool openWorkspace(const QString& path, QString* error);
  QString workspacePath() const { return m_workspacePath; }
  QStringList recentWorkspaces() const;

  // Offers the newest crashed session in the autosave folder (asks unless `ask` is false).
  bool offerRestore(bool ask = true);

 private:
  void buildMenus();
  void translated(QObject* o, std::function<QString()> text);  // sets the text now and after a language switch
  void retranslate();
  void rebuildRecent();
  void rememberRecent(const QString& path);
  void askLesson();
  void askInsert(ss::TaskKind kind);
  void exportDeck();
  void warn(const QString& title, const QString& message);

  ExplorerWindow* m_window;
  LessonTarget* m_target;
  LessonPlayer* m_player;
  LessonCard* m_card;
  QDockWidget* m_cardDock;
  TaskNotes* m_taskNotes;
  QDockWidget* m_tasksDock;
  HelpPanel* m_help;
  QDockWidget* m_helpDock;
  PresentationMode* m_presentation;
  Autosave* m_autosave = nullptr;
  QMenu* m_recentMenu = nullptr;
  QString m_workspacePath;
  QList<QPair<QPointer<QObject>, std::function<QString()>>> m_texts;
};
