#include "CostPanel.h"

#include <QLegendMarker>
#include <QHBoxLayout>
#include <QLineSeries>
#include <QScatterSeries>
#include <QValueAxis>
#include <QVBoxLayout>

#include "ChartLegend.h"
#include "ChartStyle.h"
#include "Workspace.h"
#include "Zoom.h"

#include <QLogValueAxis>
#include <cmath>

CostPanel::CostPanel(Workspace* ws, QWidget* parent) : Panel(ws, "cost", tr("Cost"), parent) {
  m_chartView = new QChartView(new QChart, this);
  m_chartView->setRenderHint(QPainter::Antialiasing);
  m_measure = new QPushButton(tr("Measure"), this);
  m_measure->setToolTip(tr("Time a forward pass of every loaded model at several lengths (on the worker thread)"));
  m_caption = new QLabel(tr("press Measure to time every model"), this);
  m_caption->setWordWrap(true);
  excludeFromFigure(m_caption);
  auto* top = new QHBoxLayout;
  top->addWidget(m_caption, 1);
  top->addWidget(m_measure);
  top->addWidget(helpBadge());
  auto* v = new QVBoxLayout(this);
  v->addLayout(top);
  v->addWidget(m_chartView, 1);
  v->addWidget(new ChartLegend(m_chartView->chart(), this));
  connect(m_measure, &QPushButton::clicked, this, [this] { measure(false); });
  connect(m_ws, &Workspace::costChanged, this, &CostPanel::scheduleRefresh);
  followWorkspace();
}

QString CostPanel::help() const {
  return tr("Wall-clock time of one forward pass over T tokens, per model, on the backend shown. An SSM layer does "
            "O(T) work (one state update per token); an attention layer compares every token with all earlier ones, "
            "O(T²) work, and per new token O(T) instead of O(1). Dashed and dotted grey lines: linear and quadratic "
            "growth through the first measurement. Both axes are logarithmic, so O(T) is a line of slope 1 "
            "and O(T²) a line of slope 2: a curve that bends from the first towards the second is attention's "
            "quadratic term taking over. Tiny models are dominated by per-token overheads, so it shows only at "
            "long lengths.");
}

// Up to 8192: at 4096 tokens the tiny models' per-token overheads still hide much of attention's T²
// term; one more doubling shows it (about 15 s for llama-bytes on a 2-core CPU).
QVector<qint64> CostPanel::defaultLengths() { return {128, 256, 512, 1024, 2048, 4096, 8192}; }

void CostPanel::measure(bool wait) {
  m_caption->setText(tr("measuring…"));
  m_ws->measureCost(defaultLengths(), wait);
}

void CostPanel::changeEvent(QEvent* e) {
  if (e->type() == QEvent::PaletteChange || e->type() == QEvent::FontChange) scheduleRefresh();
  Panel::changeEvent(e);
}

void CostPanel::refresh() {
  QChart* chart = m_chartView->chart();
  chart->removeAllSeries();
  for (QAbstractAxis* a : chart->axes()) {
    chart->removeAxis(a);
    delete a;
  }
  const auto& cost = m_ws->cost();
  m_data = PanelData{};
  if (cost.isEmpty() || cost[0].isEmpty() || cost.size() != m_ws->columnCount()) return;
  const int L = int(cost[0].size()), models = int(cost.size());
  m_data = PanelData{tr("forward seconds"), L, models, QVector<float>(qsizetype(L) * models), tr("length T"), tr("model"), tr("s"), {}, {}, m_ws->token()};
  // Log-log: slope 1 is linear growth, slope 2 quadratic.
  auto* x = new QLogValueAxis;
  auto* y = new QLogValueAxis;
  x->setBase(2);
  y->setBase(10);
  x->setTitleText(tr("sequence length T (tokens, log scale)"));
  y->setTitleText(tr("forward time (ms, log scale)"));
  chart->addAxis(x, Qt::AlignBottom);
  chart->addAxis(y, Qt::AlignLeft);
  double ymax = 0, xmax = 0, ymin = INFINITY;
  QList<ss::Architecture> archs;
  for (int col = 0; col < models; ++col) archs << m_ws->exploration(col).config().arch;
  for (int col = 0; col < models; ++col) {
    auto* s = new QLineSeries;
    s->setName(QString::fromStdString(m_ws->exploration(col).name()) + " · " + QString::fromStdString(m_ws->exploration(col).backend_name()));
    s->setPen(ChartStyle::modelPen(archs, col, 3));  // the model's colour, as in its column
    auto* dots = new QScatterSeries;
    dots->setColor(ChartStyle::modelColor(archs[col]));
    dots->setMarkerSize(10);
    for (int k = 0; k < cost[col].size(); ++k) {
      const ss::CostSample& c = cost[col][k];
      s->append(double(c.length), c.seconds * 1e3);
      dots->append(double(c.length), c.seconds * 1e3);
      m_data.values[qsizetype(k) * models + col] = float(c.seconds);
      if (col == 0) m_data.rowLabels << QString::number(c.length);
      ymax = std::max(ymax, c.seconds * 1e3);
      ymin = std::min(ymin, c.seconds * 1e3);
      xmax = std::max(xmax, double(c.length));
    }
    m_data.colLabels << QString::fromStdString(m_ws->exploration(col).name());
    for (QAbstractSeries* a : {static_cast<QAbstractSeries*>(s), static_cast<QAbstractSeries*>(dots)}) {
      chart->addSeries(a);
      a->attachAxis(x);
      a->attachAxis(y);
    }
    chart->legend()->markers(dots).first()->setVisible(false);
  }
  // Linear and quadratic references through model 0's first point.
  const ss::CostSample& first = cost[0][0];
  auto* lin = new QLineSeries;
  auto* quad = new QLineSeries;
  lin->setName(tr("∝ T"));
  quad->setName(tr("∝ T²"));
  // Two different colours (grey and the text colour) as well as dashes: the swatches differ too.
  lin->setPen(QPen(palette().color(QPalette::Mid), Zoom::px(2), Qt::DashLine));
  quad->setPen(QPen(palette().color(QPalette::WindowText), Zoom::px(2), Qt::DotLine));
  for (int k = 0; k <= 40; ++k) {
    const double T = first.length * std::pow(xmax / first.length, k / 40.0);
    lin->append(T, first.seconds * 1e3 * T / first.length);
    const double q = first.seconds * 1e3 * (T / first.length) * (T / first.length);
    if (q <= ymax * 1.5) quad->append(T, q);
  }
  for (QLineSeries* r : {lin, quad}) {
    chart->addSeries(r);
    r->attachAxis(x);
    r->attachAxis(y);
  }
  x->setRange(first.length / 1.2, xmax * 1.2);
  y->setRange(std::max(ymin, 1e-6) / 1.5, std::max(ymax, 1e-6) * 1.5);
  chart->setTitle(tr("Forward time vs length"));
  ChartStyle::apply(chart, palette(), font());
  m_caption->setText(tr("%1 lengths × %2 models, best of 2 runs").arg(L).arg(models));
}
