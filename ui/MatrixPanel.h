// Semiseparable matrix view: for each loaded model, the matrix its chosen layer applies over the window,
// y = M x — an SSM layer's implicit attention M (Mamba-1: one channel; Mamba-2: one head) beside an
// attention layer's softmax probabilities. Drag a block to see its numerical rank (<= N below the
// diagonal for an SSM, unbounded for softmax attention); click a cell to see the terms it is made of.
#pragma once

#include <QComboBox>
#include <QVector>

#include "Heatmap.h"
#include "Panel.h"
#include "engine.h"

class QGridLayout;

class MatrixPanel : public Panel {
  Q_OBJECT
 public:
  // Longer windows show their last kMaxWindow tokens (built on the session's worker; see engine.h).
  static constexpr qint64 kMaxWindow = ss::Engine::kMaxMatrixWindow;
  // The colour scale of one matrix: the chosen one, except that "linear" is sequential (0..max) for
  // attention probabilities and diverging (±) for the signed SSM matrix M.
  static ColorScale scaleFor(ss::MixerKind kind, ColorScale chosen);

  explicit MatrixPanel(Workspace* ws, QWidget* parent = nullptr);
  QString help() const override;
  ss::View view() const override { return ss::View::Matrix; }  // data(): M of the active model
  void refresh() override;
  Heatmap* heatmap(int column) const { return m_maps.value(column); }
  QString readout() const { return m_readout->text(); }
  // Asks the worker for the rank of a block of column `column`'s matrix (window offsets, inclusive),
  // or the terms of one cell; the readout shows the answer when it comes.
  void selectBlock(int column, int r0, int c0, int r1, int c1);
  void selectCell(int column, int row, int col);
  QString caption() const { return m_caption->text(); }

 protected:
  void changeEvent(QEvent* e) override;

 private:
  void retranslateScale();
  void showReadout(ss::View v);
  QGridLayout* m_grid;
  QVector<Heatmap*> m_maps;
  QComboBox* m_scale;
  QLabel* m_readout;
  QLabel* m_caption;
};
