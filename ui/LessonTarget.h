// LessonTarget: everything the classroom features (lesson player, presentation mode, autosave,
// workspace files, task notes, deck export) ask of the explorer, in one small adapter. It is the
// only classroom file that calls Workspace and ExplorerWindow, so moving the explorer to another
// model layer (the session API) means re-pointing this file alone.
#pragma once

#include <QByteArray>
#include <QObject>
#include <QStringList>
#include <vector>

#include "workspace_file.h"

class ExplorerWindow;
class QWidget;

class LessonTarget : public QObject {
  Q_OBJECT
 public:
  explicit LessonTarget(ExplorerWindow* window);
  ExplorerWindow* window() const { return m_window; }

  // --- models ---
  QStringList modelFolders() const;  // absolute, in column order
  // Makes the columns exactly `folders` (keeps a column already showing the same folder). Returns
  // false with the first error; the columns that loaded stay.
  bool setModels(const QStringList& folders, QString* error);
  int columnCount() const;
  QString modelName(int column) const;
  int layerCount(int column) const;

  // --- the text ---
  QByteArray input() const;
  void setInput(const QByteArray& bytes);  // into the editor and the models
  qint64 computed() const;
  void waitForIdle();  // until the models have read the text
  bool isBusy() const;

  // --- selection and what each column shows ---
  qint64 token() const;
  qint64 windowStart() const;
  qint64 windowEnd() const;  // exclusive
  bool hasExplicitWindow() const;
  void selectToken(qint64 t);           // clamped to the computed tokens
  void selectWindow(qint64 a, qint64 b);  // inclusive, clamped
  struct View { int layer = 0, head = 0, channel = 0; };
  View view(int column) const;
  void setView(int column, View v);     // -1 fields leave that part as it is
  // Δ → average (core/intervention.h) for a column; ignored for a model without SSM layers.
  bool deltaAverage(int column) const;
  void setDeltaAverage(int column, bool on);
  int activeColumn() const;
  void setActiveColumn(int column);

  // --- the window's views ---
  QStringList panelKeys() const;
  QStringList visiblePanels() const;
  void showOnlyPanels(const QStringList& keys);  // the others are hidden
  QWidget* panelWidget(const QString& key) const;
  QString panelTitle(const QString& key) const;
  QString panelHelp(const QString& key) const;
  QString scale(const QString& key) const;       // "log", "linear", "signed" or ""
  bool setScale(const QString& key, const QString& scale);
  QWidget* inputEditor() const;
  QWidget* modelsDock() const;

  // --- stepping through tokens (presentation keys) ---
  void stepToken(int delta);  // ← / →: the selection moves one token
  void togglePlay();          // space: the stepper plays / pauses
  bool isPlaying() const;

  // --- scoring: the model's top byte after bytes[0..i) for each position i in `positions` ---
  // Runs the column's model over the text (tiny task texts: milliseconds); empty when busy.
  std::vector<int> topBytes(int column, const std::vector<int64_t>& positions);
  std::vector<float> surprisals(int column) const;  // bits, [computed]; NaN at 0

  // --- a whole workspace, for files and autosave ---
  ss::WorkspaceState state() const;
  // Restores what `s` names; returns false with the first error (what loaded stays).
  bool restore(const ss::WorkspaceState& s, QString* error);

 signals:
  void changed();         // the text, models, selection or a column's view changed (autosave listens)
  void modelsChanged();
  void resultsChanged();  // new numbers: scores may have changed
  void selectionChanged();

 private:
  ExplorerWindow* m_window;
};
