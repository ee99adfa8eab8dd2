// Where the explorer finds the models it opens on start: the shipped byte models in assets/models/
// (mamba1-bytes, mamba2-bytes, llama-bytes, jamba-bytes), looked for beside the executable, above it,
// and in the source tree; when none is there, the test checkpoints in tests/fixtures/.
#pragma once

#include <QStringList>

namespace BuiltinModels {
// Candidate model folders, one per family, the shipped ones first (the caller opens up to four that load). `origin` says where they came from.
QStringList find(QString* origin = nullptr);
}
