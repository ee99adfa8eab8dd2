// Light and dark themes (Fusion style), with fonts sized for a projector: 12 pt by default.
#pragma once

class QApplication;

namespace Theme {
void apply(QApplication& app, bool dark, double pointSize = 12.0);
}
