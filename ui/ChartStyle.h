// One look for every Qt Charts chart of the explorer: colours from the widget palette (light or dark
// theme), axis and legend fonts readable from the back of a room, a bold title.
#pragma once

#include <QChart>
#include <QPalette>
#include <QValueAxis>

namespace ChartStyle {
void apply(QChart* chart, const QPalette& palette, const QFont& font);
// Colours for series, distinguishable on light and dark backgrounds (Okabe-Ito).
QColor seriesColor(int i);
// Applies the palette and font to every axis of the chart (call after adding axes).
void styleAxes(QChart* chart, const QPalette& palette, const QFont& font);
}  // namespace ChartStyle
