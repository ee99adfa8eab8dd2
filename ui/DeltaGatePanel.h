// Δ gate view: Δ of the chosen SSM layer over the window (tokens x channels, or heads for Mamba-2),
// its mean over channels as a line, and the whole text coloured by that mean: where the layer takes
// in the current byte (large Δ) and where it holds on to its memory (small Δ).
#pragma once

#include <QChartView>
#include <QComboBox>
#include <QLineSeries>
#include <QValueAxis>

#include "Heatmap.h"
#include "Panel.h"
#include "TokenStrip.h"

class DeltaGatePanel : public Panel {
  Q_OBJECT
 public:
  explicit DeltaGatePanel(Workspace* ws, QWidget* parent = nullptr);
  QString help() const override;
  ss::View view() const override { return ss::View::Delta; }
  QString caption() const { return m_caption->text(); }
  void refresh() override;
  Heatmap* heatmap() const { return m_heatmap; }
  TokenStrip* text() const { return m_text; }

 private:
  void styleChart();
  void changeEvent(QEvent* e) override;
  void retranslateScale();

  Heatmap* m_heatmap;
  TokenStrip* m_text;
  QChartView* m_chartView;
  QLineSeries* m_mean;
  QLineSeries* m_marker;
  QValueAxis* m_x;
  QValueAxis* m_y;
  QComboBox* m_scale;
  QLabel* m_caption;
};
