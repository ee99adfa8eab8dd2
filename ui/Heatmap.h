// Heatmap: a matrix drawn with a perceptual colormap, axis labels with absolute positions, a colorbar
// with units, a highlighted row / column (the selected token), click and drag-select of cells.
// Large matrices (8K x 8K) are drawn from a level-of-detail pyramid: one cached image at about the
// widget's pixel size, rebuilt only when the data, the scale or the size changes.
#pragma once

#include <QElapsedTimer>
#include <QImage>
#include <QWidget>

#include "Colormap.h"
#include "HeatmapPyramid.h"

class Heatmap : public QWidget {
  Q_OBJECT
 public:
  explicit Heatmap(QWidget* parent = nullptr);

  void setData(int rows, int cols, QVector<float> values);
  void clear();
  void setScale(ColorScale scale);
  void setTitle(const QString& title);
  void setAxisLabels(const QString& rowLabel, const QString& colLabel);
  void setUnits(const QString& units);               // shown beside the colorbar
  void setOffsets(qint64 row0, qint64 col0);          // tick labels show row0 + r, col0 + c
  void setHighlight(int row, int col);                // -1: none
  void setPlaceholder(const QString& text);           // shown when there is no data

  int rows() const { return m_pyramid.levelCount() ? m_pyramid.level(0).rows : 0; }
  int cols() const { return m_pyramid.levelCount() ? m_pyramid.level(0).cols : 0; }
  const QVector<float>& values() const;
  QString title() const { return m_title; }
  QString placeholder() const { return m_placeholder; }
  ColorScale scale() const { return m_scale; }
  double lastPaintMs() const { return m_lastPaintMs; }
  QSize sizeHint() const override { return {520, 380}; }
  QSize minimumSizeHint() const override { return {200, 150}; }

 signals:
  void cellClicked(int row, int col);
  void blockSelected(int row0, int col0, int row1, int col1);  // inclusive cells

 protected:
  void paintEvent(QPaintEvent*) override;
  void resizeEvent(QResizeEvent*) override;
  void mousePressEvent(QMouseEvent*) override;
  void mouseMoveEvent(QMouseEvent*) override;
  void mouseReleaseEvent(QMouseEvent*) override;

 private:
  QRect plotRect() const;
  QPoint cellAt(QPointF pos) const;
  void rebuildImage(QSize pixels);
  void drawAxes(QPainter& p, const QRect& plot);
  void drawColorbar(QPainter& p, const QRect& plot);

  HeatmapPyramid m_pyramid;
  ColorScale m_scale = ColorScale::Linear;
  ColorNormalizer m_norm;
  QImage m_image;
  QSize m_imageFor;
  int m_imageLevel = -1;
  QString m_title, m_rowLabel, m_colLabel, m_units, m_placeholder;
  qint64 m_row0 = 0, m_col0 = 0;
  int m_highlightRow = -1, m_highlightCol = -1;
  QPoint m_dragStart{-1, -1}, m_dragNow{-1, -1};
  double m_lastPaintMs = 0;
};
