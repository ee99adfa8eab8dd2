// Memory view: the memory each loaded model carries after every position of the text — the KV cache
// of its attention layers (growing) plus the fixed state of its SSM layers (flat) — measured from the
// engine; beside it the same formula applied to published model configurations at 4K, 128K and 1M.
#pragma once

#include <QChartView>
#include <QComboBox>
#include <QLineSeries>
#include <QScatterSeries>
#include <QTableWidget>
#include <QValueAxis>

#include "Panel.h"

class MemoryPanel : public Panel {
  Q_OBJECT
 public:
  explicit MemoryPanel(Workspace* ws, QWidget* parent = nullptr);
  QString help() const override;
  ss::View view() const override { return ss::View::Memory; }
  unsigned undrawnFields() const override { return ss::kIgnoreSelection | ss::kIgnoreChoice; }  // the whole text, every model
  int lineCount() const;  // chart lines with points (one per model shown)
  void refresh() override;
  QTableWidget* table() const { return m_table; }

 private:
  void fillTable();
  void buildChart();
  void changeEvent(QEvent* e) override;

  QChartView* m_chartView;
  QTableWidget* m_table;
  QComboBox* m_bytesPerValue;
  QValueAxis* m_x = nullptr;
  QValueAxis* m_y = nullptr;
  QList<QLineSeries*> m_lines;
  QList<QScatterSeries*> m_live;
};
