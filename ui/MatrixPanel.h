// Semiseparable matrix view: for each loaded model, the matrix its chosen layer applies over the window,
// y = M x — an SSM layer's implicit attention M (Mamba-1: one channel; Mamba-2: one head) beside an
// attention layer's softmax probabilities. Drag a block to see its numerical rank (<= N below the
// diagonal for an SSM, unbounded for softmax attention); click a cell to see the terms it is made of.
#pragma once

#include <QComboBox>
#include <QVector>

#include "Heatmap.h"
#include "Panel.h"
#include "window_matrix.h"

class QGridLayout;

class MatrixPanel : public Panel {
  Q_OBJECT
 public:
  // Longer windows show their last kMaxWindow tokens. The heatmap redraws 8K x 8K fast, but building
  // 8K windows on the GUI thread took 24 s and 5 GB for four models on the CPU (see docs/benchmarks.md).
  static constexpr qint64 kMaxWindow = 2048;
  // The colour scale of one matrix: the chosen one, except that "linear" is sequential (0..max) for
  // attention probabilities and diverging (±) for the signed SSM matrix M.
  static ColorScale scaleFor(ss::MixerKind kind, ColorScale chosen);

  explicit MatrixPanel(Workspace* ws, QWidget* parent = nullptr);
  QString help() const override;
  PanelData data() const override;  // M of the active model
  void refresh() override;
  Heatmap* heatmap(int column) const { return m_maps.value(column); }
  QString readout() const { return m_readout->text(); }
  // The rank readout for a block of column `column`'s matrix (window offsets, inclusive).
  void selectBlock(int column, int r0, int c0, int r1, int c1);
  void selectCell(int column, int row, int col);

 private:
  QGridLayout* m_grid;
  QVector<Heatmap*> m_maps;
  QVector<ss::MatrixF> m_matrices;  // [W, W] per model column
  QVector<qint64> m_t0;
  QComboBox* m_scale;
  QLabel* m_readout;
  QLabel* m_caption;
};
