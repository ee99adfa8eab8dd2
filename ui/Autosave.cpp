#include "Autosave.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QStandardPaths>

namespace {
QString lockPathOf(const QString& autosavePath) { return autosavePath.chopped(QString(".statescope").size()) + ".lock"; }
}

Autosave::Autosave(const QString& dir, std::function<ss::WorkspaceState()> snapshot, QObject* parent)
    : QObject(parent), m_snapshot(std::move(snapshot)) {
  QDir().mkpath(dir);
  m_path = QDir(dir).filePath(QString("autosave-%1.statescope").arg(QCoreApplication::applicationPid()));
  m_lock = std::make_unique<QLockFile>(lockPathOf(m_path));
  m_lock->setStaleLockTime(0);  // stale only when its process is gone, never by age
  m_lock->tryLock(0);
  m_timer.setSingleShot(true);
  m_timer.setInterval(kDelayMs);
  connect(&m_timer, &QTimer::timeout, this, &Autosave::saveNow);
}

Autosave::~Autosave() {
  QFile::remove(m_path);
  m_lock->unlock();
}

QString Autosave::defaultDir() { return QStandardPaths::writableLocation(QStandardPaths::AppLocalDataLocation) + "/autosave"; }

void Autosave::markDirty() {
  if (!m_timer.isActive()) m_timer.start();  // at most one save per kDelayMs while changes go on
}

void Autosave::saveNow() {
  m_timer.stop();
  try {
    ss::save_workspace(m_snapshot(), m_path.toStdString());
    ++m_saves;
    emit saved(m_path);
  } catch (const std::exception& e) {
    emit failed(QString::fromStdString(e.what()));
  }
}

QStringList Autosave::crashedSessions(const QString& dir) {
  QStringList out;
  const QFileInfoList files = QDir(dir).entryInfoList({"autosave-*.statescope"}, QDir::Files, QDir::Time);
  for (const QFileInfo& f : files) {
    QLockFile lock(lockPathOf(f.absoluteFilePath()));
    lock.setStaleLockTime(0);
    // Free (no lock file: the process died before locking) or stale (its process is gone).
    if (lock.tryLock(0)) {
      lock.unlock();
      out << f.absoluteFilePath();
    }
  }
  return out;
}

bool Autosave::take(const QString& path, ss::WorkspaceState* state, QString* error) {
  try {
    *state = ss::load_workspace(path.toStdString());
  } catch (const std::exception& e) {
    if (error) *error = QString::fromStdString(e.what());
    return false;
  }
  QFile::remove(path);
  QFile::remove(lockPathOf(path));
  return true;
}
