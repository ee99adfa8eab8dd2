// Panel: the common face of the explorer's views (hidden state, Δ gate, matrix, memory, cost,
// prediction). A panel reads the Workspace and redraws on its signals; it can hand out the numbers
// it shows (PanelData, for CSV / .npy export and for tests) and says in one paragraph what it shows.
#pragma once

#include <QLabel>
#include <QString>
#include <QStringList>
#include <QVector>
#include <QWidget>

class Workspace;

// The main array a panel shows, row-major [rows, cols], with what its axes mean.
struct PanelData {
  QString name;                 // e.g. "h_t of layer 1 at token 5"
  qint64 rows = 0, cols = 0;
  QVector<float> values;        // [rows, cols]
  QString rowAxis, colAxis, units;
  QStringList rowLabels, colLabels;  // optional; indices are used when empty
  qint64 token = -1;            // the selected token the data belongs to
  float at(qint64 r, qint64 c) const { return values[r * cols + c]; }
};

class Panel : public QWidget {
  Q_OBJECT
 public:
  Panel(Workspace* ws, const QString& key, const QString& title, QWidget* parent = nullptr);

  QString key() const { return m_key; }      // "state", "delta", "matrix", "memory", "cost", "prediction"
  QString title() const { return m_title; }
  virtual QString help() const = 0;          // the "what am I looking at" paragraph, with the formula
  virtual PanelData data() const = 0;
  // Redraws from the workspace (normally called through the workspace's signals).
  virtual void refresh() = 0;

 protected:
  // Connects the workspace's signals to refresh() (coalesced: one refresh per event-loop turn).
  void followWorkspace();
  void scheduleRefresh();
  QWidget* helpBadge();  // the "? what am I looking at" button: a click shows help() (HelpBadge)
  // Marks a widget (a caption, a readout) as a control: FigureExport leaves it out of the panel's
  // figure, which shows the plots, their axes, colorbars and titles only. Buttons, combo boxes and
  // spin boxes are left out without being marked.
  static void excludeFromFigure(QWidget* w);
  Workspace* m_ws;

 private:
  QString m_key, m_title;
  bool m_refreshQueued = false;
};
