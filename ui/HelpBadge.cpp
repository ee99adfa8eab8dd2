#include "HelpBadge.h"

#include <QEvent>
#include <QWhatsThis>

HelpBadge::HelpBadge(const QString& title, const QString& help, QWidget* parent)
    : QToolButton(parent), m_html("<p><b>" + title + "</b></p><p>" + help + "</p>") {
  setText(tr("? explain"));
  setAutoRaise(true);
  setCursor(Qt::PointingHandCursor);
  setToolTip(m_html);
  setWhatsThis(m_html);
  setProperty("figureExclude", true);  // a control, not part of an exported figure
  applyLinkColor();
  connect(this, &QToolButton::clicked, this, &HelpBadge::showHelp);
}

void HelpBadge::showHelp() { QWhatsThis::showText(mapToGlobal(QPoint(0, height())), m_html, this); }

void HelpBadge::applyLinkColor() {
  // The text in the link colour of the current palette; re-read on every palette change (a style
  // sheet would freeze the colour of the theme it was set under).
  QPalette p = palette();
  p.setColor(QPalette::ButtonText, p.color(QPalette::Link));
  setPalette(p);
}

void HelpBadge::changeEvent(QEvent* e) {
  QToolButton::changeEvent(e);
  if (e->type() == QEvent::ApplicationPaletteChange) {
    setPalette(QPalette());  // back to the inherited palette, then the link colour again
    applyLinkColor();
  }
}
