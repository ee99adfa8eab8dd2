// ModelColumn: one loaded model — its name, architecture, backend and memory, its layer schedule, and
// the layer / head / channel that the views show for it. Clicking the column makes it the active one
// (the single-model views follow it).
#pragma once

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
  LayerScheduleStrip* schedule() const { return m_schedule; }

 protected:
  void mousePressEvent(QMouseEvent*) override;
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
  QLabel* m_layerKind;
  QToolButton* m_close;
};
