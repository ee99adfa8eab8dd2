// LayerScheduleStrip: a model's layers as a row of boxes — Mamba, Mamba-2, attention, attention and
// Mamba-2 side by side (Falcon-H1: a box in two halves, "A∥M2"), a Zamba2 hybrid layer ("S1+M2": shared
// block 1, then its Mamba-2), or a feed-forward layer that mixes no tokens (Nemotron-H's MLP layers), a
// mixture-of-experts feed-forward marked under its layer — with what each layer carries from token to
// token (a fixed state, a KV cache that grows, both, or nothing). Click a box to choose that layer.
#pragma once

#include <QWidget>

#include "config.h"

class LayerScheduleStrip : public QWidget {
  Q_OBJECT
 public:
  explicit LayerScheduleStrip(QWidget* parent = nullptr);
  void setConfig(const ss::ModelConfig& config);
  void setCurrentLayer(int layer);
  static QColor mixerColor(ss::MixerKind kind);  // AttentionMamba2: its Mamba-2's (the strip paints both halves)
  static QString mixerSwatch(ss::MixerKind kind); // "▮" in the kind's colour (AttentionMamba2: two, attention's and Mamba-2's), rich text
  static QString mixerLabel(ss::MixerKind kind);  // "M", "M2", "A", "A∥M2" (attention ∥ Mamba-2), "F" (feed-forward only)
  static QString carryText(ss::MixerKind kind);   // "state", "KV↗", "state+KV↗", or empty (carries nothing)
  // Layer l as the strip labels it: mixerLabel, or "S<b>+M2" for a Zamba2 layer using shared block b.
  static QString layerLabel(const ss::ModelConfig& config, int layer);
  // What layer l carries: carryText, or "KV↗+state" for a Zamba2 hybrid layer (its shared attention's
  // cache first, then its Mamba-2's state; Falcon-H1's parallel layer: "state+KV↗").
  static QString layerCarryText(const ss::ModelConfig& config, int layer);
  QSize sizeHint() const override;
  QSize minimumSizeHint() const override { return {120, sizeHint().height()}; }
  QRectF carryRect(int layer) const;  // where "state" / "KV↗" is written under the layer's box

 signals:
  void layerClicked(int layer);

 protected:
  void paintEvent(QPaintEvent*) override;
  void mousePressEvent(QMouseEvent*) override;

 private:
  QRectF boxRect(int layer) const;
  ss::ModelConfig m_config;
  int m_current = 0;
};
