#include "ChartStyle.h"

#include <QAbstractAxis>
#include <QGraphicsLayout>
#include <QLegend>

namespace ChartStyle {

QColor seriesColor(int i) {
  static const QColor c[] = {QColor(0, 114, 178), QColor(230, 159, 0), QColor(0, 158, 115), QColor(204, 121, 167),
                             QColor(86, 180, 233), QColor(213, 94, 0), QColor(240, 228, 66)};
  return c[i % 7];
}

void styleAxes(QChart* chart, const QPalette& pal, const QFont& font) {
  QFont small = font;
  QFont title = font;
  title.setBold(true);
  for (QAbstractAxis* a : chart->axes()) {
    if (auto* v = qobject_cast<QValueAxis*>(a)) {
      v->setTickCount(a->orientation() == Qt::Vertical ? 3 : 5);
      if (a->orientation() == Qt::Vertical) v->applyNiceNumbers();
    }
    a->setLabelsFont(small);
    a->setTitleFont(title);
    a->setLabelsColor(pal.color(QPalette::WindowText));
    a->setTitleBrush(pal.color(QPalette::WindowText));
    a->setLinePenColor(pal.color(QPalette::Mid));
    a->setGridLineColor(pal.color(QPalette::Midlight));
  }
}

void apply(QChart* chart, const QPalette& pal, const QFont& font) {
  chart->setBackgroundBrush(pal.color(QPalette::Window));
  chart->setPlotAreaBackgroundVisible(false);
  chart->setBackgroundRoundness(0);
  chart->setMargins(QMargins(2, 2, 2, 2));
  chart->layout()->setContentsMargins(0, 0, 0, 0);
  QFont title = font;
  title.setBold(true);
  title.setPointSizeF(font.pointSizeF() * 1.05);
  chart->setTitleFont(title);
  chart->setTitleBrush(pal.color(QPalette::WindowText));
  chart->legend()->setFont(font);
  chart->legend()->setLabelColor(pal.color(QPalette::WindowText));
  chart->legend()->setAlignment(Qt::AlignBottom);
  styleAxes(chart, pal, font);
}

}  // namespace ChartStyle
