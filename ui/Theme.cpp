#include "Theme.h"

#include <QPainter>
#include <QPixmap>
#include <QPolygonF>

#include <QApplication>
#include <QFont>
#include <QPalette>
#include <QStyle>
#include <QStyleFactory>

namespace Theme {

void apply(QApplication& app, bool dark, double pointSize) {
  app.setStyle(QStyleFactory::create("Fusion"));
  QPalette p;
  if (dark) {
    p.setColor(QPalette::Window, QColor(32, 34, 38));
    p.setColor(QPalette::WindowText, QColor(232, 232, 232));
    p.setColor(QPalette::Base, QColor(22, 24, 27));
    p.setColor(QPalette::AlternateBase, QColor(40, 43, 48));
    p.setColor(QPalette::Text, QColor(235, 235, 235));
    p.setColor(QPalette::PlaceholderText, QColor(150, 150, 150));
    p.setColor(QPalette::Button, QColor(45, 48, 54));
    p.setColor(QPalette::ButtonText, QColor(232, 232, 232));
    p.setColor(QPalette::Highlight, QColor(255, 140, 60));
    p.setColor(QPalette::HighlightedText, Qt::black);
    p.setColor(QPalette::ToolTipBase, QColor(50, 52, 58));
    p.setColor(QPalette::ToolTipText, QColor(240, 240, 240));
    p.setColor(QPalette::Mid, QColor(110, 110, 115));
    p.setColor(QPalette::Midlight, QColor(62, 64, 70));
    p.setColor(QPalette::Link, QColor(110, 180, 255));
  } else {
    p = app.style()->standardPalette();
    p.setColor(QPalette::Window, QColor(250, 250, 250));
    p.setColor(QPalette::Base, Qt::white);
    p.setColor(QPalette::Highlight, QColor(213, 94, 0));
    p.setColor(QPalette::HighlightedText, Qt::white);
    p.setColor(QPalette::PlaceholderText, QColor(120, 120, 120));
    p.setColor(QPalette::Midlight, QColor(228, 228, 228));
    p.setColor(QPalette::Link, QColor(0, 90, 180));
  }
  app.setPalette(p);
  QFont f = app.font();
  f.setPointSizeF(pointSize);
  app.setFont(f);
}

}  // namespace Theme

QIcon Theme::glyphIcon(Glyph g, const QColor& color) {
  QIcon icon;
  for (int px : {16, 24, 32, 48}) {
    QPixmap pm(px, px);
    pm.fill(Qt::transparent);
    QPainter p(&pm);
    p.setRenderHint(QPainter::Antialiasing);
    p.setPen(Qt::NoPen);
    p.setBrush(color);
    const double u = px / 16.0;  // drawn on a 16 x 16 grid
    auto triangle = [&](double x0, double x1) {
      p.drawPolygon(QPolygonF({QPointF(x0 * u, 3 * u), QPointF(x1 * u, 8 * u), QPointF(x0 * u, 13 * u)}));
    };
    switch (g) {
      case Glyph::Play: triangle(4, 13); break;
      case Glyph::Pause:
        p.drawRect(QRectF(4 * u, 3 * u, 3 * u, 10 * u));
        p.drawRect(QRectF(9 * u, 3 * u, 3 * u, 10 * u));
        break;
      case Glyph::Step:
        triangle(3, 11);
        p.drawRect(QRectF(11 * u, 3 * u, 2.5 * u, 10 * u));
        break;
      case Glyph::Stop: p.drawRect(QRectF(4 * u, 4 * u, 8 * u, 8 * u)); break;
    }
    icon.addPixmap(pm);
  }
  return icon;
}
