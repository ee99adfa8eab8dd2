// TaskNotes: what a task model expects, and how it does. When a model folder carries a task.json
// (the mqar-* and noise-* models), this view says which task it was trained on and in what format,
// its measured results and caveats (e.g. "this model never learned recall"), offers to make a
// matching input, and scores the current text the way the task is scored: accuracy over the
// answer positions only (phone book, selective copying, induction), bits per byte over the text
// bytes only (noise padding; junk bytes are not counted).
#pragma once

#include <QJsonObject>
#include <QWidget>

#include "task_generator.h"

class LessonTarget;
class QPushButton;
class QTextBrowser;

class TaskNotes : public QWidget {
  Q_OBJECT
 public:
  explicit TaskNotes(LessonTarget* target, QWidget* parent = nullptr);
  bool hasTaskModels() const { return m_anyTask; }
  QString text() const;  // what the view shows (tests)
  // The score of one column on the current text, as shown (NaN when nothing is scored).
  struct Score { QString task; qint64 scored = 0; double accuracy = 0; double bitsPerByte = 0; };
  Score score(int column);
  // A task.json read into what the notes need. `ok` false when the folder has none or it is malformed.
  struct Task { bool ok = false; QString error; ss::TaskKind kind = ss::TaskKind::Mqar; QJsonObject json; };
  static Task readTask(const QString& modelFolder);

 protected:
  void changeEvent(QEvent* e) override;

 signals:
  void taskModelsOpened();  // a model with a task.json was opened (the window shows this view)
  void inputMade(const QByteArray& bytes);

 public slots:
  void makeInput();  // a fresh input in the task of the active column's model

 private:
  void rebuild();
  void rescore();
  LessonTarget* m_target;
  QTextBrowser* m_text;
  QPushButton* m_make;
  bool m_anyTask = false;
  bool m_rescoreQueued = false;
};
