// Perceptually uniform colormaps for the heatmaps and coloured text:
//   viridis (Smith & van der Walt): magnitudes, dark = small, yellow = large;
//   cool-warm (Moreland 2009): signed values, blue < 0 < red, light grey at 0.
#pragma once

#include <QColor>
#include <QVector>

enum class ColorScale {
  Linear,   // viridis over [min, max]
  Log,      // viridis over log10 |v|, from max/1e4 to max
  Signed,   // cool-warm over [-max|v|, +max|v|]
};

// Which values set a heatmap's colour range (the colorbar says which one is used).
enum class ColorRange {
  Full,       // the smallest to the largest value (Signed: ± the largest |v|)
  Robust,     // the 1st to 99th percentile (Signed and Log: the 99th percentile of |v|): a few outliers
              // saturate instead of washing every other cell out to one colour
  PerColumn,  // every column (channel) divided by its own largest |v| first: per-channel normalisation,
              // which shows each channel's changes over the rows instead of stripes of channel scales
};

namespace Colormap {
QRgb viridis(double t);    // t in [0, 1]
QRgb coolWarm(double t);   // t in [0, 1], 0.5 is zero
// A 256-entry lookup table of the map used by `scale`.
const QVector<QRgb>& table(ColorScale scale);
}  // namespace Colormap

// Maps values to [0, 1] for a scale: the range is fixed once from the data (or set by hand).
class ColorNormalizer {
 public:
  ColorNormalizer() = default;
  ColorNormalizer(ColorScale scale, double lo, double hi);
  static ColorNormalizer fromData(ColorScale scale, const float* v, qsizetype n);  // from the finite values' range
  // From the finite values' range [lo, hi] known already (NaN when there is none), as fromData would.
  static ColorNormalizer fromRange(ColorScale scale, double lo, double hi);
  // Robust: the range from percentiles (ColorRange::Robust), over at most 2^20 evenly spaced samples.
  static ColorNormalizer fromDataRobust(ColorScale scale, const float* v, qsizetype n);
  double operator()(double v) const;  // NaN stays NaN
  QRgb color(double v) const;         // transparent for NaN
  ColorScale scale() const { return m_scale; }
  double lo() const { return m_lo; }  // in data units (for Log: the smallest |v| shown)
  double hi() const { return m_hi; }

 private:
  ColorScale m_scale = ColorScale::Linear;
  double m_lo = 0, m_hi = 1;
};
