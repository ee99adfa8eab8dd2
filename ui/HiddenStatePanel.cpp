#include "HiddenStatePanel.h"

#include <Eigen/Core>

#include <QLegendMarker>
#include <QHBoxLayout>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

#include "ChartLegend.h"
#include "ColorRangeBox.h"
#include "ChartStyle.h"
#include "Workspace.h"

HiddenStatePanel::HiddenStatePanel(Workspace* ws, QWidget* parent) : Panel(ws, "state", tr("Hidden state"), parent) {
  m_heatmap = new Heatmap(this);
  m_heatmap->setScale(ColorScale::Signed);
  m_heatmap->setColorRange(ColorRange::Robust);  // a few outlier channels would grey out the rest
  auto* range = new ColorRangeBox(ColorRange::Robust, tr("channel"), this);
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
  m_x->setTitleText(tr("token t"));
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
    if (col >= m_ws->columnCount()) return;
    LayerChoice ch = m_ws->choice(col);
    if (m_ws->exploration(col).config().mixers[ch.layer] == ss::MixerKind::Mamba) ch.channel = c; else ch.head = c;
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

void HiddenStatePanel::refresh() {
  const int col = m_ws->activeColumn();
  m_data = PanelData{};
  if (col >= m_ws->columnCount() || m_ws->computed() == 0) {
    m_heatmap->clear();
    m_caption->setText(tr("no model or no text"));
    return;
  }
  const ss::ModelConfig& c = m_ws->exploration(col).config();
  if (c.mixers[m_ws->choice(col).layer] == ss::MixerKind::Attention) showKvCache(col);
  else showSsm(col);
}

void HiddenStatePanel::showSsm(int col) {
  ss::Exploration& ex = m_ws->exploration(col);
  const LayerChoice ch = m_ws->choice(col);
  const ss::ModelConfig& c = ex.config();
  const bool m2 = c.mixers[ch.layer] == ss::MixerKind::Mamba2;
  const qint64 t = m_ws->token();
  // The window trace holds the state after every token of the window; state_at only when t is outside it.
  // The states of every token of the window, for the evolution chart: at most kSharedWindow tokens
  // around t (a state per token is [Di, N] or [H, P, N]: 8K tokens of Mamba-2 would be 1.1 GB).
  qint64 s0 = m_ws->windowStart(), s1 = m_ws->windowEnd();
  if (s1 - s0 > Workspace::kSharedWindow) {
    s0 = std::clamp<qint64>(t - Workspace::kSharedWindow / 2, s0, s1 - Workspace::kSharedWindow);
    s1 = s0 + Workspace::kSharedWindow;
  }
  const ss::LayerWindow w = m_ws->layerWindow(col, ch.layer, s0, s1, ss::kWindowStates, ch.head);
  ss::Tensor h;  // Mamba [Di, N]; Mamba-2 [H, P, N]
  if (t >= w.t0 && t < w.t1 && !w.states.empty()) {
    const ss::Shape shape(w.states.shape().begin() + 1, w.states.shape().end());  // states [W, ...]
    const qint64 per = ss::shape_numel(shape);
    h = ss::Tensor::from(shape, std::vector<float>(w.states.data() + (t - w.t0) * per, w.states.data() + (t - w.t0 + 1) * per));
  } else {
    h = ex.state_at(t, ch.layer).layers[ch.layer].ssm_state;  // Mamba [Di, N]; Mamba-2 [H, P, N]
  }
  const int N = int(h.size(-1)), cols = int(h.numel() / N);       // channels (Mamba-2: head·P + p)
  QVector<float> v(qsizetype(N) * cols);
  for (int ci = 0; ci < cols; ++ci)
    for (int n = 0; n < N; ++n) v[qsizetype(n) * cols + ci] = h.data()[qsizetype(ci) * N + n];
  m_heatmap->setTitle(tr("h_t after token %1 — %2, layer %3").arg(t).arg(QString::fromStdString(ex.name())).arg(ch.layer));
  m_heatmap->setAxisLabels(tr("state dim n"), m2 ? tr("head · head dim") : tr("channel d"));
  m_heatmap->setUnits(tr("h value"));
  m_heatmap->setOffsets(0, 0);
  m_heatmap->setData(N, cols, v);
  m_data = PanelData{tr("h_t, layer %1").arg(ch.layer), N, cols, v, tr("state dim n"), m2 ? tr("head*P + p") : tr("channel d"), tr("h"), {}, {}, t};

  // Evolution over the window: ‖h_t‖ and the picked channel (Mamba-2: head).
  const int pick = m2 ? ch.head : ch.channel;
  const int perPick = m2 ? int(h.numel() / c.mamba2.n_heads) : N;
  m_channelBox->setRange(0, m2 ? c.mamba2.n_heads - 1 : cols - 1);
  m_channelBox->setPrefix(m2 ? tr("head ") : tr("channel "));
  {
    const QSignalBlocker b(m_channelBox);
    m_channelBox->setValue(pick);
  }
  QList<QPointF> norm, chan;
  double nmax = 0, cmax = 0;
  const qint64 per = h.numel();
  for (qint64 k = 0; k < w.t1 - w.t0 && !w.states.empty(); ++k) {
    const float* s = w.states.data() + k * per;  // h after token t0 + k
    // Vectorised float sums (enough for a plotted line; the exported data is h_t itself).
    const double a = Eigen::Map<const Eigen::VectorXf>(s, per).squaredNorm();
    const double b = Eigen::Map<const Eigen::VectorXf>(s + qsizetype(pick) * perPick, perPick).squaredNorm();
    norm.append({double(w.t0 + k), std::sqrt(a)});
    chan.append({double(w.t0 + k), std::sqrt(b)});
    nmax = std::max(nmax, std::sqrt(a));
    cmax = std::max(cmax, std::sqrt(b));
  }
  m_norm->setName(tr("‖h_t‖ (layer)"));
  m_channel->setName(m2 ? tr("‖h_t‖ head %1").arg(pick) : tr("‖h_t[%1]‖ channel %1").arg(pick));
  m_norm->replace(norm);
  m_channel->replace(chan);
  m_marker->replace({QPointF(t, 0), QPointF(t, nmax * 1.05)});
  m_x->setRange(w.t0, std::max<double>(w.t1 - 1, w.t0 + 1));
  m_yNorm->setRange(0, std::max(nmax * 1.05, 1e-6));
  m_yChannel->setRange(0, std::max(cmax * 1.05, 1e-6));
  m_yNorm->setTitleText(tr("‖h_t‖"));
  m_yChannel->setTitleText(QString());
  m_chartView->chart()->setTitle(QString());
  ChartStyle::styleAxes(m_chartView->chart(), palette(), font());
  m_caption->setText(tr("<b>%1</b> · layer %2 (%3) · token %4 · state %5 values, fixed whatever the length")
                         .arg(QString::fromStdString(ex.name())).arg(ch.layer).arg(ss::mixer_name(c.mixers[ch.layer])).arg(t).arg(h.numel()));
}

void HiddenStatePanel::showKvCache(int col) {
  ss::Exploration& ex = m_ws->exploration(col);
  const LayerChoice ch = m_ws->choice(col);
  const ss::ModelConfig& c = ex.config();
  const qint64 t = m_ws->token();
  const int Hkv = c.attn.n_kv_heads, hd = c.attn.head_dim;
  const int kvHead = std::clamp(ch.head / std::max(1, c.attn.n_heads / std::max(1, Hkv)), 0, Hkv - 1);
  const ss::Tensor keys = ex.cached_keys(t, ch.layer, kvHead);  // [t + 1, hd]
  const int P = int(keys.size(0));
  QVector<float> v(qsizetype(hd) * P);
  for (int j = 0; j < P; ++j)
    for (int d = 0; d < hd; ++d) v[qsizetype(d) * P + j] = keys.data()[qsizetype(j) * hd + d];
  m_heatmap->setTitle(tr("KV cache keys at t = %1 — %2, layer %3, KV head %4").arg(t).arg(QString::fromStdString(ex.name())).arg(ch.layer).arg(kvHead));
  m_heatmap->setAxisLabels(tr("key dim"), tr("position j"));
  m_heatmap->setUnits(tr("k value"));
  m_heatmap->setData(hd, P, v);
  m_data = PanelData{tr("keys of KV head %1, layer %2").arg(kvHead).arg(ch.layer), hd, P, v, tr("key dim"), tr("position j"), tr("k"), {}, {}, t};
  m_channelBox->setRange(0, c.attn.n_heads - 1);
  m_channelBox->setPrefix(tr("head "));
  QList<QPointF> bytes;
  const double perPos = 2.0 * Hkv * hd * 4;
  const auto [unit, unitName] = ChartStyle::byteUnit(perPos * m_ws->windowEnd());  // ticks of at most 4 digits
  for (qint64 p = m_ws->windowStart(); p < m_ws->windowEnd(); ++p) bytes.append({double(p), perPos * (p + 1) / unit});
  m_norm->setName(tr("this layer's KV bytes"));
  m_norm->replace(bytes);
  m_channel->replace({});
  m_marker->replace({QPointF(t, 0), QPointF(t, perPos * (t + 1) / unit)});
  m_x->setRange(m_ws->windowStart(), std::max<double>(m_ws->windowEnd() - 1, m_ws->windowStart() + 1));
  m_yNorm->setRange(0, perPos * m_ws->windowEnd() / unit * 1.05);
  m_yNorm->setTitleText(unitName);
  m_chartView->chart()->setTitle(QString());
  m_norm->setName(tr("layer KV cache (+%1 bytes per token)").arg(perPos));
  ChartStyle::styleAxes(m_chartView->chart(), palette(), font());
  m_caption->setText(tr("<b>%1</b> · layer %2 (attention) · token %3 · the cache holds %4 positions")
                         .arg(QString::fromStdString(ex.name())).arg(ch.layer).arg(t).arg(P));
}
