#include "HeatmapPyramid.h"

#include <cmath>

void HeatmapPyramid::setData(int rows, int cols, QVector<float> values) {
  m_levels.clear();
  m_levels.push_back(Level{rows, cols, std::move(values)});
  while (m_levels.back().rows > 256 || m_levels.back().cols > 256) {
    const Level& a = m_levels.back();
    Level b;
    b.rows = (a.rows + 1) / 2;
    b.cols = (a.cols + 1) / 2;
    b.values.resize(qsizetype(b.rows) * b.cols);
    for (int r = 0; r < b.rows; ++r)
      for (int c = 0; c < b.cols; ++c) {
        float best = NAN;
        for (int dr = 0; dr < 2; ++dr)
          for (int dc = 0; dc < 2; ++dc) {
            const int rr = 2 * r + dr, cc = 2 * c + dc;
            if (rr >= a.rows || cc >= a.cols) continue;
            const float v = a.values[qsizetype(rr) * a.cols + cc];
            if (std::isnan(best) || std::abs(v) > std::abs(best)) best = v;
          }
        b.values[qsizetype(r) * b.cols + c] = best;
      }
    m_levels.push_back(std::move(b));
  }
}

int HeatmapPyramid::levelFor(int rows, int cols) const {
  int k = 0;
  while (k + 1 < levelCount() && m_levels[k + 1].rows >= rows && m_levels[k + 1].cols >= cols) ++k;
  return k;
}
