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

CostPanel::CostPanel(Workspace* ws, QWidget* parent) : Panel(ws, "cost", QT_TR_NOOP("Cost"), parent) {
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
  buildChart();
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
  m_caption->setText(tr("measuring… (on the worker; the progress bar can cancel it)"));
  m_ws->measureCost(defaultLengths(), wait);
}

void CostPanel::changeEvent(QEvent* e) {
  if (e->type() == QEvent::PaletteChange || e->type() == QEvent::FontChange) scheduleRefresh();
  Panel::changeEvent(e);
}

void CostPanel::buildChart() {
  // Every series the chart can show, kept for the panel's life and updated with replace().
  QChart* chart = m_chartView->chart();
  m_x = new QLogValueAxis;
  m_y = new QLogValueAxis;
  m_x->setBase(2);
  m_y->setBase(10);
  m_x->setLabelFormat("%d");
  m_x->setTitleText(tr("sequence length T (tokens, log scale)"));
  m_y->setTitleText(tr("forward time (ms, log scale)"));
  chart->addAxis(m_x, Qt::AlignBottom);
  chart->addAxis(m_y, Qt::AlignLeft);
  auto add = [&](QXYSeries* s) {
    chart->addSeries(s);
    s->attachAxis(m_x);
    s->attachAxis(m_y);
  };
  for (int col = 0; col < Workspace::kMaxColumns; ++col) {
    auto* line = new QLineSeries;
    auto* dots = new QScatterSeries;
    dots->setMarkerSize(10);
    add(line);
    add(dots);
    chart->legend()->markers(dots).first()->setVisible(false);
    m_lines << line;
    m_dots << dots;
  }
  m_linear = new QLineSeries;
  m_quadratic = new QLineSeries;
  m_linear->setName(tr("∝ T"));
  m_quadratic->setName(tr("∝ T²"));
  add(m_linear);
  add(m_quadratic);
  chart->setTitle(tr("Forward time vs length"));
}

void CostPanel::refresh() {
  const ss::FramePtr f = m_ws->frame(ss::View::Cost);
  setShownFrame(f);
  QChart* chart = m_chartView->chart();
  auto points = [](const ss::Series& s) {
    QList<QPointF> pts;
    for (size_t i = 0; i < s.x.size(); ++i) pts.append({s.x[i], s.y[i]});
    return pts;
  };
  int used = 0;
  QList<QPointF> lin, quad;
  QList<ss::Architecture> archs;
  for (int c = 0; c < m_ws->columnCount(); ++c) archs << m_ws->column(c).config.arch;
  if (f && !f->empty()) {
    for (const ss::Series& s : f->series) {
      if (s.role == "reference") {
        (lin.isEmpty() ? lin : quad) = points(s);
        continue;
      }
      if (used >= m_lines.size()) continue;
      ChartStyle::setName(m_lines[used], QString::fromStdString(s.name));
      const bool known = used < archs.size();  // the model's colour, as in its column
      if (const QPen pen = known ? ChartStyle::modelPen(archs, used, 3) : QPen(ChartStyle::seriesColor(used), 3); m_lines[used]->pen() != pen)
        m_lines[used]->setPen(pen);
      m_dots[used]->setColor(known ? ChartStyle::modelColor(archs[used]) : ChartStyle::seriesColor(used));
      m_lines[used]->replace(points(s));
      m_dots[used]->replace(points(s));
      ++used;
    }
  }
  for (int k = used; k < m_lines.size(); ++k) {  // models that are gone leave nothing behind
    m_lines[k]->replace(QList<QPointF>{});
    m_dots[k]->replace(QList<QPointF>{});
    ChartStyle::setName(m_lines[k], QString());
  }
  for (int k = 0; k < m_lines.size(); ++k) chart->legend()->markers(m_lines[k]).first()->setVisible(k < used);
  m_linear->replace(lin);
  m_quadratic->replace(quad);
  for (QLineSeries* r : {m_linear, m_quadratic}) chart->legend()->markers(r).first()->setVisible(used > 0);
  // Two different colours (grey and the text colour) as well as dashes: the swatches differ too.
  m_linear->setPen(QPen(palette().color(QPalette::Mid), Zoom::px(2), Qt::DashLine));
  m_quadratic->setPen(QPen(palette().color(QPalette::WindowText), Zoom::px(2), Qt::DotLine));
  // Log axes need positive ranges: from the smallest measured length and time to the largest.
  double xmin = INFINITY, ymin = INFINITY;
  for (int k = 0; k < used; ++k)
    for (const QPointF& p : m_lines[k]->points()) {
      if (p.x() > 0) xmin = std::min(xmin, p.x());
      if (p.y() > 0) ymin = std::min(ymin, p.y());
    }
  const bool ranged = used && std::isfinite(xmin) && std::isfinite(ymin);
  const double x0 = ranged ? xmin / 1.2 : 1.0, x1 = ranged ? f->scalar("xmax") * 1.2 : 2.0;
  const double y0 = ranged ? ymin / 1.5 : 1.0, y1 = ranged ? f->scalar("ymax") * 1.5 : 10.0;
  if (m_x->min() != x0 || m_x->max() != x1) m_x->setRange(x0, x1);
  if (m_y->min() != y0 || m_y->max() != y1) m_y->setRange(y0, y1);
  ChartStyle::apply(chart, palette(), font());
  m_caption->setText(used ? tr("%1 lengths × %2 models, best of %3 runs").arg(f->rows).arg(f->cols).arg(qint64(f->scalar("repeats")))
                          : f && f->error.empty() && f->note.empty() ? tr("press Measure to time every model") : emptyReason(f));
}
