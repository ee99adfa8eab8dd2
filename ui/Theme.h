// Light and dark themes (Fusion style), with fonts sized for a projector: 12 pt by default (the window
// passes Zoom::pointSize()). Widgets that paint themselves read the palette when they paint, so a
// theme switch needs no style sheet refresh (style sheets freeze the colours of the theme they were set under).
#pragma once

#include <QIcon>

class QApplication;
class QColor;

namespace Theme {
void apply(QApplication& app, bool dark, double pointSize = 12.0);

// Transport glyphs drawn in `color` (the palette's text colour), so they show on light and dark themes
// (the style's standard media icons are dark on every theme).
enum class Glyph { Play, Pause, Step, Stop };
QIcon glyphIcon(Glyph g, const QColor& color);
}
