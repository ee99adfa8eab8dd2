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
    case ss::Architecture::FalconH1: return QColor(140, 86, 75);
    case ss::Architecture::Zamba2: return QColor(0, 150, 136);
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

NiceRange niceRange(double lo, double hi, int ticks) {
  if (!std::isfinite(lo)) lo = 0;
  if (!std::isfinite(hi) || !(hi > lo)) return {lo, lo + 1, 2};
  // Qt Charts' loose nice numbers (AbstractDomain::looseNiceNumbers): a nice span, a nice step.
  auto nice = [](double x, bool ceiling) {
    const double z = std::pow(10.0, std::floor(std::log10(x)));
    const double q = x / z;
    if (ceiling) return z * (q <= 1 ? 1 : q <= 2 ? 2 : q <= 5 ? 5 : 10);
    return z * (q < 1.5 ? 1 : q < 3 ? 2 : q < 7 ? 5 : 10);
  };
  const double step = nice(nice(hi - lo, true) / std::max(1, ticks - 1), false);
  const double a = std::floor(lo / step), b = std::ceil(hi / step);
  return {a * step, b * step, int(b - a) + 1};
}

namespace {

// The style a chart was last given (palette, font, zoom): `apply` skips the setters when unchanged.
QString styleKey(const QPalette& pal, const QFont& font) {
  return QString::number(pal.cacheKey()) + "|" + font.key() + "|" + QString::number(Zoom::instance()->factor());
}

// Range, tick count, tick type and label format of a value axis for the range last asked for
// (properties "askedLo"/"askedHi"; the axis's own range when never asked).
void fitTicks(QChart* chart, QValueAxis* v, const QFont& font) {
  const bool integers = v->labelFormat() == "%d" || v->property("integerAxis").toBool();
  v->setProperty("integerAxis", integers);
  double lo = v->property("askedLo").isValid() ? v->property("askedLo").toDouble() : v->min();
  double hi = v->property("askedHi").isValid() ? v->property("askedHi").toDouble() : v->max();
  int ticks = 3;
  if (v->orientation() == Qt::Vertical) {
    const NiceRange n = niceRange(lo, hi, 3);
    lo = n.lo, hi = n.hi, ticks = n.ticks;
  } else {
    // Horizontal: as many ticks as fit ("00000" apart) in the chart's width, 3 to 5.
    const double labelRoom = QFontMetrics(font).horizontalAdvance("000000") * 1.5;
    const int across = chart->size().width() > 0 ? int(chart->size().width() * 0.8 / labelRoom) : 5;
    ticks = std::clamp(across, 3, 5);
    if (!(hi > lo)) hi = lo + 1;
  }
  // A token axis shorter than its ticks gets ticks at whole tokens only (not "0 0 0 0 1"). Fixed
  // ticks are set before a wider range: a range of 1500 with one dynamic tick per token would lay
  // out 1500 labels (seconds on the GUI thread).
  const bool wholeTokens = integers && hi - lo < ticks - 1;
  if (!wholeTokens && v->tickType() != QValueAxis::TicksFixed) v->setTickType(QValueAxis::TicksFixed);
  if (v->min() != lo || v->max() != hi) v->setRange(lo, hi);
  if (v->tickCount() != ticks) v->setTickCount(ticks);
  if (wholeTokens) {
    if (v->tickType() != QValueAxis::TicksDynamic) v->setTickType(QValueAxis::TicksDynamic);
    if (v->tickAnchor() != 0) v->setTickAnchor(0);
    if (v->tickInterval() != 1) v->setTickInterval(1);
  }
  const QString format = integers ? "%.0f" : labelFormat(lo, hi, ticks);
  if (v->labelFormat() != format) v->setLabelFormat(format);
}

}  // namespace

void setRange(QChart* chart, QValueAxis* axis, double lo, double hi, const QFont& font) {
  axis->setProperty("askedLo", lo);
  axis->setProperty("askedHi", hi);
  fitTicks(chart, axis, font);
}

void setTitle(QChart* chart, const QString& title) {
  if (chart->title() != title) chart->setTitle(title);
}

void setTitle(QAbstractAxis* axis, const QString& title) {
  if (axis->titleText() != title) axis->setTitleText(title);
}

void setName(QAbstractSeries* series, const QString& name) {
  if (series->name() != name) series->setName(name);
}

void styleAxes(QChart* chart, const QPalette& pal, const QFont& font) {
  const QString key = styleKey(pal, font);
  const bool restyle = chart->property("axesStyleKey").toString() != key;
  chart->setProperty("axesStyleKey", key);
  QFont title = font;
  title.setBold(true);
  for (QAbstractAxis* a : chart->axes()) {
    if (auto* v = qobject_cast<QValueAxis*>(a)) fitTicks(chart, v, font);
    if (auto* l = qobject_cast<QLogValueAxis*>(a); l && l->labelFormat() != "%g") l->setLabelFormat("%g");
    if (!restyle && !a->property("styled").isNull()) continue;
    a->setProperty("styled", true);
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
  const QString key = styleKey(pal, font);
  if (chart->property("chartStyleKey").toString() != key) {
    chart->setProperty("chartStyleKey", key);
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
    // A chart needs about six lines of its font (title, plot, axis labels and title, legend).
    if (chart->scene())
      for (QGraphicsView* v : chart->scene()->views()) v->setMinimumHeight(QFontMetrics(font).height() * 6);
  }
  styleAxes(chart, pal, font);
}

}  // namespace ChartStyle
