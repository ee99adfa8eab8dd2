#include "Workspace.h"

#include <QCoreApplication>

Workspace::Workspace(QObject* parent) : QObject(parent) {
  qRegisterMetaType<ss::View>("ss::View");
  ss::Session::Callbacks cb;
  // Worker thread → GUI thread: queued, so widgets only ever run on the GUI thread.
  cb.frame = [this](ss::FramePtr f) { QMetaObject::invokeMethod(this, [this, f] { onFrame(f); }, Qt::QueuedConnection); };
  cb.status = [this](const ss::Session::Status& s) { QMetaObject::invokeMethod(this, [this, s] { onStatus(s); }, Qt::QueuedConnection); };
  m_session = std::make_unique<ss::Session>(std::move(cb));
}

Workspace::~Workspace() {
  m_session->cancel();
  m_session.reset();  // joins the worker before the rest goes
}

bool Workspace::openModel(const QString& dir, QString* error) {
  std::string err;
  const int before = columnCount();
  const bool ok = m_session->open_model(dir.toStdString(), m_device.toStdString(), m_precision.toStdString(), &err);
  if (!ok && error) *error = QString::fromStdString(err);
  if (columnCount() != before) {
    m_modelsSerial = document().serial;
    emit modelsChanged();
  }
  return ok;
}

void Workspace::closeModel(int column) {
  const int active = activeColumn();
  m_session->close_model(column);
  m_modelsSerial = document().serial;
  m_frames.remove(key(ss::View::Matrix, columnCount()));
  emit modelsChanged();
  if (activeColumn() != active || column == active) emit activeColumnChanged(activeColumn());
}

QString Workspace::columnError(int c) const {
  const ss::ColumnInfo& info = column(c);
  if (!info.loaded()) return QString::fromStdString(info.error);
  return m_errors.value(info.id);
}

QStringList Workspace::columnWarnings(int c) const {
  const ss::ColumnInfo& info = column(c);
  QStringList out;
  for (const std::string& w : info.warnings) out << QString::fromStdString(w);
  if (const QString n = m_notices.value(info.id); !n.isEmpty()) out << n;
  return out;
}

void Workspace::setChoice(int column, LayerChoice c) {
  if (choice(column) == c) return;
  m_session->set_choice(column, c);
  emit choiceChanged(column);
}

bool Workspace::hasSsm(int column) const {
  return column >= 0 && column < columnCount() && this->column(column).loaded() && this->column(column).config.has_ssm();
}

void Workspace::setDeltaAverage(int column, bool on) {
  if (column < 0 || column >= columnCount() || deltaAverage(column) == (on && hasSsm(column))) return;
  m_session->set_delta_average(column, on);
  emit choiceChanged(column);
}

void Workspace::setActiveColumn(int column) {
  if (column == activeColumn() || column < 0 || column >= columnCount()) return;
  m_session->set_active(column);
  emit activeColumnChanged(column);
}

void Workspace::syncBytes() {
  if (m_bytesVersion == textVersion()) return;
  const ss::SharedText& t = document().text;
  m_bytes = QByteArray(reinterpret_cast<const char*>(t.data()), qsizetype(t.size()));
  m_bytesVersion = textVersion();
  emit bytesChanged();
}

void Workspace::setBytes(const QByteArray& bytes) {
  const quint64 v = textVersion();
  // Typing at the end: the session appends the new bytes to the text it holds (each model then runs
  // only them, and nothing copies or compares the whole text); any other edit replaces the text.
  if (m_bytesVersion == v && bytes.size() > m_bytes.size() && bytes.startsWith(m_bytes))
    m_session->append(std::vector<uint8_t>(bytes.begin() + m_bytes.size(), bytes.end()));
  else
    m_session->set_text(std::vector<uint8_t>(bytes.begin(), bytes.end()));
  if (textVersion() != v) {
    m_bytes = bytes;
    m_bytesVersion = textVersion();
    emit bytesChanged();
  }
  emit selectionChanged();
}

bool Workspace::beginStepping() {
  const bool ok = m_session->begin_stepping();
  syncBytes();
  emit selectionChanged();
  return ok;
}

qint64 Workspace::step() {
  const qint64 n = m_session->step(1);
  syncBytes();
  emit selectionChanged();
  return n;
}

void Workspace::feedRest() {
  m_session->feed_rest();
  syncBytes();
  emit selectionChanged();
}

void Workspace::measureCost(const QVector<qint64>& lengths, bool wait) {
  m_session->measure_cost(std::vector<int64_t>(lengths.begin(), lengths.end()));
  if (wait) waitForIdle();
}

void Workspace::selectToken(qint64 t) {
  m_session->select_token(t);
  emit selectionChanged();
}

void Workspace::selectWindow(qint64 a, qint64 b) {
  m_session->select_window(a, b);
  emit selectionChanged();
}

void Workspace::extendSelection(qint64 t) {
  m_session->extend_selection(t);
  emit selectionChanged();
}

void Workspace::waitForIdle() {
  m_session->wait_idle();
  QCoreApplication::sendPostedEvents(this);  // the frames and status the worker queued
}

void Workspace::setViews(const QList<ss::View>& views) {
  if (views == m_views) return;
  m_views = views;
  m_session->set_views(std::vector<ss::View>(views.begin(), views.end()));
}

void Workspace::onFrame(const ss::FramePtr& f) {
  if (f->request < m_modelsSerial) return;  // computed before the models changed: its column may be another now
  const int column = f->view == ss::View::Matrix ? f->column : -1;
  m_frames.insert(key(f->view, column), f);
  emit frameReady(f->view, column);
}

void Workspace::onStatus(const ss::Session::Status& s) {
  const bool wasBusy = m_status.busy;
  const int oldPct = int(m_status.progress * 100);
  m_status = s;
  for (const ss::Engine::ColumnStatus& c : s.columns) {
    const QString e = QString::fromStdString(c.error);
    if (e != m_errors.value(c.id)) {
      m_errors.insert(c.id, e);
      if (!e.isEmpty()) emit errorOccurred(e);
    }
    const QString n = QString::fromStdString(c.notice);
    if (n != m_notices.value(c.id)) {
      m_notices.insert(c.id, n);
      if (!n.isEmpty()) emit errorOccurred(n);  // the column shows it (ExplorerWindow re-syncs the columns)
    }
  }
  if (s.busy != wasBusy) emit busyChanged(s.busy);
  if (int(s.progress * 100) != oldPct || s.busy) emit progressChanged(int(s.progress * 100), QString::fromStdString(s.what));
  emit statusChanged();
  const std::tuple<quint64, qint64, size_t> results{s.text_version, s.computed, s.columns.size()};
  if (!s.busy && results != m_results) {
    m_results = results;
    emit resultsChanged();
  }
}
