#include "ColorRangeBox.h"

ColorRangeBox::ColorRangeBox(ColorRange initial, const QString& columnName, QWidget* parent) : QComboBox(parent) {
  addItem(tr("robust range"), int(ColorRange::Robust));
  addItem(tr("per %1").arg(columnName), int(ColorRange::PerColumn));
  addItem(tr("full range"), int(ColorRange::Full));
  setToolTip(tr("Colour range: robust = the 99th percentile (a few outliers saturate instead of greying out the "
                "rest); per %1 = each %1 divided by its own largest |value| (shows how each %1 changes, not "
                "which %1 is large); full = smallest to largest value.").arg(columnName));
  setRange(initial);
  connect(this, &QComboBox::currentIndexChanged, this, [this] { emit rangeChanged(range()); });
}
