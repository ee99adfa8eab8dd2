// ModelColumn: one loaded model — its name, architecture, backend and memory, its layer schedule, and
// the layer / head / channel that the views show for it. Clicking the column makes it the active one
// (the single-model views follow it). Its looks: a stripe and swatch in the model's colour (the colour
// the charts draw it in, ChartStyle::modelColor), a border in the highlight colour when active, all
// painted from the current palette (no style sheet, so a theme switch repaints every part).
#pragma once

#include <QCheckBox>
#include <QComboBox>
#include <QFrame>
#include <QLabel>
#include <QSpinBox>
#include <QToolButton>

#include "LayerScheduleStrip.h"

class Workspace;

class ModelColumn : public QFrame {
  Q_OBJECT
 public:
  ModelColumn(Workspace* ws, int column, QWidget* parent = nullptr);
  int column() const { return m_column; }
  void setActive(bool active);
  void sync();  // from the workspace's choice and the column's error
  QString errorText() const { return m_error->text(); }
  QSpinBox* layerBox() const { return m_layer; }
  QSpinBox* headBox() const { return m_head; }
  // A layer with attention and a Mamba-2 (Falcon-H1's, Zamba2's hybrid): its Mamba-2 or its attention (hidden otherwise).
  QComboBox* partBox() const { return m_part; }
  QCheckBox* deltaAverageBox() const { return m_deltaAverage; }  // Δ → average (hidden without SSM layers)
  QLabel* interventionLabel() const { return m_intervened; }     // says the column is intervened
  LayerScheduleStrip* schedule() const { return m_schedule; }
  QLabel* nameLabel() const { return m_name; }
  QColor modelColor() const { return m_color; }
  bool isActive() const { return m_active; }

 protected:
  void mousePressEvent(QMouseEvent*) override;
  void paintEvent(QPaintEvent*) override;
  bool eventFilter(QObject* o, QEvent* e) override;

 private:
  void apply();
  Workspace* m_ws;
  int m_column;
  QLabel* m_name;
  QLabel* m_info;
  QLabel* m_error;
  LayerScheduleStrip* m_schedule;
  QSpinBox* m_layer;
  QSpinBox* m_head;
  QComboBox* m_part;
  QLabel* m_layerKind;
  QCheckBox* m_deltaAverage;
  QLabel* m_intervened;
  QToolButton* m_close;
  QColor m_color;
  bool m_active = false;
};
