// Level-of-detail copies of a matrix for drawing it at any size: level 0 is the data, each further
// level halves both sides, keeping from every 2x2 block the value of largest magnitude (with its sign),
// so a single strong cell stays visible when an 8K x 8K matrix is drawn in 800 pixels.
#pragma once

#include <QVector>

class HeatmapPyramid {
 public:
  struct Level {
    int rows = 0, cols = 0;
    QVector<float> values;  // row-major [rows, cols]
  };

  void setData(int rows, int cols, QVector<float> values);
  int levelCount() const { return int(m_levels.size()); }
  const Level& level(int k) const { return m_levels[k]; }
  // The coarsest level that still has at least `rows` x `cols` cells (level 0 if the data is smaller).
  int levelFor(int rows, int cols) const;

 private:
  QVector<Level> m_levels;
};
