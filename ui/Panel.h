// Panel: the common face of the explorer's views (hidden state, Δ gate, matrix, memory, cost,
// prediction). A panel only draws: it redraws from the newest frames the Workspace holds (computed
// by the session's worker) when one of its views gets a new frame; it hands out the numbers it shows
// (PanelData, built from the same frame, for CSV / .npy export and tests) and says in one paragraph
// what it shows. When its frame is for an older text than the session's, it says so.
#pragma once

#include <QLabel>
#include <QString>
#include <QStringList>
#include <QVector>
#include <QWidget>

#include "frame.h"

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
  static PanelData fromFrame(const ss::Frame& f);  // exactly the frame's numbers
};

class Panel : public QWidget {
  Q_OBJECT
 public:
  // `title`: the untranslated source, marked QT_TR_NOOP in the subclass (its class is the context),
  // so that title() follows View → Language.
  Panel(Workspace* ws, const QString& key, const char* title, QWidget* parent = nullptr);

  QString key() const { return m_key; }      // "state", "delta", "matrix", "memory", "cost", "prediction"
  QString title() const;                     // in the UI language
  virtual QString help() const = 0;          // the "what am I looking at" paragraph, with the formula
  virtual PanelData data() const;            // the shown frame's numbers
  virtual ss::View view() const = 0;         // the frames it draws
  ss::FramePtr shownFrame() const { return m_shown; }
  // Redraws from the workspace's newest frames (normally called through its signals).
  virtual void refresh() = 0;
  // Which header fields of its frames the view does not draw (ss::FrameFields): a new frame that
  // differs from the shown one only there is taken without a redraw.
  virtual unsigned undrawnFields() const { return 0; }
  QString ageNote() const;                   // "" or why the view shows an older result

 protected:
  // Connects the workspace's signals to refresh() (coalesced: one refresh per event-loop turn).
  void followWorkspace();
  void scheduleRefresh();
  QWidget* helpBadge();  // the "? what am I looking at" button: a click shows help() (HelpBadge)
  // Marks a widget (a caption, a readout) as a control: FigureExport leaves it out of the panel's
  // figure, which shows the plots, their axes, colorbars and titles only. Buttons, combo boxes and
  // spin boxes are left out without being marked.
  static void excludeFromFigure(QWidget* w);
  // Remembers the frame drawn and shows, over the panel's corner, whether it is older than the text.
  void setShownFrame(const ss::FramePtr& f);
  // What an empty frame says: its error (marked as one), its note, or that it is being computed.
  static QString emptyReason(const ss::FramePtr& f);
  // The workspace's text into a token strip, when its version changed since the last call.
  bool textChanged();
  void resizeEvent(QResizeEvent* e) override;
  // A language change: the tool tip, the help badge and the age note again, and a redraw (the texts
  // a view sets in refresh() follow by themselves).
  void changeEvent(QEvent* e) override;
  Workspace* m_ws;
  ss::FramePtr m_shown;

 private:
  void updateAge();
  QString m_key;
  const char* m_title;
  class HelpBadge* m_badge = nullptr;
  QLabel* m_age = nullptr;
  bool m_refreshQueued = false;
  quint64 m_textVersion = ~quint64(0);
};
