#include "HiddenStatePanel.h"

#include <QLegendMarker>
#include <QHBoxLayout>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

#include "ChartLegend.h"
#include "ColorRangeBox.h"
#include "ChartStyle.h"
#include "SessionText.h"
#include "Translated.h"
#include "Workspace.h"

HiddenStatePanel::HiddenStatePanel(Workspace* ws, QWidget* parent) : Panel(ws, "state", QT_TR_NOOP("Hidden state"), parent) {
  m_heatmap = new Heatmap(this);
  m_heatmap->setScale(ColorScale::Signed);
  m_heatmap->setColorRange(ColorRange::Robust);  // a few outlier channels would grey out the rest
  auto* range = new ColorRangeBox(ColorRange::Robust, this);
  connect(range, &ColorRangeBox::rangeChanged, m_heatmap, &Heatmap::setColorRange);
  m_norm = new QLineSeries;
  m_channel = new QLineSeries;
  m_marker = new QLineSeries;
  auto* chart = new QChart;
  chart->addSeries(m_norm);
  chart->addSeries(m_channel);
  chart->addSeries(m_marker);
  m_x = new QValueAxis;
  m_yNorm = new QValueAxis;
  m_yChannel = new QValueAxis;
  chart->addAxis(m_x, Qt::AlignBottom);
  chart->addAxis(m_yNorm, Qt::AlignLeft);
  chart->addAxis(m_yChannel, Qt::AlignRight);
  for (QLineSeries* s : {m_norm, m_marker}) { s->attachAxis(m_x); s->attachAxis(m_yNorm); }
  m_channel->attachAxis(m_x);
  m_channel->attachAxis(m_yChannel);
  Translated::text(m_x, [] { return tr("token t"); });
  m_x->setLabelFormat("%d");
  chart->legend()->markers(m_marker).first()->setVisible(false);
  m_chartView = new QChartView(chart, this);
  m_chartView->setRenderHint(QPainter::Antialiasing);

  m_channelBox = new QSpinBox(this);
  m_channelBox->setPrefix(tr("channel "));
  m_caption = new QLabel(this);
  m_caption->setWordWrap(true);
  excludeFromFigure(m_caption);  // the plots carry their own titles

  auto* top = new QHBoxLayout;
  top->addWidget(m_caption, 1);
  top->addWidget(range);
  top->addWidget(m_channelBox);
  top->addWidget(helpBadge());
  auto* plot = new QVBoxLayout;
  plot->addWidget(m_chartView, 1);
  plot->addWidget(new ChartLegend(chart, this));
  auto* body = new QHBoxLayout;
  body->addWidget(m_heatmap, 3);
  body->addLayout(plot, 2);
  auto* v = new QVBoxLayout(this);
  v->addLayout(top);
  v->addLayout(body, 1);

  connect(m_channelBox, &QSpinBox::valueChanged, this, [this](int c) {
    const int col = m_ws->activeColumn();
    if (col >= m_ws->columnCount() || !m_ws->column(col).loaded()) return;
    LayerChoice ch = m_ws->choice(col);
    if (m_ws->column(col).config.mixers[ch.layer] == ss::MixerKind::Mamba) ch.channel = c; else ch.head = c;
    m_ws->setChoice(col, ch);
  });
  connect(m_heatmap, &Heatmap::cellClicked, this, [this](int, int c) { m_channelBox->setValue(c); });
  styleChart();
  followWorkspace();
}

QString HiddenStatePanel::help() const {
  return tr("The fixed-size memory of an SSM layer after reading tokens 0..t. Mamba-1: h_t = exp(Δ_t A) ∘ h_{t-1} + "
            "(Δ_t x_t) B_t<sup>T</sup>, one row of N state dims per channel (the heatmap: state dim × channel, blue "
            "negative, red positive). Its size never grows with the text. The chart follows ‖h_t‖ and the picked "
            "channel's ‖h_t[c]‖ across the window. For an attention layer the memory is the KV cache instead: the key "
            "vectors k_j of every past position j ≤ t (key dim × position), one column more per token.");
}

void HiddenStatePanel::changeEvent(QEvent* e) {
  if (e->type() == QEvent::PaletteChange || e->type() == QEvent::FontChange) styleChart();
  Panel::changeEvent(e);
}

void HiddenStatePanel::styleChart() {
  ChartStyle::apply(m_chartView->chart(), palette(), font());
  m_norm->setPen(QPen(ChartStyle::seriesColor(0), 2.5));
  m_channel->setPen(QPen(ChartStyle::seriesColor(1), 2));
  m_marker->setPen(QPen(palette().color(QPalette::Highlight), 2, Qt::DashLine));
}

namespace {

QList<QPointF> points(const ss::Series& s) {
  QList<QPointF> pts;
  pts.reserve(qsizetype(s.x.size()));
  for (size_t k = 0; k < s.x.size(); ++k) pts.append({s.x[k], s.y[k]});
  return pts;
}

}  // namespace

void HiddenStatePanel::showLegend(bool norm, bool channel) {
  QLegend* legend = m_chartView->chart()->legend();
  legend->markers(m_norm).first()->setVisible(norm);
  legend->markers(m_channel).first()->setVisible(channel);
}

bool HiddenStatePanel::channelInLegend() const { return m_chartView->chart()->legend()->markers(m_channel).first()->isVisible(); }

void HiddenStatePanel::refresh() {
  const ss::FramePtr f = m_ws->frame(ss::View::State);
  setShownFrame(f);
  if (!f || f->empty()) {  // nothing of an earlier frame stays: no title, lines or legend entries
    m_heatmap->clear();
    m_heatmap->setTitle(QString());
    m_heatmap->setPlaceholder(emptyReason(f));
    for (QLineSeries* s : {m_norm, m_channel, m_marker}) s->replace(QList<QPointF>{});
    ChartStyle::setName(m_norm, QString());
    ChartStyle::setName(m_channel, QString());
    showLegend(false, false);
    QChart* chart = m_chartView->chart();
    ChartStyle::setRange(chart, m_x, 0, 1, font());
    ChartStyle::setRange(chart, m_yNorm, 0, 1, font());
    ChartStyle::setRange(chart, m_yChannel, 0, 1, font());
    m_caption->setText(f && !f->model.empty() ? tr("<b>%1</b> · layer %2: %3").arg(SessionText::model(*f)).arg(f->layer).arg(emptyReason(f))
                                              : emptyReason(f));
    return;
  }
  if (f->mixer == "attention") showKvCache(*f);
  else showSsm(*f);
}

void HiddenStatePanel::showSsm(const ss::Frame& f) {
  const bool m2 = f.mixer == "mamba2";
  const qint64 t = f.token;
  const QString model = SessionText::model(f);
  m_heatmap->setTitle(tr("h_t after token %1 — %2, layer %3").arg(t).arg(model).arg(f.layer));
  m_heatmap->setAxisLabels(tr("state dim n"), m2 ? tr("head · head dim") : tr("channel d"));
  m_heatmap->setUnits(tr("h value"));
  m_heatmap->setOffsets(0, 0);
  m_heatmap->setData(int(f.rows), int(f.cols), QVector<float>(f.values.begin(), f.values.end()));
  // Evolution over the window: ‖h_t‖ and the picked channel (Mamba-2: head).
  const int pick = int(f.scalar("pick"));
  m_channelBox->setRange(0, int(f.scalar("picks")) - 1);
  m_channelBox->setPrefix(m2 ? tr("head ") : tr("channel "));
  {
    const QSignalBlocker b(m_channelBox);
    m_channelBox->setValue(pick);
  }
  const double nmax = f.scalar("norm_max"), cmax = f.scalar("pick_max");
  ChartStyle::setName(m_norm, tr("‖h_t‖ (layer)"));
  ChartStyle::setName(m_channel, m2 ? tr("‖h_t‖ head %1").arg(pick) : tr("‖h_t[%1]‖ channel %1").arg(pick));
  m_norm->replace(points(f.series.at(0)));
  m_channel->replace(points(f.series.at(1)));
  showLegend(true, true);
  m_marker->replace({QPointF(t, 0), QPointF(t, nmax * 1.05)});
  QChart* chart = m_chartView->chart();
  ChartStyle::setRange(chart, m_x, f.t0, std::max<double>(f.t1 - 1, f.t0 + 1), font());
  ChartStyle::setRange(chart, m_yNorm, 0, std::max(nmax * 1.05, 1e-6), font());
  ChartStyle::setRange(chart, m_yChannel, 0, std::max(cmax * 1.05, 1e-6), font());
  ChartStyle::setTitle(m_yNorm, tr("‖h_t‖"));
  ChartStyle::setTitle(m_yChannel, QString());
  ChartStyle::setTitle(chart, QString());
  ChartStyle::styleAxes(m_chartView->chart(), palette(), font());
  m_caption->setText(tr("<b>%1</b> · layer %2 (%3) · token %4 · state %5 values, fixed whatever the length")
                         .arg(model).arg(f.layer).arg(SessionText::mixer(f.mixer)).arg(t).arg(qint64(f.scalar("state_values"))));
}

void HiddenStatePanel::showKvCache(const ss::Frame& f) {
  const qint64 t = f.token;
  const QString model = SessionText::model(f);
  const int kvHead = int(f.scalar("kv_head"));
  m_heatmap->setTitle(tr("KV cache keys at t = %1 — %2, layer %3, KV head %4").arg(t).arg(model).arg(f.layer).arg(kvHead));
  m_heatmap->setAxisLabels(tr("key dim"), tr("position j"));
  m_heatmap->setUnits(tr("k value"));
  m_heatmap->setOffsets(0, 0);
  m_heatmap->setData(int(f.rows), int(f.cols), QVector<float>(f.values.begin(), f.values.end()));
  m_channelBox->setRange(0, int(f.scalar("picks")) - 1);
  m_channelBox->setPrefix(tr("head "));
  {
    const QSignalBlocker b(m_channelBox);
    m_channelBox->setValue(int(f.scalar("pick")));
  }
  const double perPos = f.scalar("bytes_per_position");
  const auto [unit, unitName] = ChartStyle::byteUnit(f.scalar("norm_max"));  // ticks of at most 4 digits
  QList<QPointF> bytes = points(f.series.at(0));
  for (QPointF& p : bytes) p.setY(p.y() / unit);
  ChartStyle::setName(m_norm, tr("layer KV cache (+%1 bytes per token)").arg(perPos));
  m_norm->replace(bytes);
  m_channel->replace(QList<QPointF>{});
  ChartStyle::setName(m_channel, QString());
  showLegend(true, false);  // no channel line: no legend entry for one
  m_marker->replace({QPointF(t, 0), QPointF(t, perPos * (t + 1) / unit)});
  QChart* chart = m_chartView->chart();
  ChartStyle::setRange(chart, m_x, f.t0, std::max<double>(f.t1 - 1, f.t0 + 1), font());
  ChartStyle::setRange(chart, m_yNorm, 0, f.scalar("norm_max") / unit * 1.05, font());
  ChartStyle::setTitle(m_yNorm, unitName);
  ChartStyle::setTitle(chart, QString());
  ChartStyle::styleAxes(m_chartView->chart(), palette(), font());
  m_caption->setText(tr("<b>%1</b> · layer %2 (attention) · token %3 · the cache holds %4 positions")
                         .arg(model).arg(f.layer).arg(t).arg(f.cols));
}
