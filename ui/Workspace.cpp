#include "Workspace.h"

#include <QCoreApplication>
#include <QDir>
#include <QThread>
#include <QtConcurrent/QtConcurrentRun>

#include "error.h"

Workspace::Workspace(QObject* parent) : QObject(parent) {
  connect(&m_watcher, &QFutureWatcher<void>::finished, this, &Workspace::onUpdateFinished);
}

Workspace::~Workspace() {
  m_cancel = true;
  m_watcher.waitForFinished();
}

bool Workspace::openModel(const QString& dir, QString* error) {
  if (int(m_columns.size()) >= kMaxColumns) {
    if (error) *error = tr("at most %1 models side by side").arg(kMaxColumns);
    return false;
  }
  waitForIdle();
  try {
    Column c;
    c.exploration = ss::Exploration::open(QDir(dir).absolutePath().toStdString(), ss::make_backend(m_device.toStdString(), ss::parse_precision(m_precision.toStdString())));
    m_columns.push_back(std::move(c));
  } catch (const std::exception& e) {
    if (error) *error = QString::fromStdString(e.what());
    return false;
  }
  invalidate();
  emit modelsChanged();
  if (!m_bytes.isEmpty()) {  // bring the new model up to the text
    const QByteArray b = m_bytes;
    m_bytes.clear();
    setBytes(b);
  }
  return true;
}

void Workspace::closeModel(int column) {
  waitForIdle();
  m_columns.erase(m_columns.begin() + column);
  m_active = std::clamp(m_active, 0, std::max(0, columnCount() - 1));
  invalidate();
  emit modelsChanged();
  emit resultsChanged();
}

void Workspace::setChoice(int column, LayerChoice c) {
  if (m_columns.at(column).choice == c) return;
  m_columns.at(column).choice = c;
  emit choiceChanged(column);
}

void Workspace::setActiveColumn(int column) {
  if (column == m_active || column < 0 || column >= columnCount()) return;
  m_active = column;
  emit activeColumnChanged(column);
}

qint64 Workspace::computed() const {
  if (m_columns.empty()) return 0;
  qint64 n = m_bytes.size();
  for (const Column& c : m_columns) n = std::min<qint64>(n, c.exploration->computed());
  return n;
}

void Workspace::setBytes(const QByteArray& bytes) {
  if (bytes == m_bytes && computed() == m_bytes.size()) return;
  // The work: from the snapshot at or before the first changed byte to the end, per model.
  qint64 common = 0;
  const qint64 n = std::min(bytes.size(), m_bytes.size());
  while (common < n && bytes[common] == m_bytes[common]) ++common;
  m_bytes = bytes;
  invalidate();
  emit bytesChanged();
  if (m_busy) {  // the worker holds the models: cancel it and run again when it stops
    m_pending = true;
    m_cancel = true;
    return;
  }
  qint64 work = 0;
  for (const Column& c : m_columns) {
    const qint64 from = std::min<qint64>(c.exploration->computed(), (common / c.exploration->snapshot_every()) * c.exploration->snapshot_every());
    work += bytes.size() - from;
  }
  if (work <= kSyncTokens) {
    const std::vector<uint8_t> b(m_bytes.begin(), m_bytes.end());
    try {
      for (Column& c : m_columns) c.exploration->set_bytes(b);
    } catch (const std::exception& e) {
      emit errorOccurred(QString::fromStdString(e.what()));
    }
    clampSelection();
    emit resultsChanged();
    emit selectionChanged();
    return;
  }
  startUpdate();
}

void Workspace::startUpdate() {
  m_busy = true;
  m_pending = false;
  m_cancel = false;
  emit busyChanged(true);
  const std::vector<uint8_t> b(m_bytes.begin(), m_bytes.end());
  std::vector<ss::Exploration*> ex;
  for (Column& c : m_columns) ex.push_back(c.exploration.get());
  m_watcher.setFuture(QtConcurrent::run([this, b, ex] {
    for (size_t i = 0; i < ex.size(); ++i) {
      ss::RunControl rc;
      rc.cancel = &m_cancel;
      const QString what = QString::fromStdString(ex[i]->name());
      rc.progress = [this, i, n = ex.size(), what](int64_t done, int64_t total) {
        const int pct = int(100.0 * (i + double(done) / std::max<int64_t>(total, 1)) / n);
        QMetaObject::invokeMethod(this, [this, pct, what] { emit progressChanged(pct, what); }, Qt::QueuedConnection);
      };
      try {
        ex[i]->set_bytes(b, rc);
      } catch (const std::exception& e) {
        const QString msg = QString::fromStdString(e.what());
        QMetaObject::invokeMethod(this, [this, msg] { emit errorOccurred(msg); }, Qt::QueuedConnection);
      }
      if (m_cancel) break;
    }
  }));
}

void Workspace::measureCost(const QVector<qint64>& lengths, bool wait) {
  if (m_busy) return;
  std::vector<ss::Exploration*> ex;
  for (Column& c : m_columns) ex.push_back(c.exploration.get());
  m_costRunning = QVector<QVector<ss::CostSample>>(int(ex.size()));
  const std::vector<int64_t> L(lengths.begin(), lengths.end());
  auto work = [this, ex, L] {
    ss::RunControl rc;
    rc.cancel = &m_cancel;
    for (size_t i = 0; i < ex.size() && !m_cancel; ++i) {
      const QString what = tr("timing %1").arg(QString::fromStdString(ex[i]->name()));
      rc.progress = [this, i, n = ex.size(), what](int64_t done, int64_t total) {
        const int pct = int(100.0 * (i + double(done) / std::max<int64_t>(total, 1)) / n);
        QMetaObject::invokeMethod(this, [this, pct, what] { emit progressChanged(pct, what); }, Qt::QueuedConnection);
      };
      const auto samples = ex[i]->measure_cost(L, 2, rc);
      m_costRunning[int(i)] = QVector<ss::CostSample>(samples.begin(), samples.end());
    }
  };
  m_cancel = false;
  if (wait) {
    work();
    m_cost = m_costRunning;
    emit costChanged();
    return;
  }
  m_busy = true;
  m_measuring = true;
  emit busyChanged(true);
  m_watcher.setFuture(QtConcurrent::run(work));
}

void Workspace::onUpdateFinished() {
  m_busy = false;
  if (m_measuring) {
    m_measuring = false;
    m_cost = m_costRunning;
    emit costChanged();
  }
  invalidate();
  if (m_pending) {
    startUpdate();
    return;
  }
  emit busyChanged(false);
  emit progressChanged(100, QString());
  clampSelection();
  emit resultsChanged();
  emit selectionChanged();
}

void Workspace::cancel() {
  m_pending = false;
  m_cancel = true;
}

void Workspace::waitForIdle() {
  while (m_busy) {
    m_watcher.waitForFinished();
    QCoreApplication::sendPostedEvents();
    QCoreApplication::processEvents();
  }
}

void Workspace::clampSelection() {
  const qint64 n = computed();
  if (n == 0) {
    m_token = m_w0 = m_w1 = 0;
    return;
  }
  if (m_explicitWindow && m_w1 <= n) {
    m_token = std::clamp<qint64>(m_token, m_w0, m_w1 - 1);
    return;
  }
  m_explicitWindow = false;
  m_token = std::clamp<qint64>(m_token, 0, n - 1);
  m_w0 = std::clamp<qint64>(m_token - kDefaultWindow / 2, 0, std::max<qint64>(0, n - kDefaultWindow));
  m_w1 = std::min(n, m_w0 + kDefaultWindow);
}

void Workspace::selectToken(qint64 t) {
  m_token = t;
  m_anchor = t;
  const qint64 w0 = m_w0, w1 = m_w1;
  if (m_explicitWindow && t >= m_w0 && t < m_w1) {  // moving inside a chosen window keeps it
    emit selectionChanged();
    return;
  }
  m_explicitWindow = false;
  clampSelection();
  if (w0 != m_w0 || w1 != m_w1) invalidate();
  emit selectionChanged();
}

void Workspace::selectWindow(qint64 a, qint64 b) {
  const qint64 n = computed();
  if (n == 0) return;
  a = std::clamp<qint64>(a, 0, n - 1);
  b = std::clamp<qint64>(b, 0, n - 1);
  m_w0 = std::min(a, b);
  m_w1 = std::max(a, b) + 1;
  m_token = b;
  m_explicitWindow = true;
  invalidate();
  emit selectionChanged();
}

void Workspace::extendSelection(qint64 t) { selectWindow(m_anchor, t); }

ss::LayerWindow Workspace::layerWindow(int column, unsigned parts) {
  const LayerChoice c = choice(column);
  return layerWindow(column, c.layer, m_w0, m_w1, parts, c.head);
}

ss::LayerWindow Workspace::layerWindow(int column, int layer, qint64 t0, qint64 t1, unsigned parts, int head) {
  // Windows of up to kSharedWindow tokens are traced once with every part the views of this layer
  // kind use (one rerun from the snapshot serves the Δ, state and matrix views together).
  const bool attn = exploration(column).config().mixers.at(layer) == ss::MixerKind::Attention;
  if (t1 - t0 <= kSharedWindow) parts |= attn ? ss::kWindowAttention : (ss::kWindowGate | ss::kWindowStates);
  for (const CachedWindow& w : m_cache)
    if (w.column == column && w.layer == layer && w.head == head && w.t0 == t0 && w.t1 == t1 && (w.parts & parts) == parts)
      return w.window;
  if (m_cache.size() >= 8) m_cache.erase(m_cache.begin());
  m_cache.push_back(CachedWindow{column, layer, head, t0, t1, parts,
                                 exploration(column).trace_window(layer, t0, t1, parts, head)});
  return m_cache.back().window;
}
