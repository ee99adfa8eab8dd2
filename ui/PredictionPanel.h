// Prediction view: the next-byte distribution after the selected token (top-k bars, the byte that
// actually follows marked) and the surprisal of every byte of the text, -log2 p(byte | bytes before).
#pragma once

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QValueAxis>
#include <QChartView>

#include "Panel.h"
#include "TokenStrip.h"

class PredictionPanel : public Panel {
  Q_OBJECT
 public:
  static constexpr int kTopK = 10;
  explicit PredictionPanel(Workspace* ws, QWidget* parent = nullptr);
  QString help() const override;
  ss::View view() const override { return ss::View::Prediction; }  // data(): [1, V] p(next byte) after token t
  unsigned undrawnFields() const override { return ss::kIgnoreChoice; }  // the whole model: whatever layer the column shows
  QString caption() const { return m_caption->text(); }
  QString chartTitle() const { return m_chartView->chart()->title(); }
  void refresh() override;
  TokenStrip* text() const { return m_text; }
  QStringList topLabels() const { return m_top; }

 private:
  void changeEvent(QEvent* e) override;
  void buildChart();
  QChartView* m_chartView;
  TokenStrip* m_text;
  QLabel* m_caption;
  QStringList m_top;
  QBarSet* m_set = nullptr;
  QBarSet* m_actual = nullptr;
  QBarCategoryAxis* m_xAxis = nullptr;
  QValueAxis* m_yAxis = nullptr;
};
