#include "Panels.h"

#include "CostPanel.h"
#include "DeltaGatePanel.h"
#include "HiddenStatePanel.h"
#include "MatrixPanel.h"
#include "MemoryPanel.h"
#include "PredictionPanel.h"

namespace Panels {

QStringList keys() { return {"state", "delta", "matrix", "memory", "cost", "prediction"}; }

Panel* create(const QString& key, Workspace* ws, QWidget* parent) {
  if (key == "state") return new HiddenStatePanel(ws, parent);
  if (key == "delta") return new DeltaGatePanel(ws, parent);
  if (key == "matrix") return new MatrixPanel(ws, parent);
  if (key == "memory") return new MemoryPanel(ws, parent);
  if (key == "cost") return new CostPanel(ws, parent);
  if (key == "prediction") return new PredictionPanel(ws, parent);
  return nullptr;
}

}  // namespace Panels
