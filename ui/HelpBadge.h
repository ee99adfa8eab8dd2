// HelpBadge: the "? explain" button (what am I looking at) of a panel. It looks like a link (the palette's link
// colour, kept on theme switches) and does what a link promises: a click opens the panel's help
// paragraph beside it (a "What's This?" bubble, closed by any click); hovering shows it as a tooltip.
#pragma once

#include <QToolButton>

class HelpBadge : public QToolButton {
  Q_OBJECT
 public:
  HelpBadge(const QString& title, const QString& help, QWidget* parent = nullptr);
  QString helpHtml() const { return m_html; }
  void setHelp(const QString& title, const QString& help);  // after a language change
  void showHelp();  // what a click does

 protected:
  void paintEvent(QPaintEvent*) override;
  void changeEvent(QEvent* e) override;

 private:
  QString m_html;
};
