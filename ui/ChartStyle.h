// One look for every Qt Charts chart of the explorer: colours from the widget palette (light or dark
// theme), axis and legend fonts readable from the back of a room, a bold title, line widths that
// follow the zoom (Zoom.h), and one colour per model family that the model columns show as well.
#pragma once

#include <QChart>
#include <QPalette>
#include <QPen>
#include <QValueAxis>

#include "config.h"

namespace ChartStyle {
void apply(QChart* chart, const QPalette& palette, const QFont& font);
// Colours for series, distinguishable on light and dark backgrounds (Okabe-Ito).
QColor seriesColor(int i);
// A model's colour, by family, the same as its layers' colour in the schedule strip: Mamba green,
// Mamba-2 blue, Llama (attention) orange, Jamba (hybrid) purple. Everywhere a chart colours by model.
QColor modelColor(ss::Architecture arch);
// The pen of model `column` among models of families `archs`: its family colour, solid for the first
// model of a family, dashed / dotted for a second / third one of the same family.
QPen modelPen(const QList<ss::Architecture>& archs, int column, double widthAtZoom1);
// The unit for a chart of byte counts up to `maxBytes`: (1000, "KB"), (1e6, "MB") or (1e9, "GB"),
// so that ticks have at most 4 digits.
std::pair<double, QString> byteUnit(double maxBytes);
// Applies the palette and font to every axis of the chart (call after adding axes). Value axes get a
// label format that fits their range (no "2000000.0", no "0 0 0 0 1").
void styleAxes(QChart* chart, const QPalette& palette, const QFont& font);
// A printf label format for ticks over [lo, hi] with `ticks` ticks: integers when the step is ≥ 1,
// else just enough decimals to tell neighbouring ticks apart.
QString labelFormat(double lo, double hi, int ticks);
}  // namespace ChartStyle
