#include "MatrixPanel.h"

#include <QGridLayout>
#include <QHBoxLayout>
#include <QVBoxLayout>

#include "Workspace.h"

MatrixPanel::MatrixPanel(Workspace* ws, QWidget* parent) : Panel(ws, "matrix", tr("Semiseparable matrix"), parent) {
  m_scale = new QComboBox(this);
  m_scale->addItem(tr("linear scale"), int(ColorScale::Signed));  // SSM: diverging ±; attention: sequential 0..max
  m_scale->addItem(tr("|M| log scale"), int(ColorScale::Log));
  m_caption = new QLabel(this);
  m_caption->setWordWrap(true);
  excludeFromFigure(m_caption);  // the plots carry their own titles
  m_readout = new QLabel(tr("drag a block for its rank · click a cell for its terms"), this);
  m_readout->setWordWrap(true);
  m_readout->setTextInteractionFlags(Qt::TextSelectableByMouse);
  excludeFromFigure(m_readout);  // a readout of the last click, not part of the figure
  m_readout->setMinimumHeight(QFontMetrics(font()).height() + 4);  // one line at least (the window must fit 720 px)
  auto* top = new QHBoxLayout;
  top->addWidget(m_caption, 1);
  top->addWidget(m_scale);
  top->addWidget(helpBadge());
  m_grid = new QGridLayout;
  auto* v = new QVBoxLayout(this);
  v->addLayout(top);
  v->addLayout(m_grid, 1);
  v->addWidget(m_readout);
  connect(m_scale, &QComboBox::currentIndexChanged, this, [this] {
    scheduleRefresh();  // each map's scale depends on its layer (scaleFor)
  });
  followWorkspace();
}

ColorScale MatrixPanel::scaleFor(ss::MixerKind kind, ColorScale chosen) {
  // Attention probabilities are ≥ 0: a sequential map from 0 (a diverging ±1 map washes them out to
  // grey); the SSM matrix M has signed entries: diverging around 0.
  if (chosen == ColorScale::Log) return ColorScale::Log;
  return kind == ss::MixerKind::Attention ? ColorScale::Linear : ColorScale::Signed;
}

QString MatrixPanel::help() const {
  return tr("Every layer that mixes tokens is a matrix over the sequence: y = M x. For a selective SSM, M[i, j] = "
            "C_i<sup>T</sup> B_j · exp(A(Δ_{j+1} + … + Δ_i)) · Δ_j for j ≤ i and 0 above the diagonal (Mamba-1: per "
            "channel; Mamba-2: per head, M = L ∘ (C B<sup>T</sup>) with the decay mask L). It is semiseparable: every "
            "block strictly below the diagonal has rank ≤ N, the state size — that is why a fixed state suffices. "
            "Its entries can be negative (diverging colours, blue < 0 < red). An attention layer's matrix is "
            "softmax(q_i·k_j/√d) (sequential colours, dark 0 to yellow): non-negative rows that sum to 1, and its blocks can have full rank. Drag a block to compute its rank; "
            "click a cell to see its terms.");
}

void MatrixPanel::refresh() {
  while (m_maps.size() < m_ws->columnCount()) {
    auto* h = new Heatmap(this);
    h->setColorRange(ColorRange::Robust);  // one large entry (an attention sink) would darken the rest
    const int column = int(m_maps.size());
    connect(h, &Heatmap::blockSelected, this, [this, column](int r0, int c0, int r1, int c1) { selectBlock(column, r0, c0, r1, c1); });
    connect(h, &Heatmap::cellClicked, this, [this, column](int r, int c) { selectCell(column, r, c); });
    m_grid->addWidget(h, column / 2, column % 2);
    m_maps.push_back(h);
  }
  while (m_maps.size() > m_ws->columnCount()) delete m_maps.takeLast();
  m_matrices.resize(m_maps.size());
  m_t0.resize(m_maps.size());
  if (m_ws->computed() == 0) {
    for (Heatmap* h : m_maps) h->clear();
    return;
  }
  const qint64 w1 = m_ws->windowEnd(), w0 = std::max(m_ws->windowStart(), w1 - kMaxWindow), t = m_ws->token();
  for (int col = 0; col < m_maps.size(); ++col) {
    ss::Exploration& ex = m_ws->exploration(col);
    const LayerChoice ch = m_ws->choice(col);
    const ss::MixerKind kind = ex.config().mixers[ch.layer];
    const bool attn = kind == ss::MixerKind::Attention;
    const int index = kind == ss::MixerKind::Mamba ? ch.channel : ch.head;
    Heatmap* h = m_maps[col];
    h->setScale(scaleFor(kind, ColorScale(m_scale->currentData().toInt())));
    try {
      const ss::LayerWindow w = m_ws->layerWindow(col, ch.layer, w0, w1, attn ? ss::kWindowAttention : ss::kWindowGate, ch.head);
      m_matrices[col] = ss::window_matrix_blocked(w, ex.ssm_A(ch.layer), index);
    } catch (const std::exception& e) {
      m_matrices[col] = ss::MatrixF();
      h->setPlaceholder(QString::fromStdString(e.what()));
    }
    m_t0[col] = w0;
    const ss::MatrixF& M = m_matrices[col];
    QVector<float> v(M.data(), M.data() + M.size());
    const QString what = attn ? tr("attention probs, head %1").arg(ch.head)
                              : kind == ss::MixerKind::Mamba ? tr("M, channel %1").arg(ch.channel) : tr("M, head %1").arg(ch.head);
    h->setTitle(tr("%1 · L%2 · %3").arg(QString::fromStdString(ex.name())).arg(ch.layer).arg(what));
    h->setAxisLabels(attn ? tr("query i") : tr("output i"), attn ? tr("key j") : tr("input j"));
    h->setUnits(attn ? tr("probability") : tr("M[i, j]"));
    h->setOffsets(w0, w0);
    h->setData(int(M.rows()), int(M.cols()), v);
    h->setHighlight(int(t - w0), -1);
  }
  m_caption->setText(tr("window %1..%2 (%3 tokens) · row %4 is the selected token").arg(w0).arg(w1 - 1).arg(w1 - w0).arg(t));
}

PanelData MatrixPanel::data() const {
  const int col = std::min<int>(m_ws->activeColumn(), int(m_matrices.size()) - 1);
  if (col < 0) return {};
  const ss::MatrixF& M = m_matrices[col];
  PanelData d{tr("M of model %1").arg(col), M.rows(), M.cols(), QVector<float>(M.size()), tr("position i"), tr("position j"), tr("M"), {}, {}, m_ws->token()};
  std::copy(M.data(), M.data() + M.size(), d.values.begin());
  for (qint64 r = 0; r < M.rows(); ++r) d.rowLabels << QString::number(m_t0[col] + r);
  for (qint64 c = 0; c < M.cols(); ++c) d.colLabels << QString::number(m_t0[col] + c);
  return d;
}

void MatrixPanel::selectBlock(int column, int r0, int c0, int r1, int c1) {
  if (column >= m_matrices.size() || m_matrices[column].size() == 0) return;
  const ss::MatrixD block = m_matrices[column].block(r0, c0, r1 - r0 + 1, c1 - c0 + 1).cast<double>();
  std::vector<double> s;
  const int rank = ss::numerical_rank(block, 1e-5, &s);  // σ_k > 1e-5 σ_1: M is stored in float
  QString sv;
  for (size_t k = 0; k < std::min<size_t>(s.size(), 6); ++k) sv += QString::number(s[k], 'g', 3) + " ";
  const qint64 t0 = m_t0[column];
  const bool below = c1 < r0;
  ss::Exploration& ex = m_ws->exploration(column);
  const ss::ModelConfig& c = ex.config();
  const int layer = m_ws->choice(column).layer;
  const int N = c.mixers[layer] == ss::MixerKind::Mamba ? c.mamba.d_state : c.mamba2.d_state;
  QString bound;
  if (c.mixers[layer] != ss::MixerKind::Attention) bound = below ? tr(" (≤ N = %1: semiseparable)").arg(N) : tr(" (touches the diagonal: the bound ≤ N holds only strictly below it)");
  m_readout->setText(tr("<b>block rows %1..%2 × cols %3..%4</b> (%5×%6): numerical rank <b>%7</b>%8 · σ: %9")
                         .arg(t0 + r0).arg(t0 + r1).arg(t0 + c0).arg(t0 + c1).arg(r1 - r0 + 1).arg(c1 - c0 + 1).arg(rank).arg(bound).arg(sv));
}

void MatrixPanel::selectCell(int column, int row, int col) {
  if (column >= m_matrices.size() || m_matrices[column].size() == 0) return;
  ss::Exploration& ex = m_ws->exploration(column);
  const LayerChoice ch = m_ws->choice(column);
  const ss::MixerKind kind = ex.config().mixers[ch.layer];
  const qint64 w1 = m_t0[column] + m_matrices[column].rows();
  const bool attn = kind == ss::MixerKind::Attention;
  const ss::LayerWindow w = m_ws->layerWindow(column, ch.layer, m_t0[column], w1, attn ? ss::kWindowAttention : ss::kWindowGate, ch.head);
  const ss::CellTerms terms = ss::window_matrix_terms(w, ex.ssm_A(ch.layer), kind == ss::MixerKind::Mamba ? ch.channel : ch.head, row, col);
  QString s = QString::fromStdString(terms.formula);
  if (kind == ss::MixerKind::Mamba && !terms.per_state.empty()) {
    s += tr("<br>terms over n: ");
    for (size_t n = 0; n < terms.per_state.size(); ++n) s += QString::number(terms.per_state[n], 'g', 3) + (n + 1 < terms.per_state.size() ? ", " : "");
  }
  m_readout->setText(s);
}
