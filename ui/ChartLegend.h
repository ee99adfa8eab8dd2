// ChartLegend: a chart's legend as a word-wrapping line of swatches and full names under the chart.
// Qt Charts' own legend puts every entry on one row and elides them ("mamb… mamb…") when a chart is
// narrow; this one wraps instead. It replaces the chart's legend: it lists the series whose legend
// markers have a label (named series with points; scatter dots excluded), with their pen colour and dash style, and re-reads them whenever ChartStyle
// styles the chart (every refresh).
#pragma once

#include <QLabel>
#include <QPointer>

class QChart;

class ChartLegend : public QLabel {
  Q_OBJECT
 public:
  ChartLegend(QChart* chart, QWidget* parent = nullptr);
  void sync();                              // re-read the chart's series
  QStringList names() const { return m_names; }  // what it shows, in order (for tests)
  static ChartLegend* of(QChart* chart);    // the legend attached to a chart, or nullptr

 private:
  QPointer<QChart> m_chart;
  QStringList m_names;
};
