// Prediction view: the next-byte distribution after the selected token (top-k bars, the byte that
// actually follows marked) and the surprisal of every byte of the text, -log2 p(byte | bytes before).
#pragma once

#include <QBarSeries>
#include <QChartView>

#include "Panel.h"
#include "TokenStrip.h"

class PredictionPanel : public Panel {
  Q_OBJECT
 public:
  static constexpr int kTopK = 10;
  explicit PredictionPanel(Workspace* ws, QWidget* parent = nullptr);
  QString help() const override;
  PanelData data() const override { return m_data; }  // [1, V] next-byte probabilities after token t
  void refresh() override;
  TokenStrip* text() const { return m_text; }
  QStringList topLabels() const { return m_top; }

 private:
  void changeEvent(QEvent* e) override;
  QChartView* m_chartView;
  TokenStrip* m_text;
  QLabel* m_caption;
  QStringList m_top;
  PanelData m_data;
};
