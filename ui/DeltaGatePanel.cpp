#include "DeltaGatePanel.h"

#include <QHBoxLayout>
#include <QSplitter>
#include <QVBoxLayout>
#include <cmath>

#include "ChartStyle.h"
#include "ColorRangeBox.h"
#include "SessionText.h"
#include "Translated.h"
#include "Workspace.h"

DeltaGatePanel::DeltaGatePanel(Workspace* ws, QWidget* parent) : Panel(ws, "delta", QT_TR_NOOP("Δ gate"), parent) {
  m_heatmap = new Heatmap(this);
  m_heatmap->setScale(ColorScale::Log);
  m_heatmap->setColorRange(ColorRange::PerColumn);  // channel biases would draw stripes over the changes in time
  auto* range = new ColorRangeBox(ColorRange::PerColumn, this);
  connect(range, &ColorRangeBox::rangeChanged, m_heatmap, &Heatmap::setColorRange);
  m_text = new TokenStrip(this);
  m_text->setMinimumHeight(QFontMetrics(font()).height() * 3);
  m_mean = new QLineSeries;
  m_marker = new QLineSeries;
  auto* chart = new QChart;
  chart->addSeries(m_mean);
  chart->addSeries(m_marker);
  m_x = new QValueAxis;
  m_y = new QValueAxis;
  chart->addAxis(m_x, Qt::AlignBottom);
  chart->addAxis(m_y, Qt::AlignLeft);
  for (QLineSeries* s : {m_mean, m_marker}) { s->attachAxis(m_x); s->attachAxis(m_y); }
  Translated::text(m_x, [] { return tr("token t"); });
  m_x->setLabelFormat("%d");
  Translated::text(m_y, [] { return tr("mean Δ"); });  // short: an axis title longer than the plot's height is cut
  chart->legend()->hide();
  m_chartView = new QChartView(chart, this);
  m_chartView->setRenderHint(QPainter::Antialiasing);

  m_scale = new QComboBox(this);
  m_scale->addItem(QString(), int(ColorScale::Log));
  m_scale->addItem(QString(), int(ColorScale::Linear));
  retranslateScale();
  m_caption = new QLabel(this);
  m_caption->setWordWrap(true);
  excludeFromFigure(m_caption);  // the plots carry their own titles

  auto* top = new QHBoxLayout;
  top->addWidget(m_caption, 1);
  top->addWidget(range);
  top->addWidget(m_scale);
  top->addWidget(helpBadge());
  auto* right = new QVBoxLayout;
  right->addWidget(m_chartView, 3);  // the chart needs the height for its axes; the text scrolls
  right->addWidget(m_text, 1);
  auto* body = new QHBoxLayout;
  body->addWidget(m_heatmap, 3);
  body->addLayout(right, 2);
  auto* v = new QVBoxLayout(this);
  v->addLayout(top);
  v->addLayout(body, 1);

  connect(m_scale, &QComboBox::currentIndexChanged, this, [this] {
    m_heatmap->setScale(ColorScale(m_scale->currentData().toInt()));
  });
  connect(m_text, &TokenStrip::tokenClicked, this, [this](qint64 t, bool extend) {
    if (extend) m_ws->extendSelection(t); else m_ws->selectToken(t);
  });
  connect(m_heatmap, &Heatmap::cellClicked, this, [this](int row, int) { m_ws->selectToken(m_ws->windowStart() + row); });
  styleChart();
  followWorkspace();
}

QString DeltaGatePanel::help() const {
  return tr("Δ is the SSM's gate, computed from each token: Δ_t = softplus(W_Δ x_t + b). It sets how much the state "
            "forgets and how much of the current input it writes: h_t = exp(Δ_t A) ∘ h_{t-1} + Δ_t x_t B_t. Large Δ "
            "(bright): the state is overwritten by the current byte (focus on now). Small Δ (dark): the state is kept "
            "(this byte is ignored, the past remembered). Heatmap: token × channel (Mamba-2: × head) over the window; "
            "line: the mean over channels; text: every byte coloured by that mean.");
}

void DeltaGatePanel::changeEvent(QEvent* e) {
  if (e->type() == QEvent::PaletteChange || e->type() == QEvent::FontChange) styleChart();
  if (e->type() == QEvent::LanguageChange) retranslateScale();
  Panel::changeEvent(e);
}

void DeltaGatePanel::retranslateScale() {
  m_scale->setItemText(0, tr("log scale"));
  m_scale->setItemText(1, tr("linear scale"));
}

void DeltaGatePanel::styleChart() {
  ChartStyle::apply(m_chartView->chart(), palette(), font());
  m_mean->setPen(QPen(ChartStyle::seriesColor(2), 2.5));
  m_marker->setPen(QPen(palette().color(QPalette::Highlight), 2, Qt::DashLine));
}

void DeltaGatePanel::refresh() {
  const ss::FramePtr f = m_ws->frame(ss::View::Delta);
  setShownFrame(f);
  if (textChanged()) m_text->setBytes(m_ws->bytes());
  m_text->setTokens(f ? f->tokens : nullptr);
  m_text->setSelection(m_ws->token(), m_ws->windowStart(), m_ws->windowEnd());
  if (!f || f->empty()) {  // nothing of an earlier frame stays: no title, line or colours
    m_heatmap->clear();
    m_heatmap->setTitle(QString());
    m_heatmap->setPlaceholder(emptyReason(f));
    m_text->clearCellValues();
    m_mean->replace(QList<QPointF>{});
    m_marker->replace(QList<QPointF>{});
    ChartStyle::setRange(m_chartView->chart(), m_x, 0, 1, font());
    ChartStyle::setRange(m_chartView->chart(), m_y, 0, 1, font());
    m_caption->setText(f && !f->model.empty() ? tr("<b>%1</b> · layer %2 (%3)").arg(SessionText::model(*f)).arg(f->layer).arg(SessionText::mixer(f->mixer))
                                              : QString());
    return;
  }
  const bool m2 = f->mixer == "mamba2";
  const qint64 t = f->token, w0 = f->row0, w1 = f->row0 + f->rows;
  m_heatmap->setTitle(tr("Δ over tokens %1..%2 — layer %3").arg(w0).arg(w1 - 1).arg(f->layer));
  m_heatmap->setAxisLabels(tr("token t"), m2 ? tr("head") : tr("channel d"));
  m_heatmap->setUnits(tr("Δ (step size)"));
  m_heatmap->setOffsets(w0, 0);
  m_heatmap->setData(int(f->rows), int(f->cols), QVector<float>(f->values.begin(), f->values.end()));
  m_heatmap->setHighlight(int(f->highlight_row), -1);

  const ss::Series& line = f->series.at(0);
  QList<QPointF> pts;
  pts.reserve(qsizetype(line.x.size()));
  for (size_t k = 0; k < line.x.size(); ++k) pts.append({line.x[k], line.y[k]});
  const double hi = f->scalar("max");
  m_mean->replace(pts);
  m_marker->replace({QPointF(t, 0), QPointF(t, hi * 1.05)});
  ChartStyle::setRange(m_chartView->chart(), m_x, w0, std::max<double>(w1 - 1, w0 + 1), font());
  ChartStyle::setRange(m_chartView->chart(), m_y, 0, std::max(hi * 1.05, 1e-6), font());
  ChartStyle::setTitle(m_chartView->chart(), QString());
  ChartStyle::styleAxes(m_chartView->chart(), palette(), font());
  m_text->setCellValues(f->per_token, ColorNormalizer::fromRange(ColorScale::Linear, f->scalar("per_token_min", NAN), f->scalar("per_token_max", NAN)),
                        tr("mean Δ"));
  m_caption->setText(tr("<b>%1</b> · layer %2 (%3) · token %4: mean Δ = %5")
                         .arg(SessionText::model(*f)).arg(f->layer).arg(SessionText::mixer(f->mixer)).arg(t)
                         .arg(f->scalar("mean_delta", NAN), 0, 'g', 3));
}
