// Workspace: what every view of the explorer looks at — the input bytes, the loaded models (one
// ss::Exploration each), the layer/head each model column shows, and the selected token and window.
// It runs model work: small updates (a typed byte) at once on the calling thread through the
// recurrent step; large ones (a pasted file, an edit far back) on a worker thread, cancellable, with
// progress. Views never run the model themselves; they ask the workspace and redraw on its signals.
#pragma once

#include <QByteArray>
#include <QFutureWatcher>
#include <QObject>
#include <QString>
#include <atomic>
#include <memory>
#include <vector>

#include "exploration.h"

struct LayerChoice {
  int layer = 0;
  int head = 0;     // attention / Mamba-2 head
  int channel = 0;  // Mamba-1 channel (for the per-channel matrix and the picked-channel line)
  bool operator==(const LayerChoice&) const = default;
};

class Workspace : public QObject {
  Q_OBJECT
 public:
  static constexpr qint64 kDefaultWindow = 256;  // tokens shown around the selection without a window
  static constexpr qint64 kSyncTokens = 2048;    // updates up to this many tokens run on the GUI thread
  static constexpr int kMaxColumns = 4;
  static constexpr qint64 kSharedWindow = 1024;  // windows up to this long are traced with all their parts at once

  explicit Workspace(QObject* parent = nullptr);
  ~Workspace() override;

  // --- models ---
  void setDevice(const QString& device) { m_device = device; }  // cpu | cuda | auto, for models opened next
  void setPrecision(const QString& p) { m_precision = p; }     // fp32 | bf16 (bf16 needs the GPU), likewise
  bool openModel(const QString& dir, QString* error = nullptr);
  void closeModel(int column);
  int columnCount() const { return int(m_columns.size()); }
  ss::Exploration& exploration(int column) const { return *m_columns.at(column).exploration; }
  LayerChoice choice(int column) const { return m_columns.at(column).choice; }
  void setChoice(int column, LayerChoice c);
  int activeColumn() const { return m_active; }
  void setActiveColumn(int column);

  // --- the text ---
  const QByteArray& bytes() const { return m_bytes; }
  void setBytes(const QByteArray& bytes);
  void appendBytes(const QByteArray& more) { setBytes(m_bytes + more); }
  qint64 computed() const;  // tokens every model has computed
  bool isBusy() const { return m_busy; }
  void cancel();
  void waitForIdle();       // blocks (processing events) until no update runs

  // --- cost chart: forward time vs length for every model (on the worker unless `wait`) ---
  void measureCost(const QVector<qint64>& lengths, bool wait = false);
  const QVector<QVector<ss::CostSample>>& cost() const { return m_cost; }

  // --- selection: token t and a window [windowStart, windowEnd) of tokens ---
  qint64 token() const { return m_token; }
  qint64 windowStart() const { return m_w0; }
  qint64 windowEnd() const { return m_w1; }
  bool hasExplicitWindow() const { return m_explicitWindow; }
  void selectToken(qint64 t);              // the default window around it
  void selectWindow(qint64 a, qint64 b);   // tokens a..b inclusive (either order); the token becomes b
  void extendSelection(qint64 t);          // shift-click: window from the last clicked token to t

  // --- queries for views (cached until the text or the selection changes) ---
  // The chosen layer of `column` over the current window.
  ss::LayerWindow layerWindow(int column, unsigned parts);
  ss::LayerWindow layerWindow(int column, int layer, qint64 t0, qint64 t1, unsigned parts, int head);

 signals:
  void modelsChanged();
  void choiceChanged(int column);
  void activeColumnChanged(int column);
  void bytesChanged();
  void resultsChanged();          // new values: views refresh
  void selectionChanged();
  void busyChanged(bool busy);
  void progressChanged(int percent, const QString& what);
  void errorOccurred(const QString& message);
  void costChanged();

 private:
  struct Column {
    std::unique_ptr<ss::Exploration> exploration;
    LayerChoice choice;
  };
  struct CachedWindow {
    int column, layer, head;
    qint64 t0, t1;
    unsigned parts;
    ss::LayerWindow window;
  };
  void startUpdate();
  void onUpdateFinished();
  void clampSelection();
  void invalidate() { m_cache.clear(); }

  QString m_device = "auto";
  QString m_precision = "fp32";
  std::vector<Column> m_columns;
  int m_active = 0;
  QByteArray m_bytes;
  qint64 m_token = 0, m_w0 = 0, m_w1 = 0, m_anchor = 0;
  bool m_explicitWindow = false;
  bool m_busy = false;
  bool m_pending = false;  // the text changed while the worker ran
  std::atomic<bool> m_cancel{false};
  QFutureWatcher<void> m_watcher;
  std::vector<CachedWindow> m_cache;
  QVector<QVector<ss::CostSample>> m_cost, m_costRunning;
  bool m_measuring = false;
};
