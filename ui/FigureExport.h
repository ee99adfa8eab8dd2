// Writing a widget (a panel or the whole window) as a figure, and a panel's numbers as data.
//   PNG: rendered at `dpi` (96 = screen size; 300 for print), SVG (QSvgGenerator) and PDF (QPdfWriter)
//   keep text, lines and charts as vectors; heatmap cells are embedded images.
//   CSV: a header row of column labels, then one row per data row; .npy: float32 [rows, cols].
#pragma once

#include <QString>

#include "Panel.h"

class QWidget;

namespace FigureExport {

// Format from the file suffix or `format` ("png", "svg", "pdf"). Returns an error message or "".
QString exportWidget(QWidget* widget, const QString& path, const QString& format, int dpi = 192);
QString exportData(const PanelData& data, const QString& path);  // .csv or .npy by suffix
QStringList figureFormats();  // png, svg, pdf

}  // namespace FigureExport
