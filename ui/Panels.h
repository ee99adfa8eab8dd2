// The explorer's panels by key, for the window, the headless exporter and the tests.
#pragma once

#include <QStringList>

class Panel;
class QWidget;
class Workspace;

namespace Panels {
QStringList keys();  // state, delta, matrix, memory, cost, prediction (the names `statescope export --panel` takes)
Panel* create(const QString& key, Workspace* ws, QWidget* parent = nullptr);  // nullptr for an unknown key
}
