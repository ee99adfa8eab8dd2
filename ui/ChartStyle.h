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
// Every setter of a Qt Charts chart that changes something relayouts the chart and its texts (a few
// milliseconds each, on the GUI thread), and the panels refresh on every click and keystroke. So the
// functions below change only what differs: the fonts and colours once per (palette, font, zoom),
// a value axis's range, ticks and label format only when they change.

// Fonts, colours and margins of the chart and every axis, then the axes' ticks (styleAxes).
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
// Shows [lo, hi] on a value axis of `chart`: a vertical axis widens it to nice numbers with about three
// ticks (Qt's own rule, without its NaN for an empty range), a horizontal one gets the ticks that fit
// the chart's width. Use this, not QValueAxis::setRange: it changes nothing when nothing changes.
void setRange(QChart* chart, QValueAxis* axis, double lo, double hi, const QFont& font);
// Series names, axis titles and chart titles, set only when they differ.
void setTitle(QChart* chart, const QString& title);
void setTitle(QAbstractAxis* axis, const QString& title);
void setName(QAbstractSeries* series, const QString& name);
// The ticks of [lo, hi] widened to nice numbers (1, 2 or 5 times a power of ten), about `ticks` of
// them; an empty or non-finite range becomes [lo, lo + 1].
struct NiceRange {
  double lo = 0, hi = 1;
  int ticks = 2;
};
NiceRange niceRange(double lo, double hi, int ticks);
// A printf label format for ticks over [lo, hi] with `ticks` ticks: integers when the step is ≥ 1,
// else just enough decimals to tell neighbouring ticks apart.
QString labelFormat(double lo, double hi, int ticks);
}  // namespace ChartStyle
