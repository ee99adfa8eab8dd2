#include "HighlightFrame.h"

#include <QEvent>
#include <QPainter>

HighlightFrame::HighlightFrame(QWidget* parent) : QWidget(parent) {
  setAttribute(Qt::WA_TransparentForMouseEvents);
  setAttribute(Qt::WA_NoSystemBackground);
  hide();
}

void HighlightFrame::showOver(QWidget* view, const QRectF& region) {
  if (m_view) m_view->removeEventFilter(this);
  m_view = view;
  m_region = region;
  if (!view) {
    hide();
    return;
  }
  setParent(view);
  view->installEventFilter(this);
  place();
  show();
  raise();
}

bool HighlightFrame::eventFilter(QObject* o, QEvent* e) {
  if (o == m_view && (e->type() == QEvent::Resize || e->type() == QEvent::Show)) {
    place();
    raise();
  }
  return QWidget::eventFilter(o, e);
}

void HighlightFrame::place() {
  if (!m_view) return;
  const QSizeF s = m_view->size();
  setGeometry(QRectF(m_region.x() * s.width(), m_region.y() * s.height(), m_region.width() * s.width(), m_region.height() * s.height())
                  .toAlignedRect());
}

void HighlightFrame::paintEvent(QPaintEvent*) {
  QPainter p(this);
  p.setRenderHint(QPainter::Antialiasing);
  const qreal w = 6;
  QColor c(230, 159, 0);  // Okabe-Ito orange: visible on light and dark themes, and to most colour-blind viewers
  p.setPen(QPen(c, w));
  p.setBrush(Qt::NoBrush);
  p.drawRoundedRect(QRectF(rect()).adjusted(w / 2, w / 2, -w / 2, -w / 2), 10, 10);
}
