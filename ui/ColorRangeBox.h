// ColorRangeBox: the "colour range" choice of a heatmap view — robust (percentiles), per channel
// (each column ÷ its own max), or full (min to max). Emits the choice; the heatmap's colorbar names it.
// Its texts follow View → Language.
#pragma once

#include <QComboBox>

#include "Colormap.h"

class ColorRangeBox : public QComboBox {
  Q_OBJECT
 public:
  explicit ColorRangeBox(ColorRange initial, QWidget* parent = nullptr);
  ColorRange range() const { return ColorRange(currentData().toInt()); }
  void setRange(ColorRange r) { setCurrentIndex(findData(int(r))); }

 signals:
  void rangeChanged(ColorRange range);

 protected:
  void changeEvent(QEvent* e) override;

 private:
  void retranslate();
};
