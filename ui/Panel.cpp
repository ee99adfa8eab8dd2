#include "Panel.h"

#include <QCoreApplication>
#include <QEvent>
#include <QResizeEvent>
#include <QTimer>

#include "HelpBadge.h"
#include "SessionText.h"
#include "Workspace.h"

PanelData PanelData::fromFrame(const ss::Frame& f) {
  PanelData d;
  d.name = QString::fromStdString(f.title);
  d.rows = f.rows;
  d.cols = f.cols;
  d.values = QVector<float>(f.values.begin(), f.values.end());
  d.rowAxis = QString::fromStdString(f.row_axis);
  d.colAxis = QString::fromStdString(f.col_axis);
  d.units = QString::fromStdString(f.units);
  for (const std::string& s : f.row_labels) d.rowLabels << QString::fromStdString(s);
  for (const std::string& s : f.col_labels) d.colLabels << QString::fromStdString(s);
  d.token = f.token;
  return d;
}

Panel::Panel(Workspace* ws, const QString& key, const char* title, QWidget* parent)
    : QWidget(parent), m_ws(ws), m_key(key), m_title(title) {
  setObjectName(key);
  m_age = new QLabel(this);
  m_age->setObjectName("age");
  m_age->setAutoFillBackground(true);
  m_age->setMargin(3);
  m_age->setVisible(false);
}

PanelData Panel::data() const { return m_shown && !m_shown->empty() ? PanelData::fromFrame(*m_shown) : PanelData{}; }

QString Panel::title() const { return QCoreApplication::translate(metaObject()->className(), m_title); }

void Panel::changeEvent(QEvent* e) {
  if (e->type() == QEvent::LanguageChange) {
    setToolTip("<p><b>" + title() + "</b></p><p>" + help() + "</p>");
    if (m_badge) m_badge->setHelp(title(), help());
    updateAge();
    scheduleRefresh();
  }
  QWidget::changeEvent(e);
}

void Panel::followWorkspace() {
  setToolTip("<p><b>" + title() + "</b></p><p>" + help() + "</p>");
  connect(m_ws, &Workspace::frameReady, this, [this](ss::View v) {
    if (v != view()) return;
    // The same drawing as shown (the memory view after a click, the prediction after a layer
    // change): the newer frame, no redraw. (The matrix view draws one frame per model: it redraws.)
    if (v != ss::View::Matrix && !m_refreshQueued && m_shown)
      if (const ss::FramePtr f = m_ws->frame(v); f && f != m_shown && ss::same_drawing(*m_shown, *f, undrawnFields())) {
        setShownFrame(f);
        return;
      }
    scheduleRefresh();
  });
  connect(m_ws, &Workspace::statusChanged, this, &Panel::updateAge);
  connect(m_ws, &Workspace::bytesChanged, this, &Panel::updateAge);
}

void Panel::scheduleRefresh() {
  if (m_refreshQueued) return;
  m_refreshQueued = true;
  QTimer::singleShot(0, this, [this] {
    m_refreshQueued = false;
    refresh();
  });
}

void Panel::setShownFrame(const ss::FramePtr& f) {
  m_shown = f;
  updateAge();
}

QString Panel::emptyReason(const ss::FramePtr& f) {
  if (!f) return tr("computing…");
  if (!f->error.empty()) return "⚠ " + SessionText::say(f->error);
  return SessionText::say(f->note);
}

bool Panel::textChanged() {
  if (m_textVersion == m_ws->textVersion()) return false;
  m_textVersion = m_ws->textVersion();
  return true;
}

QString Panel::ageNote() const {
  // (A timing does not depend on the text.)
  if (!m_shown || view() == ss::View::Cost || m_shown->text_version >= m_ws->textVersion()) return QString();
  const ss::Session::Status& s = m_ws->status();
  if (s.paused)
    return tr("older result: cancelled at %1 of %2 bytes (Resume continues)").arg(s.computed).arg(s.size);
  return tr("older result: computing the new text…");
}

void Panel::updateAge() {
  const QString note = ageNote();
  m_age->setText(note);
  m_age->setVisible(!note.isEmpty());
  m_age->adjustSize();
  m_age->move(width() - m_age->width() - 4, 2);
  m_age->raise();
}

void Panel::resizeEvent(QResizeEvent* e) {
  QWidget::resizeEvent(e);
  m_age->move(width() - m_age->width() - 4, 2);
}

QWidget* Panel::helpBadge() {
  m_badge = new HelpBadge(title(), help(), this);
  return m_badge;
}

void Panel::excludeFromFigure(QWidget* w) { w->setProperty("figureExclude", true); }
