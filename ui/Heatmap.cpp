#include "Heatmap.h"

#include <QMouseEvent>
#include <QPainter>
#include <cmath>

#include "Zoom.h"

namespace {

QString tickText(double v) {
  if (v == 0) return "0";
  const double a = std::abs(v);
  if (a >= 1e4 || a < 1e-2) return QString::number(v, 'e', 0).replace("e-0", "e-").replace("e+0", "e");
  return QString::number(v, 'g', 2);
}

// About `n` round tick values in [0, span).
QVector<qint64> ticks(qint64 start, qint64 span, int n) {
  QVector<qint64> out;
  if (span <= 0) return out;
  const double raw = double(span) / std::max(n, 1);
  double step = std::pow(10.0, std::floor(std::log10(std::max(raw, 1.0))));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (step * m >= raw) { step *= m; break; }
  const qint64 s = std::max<qint64>(1, qint64(step));
  for (qint64 v = ((start + s - 1) / s) * s; v < start + span; v += s) out.push_back(v);
  return out;
}

}  // namespace

Heatmap::Heatmap(QWidget* parent) : QWidget(parent) {
  setMouseTracking(false);
  setAttribute(Qt::WA_OpaquePaintEvent, false);
  m_placeholder = tr("no data");
}

QSize Heatmap::sizeHint() const {
  const int h = QFontMetrics(font()).height();
  return {h * 27, h * 20};
}

QSize Heatmap::minimumSizeHint() const {
  const int h = QFontMetrics(font()).height();
  return {h * 12, h * 6};
}

void Heatmap::setData(int rows, int cols, QVector<float> values) {
  m_rawRows = rows;
  m_rawCols = cols;
  m_raw = std::move(values);
  rebuildDisplay();
}

void Heatmap::rebuildDisplay() {
  QVector<float> shown = m_raw;  // shares m_raw's memory unless normalised per column
  if (m_range == ColorRange::PerColumn && m_rawRows > 0 && m_rawCols > 0) {
    QVector<float> colMax(m_rawCols, 0.f);
    for (int r = 0; r < m_rawRows; ++r)
      for (int c = 0; c < m_rawCols; ++c) {
        const float v = m_raw[qsizetype(r) * m_rawCols + c];
        if (std::isfinite(v)) colMax[c] = std::max(colMax[c], std::abs(v));
      }
    float* d = shown.data();  // detaches
    for (int r = 0; r < m_rawRows; ++r)
      for (int c = 0; c < m_rawCols; ++c) d[qsizetype(r) * m_rawCols + c] /= colMax[c] > 0 ? colMax[c] : 1.f;
    // Each column now spans up to ±1 (Log: up to 1): the colours compare a channel with itself.
    m_norm = m_scale == ColorScale::Signed ? ColorNormalizer(m_scale, -1, 1)
             : m_scale == ColorScale::Log  ? ColorNormalizer(m_scale, 1e-4, 1)
                                           : ColorNormalizer::fromData(m_scale, shown.constData(), shown.size());
  } else if (m_range == ColorRange::Robust) {
    m_norm = ColorNormalizer::fromDataRobust(m_scale, shown.constData(), shown.size());
  } else {
    m_norm = ColorNormalizer::fromData(m_scale, shown.constData(), shown.size());
  }
  m_pyramid.setData(m_rawRows, m_rawCols, std::move(shown));
  m_imageLevel = -1;
  update();
}

void Heatmap::clear() { setData(0, 0, {}); }

const QVector<float>& Heatmap::values() const { return m_raw; }

QRgb Heatmap::cellColor(int row, int col) const {
  if (!m_pyramid.levelCount() || row < 0 || col < 0 || row >= rows() || col >= cols()) return qRgba(0, 0, 0, 0);
  return m_norm.color(m_pyramid.level(0).values[qsizetype(row) * cols() + col]);
}

void Heatmap::setScale(ColorScale scale) {
  if (scale == m_scale) return;
  m_scale = scale;
  rebuildDisplay();
}

void Heatmap::setColorRange(ColorRange range) {
  if (range == m_range) return;
  m_range = range;
  rebuildDisplay();
}

QString Heatmap::colorbarLabel() const {
  QString units = m_units;
  if (m_scale == ColorScale::Log) units = "|" + (m_units.isEmpty() ? QString("value") : m_units) + "| (log)";
  switch (m_range) {
    case ColorRange::Full: return units;
    case ColorRange::Robust: return units + tr(" · 99% range");
    case ColorRange::PerColumn: return units + tr(" ÷ column max");
  }
  return units;
}

void Heatmap::setTitle(const QString& t) { m_title = t; update(); }
void Heatmap::setAxisLabels(const QString& r, const QString& c) { m_rowLabel = r; m_colLabel = c; update(); }
void Heatmap::setUnits(const QString& u) { m_units = u; update(); }
void Heatmap::setOffsets(qint64 r0, qint64 c0) { m_row0 = r0; m_col0 = c0; update(); }
void Heatmap::setHighlight(int row, int col) { m_highlightRow = row; m_highlightCol = col; update(); }
void Heatmap::setPlaceholder(const QString& t) { m_placeholder = t; update(); }

Heatmap::TitleLayout Heatmap::titleLayout() const {
  // The whole title, never cut: bold in the widget's font, smaller (down to 80 %) if that makes it fit
  // one line, else wrapped onto more lines.
  QFont f = font();
  f.setBold(true);
  const int room = std::max(40, width() - 4);
  for (double s : {1.0, 0.9, 0.8}) {
    QFont g = f;
    g.setPointSizeF(f.pointSizeF() * s);
    if (QFontMetrics(g).horizontalAdvance(m_title) <= room) return {g, QFontMetrics(g).height(), 1};
  }
  f.setPointSizeF(f.pointSizeF() * 0.8);
  const QRect r = QFontMetrics(f).boundingRect(QRect(0, 0, room, 10000), Qt::AlignHCenter | Qt::TextWordWrap, m_title);
  return {f, r.height(), std::max(1, r.height() / QFontMetrics(f).height())};
}

QRect Heatmap::plotRect() const {
  const QFontMetrics fm(font());
  const int left = int(fm.height() * 1.3) + fm.horizontalAdvance("0000") + 10;
  const int top = m_title.isEmpty() ? 6 : titleLayout().height + fm.height() / 2;
  const int right = fm.horizontalAdvance(m_scale == ColorScale::Log ? "1e-04" : "-0.000") + int(fm.height() * 1.3) + 40;
  const int bottom = fm.height() * 2 + 12;
  return QRect(left, top, std::max(10, width() - left - right), std::max(10, height() - top - bottom));
}

QPoint Heatmap::cellAt(QPointF pos) const {
  const QRect r = plotRect();
  if (!rows() || !cols()) return {-1, -1};
  const int c = int((pos.x() - r.left()) / r.width() * cols());
  const int row = int((pos.y() - r.top()) / r.height() * rows());
  return {std::clamp(c, 0, cols() - 1), std::clamp(row, 0, rows() - 1)};
}

void Heatmap::rebuildImage(QSize px) {
  const int k = m_pyramid.levelFor(px.height(), px.width());
  if (k == m_imageLevel && m_imageFor == px && !m_image.isNull()) return;
  const HeatmapPyramid::Level& L = m_pyramid.level(k);
  QImage img(L.cols, L.rows, QImage::Format_ARGB32);
  for (int r = 0; r < L.rows; ++r) {
    QRgb* line = reinterpret_cast<QRgb*>(img.scanLine(r));
    const float* v = L.values.constData() + qsizetype(r) * L.cols;
    for (int c = 0; c < L.cols; ++c) line[c] = m_norm.color(v[c]);
  }
  m_image = img;
  m_imageLevel = k;
  m_imageFor = px;
}

void Heatmap::resizeEvent(QResizeEvent*) { m_imageLevel = -1; }

void Heatmap::paintEvent(QPaintEvent*) {
  QElapsedTimer timer;
  timer.start();
  QPainter p(this);
  p.setRenderHint(QPainter::Antialiasing, false);
  const QRect plot = plotRect();
  if (!m_title.isEmpty()) {
    const TitleLayout tl = titleLayout();
    p.setFont(tl.font);
    p.setPen(palette().color(QPalette::WindowText));
    p.drawText(QRect(2, 2, width() - 4, tl.height), Qt::AlignHCenter | Qt::AlignTop | Qt::TextWordWrap, m_title);
    p.setFont(font());
  }
  if (!rows() || !cols()) {
    p.setPen(palette().color(QPalette::PlaceholderText));
    p.drawRect(plot);
    p.drawText(plot, Qt::AlignCenter | Qt::TextWordWrap, m_placeholder);
    return;
  }
  const qreal dpr = devicePixelRatioF();
  rebuildImage(QSize(int(plot.width() * dpr), int(plot.height() * dpr)));
  // Few cells per pixel: draw crisp cells; many: the pyramid level already matches the pixels.
  p.setRenderHint(QPainter::SmoothPixmapTransform, m_image.width() > plot.width() * dpr);
  p.drawImage(plot, m_image);
  p.setPen(palette().color(QPalette::Mid));
  p.drawRect(plot.adjusted(0, 0, -1, -1));

  const double cw = double(plot.width()) / cols(), ch = double(plot.height()) / rows();
  QPen hl(palette().color(QPalette::Highlight), Zoom::px(2.5));
  p.setPen(hl);
  p.setBrush(Qt::NoBrush);
  if (m_highlightRow >= 0 && m_highlightRow < rows())
    p.drawRect(QRectF(plot.left(), plot.top() + m_highlightRow * ch, plot.width(), std::max(ch, 2.0)));
  if (m_highlightCol >= 0 && m_highlightCol < cols())
    p.drawRect(QRectF(plot.left() + m_highlightCol * cw, plot.top(), std::max(cw, 2.0), plot.height()));
  if (m_dragStart.x() >= 0 && m_dragNow.x() >= 0) {
    const int c0 = std::min(m_dragStart.x(), m_dragNow.x()), c1 = std::max(m_dragStart.x(), m_dragNow.x());
    const int r0 = std::min(m_dragStart.y(), m_dragNow.y()), r1 = std::max(m_dragStart.y(), m_dragNow.y());
    p.setPen(QPen(Qt::white, 2, Qt::DashLine));
    p.drawRect(QRectF(plot.left() + c0 * cw, plot.top() + r0 * ch, (c1 - c0 + 1) * cw, (r1 - r0 + 1) * ch));
  }
  drawAxes(p, plot);
  drawColorbar(p, plot);
  m_lastPaintMs = timer.nsecsElapsed() / 1e6;
}

void Heatmap::drawAxes(QPainter& p, const QRect& plot) {
  const QFontMetrics fm(font());
  p.setPen(palette().color(QPalette::WindowText));
  const double cw = double(plot.width()) / cols(), ch = double(plot.height()) / rows();
  const int nx = std::max(2, plot.width() / (fm.horizontalAdvance("00000") + 12));
  const int ny = std::max(2, plot.height() / (fm.height() * 3));
  for (qint64 v : ticks(m_col0, cols(), nx)) {
    const double x = plot.left() + (v - m_col0 + 0.5) * cw;
    p.drawLine(QPointF(x, plot.bottom() + 1), QPointF(x, plot.bottom() + 5));
    p.drawText(QRectF(x - 40, plot.bottom() + 5, 80, fm.height()), Qt::AlignHCenter | Qt::AlignTop, QString::number(v));
  }
  for (qint64 v : ticks(m_row0, rows(), ny)) {
    const double y = plot.top() + (v - m_row0 + 0.5) * ch;
    p.drawLine(QPointF(plot.left() - 5, y), QPointF(plot.left() - 1, y));
    p.drawText(QRectF(0, y - fm.height() / 2.0, plot.left() - 8, fm.height()), Qt::AlignRight | Qt::AlignVCenter, QString::number(v));
  }
  // Labels longer than their axis are elided with "…" rather than cut mid-word.
  p.drawText(QRect(plot.left(), plot.bottom() + 6 + fm.height(), plot.width(), fm.height() + 4), Qt::AlignCenter,
             fm.elidedText(m_colLabel, Qt::ElideRight, plot.width()));
  p.save();
  p.translate(fm.height() * 0.2, plot.center().y());
  p.rotate(-90);
  p.drawText(QRect(-plot.height() / 2, 0, plot.height(), fm.height() + 2), Qt::AlignCenter,
             fm.elidedText(m_rowLabel, Qt::ElideRight, plot.height()));
  p.restore();
}

void Heatmap::drawColorbar(QPainter& p, const QRect& plot) {
  const QFontMetrics fm(font());
  const QRect bar(plot.right() + 14, plot.top(), 18, plot.height());
  const QVector<QRgb>& lut = Colormap::table(m_scale);
  for (int y = 0; y < bar.height(); ++y) {
    const int i = std::clamp(int((1.0 - double(y) / std::max(1, bar.height() - 1)) * 255), 0, 255);
    p.setPen(QColor::fromRgb(lut[i]));
    p.drawLine(bar.left(), bar.top() + y, bar.right(), bar.top() + y);
  }
  p.setPen(palette().color(QPalette::Mid));
  p.drawRect(bar.adjusted(0, 0, -1, -1));
  p.setPen(palette().color(QPalette::WindowText));
  const double lo = m_norm.lo(), hi = m_norm.hi();
  QVector<QPair<double, double>> marks;  // (position 0..1 from bottom, value)
  if (m_scale == ColorScale::Log) {
    const double step = bar.height() >= fm.height() * 6 ? 10 : 100;  // every decade, or every other one when short
    for (double v = hi; v >= lo * 0.999; v /= step) marks.push_back({std::log10(v / lo) / std::log10(hi / lo), v});
  } else {
    // 5 labels, or 3 when fewer fit the bar's height.
    const int n = bar.height() >= fm.height() * 6 ? 4 : 2;
    for (int k = 0; k <= n; ++k) marks.push_back({double(k) / n, lo + (hi - lo) * k / n});
  }
  for (auto [t, v] : marks) {
    const double y = bar.bottom() - t * (bar.height() - 1);
    p.drawLine(QPointF(bar.right(), y), QPointF(bar.right() + 4, y));
    const QString s = m_scale == ColorScale::Log ? QString("%1").arg(v, 0, 'e', 0).replace("e-0", "e-").replace("e+0", "e") : tickText(v);
    p.drawText(QRectF(bar.right() + 6, y - fm.height() / 2.0, 200, fm.height()), Qt::AlignLeft | Qt::AlignVCenter, s);
  }
  // The label says what the colours mean, the range rule included; smaller rather than cut.
  const QString label = colorbarLabel();
  QFont lf = font();
  for (double s : {0.9, 0.8})
    if (QFontMetrics(lf).horizontalAdvance(label) > plot.height()) lf.setPointSizeF(font().pointSizeF() * s);
  const QFontMetrics lfm(lf);
  p.save();
  p.setFont(lf);
  p.translate(width() - fm.height() * 0.2, plot.center().y());
  p.rotate(-90);
  p.drawText(QRect(-plot.height() / 2 - 40, -lfm.height() - 2, plot.height() + 80, lfm.height() + 2), Qt::AlignCenter, label);
  p.restore();
}

void Heatmap::mousePressEvent(QMouseEvent* e) {
  if (!rows() || !plotRect().contains(e->position().toPoint())) return;
  m_dragStart = m_dragNow = cellAt(e->position());
}

void Heatmap::mouseMoveEvent(QMouseEvent* e) {
  if (m_dragStart.x() < 0) return;
  m_dragNow = cellAt(e->position());
  update();
}

void Heatmap::mouseReleaseEvent(QMouseEvent* e) {
  if (m_dragStart.x() < 0) return;
  const QPoint end = cellAt(e->position());
  const QPoint start = m_dragStart;
  m_dragStart = m_dragNow = {-1, -1};
  update();
  if (end == start) {
    emit cellClicked(start.y(), start.x());
  } else {
    emit blockSelected(std::min(start.y(), end.y()), std::min(start.x(), end.x()), std::max(start.y(), end.y()),
                       std::max(start.x(), end.x()));
  }
}
