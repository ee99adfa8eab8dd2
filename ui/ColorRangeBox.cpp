#include "ColorRangeBox.h"

#include <QEvent>

ColorRangeBox::ColorRangeBox(ColorRange initial, QWidget* parent) : QComboBox(parent) {
  addItem(QString(), int(ColorRange::Robust));
  addItem(QString(), int(ColorRange::PerColumn));
  addItem(QString(), int(ColorRange::Full));
  retranslate();
  setRange(initial);
  connect(this, &QComboBox::currentIndexChanged, this, [this] { emit rangeChanged(range()); });
}

void ColorRangeBox::retranslate() {
  setItemText(0, tr("robust range"));
  setItemText(1, tr("per channel"));
  setItemText(2, tr("full range"));
  setToolTip(tr("Colour range: robust = the 99th percentile (a few outliers saturate instead of greying out the "
                "rest); per channel = each channel divided by its own largest |value| (shows how each channel "
                "changes, not which channel is large); full = smallest to largest value."));
}

void ColorRangeBox::changeEvent(QEvent* e) {
  if (e->type() == QEvent::LanguageChange) retranslate();
  QComboBox::changeEvent(e);
}
