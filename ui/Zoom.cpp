#include "Zoom.h"

#include <QApplication>
#include <QFont>
#include <algorithm>
#include <array>

namespace {
constexpr std::array<double, 12> kSteps = {0.5, 0.67, 0.8, 0.9, 1.0, 1.1, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0};
}

Zoom* Zoom::instance() {
  static Zoom* z = new Zoom;  // lives as long as the process (widgets read it while being destroyed)
  return z;
}

void Zoom::setFactor(double f) {
  f = std::clamp(f, kMin, kMax);
  const bool same = std::abs(f - m_factor) < 1e-9;
  m_factor = f;
  applyFont();
  if (!same) emit changed(m_factor);
}

void Zoom::applyFont() {
  if (!qobject_cast<QApplication*>(QCoreApplication::instance())) return;
  QFont font = QApplication::font();
  if (std::abs(font.pointSizeF() - pointSize()) < 1e-6) return;
  font.setPointSizeF(pointSize());
  QApplication::setFont(font);  // every widget without its own size gets a FontChange event
}

void Zoom::zoomIn() {
  for (double s : kSteps)
    if (s > m_factor + 1e-6) return setFactor(s);
}

void Zoom::zoomOut() {
  for (auto it = kSteps.rbegin(); it != kSteps.rend(); ++it)
    if (*it < m_factor - 1e-6) return setFactor(*it);
}
