// Autosave: a few seconds after any change (text, models, selection, lesson step), the whole
// workspace is written, atomically, to DIR/autosave-PID.statescope, next to a lock file held while
// this process runs. A clean exit removes both. After a crash or a killed process the lock is
// stale (its process is gone): crashedSessions() finds those files and the app offers to restore.
#pragma once

#include <QLockFile>
#include <QObject>
#include <QTimer>
#include <functional>
#include <memory>

#include "workspace_file.h"

class Autosave : public QObject {
  Q_OBJECT
 public:
  static constexpr int kDelayMs = 3000;  // after the last change

  // `snapshot` gives the workspace to save. Takes the lock at once; saves start after markDirty().
  Autosave(const QString& dir, std::function<ss::WorkspaceState()> snapshot, QObject* parent = nullptr);
  ~Autosave() override;  // a clean exit: removes the file and the lock

  static QString defaultDir();                  // <app data>/autosave
  static QStringList crashedSessions(const QString& dir);  // newest first; their locks are stale
  // Reads a crashed session's file; on success removes it (and its lock) so it is offered once.
  static bool take(const QString& path, ss::WorkspaceState* state, QString* error);

  QString path() const { return m_path; }
  void setDelay(int ms) { m_timer.setInterval(ms); }
  int savesWritten() const { return m_saves; }

 public slots:
  void markDirty();
  void saveNow();

 signals:
  void saved(const QString& path);
  void failed(const QString& message);

 private:
  QString m_path;
  std::unique_ptr<QLockFile> m_lock;
  std::function<ss::WorkspaceState()> m_snapshot;
  QTimer m_timer;
  int m_saves = 0;
};
