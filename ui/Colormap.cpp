#include "Colormap.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <vector>

namespace {

QRgb rgb01(double r, double g, double b) {
  auto c = [](double x) { return std::clamp(int(std::lround(x * 255.0)), 0, 255); };
  return qRgb(c(r), c(g), c(b));
}

}  // namespace

namespace Colormap {

QRgb viridis(double t) {
  // Polynomial fit of matplotlib's viridis (Matt Zucker, CC0); max error below 1/255 per channel.
  t = std::clamp(t, 0.0, 1.0);
  static const double c[7][3] = {{0.2777273272234177, 0.005407344544966578, 0.3340998053353061},
                                 {0.1050930431085774, 1.404613529898575, 1.384590162594685},
                                 {-0.3308618287255563, 0.214847559468213, 0.09509516302823659},
                                 {-4.634230498983486, -5.799100973351585, -19.33244095627987},
                                 {6.228269936347081, 14.17993336680509, 56.69055260068105},
                                 {4.776384997670288, -13.74514537774601, -65.35303263337234},
                                 {-5.435455855934631, 4.645852612178535, 26.3124352495832}};
  double out[3];
  for (int k = 0; k < 3; ++k) {
    double v = c[6][k];
    for (int i = 5; i >= 0; --i) v = c[i][k] + t * v;
    out[k] = v;
  }
  return rgb01(out[0], out[1], out[2]);
}

QRgb coolWarm(double t) {
  // Moreland's diverging cool-warm, control points in sRGB (0..255), interpolated linearly.
  static const double p[9][3] = {{59, 76, 192},   {98, 130, 234},  {141, 176, 254}, {184, 208, 249}, {221, 221, 221},
                                 {245, 196, 173}, {244, 154, 123}, {222, 96, 77},   {180, 4, 38}};
  t = std::clamp(t, 0.0, 1.0) * 8.0;
  const int i = std::min(int(t), 7);
  const double f = t - i;
  return qRgb(int(p[i][0] + f * (p[i + 1][0] - p[i][0])), int(p[i][1] + f * (p[i + 1][1] - p[i][1])),
              int(p[i][2] + f * (p[i + 1][2] - p[i][2])));
}

const QVector<QRgb>& table(ColorScale scale) {
  static const QVector<QRgb> v = [] {
    QVector<QRgb> t(256);
    for (int i = 0; i < 256; ++i) t[i] = viridis(i / 255.0);
    return t;
  }();
  static const QVector<QRgb> d = [] {
    QVector<QRgb> t(256);
    for (int i = 0; i < 256; ++i) t[i] = coolWarm(i / 255.0);
    return t;
  }();
  return scale == ColorScale::Signed ? d : v;
}

}  // namespace Colormap

ColorNormalizer::ColorNormalizer(ColorScale scale, double lo, double hi) : m_scale(scale), m_lo(lo), m_hi(hi) {}

ColorNormalizer ColorNormalizer::fromData(ColorScale scale, const float* v, qsizetype n) {
  // The finite values' range in floats, written so the compiler vectorises it (a heatmap reads its whole
  // window per frame: up to 2048 x 2048 values for the matrix view); NaN and ±Inf fail the
  // |x| <= FLT_MAX test and are skipped.
  constexpr int kLanes = 16;
  float los[kLanes], his[kLanes];
  std::fill_n(los, kLanes, INFINITY);
  std::fill_n(his, kLanes, -INFINITY);
  auto take = [&](int lane, float x) {
    const bool finite = std::fabs(x) <= FLT_MAX;
    los[lane] = std::min(los[lane], finite ? x : INFINITY);
    his[lane] = std::max(his[lane], finite ? x : -INFINITY);
  };
  qsizetype i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int k = 0; k < kLanes; ++k) take(k, v[i + k]);
  for (; i < n; ++i) take(0, v[i]);
  return fromRange(scale, *std::min_element(los, los + kLanes), *std::max_element(his, his + kLanes));
}

ColorNormalizer ColorNormalizer::fromRange(ColorScale scale, double lo, double hi) {
  if (!(lo <= hi)) lo = 0, hi = 1;  // no finite value (NaN or an empty range)
  double amax = std::max(std::abs(lo), std::abs(hi));
  if (amax == 0) amax = 1;
  switch (scale) {
    case ColorScale::Signed: return ColorNormalizer(scale, -amax, amax);
    case ColorScale::Log: return ColorNormalizer(scale, amax * 1e-4, amax);
    case ColorScale::Linear: return ColorNormalizer(scale, lo, hi > lo ? hi : lo + 1);
  }
  return {};
}

ColorNormalizer ColorNormalizer::fromDataRobust(ColorScale scale, const float* v, qsizetype n) {
  std::vector<float> s, a;
  const qsizetype stride = std::max<qsizetype>(1, n >> 20);
  for (qsizetype i = 0; i < n; i += stride)
    if (std::isfinite(v[i])) s.push_back(v[i]);
  if (s.empty()) return fromData(scale, v, 0);
  auto pct = [](std::vector<float>& x, double q) {
    const size_t k = std::min(x.size() - 1, size_t(q * double(x.size() - 1) + 0.5));
    std::nth_element(x.begin(), x.begin() + k, x.end());
    return double(x[k]);
  };
  a.resize(s.size());
  std::transform(s.begin(), s.end(), a.begin(), [](float x) { return std::abs(x); });
  const double amax = pct(a, 0.99);
  switch (scale) {
    case ColorScale::Signed: return amax > 0 ? ColorNormalizer(scale, -amax, amax) : fromData(scale, v, n);
    case ColorScale::Log: return amax > 0 ? ColorNormalizer(scale, amax * 1e-4, amax) : fromData(scale, v, n);
    case ColorScale::Linear: {
      const double lo = pct(s, 0.01), hi = pct(s, 0.99);
      return hi > lo ? ColorNormalizer(scale, lo, hi) : fromData(scale, v, n);
    }
  }
  return {};
}

double ColorNormalizer::operator()(double v) const {
  if (std::isnan(v)) return v;
  if (m_scale == ColorScale::Log) {
    const double a = std::max(std::abs(v), m_lo);
    return std::clamp(std::log10(a / m_lo) / std::log10(m_hi / m_lo), 0.0, 1.0);
  }
  return std::clamp((v - m_lo) / (m_hi - m_lo), 0.0, 1.0);
}

QRgb ColorNormalizer::color(double v) const {
  const double t = (*this)(v);
  if (std::isnan(t)) return qRgba(0, 0, 0, 0);
  return Colormap::table(m_scale)[std::clamp(int(t * 255.0 + 0.5), 0, 255)];
}
