// Hidden state view: h_t of the chosen SSM layer after the selected token (state dims x channels),
// and beside it how the state evolves over the window (its norm, and the norm of a picked channel).
// For an attention layer the analogue is the KV cache at t: key dims x positions 0..t, growing.
#pragma once

#include <QChartView>
#include <QLineSeries>
#include <QSpinBox>
#include <QValueAxis>

#include "Heatmap.h"
#include "Panel.h"

class HiddenStatePanel : public Panel {
  Q_OBJECT
 public:
  explicit HiddenStatePanel(Workspace* ws, QWidget* parent = nullptr);
  QString help() const override;
  ss::View view() const override { return ss::View::State; }
  QString caption() const { return m_caption->text(); }
  const QLineSeries* channelSeries() const { return m_channel; }
  bool channelInLegend() const;
  void refresh() override;
  Heatmap* heatmap() const { return m_heatmap; }
  const QLineSeries* normSeries() const { return m_norm; }

 private:
  void showSsm(const ss::Frame& f);
  void showKvCache(const ss::Frame& f);
  void showLegend(bool norm, bool channel);
  void styleChart();
  void changeEvent(QEvent* e) override;

  Heatmap* m_heatmap;
  QChartView* m_chartView;
  QLineSeries* m_norm;
  QLineSeries* m_channel;
  QLineSeries* m_marker;
  QValueAxis* m_x;
  QValueAxis* m_yNorm;
  QValueAxis* m_yChannel;
  QSpinBox* m_channelBox;
  QLabel* m_caption;
};
