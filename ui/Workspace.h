// Workspace: the Qt face of the explorer's ss::Session (session/session.h explains the design). The
// session owns the text, the models (on its worker thread) and the cache of results; the workspace
// forwards the GUI's changes to it and hands the frames and the worker's status to the GUI thread as
// queued signals. It computes nothing and touches no model: views draw the frames it keeps.
#pragma once

#include <QByteArray>
#include <QHash>
#include <QObject>
#include <QString>
#include <QStringList>
#include <QVector>
#include <memory>
#include <tuple>

#include "session.h"

using LayerChoice = ss::Choice;

class Workspace : public QObject {
  Q_OBJECT
 public:
  static constexpr qint64 kDefaultWindow = ss::Document::kDefaultWindow;
  static constexpr int kMaxColumns = ss::Session::kMaxColumns;
  static constexpr qint64 kSharedWindow = ss::Engine::kSharedWindow;

  explicit Workspace(QObject* parent = nullptr);
  ~Workspace() override;

  ss::Session& session() { return *m_session; }  // for drivers such as a lesson player
  const ss::Document& document() const { return m_session->document(); }

  // --- models ---
  void setDevice(const QString& device) { m_device = device; }  // cpu | cuda | auto, for models opened next
  void setPrecision(const QString& p) { m_precision = p; }     // fp32 | bf16 (bf16 needs the GPU), likewise
  // Loads the folder (on this thread) and hands it to the worker. A model that fails keeps a column
  // that says why; returns false with the reason.
  bool openModel(const QString& dir, QString* error = nullptr);
  void closeModel(int column);
  int columnCount() const { return int(document().columns.size()); }
  const ss::ColumnInfo& column(int c) const { return *document().columns.at(c); }
  QString columnError(int c) const;  // why a column shows nothing: load failure or the worker's error
  // What to know about a loaded column's numbers: tensors its config does not use, a GPU fault that
  // sent it to the CPU (at load or later); shown beside the model, as the CLI prints them.
  QStringList columnWarnings(int c) const;
  LayerChoice choice(int column) const { return document().choices.at(column); }
  void setChoice(int column, LayerChoice c);
  // Δ → average (core/intervention.h) for a column: its every view then shows the intervened model
  // (every SSM layer's Δ replaced by its mean over the text). Only for models with SSM layers.
  bool hasSsm(int column) const;
  bool deltaAverage(int column) const { return document().averaged(column); }
  void setDeltaAverage(int column, bool on);
  int activeColumn() const { return document().active; }
  void setActiveColumn(int column);

  // --- the text (the session's one copy) ---
  const QByteArray& bytes() const { return m_bytes; }
  quint64 textVersion() const { return document().text_version; }
  void setBytes(const QByteArray& bytes);
  void appendBytes(const QByteArray& more) { setBytes(m_bytes + more); }
  qint64 computed() const { return m_status.computed; }  // bytes every model holds (as last reported)
  bool isBusy() const { return m_status.busy; }
  bool isPaused() const { return m_status.paused; }      // cancelled: resume() continues
  const ss::Session::Status& status() const { return m_status; }
  void cancel() { m_session->cancel(); }
  void resume() { m_session->resume(); }
  // Blocks until the worker has finished the newest state, then delivers its frames and status.
  void waitForIdle();

  // --- stepping: the text is cut after the selected token, each step feeds one more byte ---
  bool isStepping() const { return document().stepping; }
  qint64 pendingBytes() const { return qint64(document().pending.size()); }
  bool beginStepping();
  qint64 step();
  void feedRest();

  // --- cost chart: forward time vs length for every model (on the worker; `wait` blocks) ---
  void measureCost(const QVector<qint64>& lengths, bool wait = false);

  // --- selection: token t and a window [windowStart, windowEnd) of tokens ---
  qint64 token() const { return document().token; }
  qint64 windowStart() const { return document().w0; }
  qint64 windowEnd() const { return document().w1; }
  bool hasExplicitWindow() const { return document().explicit_window; }
  bool followsEnd() const { return document().follow_end; }
  void selectToken(qint64 t);
  void selectWindow(qint64 a, qint64 b);
  void extendSelection(qint64 t);

  // The views the worker builds frames for after every change (the shown panels; all by default).
  void setViews(const QList<ss::View>& views);
  QList<ss::View> views() const { return m_views; }

  // --- frames: the newest of each view (Matrix: per column; the others: column -1) ---
  ss::FramePtr frame(ss::View v, int column = -1) const { return m_frames.value(key(v, column)); }
  void requestBlockRank(int column, qint64 r0, qint64 c0, qint64 r1, qint64 c1) { m_session->request_block_rank(column, r0, c0, r1, c1); }
  void requestCellTerms(int column, qint64 row, qint64 col) { m_session->request_cell_terms(column, row, col); }

 signals:
  void modelsChanged();
  void choiceChanged(int column);  // its layer / head / channel, or its Δ → average switch
  void activeColumnChanged(int column);
  void bytesChanged();
  void selectionChanged();
  void frameReady(ss::View view, int column);  // a new frame (GUI thread)
  void statusChanged();                        // computed / busy / progress / errors changed
  void resultsChanged();                       // the models hold a new text (or more of it): not busy any more
  void busyChanged(bool busy);
  void progressChanged(int percent, const QString& what);
  void errorOccurred(const QString& message);

 private:
  static int key(ss::View v, int column) { return int(v) * 64 + column + 1; }
  void onFrame(const ss::FramePtr& f);
  void onStatus(const ss::Session::Status& s);
  void syncBytes();

  std::unique_ptr<ss::Session> m_session;
  QString m_device = "auto";
  QString m_precision = "fp32";
  QByteArray m_bytes;  // the session's text as Qt bytes (refreshed when its version changes)
  quint64 m_bytesVersion = 0;
  quint64 m_modelsSerial = 0;  // the document state of the last open / close
  std::tuple<quint64, qint64, size_t> m_results{0, -1, 0};  // (text version, computed, models) of the last resultsChanged
  QHash<int, ss::FramePtr> m_frames;
  QList<ss::View> m_views;  // empty: the session's default (every view)
  ss::Session::Status m_status;
  QHash<quint64, QString> m_errors;  // per column id: the last worker error reported
  QHash<quint64, QString> m_notices;  // per column id: a GPU fault during a run (Engine::ColumnStatus::notice)
};

Q_DECLARE_METATYPE(ss::View)
