// LessonPlayer: runs a lesson (core/lesson.h) on the explorer through a LessonTarget. Opening a
// lesson validates it against its models (errors name file, line and field), opens the models and
// the input; goTo(i) puts the explorer in the state step i names. Steps are cumulative: what a step
// leaves out stays as the steps before it left it, so jumping to step i (PgUp, a workspace file)
// gives the same view as stepping there one by one.
#pragma once

#include <QObject>
#include <QString>
#include <optional>

#include "lesson.h"
#include "task_generator.h"

class LessonTarget;

class LessonPlayer : public QObject {
  Q_OBJECT
 public:
  explicit LessonPlayer(LessonTarget* target, QObject* parent = nullptr);

  // Where bare model names in lessons are looked for (assets/models); found beside the executable by default.
  void setModelsRoot(const QString& dir) { m_modelsRoot = dir; }
  QString modelsRoot() const { return m_modelsRoot; }
  static QString defaultModelsRoot();
  static QString shippedLessonsDir();  // assets/lessons, "" when not found
  static QStringList shippedLessons();  // the .json files there, sorted

  // Loads, validates, opens the models and goes to `step`. On failure returns false with the
  // loader's message ("file:line: field: message") and leaves the current lesson as it was.
  bool open(const QString& path, int step = 0, QString* error = nullptr);
  void close();
  bool isOpen() const { return m_lesson.has_value(); }
  const ss::Lesson& lesson() const { return *m_lesson; }
  QString path() const { return isOpen() ? QString::fromStdString(m_lesson->path) : QString(); }
  int stepCount() const { return isOpen() ? int(m_lesson->steps.size()) : 0; }
  int step() const { return m_step; }
  const ss::LessonStep& currentStep() const { return m_lesson->steps.at(size_t(m_step)); }

  void goTo(int step);
  void next() { goTo(m_step + 1); }
  void previous() { goTo(m_step - 1); }

  QString language() const { return m_language; }
  void setLanguage(const QString& language);  // "en" | "zh"
  QString text(const ss::LocalText& t) const { return QString::fromStdString(t.in(m_language.toStdString())); }

  // The input of the current step, with the positions its task scores (empty for plain text).
  const ss::TaskExample& currentInput() const { return m_input; }

 signals:
  void lessonChanged();
  void stepChanged(int step);
  void languageChanged(const QString& language);

 private:
  LessonTarget* m_target;
  QString m_modelsRoot;
  std::optional<ss::Lesson> m_lesson;
  QStringList m_folders;
  int m_step = 0;
  QString m_language = "en";
  ss::TaskExample m_input;
};
