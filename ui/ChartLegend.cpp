#include "ChartLegend.h"

#include <QAbstractBarSeries>
#include <QBarLegendMarker>
#include <QBarSet>
#include <QChart>
#include <QLegend>
#include <QLegendMarker>
#include <QXYSeries>

ChartLegend::ChartLegend(QChart* chart, QWidget* parent) : QLabel(parent), m_chart(chart) {
  setWordWrap(true);
  setTextFormat(Qt::RichText);
  setAlignment(Qt::AlignHCenter | Qt::AlignTop);
  chart->setProperty("statescopeLegend", QVariant::fromValue<QObject*>(this));
  chart->legend()->hide();
}

ChartLegend* ChartLegend::of(QChart* chart) {
  return chart ? qobject_cast<ChartLegend*>(chart->property("statescopeLegend").value<QObject*>()) : nullptr;
}

void ChartLegend::sync() {
  if (!m_chart) return;
  QStringList items;
  m_names.clear();
  for (QLegendMarker* m : m_chart->legend()->markers()) {
    // Entries: named series with points. (A marker's visibility cannot be read back: Qt Charts makes
    // every marker item visible only when it lays out a shown legend. Unnamed series, like the panels'
    // marker lines and dots, have no entry.)
    if (m->label().isEmpty() || (m->series() && m->series()->type() == QAbstractSeries::SeriesTypeScatter)) continue;
    if (auto* xy = qobject_cast<QXYSeries*>(m->series()); xy && xy->count() == 0) continue;  // no line, no entry
    QColor color = m->brush().color();
    QString glyph = "■";
    if (auto* xy = qobject_cast<QXYSeries*>(m->series()); xy && xy->type() != QAbstractSeries::SeriesTypeScatter) {
      color = xy->pen().color();
      glyph = xy->pen().style() == Qt::SolidLine ? "━━" : xy->pen().style() == Qt::DashLine ? "╍╍" : "┅┅";
    }
    m_names << m->label();
    // A non-breaking space between swatch and name: an entry never wraps inside itself.
    items << QString("<span style='white-space:nowrap'><span style='color:%1'>%2</span>&nbsp;%3</span>")
                 .arg(color.name(), glyph, m->label().toHtmlEscaped().replace(" ", "&nbsp;"));
  }
  setText(items.join(" &nbsp; "));
  setVisible(!items.isEmpty());
}
