#include "MatrixPanel.h"

#include <QEvent>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QVBoxLayout>

#include "SessionText.h"
#include "Translated.h"
#include "Workspace.h"

MatrixPanel::MatrixPanel(Workspace* ws, QWidget* parent) : Panel(ws, "matrix", QT_TR_NOOP("Semiseparable matrix"), parent) {
  m_scale = new QComboBox(this);
  m_scale->addItem(QString(), int(ColorScale::Signed));  // SSM: diverging ±; attention: sequential 0..max
  m_scale->addItem(QString(), int(ColorScale::Log));
  retranslateScale();
  m_caption = new QLabel(this);
  m_caption->setWordWrap(true);
  excludeFromFigure(m_caption);  // the plots carry their own titles
  m_readout = new QLabel(this);
  Translated::text(m_readout, [] { return tr("drag a block for its rank · click a cell for its terms"); });
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
  connect(m_ws, &Workspace::frameReady, this, [this](ss::View v) {
    if (v == ss::View::BlockRank || v == ss::View::CellTerms) showReadout(v);
  });
}

void MatrixPanel::changeEvent(QEvent* e) {
  if (e->type() == QEvent::LanguageChange) retranslateScale();
  Panel::changeEvent(e);
}

void MatrixPanel::retranslateScale() {
  m_scale->setItemText(0, tr("linear scale"));
  m_scale->setItemText(1, tr("|M| log scale"));
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
  setShownFrame(m_ws->frame(ss::View::Matrix, m_ws->activeColumn()));
  qint64 w0 = -1, w1 = -1;
  QString duality, dualityTip;  // the active model's scan vs M x readout
  for (int col = 0; col < m_maps.size(); ++col) {
    Heatmap* h = m_maps[col];
    const ss::FramePtr f = m_ws->frame(ss::View::Matrix, col);
    if (!f || f->empty()) {
      h->clear();
      h->setTitle(f && !f->model.empty() ? SessionText::model(*f) : QString());
      h->setPlaceholder(emptyReason(f));
      continue;
    }
    const bool attn = f->mixer == "attention";
    h->setScale(scaleFor(attn ? ss::MixerKind::Attention : ss::MixerKind::Mamba2, ColorScale(m_scale->currentData().toInt())));
    const QString what = attn ? tr("attention probs, head %1").arg(f->head)
                              : f->mixer == "mamba" ? tr("M, channel %1").arg(f->channel) : tr("M, head %1").arg(f->head);
    h->setTitle(tr("%1 · L%2 · %3").arg(SessionText::model(*f)).arg(f->layer).arg(what));
    h->setAxisLabels(attn ? tr("query i") : tr("output i"), attn ? tr("key j") : tr("input j"));
    h->setUnits(attn ? tr("probability") : tr("M[i, j]"));
    h->setOffsets(f->row0, f->col0);
    h->setData(int(f->rows), int(f->cols), QVector<float>(f->values.begin(), f->values.end()));
    h->setHighlight(int(f->highlight_row), -1);
    w0 = f->row0;
    w1 = f->row0 + f->rows;
    // The duality, computed by the session (the views only show it): the scan's output against M x,
    // for the active model, on the caption's line (a second line would take the matrices' room).
    if (col == m_ws->activeColumn() && f->scalars.count("scan_vs_matrix")) {
      duality = tr(" · scan vs M·x: max |diff| %1").arg(f->scalar("scan_vs_matrix"), 0, 'g', 2);
      dualityTip = tr("%1: the largest |y_scan − (M x + carry)| over the window, where y_scan = C_i · h_i from the states "
                      "the model's own scan recorded and the carry is the state entering the window; the outputs "
                      "reach %2. Computed by the session for the active model.")
                       .arg(SessionText::model(*f))
                       .arg(f->scalar("scan_max_abs"), 0, 'g', 3);
    }
  }
  QString caption = w1 > w0 ? tr("window %1..%2 (%3 tokens) · row %4 is the selected token").arg(w0).arg(w1 - 1).arg(w1 - w0).arg(m_ws->token())
                            : QString();
  if (!caption.isEmpty()) caption += duality;
  m_caption->setToolTip(dualityTip);
  m_caption->setText(caption);
}

void MatrixPanel::selectBlock(int column, int r0, int c0, int r1, int c1) { m_ws->requestBlockRank(column, r0, c0, r1, c1); }

void MatrixPanel::selectCell(int column, int row, int col) { m_ws->requestCellTerms(column, row, col); }

void MatrixPanel::showReadout(ss::View v) {
  const ss::FramePtr f = m_ws->frame(v);
  if (!f) return;
  if (!f->error.empty()) {
    m_readout->setText("⚠ " + SessionText::say(f->error));
    return;
  }
  if (v == ss::View::CellTerms) {
    QString s = QString::fromStdString(f->text);
    if (f->mixer == "mamba" && !f->values.empty()) {
      s += tr("<br>terms over n: ");
      for (size_t n = 0; n < f->values.size(); ++n) s += QString::number(f->values[n], 'g', 3) + (n + 1 < f->values.size() ? ", " : "");
    }
    m_readout->setText(s);
    return;
  }
  QString sv;
  for (size_t k = 0; k < std::min<size_t>(f->values.size(), 6); ++k) sv += QString::number(f->values[k], 'g', 3) + " ";
  const qint64 r0 = qint64(f->scalar("r0")), r1 = qint64(f->scalar("r1")), c0 = qint64(f->scalar("c0")), c1 = qint64(f->scalar("c1"));
  QString bound;
  if (f->mixer != "attention")
    bound = f->scalar("below_diagonal") > 0 ? tr(" (≤ N = %1: semiseparable)").arg(qint64(f->scalar("N")))
                                            : tr(" (touches the diagonal: the bound ≤ N holds only strictly below it)");
  m_readout->setText(tr("<b>block rows %1..%2 × cols %3..%4</b> (%5×%6): numerical rank <b>%7</b>%8 · σ: %9")
                         .arg(r0).arg(r1).arg(c0).arg(c1).arg(r1 - r0 + 1).arg(c1 - c0 + 1).arg(qint64(f->scalar("rank"))).arg(bound).arg(sv));
}
