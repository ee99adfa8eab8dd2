// Cost view: measured forward time vs sequence length for each loaded model on the current backend,
// with linear and quadratic references through the first point, so O(T) and O(T^2) growth can be told apart.
#pragma once

#include <QChartView>
#include <QLineSeries>
#include <QPushButton>
#include <QScatterSeries>
#include <QLogValueAxis>

#include "Panel.h"

class CostPanel : public Panel {
  Q_OBJECT
 public:
  explicit CostPanel(Workspace* ws, QWidget* parent = nullptr);
  QString help() const override;
  ss::View view() const override { return ss::View::Cost; }
  QString caption() const { return m_caption->text(); }
  void refresh() override;
  void measure(bool wait = false);  // times every model (on the worker unless `wait`)
  static QVector<qint64> defaultLengths();

 private:
  void changeEvent(QEvent* e) override;
  void buildChart();
  QChartView* m_chartView;
  QPushButton* m_measure;
  QLabel* m_caption;
  QLogValueAxis* m_x = nullptr;  // log-log: slope 1 is linear growth, slope 2 quadratic
  QLogValueAxis* m_y = nullptr;
  QList<QLineSeries*> m_lines;
  QList<QScatterSeries*> m_dots;
  QLineSeries* m_linear = nullptr;
  QLineSeries* m_quadratic = nullptr;
};
