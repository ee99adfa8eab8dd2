#include "LayerScheduleStrip.h"

#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <cmath>

#include "Zoom.h"

LayerScheduleStrip::LayerScheduleStrip(QWidget* parent) : QWidget(parent) {
  setToolTip(tr("The model's layers, bottom to top. Green: Mamba (a fixed state), blue: Mamba-2 (a fixed state), "
                "orange: attention (a KV cache that grows by one position per token), grey: a feed-forward layer "
                "that mixes no tokens (Nemotron-H's MLP layers, nothing carried); a bar under a layer: a "
                "mixture-of-experts feed-forward. Click a layer to show it."));
  setToolTip(toolTip() + "\n" + tr("Half orange, half blue (A∥M2): attention and Mamba-2 side by side on the same input, "
                                    "their outputs added (Falcon-H1): the layer carries a state and a KV cache."));
  setToolTip(toolTip() + "\n" + tr("S0+M2 (Zamba2): the layer first runs shared transformer block 0 (attention + MLP whose "
                                    "weights several layers share; this layer's own KV cache), then its own Mamba-2."));
}

QColor LayerScheduleStrip::mixerColor(ss::MixerKind k) {
  switch (k) {
    case ss::MixerKind::Mamba: return QColor(0, 158, 115);
    case ss::MixerKind::Mamba2: return QColor(86, 150, 233);
    case ss::MixerKind::Attention: return QColor(230, 159, 0);
    case ss::MixerKind::None: return QColor(160, 160, 160);
    case ss::MixerKind::AttentionMamba2: return mixerColor(ss::MixerKind::Mamba2);
  }
  return Qt::gray;
}

QString LayerScheduleStrip::mixerSwatch(ss::MixerKind k) {
  const auto one = [](ss::MixerKind kind) { return QString("<span style='color:%1'>▮</span>").arg(mixerColor(kind).name()); };
  return k == ss::MixerKind::AttentionMamba2 ? one(ss::MixerKind::Attention) + one(ss::MixerKind::Mamba2) : one(k);
}

QString LayerScheduleStrip::mixerLabel(ss::MixerKind k) {
  if (k == ss::MixerKind::AttentionMamba2) return QStringLiteral("A∥M2");
  return k == ss::MixerKind::Attention ? "A" : k == ss::MixerKind::Mamba2 ? "M2" : k == ss::MixerKind::None ? "F" : "M";
}

QString LayerScheduleStrip::carryText(ss::MixerKind k) {
  if (k == ss::MixerKind::AttentionMamba2) return tr("state+KV↗");
  return k == ss::MixerKind::Attention ? tr("KV↗") : k == ss::MixerKind::None ? QString() : tr("state");
}

QString LayerScheduleStrip::layerLabel(const ss::ModelConfig& c, int l) {
  const int b = c.shared_block(l);
  return b >= 0 ? QString("S%1+%2").arg(b).arg(mixerLabel(c.mixers[l])) : mixerLabel(c.mixers[l]);
}

QString LayerScheduleStrip::layerCarryText(const ss::ModelConfig& c, int l) {
  return c.shared_block(l) >= 0 ? tr("KV↗+state") : carryText(c.mixers[l]);
}

void LayerScheduleStrip::setConfig(const ss::ModelConfig& c) {
  m_config = c;
  updateGeometry();
  update();
}

void LayerScheduleStrip::setCurrentLayer(int layer) {
  m_current = layer;
  update();
}

QSize LayerScheduleStrip::sizeHint() const {
  const int h = QFontMetrics(font()).height();
  // box (1.6 h) + MoE bar + the "state" / "KV↗" line (h) + margins: nothing is cut, active or not.
  return {std::max(120, m_config.n_layers * (h * 2 + 4)), int(std::ceil(h * 2.6)) + 16};
}

QRectF LayerScheduleStrip::boxRect(int l) const {
  const int n = std::max(1, m_config.n_layers);
  const double w = double(width() - 2) / n;
  const int h = QFontMetrics(font()).height();
  return QRectF(1 + l * w + 2, 2, w - 4, h * 1.6);
}

QRectF LayerScheduleStrip::carryRect(int l) const {
  const QRectF r = boxRect(l);
  return QRectF(r.left(), r.bottom() + 8, r.width(), QFontMetrics(font()).height());
}

void LayerScheduleStrip::paintEvent(QPaintEvent*) {
  QPainter p(this);
  p.setRenderHint(QPainter::Antialiasing);
  const QFontMetrics fm(font());
  QFont small = font();
  small.setPointSizeF(std::max(8.0, font().pointSizeF() * 0.8));
  for (int l = 0; l < m_config.n_layers; ++l) {
    const QRectF r = boxRect(l);
    const ss::MixerKind k = m_config.mixers[l];
    p.setBrush(mixerColor(k));
    p.setPen(l == m_current ? QPen(palette().color(QPalette::WindowText), Zoom::px(3)) : QPen(Qt::NoPen));
    p.drawRoundedRect(r, 4, 4);
    if (k == ss::MixerKind::AttentionMamba2) {  // side by side: the left half attention, the right half Mamba-2
      QPainterPath box;
      box.addRoundedRect(r, 4, 4);
      p.save();
      p.setClipPath(box);
      p.fillRect(QRectF(r.left(), r.top(), r.width() / 2, r.height()), mixerColor(ss::MixerKind::Attention));
      p.restore();
      if (l == m_current) {  // the border over both halves
        p.setBrush(Qt::NoBrush);
        p.drawRoundedRect(r, 4, 4);
      }
    }
    if (m_config.shared_block(l) >= 0) {  // Zamba2: the shared block's attention first, in the attention colour
      p.setBrush(mixerColor(ss::MixerKind::Attention));
      p.setPen(Qt::NoPen);
      p.drawRoundedRect(QRectF(r.left(), r.top(), r.width() * 0.3, r.height()), 4, 4);
    }
    p.setPen(Qt::black);
    p.setFont(font());
    const QString label = layerLabel(m_config, l);
    const int numbered = std::max(fm.horizontalAdvance("M2 00"), fm.horizontalAdvance(label + " 00"));
    p.drawText(r, Qt::AlignCenter, r.width() > numbered ? QString("%1 %2").arg(label).arg(l) : label);
    if (m_config.ffns[l] == ss::FfnKind::Moe) {
      p.setBrush(palette().color(QPalette::WindowText));  // not a model or layer colour
      p.setPen(Qt::NoPen);
      p.drawRect(QRectF(r.left() + r.width() * 0.15, r.bottom() + 2, r.width() * 0.7, 4));
    }
    p.setFont(small);
    p.setPen(palette().color(QPalette::WindowText));
    const QString carry = layerCarryText(m_config, l);
    if (!carry.isEmpty() && r.width() > QFontMetrics(small).horizontalAdvance(carry)) p.drawText(carryRect(l), Qt::AlignCenter, carry);
  }
}

void LayerScheduleStrip::mousePressEvent(QMouseEvent* e) {
  for (int l = 0; l < m_config.n_layers; ++l)
    if (boxRect(l).adjusted(-2, 0, 2, 30).contains(e->position())) emit layerClicked(l);
}
