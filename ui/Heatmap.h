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
  // Which values set the colour range (Colormap.h); the colorbar's label names it.
  void setColorRange(ColorRange range);
  ColorRange colorRange() const { return m_range; }
  QString colorbarLabel() const;  // the units and, unless Full, the range used: "h value · 99% range", "Δ ÷ column max"
  void setTitle(const QString& title);
  void setAxisLabels(const QString& rowLabel, const QString& colLabel);
  void setUnits(const QString& units);               // shown beside the colorbar
  void setOffsets(qint64 row0, qint64 col0);          // tick labels show row0 + r, col0 + c
  void setHighlight(int row, int col);                // -1: none
  void setPlaceholder(const QString& text);           // shown when there is no data

  int rows() const { return m_pyramid.levelCount() ? m_pyramid.level(0).rows : 0; }
  int cols() const { return m_pyramid.levelCount() ? m_pyramid.level(0).cols : 0; }
  const QVector<float>& values() const;  // as given to setData (not normalised per column)
  const ColorNormalizer& normalizer() const { return m_norm; }
  QRgb cellColor(int row, int col) const;  // the colour cell (row, col) is drawn in (level 0)
  QString title() const { return m_title; }
  QString placeholder() const { return m_placeholder; }
  QString rowAxisLabel() const { return m_rowLabel; }
  QString colAxisLabel() const { return m_colLabel; }
  ColorScale scale() const { return m_scale; }
  double lastPaintMs() const { return m_lastPaintMs; }
  // In lines of the widget's font, so a zoomed heatmap asks for more room: at 12 pt 520 × 380 and at
  // least 228 × 114 pixels (four matrices and their axes fit one view of a 1280 × 720 window).
  QSize sizeHint() const override;
  QSize minimumSizeHint() const override;

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
  struct TitleLayout {
    QFont font;
    int height = 0;  // pixels
    int lines = 1;
  };
  TitleLayout titleLayout() const;

 public:
  QRect plotRect() const;     // where the cells are drawn (for tests: titles, ticks and colorbar fit around it)
  int titleLines() const { return titleLayout().lines; }
  QFont titleFont() const { return titleLayout().font; }

 private:
  QPoint cellAt(QPointF pos) const;
  void rebuildImage(QSize pixels);
  void drawAxes(QPainter& p, const QRect& plot);
  void drawColorbar(QPainter& p, const QRect& plot);

  HeatmapPyramid m_pyramid;
  void rebuildDisplay();  // the pyramid and the normaliser from m_raw, the scale and the range
  ColorScale m_scale = ColorScale::Linear;
  ColorRange m_range = ColorRange::Full;
  int m_rawRows = 0, m_rawCols = 0;
  QVector<float> m_raw;  // the data as given; the pyramid holds what is drawn (per column: normalised)
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
