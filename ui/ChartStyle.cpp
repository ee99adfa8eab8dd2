#include "ChartStyle.h"

#include <QAbstractAxis>
#include <QGraphicsLayout>
#include <QGraphicsScene>
#include <QGraphicsView>
#include <QLegend>
#include <QLogValueAxis>
#include <cmath>

#include "ChartLegend.h"
#include "Zoom.h"

namespace ChartStyle {

QColor seriesColor(int i) {
  static const QColor c[] = {QColor(0, 114, 178), QColor(230, 159, 0), QColor(0, 158, 115), QColor(204, 121, 167),
                             QColor(86, 180, 233), QColor(213, 94, 0), QColor(240, 228, 66)};
  return c[i % 7];
}

QColor modelColor(ss::Architecture a) {
  switch (a) {
    case ss::Architecture::Mamba: return QColor(0, 158, 115);
    case ss::Architecture::Mamba2: return QColor(86, 150, 233);
    case ss::Architecture::Llama: return QColor(230, 159, 0);
    case ss::Architecture::Jamba: return QColor(204, 121, 167);
    case ss::Architecture::FalconMamba: return QColor(0, 114, 178);
    case ss::Architecture::Bamba: return QColor(213, 94, 0);
    case ss::Architecture::NemotronH: return QColor(118, 185, 0);
    case ss::Architecture::GraniteMoeHybrid: return QColor(120, 94, 240);
  }
  return Qt::gray;
}

QPen modelPen(const QList<ss::Architecture>& archs, int column, double width) {
  int same = 0;
  for (int k = 0; k < column && k < archs.size(); ++k) same += archs[k] == archs[column];
  QPen pen(modelColor(archs.value(column)), Zoom::px(width));
  pen.setStyle(same == 0 ? Qt::SolidLine : same == 1 ? Qt::DashLine : Qt::DotLine);
  return pen;
}

std::pair<double, QString> byteUnit(double maxBytes) {
  if (maxBytes >= 5e9) return {1e9, QObject::tr("GB")};
  if (maxBytes >= 5e6) return {1e6, QObject::tr("MB")};
  return {1e3, QObject::tr("KB")};
}

QString labelFormat(double lo, double hi, int ticks) {
  const double step = std::abs(hi - lo) / std::max(1, ticks - 1);
  if (!(step > 0) || step >= 1) return "%.0f";
  const int decimals = std::clamp(int(std::ceil(-std::log10(step) - 1e-9)), 1, 6);
  return QString("%.%1f").arg(decimals);
}

void styleAxes(QChart* chart, const QPalette& pal, const QFont& font) {
  QFont title = font;
  title.setBold(true);
  for (QAbstractAxis* a : chart->axes()) {
    if (auto* v = qobject_cast<QValueAxis*>(a)) {
      const bool integers = v->labelFormat() == "%d" || v->property("integerAxis").toBool();
      v->setProperty("integerAxis", integers);
      // Horizontal: as many ticks as fit ("00000" apart) in the chart's width, 3 to 5.
      const double labelRoom = QFontMetrics(font).horizontalAdvance("000000") * 1.5;
      const int across = chart->size().width() > 0 ? int(chart->size().width() * 0.8 / labelRoom) : 5;
      v->setTickCount(a->orientation() == Qt::Vertical ? 3 : std::clamp(across, 3, 5));
      if (a->orientation() == Qt::Vertical) v->applyNiceNumbers();
      if (integers && v->max() - v->min() < v->tickCount() - 1) {
        // A token axis shorter than its ticks: ticks at whole tokens only (not "0 0 0 0 1").
        v->setTickType(QValueAxis::TicksDynamic);
        v->setTickAnchor(0);
        v->setTickInterval(1);
      } else {
        v->setTickType(QValueAxis::TicksFixed);
      }
      v->setLabelFormat(integers ? "%.0f" : labelFormat(v->min(), v->max(), v->tickCount()));
    }
    if (auto* l = qobject_cast<QLogValueAxis*>(a)) l->setLabelFormat("%g");
    a->setLabelsFont(font);
    a->setTitleFont(title);
    a->setLabelsColor(pal.color(QPalette::WindowText));
    a->setTitleBrush(pal.color(QPalette::WindowText));
    a->setLinePenColor(pal.color(QPalette::Mid));
    a->setGridLineColor(pal.color(QPalette::Midlight));
  }
  if (ChartLegend* legend = ChartLegend::of(chart)) legend->sync();
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
  chart->legend()->setShowToolTips(true);
  styleAxes(chart, pal, font);
  // A chart needs about six lines of its font (title, plot, axis labels and title, legend).
  if (chart->scene())
    for (QGraphicsView* v : chart->scene()->views()) v->setMinimumHeight(QFontMetrics(font).height() * 6);
}

}  // namespace ChartStyle
