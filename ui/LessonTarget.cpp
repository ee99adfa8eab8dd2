#include "LessonTarget.h"

#include <QComboBox>
#include <QDir>
#include <QDockWidget>
#include <QFileInfo>
#include <algorithm>
#include <cmath>

#include "ExplorerWindow.h"
#include "InputEditor.h"
#include "Panel.h"
#include "Panels.h"
#include "Stepper.h"
#include "Workspace.h"
#include "exploration.h"

namespace {
// The explorer's colour scales by the names lessons and workspace files use (ui/Colormap.h).
int scaleId(const QString& name) { return name == "linear" ? 0 : name == "log" ? 1 : name == "signed" ? 2 : -1; }
QString scaleName(int id) { return id == 0 ? "linear" : id == 1 ? "log" : id == 2 ? "signed" : QString(); }

// The colour-scale box of a view: the combo box whose items are colour scales.
QComboBox* scaleBox(QWidget* panel) {
  if (!panel) return nullptr;
  for (QComboBox* box : panel->findChildren<QComboBox*>()) {
    const int n = box->count();
    bool scales = n >= 2;
    for (int i = 0; scales && i < n; ++i) {
      const QString t = box->itemText(i).toLower();
      scales = t.contains("scale") || t.contains("signed");
    }
    if (scales) return box;
  }
  return nullptr;
}
}  // namespace

LessonTarget::LessonTarget(ExplorerWindow* window) : QObject(window), m_window(window) {
  Workspace* ws = window->workspace();
  connect(ws, &Workspace::bytesChanged, this, &LessonTarget::changed);
  connect(ws, &Workspace::selectionChanged, this, &LessonTarget::changed);
  connect(ws, &Workspace::choiceChanged, this, &LessonTarget::changed);
  connect(ws, &Workspace::activeColumnChanged, this, &LessonTarget::changed);
  connect(ws, &Workspace::modelsChanged, this, &LessonTarget::changed);
  connect(ws, &Workspace::modelsChanged, this, &LessonTarget::modelsChanged);
  connect(ws, &Workspace::resultsChanged, this, &LessonTarget::resultsChanged);
  connect(ws, &Workspace::selectionChanged, this, &LessonTarget::selectionChanged);
}

QStringList LessonTarget::modelFolders() const {
  QStringList out;
  Workspace* ws = m_window->workspace();
  for (int c = 0; c < ws->columnCount(); ++c) out << QDir::cleanPath(QString::fromStdString(ws->column(c).dir));
  return out;
}

bool LessonTarget::setModels(const QStringList& wanted, QString* error) {
  Workspace* ws = m_window->workspace();
  QStringList clean;
  for (const QString& f : wanted) clean << QDir::cleanPath(QFileInfo(f).absoluteFilePath());
  if (modelFolders() == clean) return true;
  while (ws->columnCount() > 0) ws->closeModel(ws->columnCount() - 1);
  for (const QString& f : clean) {
    QString err;
    if (!ws->openModel(f, &err)) {
      if (error) *error = QFileInfo(f).fileName() + ": " + err;
      return false;
    }
  }
  return true;
}

int LessonTarget::columnCount() const { return m_window->workspace()->columnCount(); }
QString LessonTarget::modelName(int column) const { return QString::fromStdString(m_window->workspace()->column(column).name); }
int LessonTarget::layerCount(int column) const { return m_window->workspace()->column(column).config.n_layers; }

QByteArray LessonTarget::input() const { return m_window->workspace()->bytes(); }
void LessonTarget::setInput(const QByteArray& bytes) {
  if (bytes == input()) return;
  m_window->stepper()->stop();
  m_window->setText(bytes);
}
qint64 LessonTarget::computed() const { return m_window->workspace()->computed(); }
void LessonTarget::waitForIdle() { m_window->workspace()->waitForIdle(); }
bool LessonTarget::isBusy() const { return m_window->workspace()->isBusy(); }

qint64 LessonTarget::token() const { return m_window->workspace()->token(); }
qint64 LessonTarget::windowStart() const { return m_window->workspace()->windowStart(); }
qint64 LessonTarget::windowEnd() const { return m_window->workspace()->windowEnd(); }
bool LessonTarget::hasExplicitWindow() const { return m_window->workspace()->hasExplicitWindow(); }

void LessonTarget::selectToken(qint64 t) {
  const qint64 n = computed();
  if (n > 0) m_window->workspace()->selectToken(std::clamp<qint64>(t, 0, n - 1));
}
void LessonTarget::selectWindow(qint64 a, qint64 b) { m_window->workspace()->selectWindow(a, b); }

LessonTarget::View LessonTarget::view(int column) const {
  const LayerChoice c = m_window->workspace()->choice(column);
  return {c.layer, c.head, c.channel};
}
void LessonTarget::setView(int column, View v) {
  Workspace* ws = m_window->workspace();
  LayerChoice c = ws->choice(column);
  if (v.layer >= 0) c.layer = std::min(v.layer, layerCount(column) - 1);
  if (v.head >= 0) c.head = v.head;
  if (v.channel >= 0) c.channel = v.channel;
  ws->setChoice(column, c);
}
int LessonTarget::activeColumn() const { return m_window->workspace()->activeColumn(); }
void LessonTarget::setActiveColumn(int column) { m_window->workspace()->setActiveColumn(column); }

QStringList LessonTarget::panelKeys() const { return Panels::keys(); }

QStringList LessonTarget::visiblePanels() const {
  QStringList out;
  for (const QString& k : Panels::keys()) {
    auto* d = m_window->findChild<QDockWidget*>("dock-" + k);
    if (d && !d->isHidden()) out << k;
  }
  return out;
}

void LessonTarget::showOnlyPanels(const QStringList& keys) {
  for (const QString& k : Panels::keys())
    if (auto* d = m_window->findChild<QDockWidget*>("dock-" + k)) {
      d->setVisible(keys.contains(k));
      if (keys.contains(k)) d->raise();  // a tabbed dock comes to the front
    }
}

QWidget* LessonTarget::panelWidget(const QString& key) const { return m_window->panel(key); }
QString LessonTarget::panelTitle(const QString& key) const { return m_window->panel(key) ? m_window->panel(key)->title() : key; }
QString LessonTarget::panelHelp(const QString& key) const { return m_window->panel(key) ? m_window->panel(key)->help() : QString(); }

QString LessonTarget::scale(const QString& key) const {
  QComboBox* box = scaleBox(m_window->panel(key));
  return box ? scaleName(box->currentData().toInt()) : QString();
}

bool LessonTarget::setScale(const QString& key, const QString& scale) {
  QComboBox* box = scaleBox(m_window->panel(key));
  const int i = box ? box->findData(scaleId(scale)) : -1;
  if (i < 0) return false;
  box->setCurrentIndex(i);
  return true;
}

QWidget* LessonTarget::inputEditor() const { return m_window->inputEditor(); }
QWidget* LessonTarget::modelsDock() const { return m_window->findChild<QDockWidget*>("dock-models"); }

void LessonTarget::stepToken(int delta) {
  m_window->stepper()->pause();
  selectToken(token() + delta);
}

void LessonTarget::togglePlay() {
  Stepper* s = m_window->stepper();
  if (s->isPlaying()) s->pause();
  else s->play();
}
bool LessonTarget::isPlaying() const { return m_window->stepper()->isPlaying(); }

bool LessonTarget::deltaAverage(int column) const { return m_window->workspace()->deltaAverage(column); }

void LessonTarget::setDeltaAverage(int column, bool on) { m_window->workspace()->setDeltaAverage(column, on); }

std::vector<int> LessonTarget::topBytes(int column, const std::vector<int64_t>& positions) {
  Workspace* ws = m_window->workspace();
  std::vector<int> top(size_t(ws->bytes().size()), -1);
  if (ws->isBusy() || column < 0 || column >= ws->columnCount() || positions.empty()) return {};
  const int64_t last = *std::max_element(positions.begin(), positions.end());
  if (last < 1 || last > ws->computed() - 1) return {};
  // On the session's worker, the only thread that touches a model.
  ws->session().run_on_worker([&](ss::Engine& e, const ss::Document& d) {
    const ss::Exploration* ex = e.exploration(d, column);
    if (!ex || d.size() <= last || !(d.text == ex->bytes())) return;
    // Δ → average: the means of the whole text (the column's), which the prefix then uses exactly.
    if (ex->delta_average() && ex->intervention().delta_means.empty()) return;
    const ss::Model& model = ex->model();
    std::vector<int32_t> tokens(d.text.begin(), d.text.begin() + last);
    ss::ModelState st = model.initial_state();
    const ss::Tensor logits = model.forward(tokens, st, {}, true, ex->intervention());  // [last, V]: row i predicts byte i + 1
    const int64_t V = logits.size(1);
    for (int64_t p : positions) {
      if (p < 1 || p > last) continue;
      const float* row = logits.data() + (p - 1) * V;
      top[size_t(p)] = int(std::max_element(row, row + V) - row);
    }
  });
  return top;
}

std::vector<float> LessonTarget::surprisals(int column) const {
  Workspace* ws = m_window->workspace();
  if (column < 0 || column >= ws->columnCount()) return {};
  std::vector<float> out;
  ws->session().run_on_worker([&](ss::Engine& e, const ss::Document& d) {
    if (const ss::Exploration* ex = e.exploration(d, column)) out = ex->surprisals();
  });
  return out;
}

ss::WorkspaceState LessonTarget::state() const {
  Workspace* ws = m_window->workspace();
  ss::WorkspaceState s;
  s.input = ws->bytes().toStdString();
  const QStringList folders = modelFolders();
  for (int c = 0; c < ws->columnCount(); ++c) {
    const LayerChoice ch = ws->choice(c);
    s.columns.push_back({folders[c].toStdString(), ch.layer, ch.head, ch.channel, ws->deltaAverage(c), ch.attention_part});
  }
  s.active_column = ws->activeColumn();
  s.token = ws->token();
  if (ws->hasExplicitWindow()) s.window = std::make_pair(qint64(ws->windowStart()), qint64(ws->windowEnd()));
  s.window_state = m_window->saveState().toBase64().toStdString();
  for (const QString& k : visiblePanels()) s.visible_panels.push_back(k.toStdString());
  for (const QString& k : Panels::keys()) {
    const QString sc = scale(k);
    if (!sc.isEmpty()) s.scales[k.toStdString()] = sc.toStdString();
  }
  s.dark = m_window->isDark();
  return s;
}

bool LessonTarget::restore(const ss::WorkspaceState& s, QString* error) {
  QStringList folders;
  for (const auto& c : s.columns) folders << QString::fromStdString(c.folder);
  const bool modelsOk = setModels(folders, error);
  setInput(QByteArray::fromStdString(s.input));
  waitForIdle();
  Workspace* ws = m_window->workspace();
  for (int c = 0; c < std::min<int>(ws->columnCount(), int(s.columns.size())); ++c) {
    setView(c, {s.columns[size_t(c)].layer, s.columns[size_t(c)].head, s.columns[size_t(c)].channel});
    if (s.columns[size_t(c)].attention_part) {  // the attention part of a parallel layer (Falcon-H1, Zamba2)
      LayerChoice ch = ws->choice(c);
      ch.attention_part = true;
      ws->setChoice(c, ch);
    }
  }
  for (int c = 0; c < std::min<int>(ws->columnCount(), int(s.columns.size())); ++c)
    if (s.columns[size_t(c)].delta_average) setDeltaAverage(c, true);  // shown as intervened, as when saved
  setActiveColumn(s.active_column);
  if (s.window) {
    selectWindow(s.window->first, s.window->second - 1);
    selectToken(s.token);
  } else {
    selectToken(s.token);
  }
  if (!s.window_state.empty()) m_window->restoreState(QByteArray::fromBase64(QByteArray::fromStdString(s.window_state)));
  if (!s.visible_panels.empty()) {
    QStringList keys;
    for (const auto& k : s.visible_panels) keys << QString::fromStdString(k);
    showOnlyPanels(keys);
  }
  for (const auto& [k, v] : s.scales) setScale(QString::fromStdString(k), QString::fromStdString(v));
  if (s.dark != m_window->isDark()) m_window->setDark(s.dark);
  return modelsOk;
}
