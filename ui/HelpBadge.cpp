#include "HelpBadge.h"

#include <QEvent>
#include <QStyleOptionToolButton>
#include <QStylePainter>
#include <QWhatsThis>

HelpBadge::HelpBadge(const QString& title, const QString& help, QWidget* parent)
    : QToolButton(parent) {
  setText(tr("? explain"));
  setAutoRaise(true);
  setCursor(Qt::PointingHandCursor);
  setHelp(title, help);
  setProperty("figureExclude", true);  // a control, not part of an exported figure
  connect(this, &QToolButton::clicked, this, &HelpBadge::showHelp);
}

void HelpBadge::setHelp(const QString& title, const QString& help) {
  m_html = "<p><b>" + title + "</b></p><p>" + help + "</p>";
  setToolTip(m_html);
  setWhatsThis(m_html);
}

void HelpBadge::changeEvent(QEvent* e) {
  if (e->type() == QEvent::LanguageChange) setText(tr("? explain"));
  QToolButton::changeEvent(e);
}

void HelpBadge::showHelp() { QWhatsThis::showText(mapToGlobal(QPoint(0, height())), m_html, this); }

void HelpBadge::paintEvent(QPaintEvent*) {
  // The text in the link colour of the palette of the moment (a style sheet or a palette set once
  // would keep the colour of the theme it was set under).
  QStylePainter p(this);
  QStyleOptionToolButton opt;
  initStyleOption(&opt);
  opt.palette.setColor(QPalette::ButtonText, palette().color(QPalette::Link));
  p.drawComplexControl(QStyle::CC_ToolButton, opt);
}
