// Writing a widget (a panel or the whole window) as a figure, and a panel's numbers as data.
//   PNG: rendered at `dpi` (96 = screen size; 300 for print), SVG (QSvgGenerator) and PDF (QPdfWriter)
//   keep text, lines and charts as vectors; heatmap cells are embedded images.
//   CSV: a header row of column labels, then one row per data row; .npy: float32 [rows, cols].
#pragma once

#include <QByteArray>
#include <QString>

#include "Panel.h"

class QWidget;

namespace FigureExport {

// Format from the file suffix or `format` ("png", "svg", "pdf"). Returns an error message or "".
// A panel is exported as a figure: its buttons, combo boxes, spin boxes, help badge and the widgets it
// marked (Panel::excludeFromFigure: captions, readouts) are hidden while it is drawn, so the figure
// shows the plots with their axes, colorbars, legends and titles only. In SVG and PDF, scrolled
// content (the byte grids, tables, the text) is drawn as an image of what is visible, clipped to its
// viewport (the vector engines do not clip child widgets, so it would spill over other panels).
QString exportWidget(QWidget* widget, const QString& path, const QString& format, int dpi = 192);
// The same without hiding controls (what exportWidget draws once they are hidden).
QString exportFigure(QWidget* widget, const QString& path, const QString& format, int dpi = 192);
// Hides a panel's controls for a figure and re-lays it out (nothing for a non-panel); returns them.
QList<QWidget*> hideControls(QWidget* w);
void restoreControls(QWidget* w, const QList<QWidget*>& hidden);
QString exportData(const PanelData& data, const QString& path);  // .csv or .npy by suffix
QStringList figureFormats();  // png, svg, pdf
// Every export goes through this: a QSaveFile, i.e. a temporary in the same folder renamed over `path`
// only once complete, so an error (a full disk, a file-size limit, a crash) leaves what `path` held
// before, never a half-written file. Returns an error message naming the file and the reason, or "".
QString saveBytes(const QByteArray& bytes, const QString& path);

}  // namespace FigureExport
