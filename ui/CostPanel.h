// Cost view: measured forward time vs sequence length for each loaded model on the current backend,
// with linear and quadratic references through the first point, so O(T) and O(T^2) growth can be told apart.
#pragma once

#include <QChartView>
#include <QPushButton>

#include "Panel.h"

class CostPanel : public Panel {
  Q_OBJECT
 public:
  explicit CostPanel(Workspace* ws, QWidget* parent = nullptr);
  QString help() const override;
  PanelData data() const override { return m_data; }
  void refresh() override;
  void measure(bool wait = false);  // times every model (on the worker unless `wait`)
  static QVector<qint64> defaultLengths();

 private:
  void changeEvent(QEvent* e) override;
  QChartView* m_chartView;
  QPushButton* m_measure;
  QLabel* m_caption;
  PanelData m_data;
};
