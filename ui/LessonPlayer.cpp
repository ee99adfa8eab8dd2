#include "LessonPlayer.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>

#include "LessonTarget.h"
#include "json_document.h"

LessonPlayer::LessonPlayer(LessonTarget* target, QObject* parent) : QObject(parent), m_target(target), m_modelsRoot(defaultModelsRoot()) {}

namespace {
QString findAssets(const QString& sub) {
  const QString exe = QCoreApplication::applicationDirPath();
  for (const QString& r : {exe, exe + "/..", exe + "/../..", exe + "/../share/statescope", QStringLiteral(STATESCOPE_SOURCE_DIR)}) {
    const QString d = QDir::cleanPath(r + "/assets/" + sub);
    if (QFileInfo(d).isDir()) return d;
  }
  return QString();
}
}  // namespace

QString LessonPlayer::defaultModelsRoot() { return findAssets("models"); }
QString LessonPlayer::shippedLessonsDir() { return findAssets("lessons"); }

QStringList LessonPlayer::shippedLessons() {
  const QString d = shippedLessonsDir();
  QStringList out;
  if (d.isEmpty()) return out;
  for (const QString& f : QDir(d).entryList({"*.json"}, QDir::Files, QDir::Name)) out << d + "/" + f;
  return out;
}

bool LessonPlayer::open(const QString& path, int step, QString* error) {
  ss::Lesson lesson;
  std::vector<std::string> folders;
  try {
    lesson = ss::load_lesson(QFileInfo(path).absoluteFilePath().toStdString());
    folders = ss::check_lesson_folders(lesson, m_modelsRoot.toStdString());
  } catch (const std::exception& e) {
    if (error) *error = QString::fromStdString(e.what());
    return false;
  }
  QStringList dirs;
  for (const auto& f : folders) dirs << QString::fromStdString(f);
  QString err;
  if (!m_target->setModels(dirs, &err)) {
    if (error) *error = QString::fromStdString(lesson.path) + ": models: " + err;
    return false;
  }
  m_lesson = std::move(lesson);
  m_folders = dirs;
  m_step = 0;
  goTo(std::clamp(step, 0, stepCount() - 1));
  emit lessonChanged();
  return true;
}

void LessonPlayer::close() {
  m_lesson.reset();
  m_step = 0;
  m_input = {};
  emit lessonChanged();
}

void LessonPlayer::setLanguage(const QString& language) {
  if (language == m_language) return;
  m_language = language;
  emit languageChanged(language);
}

void LessonPlayer::goTo(int step) {
  if (!isOpen()) return;
  step = std::clamp(step, 0, stepCount() - 1);
  const ss::Lesson& l = *m_lesson;
  // What steps 0..step add up to.
  const ss::LessonInput* input = &l.input;
  const ss::LessonStep* selection = nullptr;
  std::string active;
  std::map<std::string, ss::ModelView> views;
  std::vector<std::string> panels;
  std::map<std::string, std::string> scales;
  for (int i = 0; i <= step; ++i) {
    const ss::LessonStep& s = l.steps[size_t(i)];
    if (s.input) { input = &*s.input; selection = nullptr; }
    if (s.token || s.window) selection = &s;
    if (!s.active.empty()) active = s.active;
    for (const auto& [name, v] : s.models) {
      ss::ModelView& m = views[name];
      if (v.layer >= 0) m.layer = v.layer;
      if (v.head >= 0) m.head = v.head;
      if (v.channel >= 0) m.channel = v.channel;
      if (v.delta_average >= 0) m.delta_average = v.delta_average;
    }
    if (!s.panels.empty()) panels = s.panels;
    for (const auto& [k, v] : s.scales) scales[k] = v;
  }
  // The models may have been changed by hand since: bring the lesson's back.
  if (m_target->modelFolders() != m_folders) m_target->setModels(m_folders, nullptr);
  // Δ → average as the steps so far set it (a lesson starts with the trained models), before the
  // text runs, so that the selection below sees the intervened model's computed tokens.
  for (size_t c = 0; c < l.models.size() && int(c) < m_target->columnCount(); ++c) {
    const auto it = views.find(l.models[c].name);
    m_target->setDeltaAverage(int(c), it != views.end() && it->second.delta_average == 1);
  }
  try {
    m_input = ss::lesson_input_bytes(l, *input);
  } catch (const std::exception&) {
    m_input = {};
  }
  m_target->setInput(QByteArray::fromStdString(m_input.bytes));
  m_target->waitForIdle();
  for (const auto& [name, v] : views) {
    const int c = l.model_index(name);
    if (c >= 0 && c < m_target->columnCount()) m_target->setView(c, {v.layer, v.head, v.channel});
  }
  if (!active.empty()) m_target->setActiveColumn(l.model_index(active));
  if (!panels.empty()) {
    QStringList keys;
    for (const auto& p : panels) keys << QString::fromStdString(p);
    m_target->showOnlyPanels(keys);
  }
  for (const auto& [k, v] : scales) m_target->setScale(QString::fromStdString(k), QString::fromStdString(v));
  const qint64 n = m_target->computed();
  auto resolve = [n](int64_t t) { return std::clamp<qint64>(t < 0 ? n + t : t, 0, std::max<qint64>(n - 1, 0)); };
  if (selection && selection->window) {
    m_target->selectWindow(resolve(selection->window->first), resolve(selection->window->second));
    if (selection->token) m_target->selectToken(resolve(*selection->token));
  } else if (selection && selection->token) {
    m_target->selectToken(resolve(*selection->token));
  } else {
    m_target->selectToken(0);
  }
  m_step = step;
  emit stepChanged(step);
}
