// Zoom: the one scale factor of the explorer's looks, applied app-wide. Setting it sets the
// application font to kBasePointSize × factor (every label, axis, heatmap tick and chart text follows
// through QEvent::FontChange) and scales line widths drawn with Zoom::px(). Ctrl +/−/0 in the window
// call zoomIn / zoomOut / reset; the window remembers the factor in QSettings ("zoom").
// The classroom presentation mode drives the same entry point: Zoom::instance()->setFactor(f).
#pragma once

#include <QObject>

class Zoom : public QObject {
  Q_OBJECT
 public:
  static constexpr double kBasePointSize = 12.0;  // body text at zoom 1: readable on a 1280 × 720 projector
  static constexpr double kMin = 0.5, kMax = 3.0;

  static Zoom* instance();
  double factor() const { return m_factor; }
  double pointSize() const { return kBasePointSize * m_factor; }
  // A length in device-independent pixels (a line width, a margin) at the current zoom.
  static double px(double atZoom1) { return atZoom1 * instance()->m_factor; }

 public slots:
  void setFactor(double factor);  // clamped to [kMin, kMax]; sets the application font; emits changed
  void zoomIn();                  // next step of 1, 1.1, 1.25, 1.5, 1.75, 2, 2.5, 3
  void zoomOut();
  void reset() { setFactor(1.0); }

 signals:
  void changed(double factor);

 private:
  Zoom() = default;
  void applyFont();
  double m_factor = 1.0;
};
