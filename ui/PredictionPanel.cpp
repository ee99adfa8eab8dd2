#include "PredictionPanel.h"

#include <QBarCategoryAxis>
#include <QBarSet>
#include <QStackedBarSeries>
#include <QHBoxLayout>
#include <QValueAxis>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>
#include <numeric>

#include "ChartLegend.h"
#include "ChartStyle.h"
#include "Workspace.h"

namespace {

QString byteLabel(int b) {
  if (b == ' ') return QStringLiteral("␣");
  if (b == '\n') return QStringLiteral("↵");
  if (b >= 0x21 && b < 0x7F) return QString(QChar(b));
  return QString("%1").arg(b, 2, 16, QChar('0'));
}

}  // namespace

PredictionPanel::PredictionPanel(Workspace* ws, QWidget* parent) : Panel(ws, "prediction", tr("Prediction"), parent) {
  m_chartView = new QChartView(new QChart, this);
  m_chartView->setRenderHint(QPainter::Antialiasing);
  m_text = new TokenStrip(this);
  m_text->setMinimumHeight(QFontMetrics(font()).height() * 3);
  m_caption = new QLabel(this);
  m_caption->setWordWrap(true);
  excludeFromFigure(m_caption);  // the plots carry their own titles
  auto* top = new QHBoxLayout;
  top->addWidget(m_caption, 1);
  top->addWidget(helpBadge());
  auto* body = new QVBoxLayout;
  body->addWidget(m_chartView, 4);
  body->addWidget(new ChartLegend(m_chartView->chart(), this));
  body->addWidget(m_text, 1);
  auto* v = new QVBoxLayout(this);
  v->addLayout(top);
  v->addLayout(body, 1);
  connect(m_text, &TokenStrip::tokenClicked, this, [this](qint64 t, bool extend) {
    if (extend) m_ws->extendSelection(t); else m_ws->selectToken(t);
  });
  followWorkspace();
}

QString PredictionPanel::help() const {
  return tr("What the model expects next. After reading bytes 0..t it outputs a probability for each of the 256 "
            "possible next bytes, p = softmax(logits); the bars show the %1 most likely, the byte that actually "
            "follows in the text colour (black; white on the dark theme). The text is coloured by surprisal, −log<sub>2</sub> p(byte | all bytes before) in "
            "bits: dark = expected, bright = surprising (8 bits = a uniform guess among 256 bytes).").arg(kTopK);
}

void PredictionPanel::changeEvent(QEvent* e) {
  if (e->type() == QEvent::PaletteChange || e->type() == QEvent::FontChange) scheduleRefresh();
  Panel::changeEvent(e);
}

void PredictionPanel::refresh() {
  QChart* chart = m_chartView->chart();
  chart->removeAllSeries();
  for (QAbstractAxis* a : chart->axes()) {
    chart->removeAxis(a);
    delete a;
  }
  m_data = PanelData{};
  m_top.clear();
  m_text->setBytes(m_ws->bytes());
  m_text->setSelection(m_ws->token(), m_ws->windowStart(), m_ws->windowEnd());
  const int col = m_ws->activeColumn();
  if (col >= m_ws->columnCount() || m_ws->computed() == 0) return;
  ss::Exploration& ex = m_ws->exploration(col);
  const qint64 t = m_ws->token();
  const std::vector<float> p = ex.next_byte_probs(t);
  const int V = int(p.size());
  m_data = PanelData{tr("p(next byte | bytes 0..%1)").arg(t), 1, V, QVector<float>(p.begin(), p.end()), tr("token t"), tr("next byte"), tr("probability"), {QString::number(t)}, {}, t};
  std::vector<int> order(std::min(V, 256));
  std::iota(order.begin(), order.end(), 0);
  std::partial_sort(order.begin(), order.begin() + kTopK, order.end(), [&](int a, int b) { return p[a] > p[b]; });
  const int next = t + 1 < m_ws->bytes().size() ? quint8(m_ws->bytes()[t + 1]) : -1;
  auto* set = new QBarSet(tr("p(next byte), %1").arg(QString::fromStdString(ex.name())));
  auto* actual = new QBarSet(tr("the byte that follows"));
  set->setColor(ChartStyle::modelColor(ex.config().arch));     // the model's colour, as in its column
  actual->setColor(palette().color(QPalette::WindowText));     // distinct from every model colour
  double pmax = 0;
  for (int k = 0; k < kTopK; ++k) {
    const int b = order[k];
    m_top << byteLabel(b);
    *set << (b == next ? 0.0 : p[b]);
    *actual << (b == next ? p[b] : 0.0);
    pmax = std::max(pmax, double(p[b]));
  }
  auto* series = new QStackedBarSeries;  // one of the two sets is 0 in each category: bars stay centred
  series->append(set);
  series->append(actual);
  series->setBarWidth(0.7);
  chart->addSeries(series);
  auto* x = new QBarCategoryAxis;
  x->append(m_top);
  x->setTitleText(tr("next byte (top %1)").arg(kTopK));
  // Hex labels ("9f") may be wider than a narrow chart's bars: upright, so they are never elided.
  bool wide = false;
  for (const QString& l : m_top) wide = wide || l.size() > 1;
  x->setLabelsAngle(wide ? -90 : 0);
  auto* y = new QValueAxis;
  y->setRange(0, std::min(1.0, pmax * 1.15 + 1e-3));
  y->setTitleText(tr("probability"));
  y->setLabelFormat("%.2f");
  chart->addAxis(x, Qt::AlignBottom);
  chart->addAxis(y, Qt::AlignLeft);
  series->attachAxis(x);
  series->attachAxis(y);
  // Short enough not to be elided in a third of a 1080p window; the model is in the legend.
  chart->setTitle(tr("Next byte after %1 (token %2)").arg(byteLabel(quint8(m_ws->bytes()[t]))).arg(t));
  ChartStyle::apply(chart, palette(), font());

  const std::vector<float>& s = ex.surprisals();
  const QVector<float> sv(s.begin(), s.end());
  m_text->setCellValues(sv, ColorNormalizer::fromData(ColorScale::Linear, sv.constData(), sv.size()), tr("surprisal (bits)"));
  QString cap = tr("<b>%1</b>").arg(QString::fromStdString(ex.name()));
  if (next >= 0) cap += tr(" · next byte %1: p = %2, %3 bits").arg(byteLabel(next)).arg(p[next], 0, 'g', 3).arg(-std::log2(std::max(p[next], 1e-30f)), 0, 'f', 2);
  double mean = 0;
  int cnt = 0;
  for (float v : s) if (!std::isnan(v)) { mean += v; ++cnt; }
  if (cnt) cap += tr(" · text: %1 bits/byte").arg(mean / cnt, 0, 'f', 2);
  m_caption->setText(cap);
}
