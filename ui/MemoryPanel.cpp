#include "MemoryPanel.h"

#include <QLegendMarker>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLineSeries>
#include <QScatterSeries>
#include <QVBoxLayout>

#include "ChartLegend.h"
#include "ChartStyle.h"
#include "Workspace.h"
#include "published_memory.h"

MemoryPanel::MemoryPanel(Workspace* ws, QWidget* parent) : Panel(ws, "memory", QT_TR_NOOP("Memory"), parent) {
  m_chartView = new QChartView(new QChart, this);
  m_chartView->setRenderHint(QPainter::Antialiasing);
  m_table = new QTableWidget(this);
  m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
  m_table->verticalHeader()->hide();
  m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  m_table->setMinimumWidth(QFontMetrics(font()).horizontalAdvance("Llama-3.1-8B 0"));  // scrolls sideways
  m_bytesPerValue = new QComboBox(this);
  m_bytesPerValue->addItem(tr("fp16/bf16: 2 B"), 2);
  m_bytesPerValue->addItem(tr("fp32: 4 B"), 4);
  m_bytesPerValue->addItem(tr("int8: 1 B"), 1);
  m_bytesPerValue->setToolTip(tr("Bytes per value in the table of published models"));
  auto* formula = new QLabel(tr("KV = 2 · layers · kv_heads · head_dim · T · bytes"), this);
  QFont f;  // bold only: the size still follows the zoom
  f.setBold(true);
  formula->setFont(f);
  formula->setWordWrap(true);
  auto* top = new QHBoxLayout;
  top->addWidget(formula, 1);
  top->addWidget(m_bytesPerValue);
  top->addWidget(helpBadge());
  auto* plot = new QVBoxLayout;
  plot->addWidget(m_chartView, 1);
  plot->addWidget(new ChartLegend(m_chartView->chart(), this));
  auto* body = new QHBoxLayout;
  body->addLayout(plot, 3);
  body->addWidget(m_table, 2);
  auto* v = new QVBoxLayout(this);
  v->addLayout(top);
  v->addLayout(body, 1);
  connect(m_bytesPerValue, &QComboBox::currentIndexChanged, this, &MemoryPanel::fillTable);
  fillTable();
  buildChart();
  followWorkspace();
}

QString MemoryPanel::help() const {
  return tr("How much a model must keep in memory to continue the text after T tokens. An attention layer keeps "
            "the key and value of every past token: KV bytes = 2 · layers · kv_heads · head_dim · T · bytes per value, "
            "growing without bound. An SSM layer keeps a fixed state (Mamba-1: d_inner · (N + conv − 1) values), the "
            "same at token 10 and at token 1 000 000. Chart: each loaded model's state + KV cache in bytes (fp32, as "
            "the engine holds them), measured after every position; dots: the live cache tensors. Table: the formula "
            "applied to published configurations.");
}

void MemoryPanel::changeEvent(QEvent* e) {
  if (e->type() == QEvent::PaletteChange || e->type() == QEvent::FontChange) scheduleRefresh();
  Panel::changeEvent(e);
}

void MemoryPanel::fillTable() {
  const int bpv = m_bytesPerValue->currentData().toInt();
  const QList<qint64> T = {4096, 131072, 1048576};
  m_table->clear();
  m_table->setColumnCount(4);
  m_table->setHorizontalHeaderLabels({tr("model"), tr("4K"), tr("128K"), tr("1M")});
  const auto& ms = ss::published_models();
  m_table->setRowCount(int(ms.size()));
  for (int r = 0; r < int(ms.size()); ++r) {
    auto* name = new QTableWidgetItem(QString::fromStdString(ms[r].name));
    name->setToolTip(QString::fromStdString(ms[r].note));
    m_table->setItem(r, 0, name);
    for (int c = 0; c < 3; ++c) {
      auto* it = new QTableWidgetItem(QString::fromStdString(ss::human_bytes(double(ss::published_memory_bytes(ms[r], T[c], bpv)))));
      it->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
      it->setToolTip(QString::fromStdString(ms[r].note));
      m_table->setItem(r, c + 1, it);
    }
  }
}

void MemoryPanel::buildChart() {
  // One line and one dot per possible model, kept for the panel's life and updated with replace().
  QChart* chart = m_chartView->chart();
  m_x = new QValueAxis;
  m_y = new QValueAxis;
  m_x->setTitleText(tr("tokens read t"));
  m_x->setLabelFormat("%d");
  m_y->setTitleText(tr("KB"));
  chart->addAxis(m_x, Qt::AlignBottom);
  chart->addAxis(m_y, Qt::AlignLeft);
  for (int col = 0; col < Workspace::kMaxColumns; ++col) {
    auto* line = new QLineSeries;
    auto* live = new QScatterSeries;  // measured from the live cache tensors
    live->setMarkerSize(12);
    for (QXYSeries* s : {static_cast<QXYSeries*>(line), static_cast<QXYSeries*>(live)}) {
      chart->addSeries(s);
      s->attachAxis(m_x);
      s->attachAxis(m_y);
    }
    chart->legend()->markers(live).first()->setVisible(false);
    m_lines << line;
    m_live << live;
  }
  chart->setTitle(tr("State + KV cache"));  // short: a chart elides a title wider than itself
}

void MemoryPanel::refresh() {
  const ss::FramePtr f = m_ws->frame(ss::View::Memory);
  setShownFrame(f);
  QChart* chart = m_chartView->chart();
  int used = 0;
  // Ticks of at most 4 digits in the unit that fits the largest value (never "2000000.0").
  const auto [unit, unitName] = ChartStyle::byteUnit(f && !f->empty() ? f->scalar("ymax_kb") * 1024.0 : 1024.0);
  const double perKb = 1024.0 / unit;
  QList<ss::Architecture> archs;
  for (int c = 0; c < m_ws->columnCount(); ++c) archs << m_ws->column(c).config.arch;
  if (f && !f->empty()) {
    for (size_t k = 0; k + 1 < f->series.size() && used < m_lines.size(); k += 2, ++used) {
      const ss::Series& s = f->series[k];        // the line
      const ss::Series& dot = f->series[k + 1];  // the live measurement
      QList<QPointF> pts;
      pts.reserve(qsizetype(s.x.size()));
      for (size_t i = 0; i < s.x.size(); ++i) pts.append({s.x[i], s.y[i] * perKb});
      ChartStyle::setName(m_lines[used], QString::fromStdString(s.name));
      const bool known = used < archs.size();  // the model's colour, as in its column
      if (const QPen pen = known ? ChartStyle::modelPen(archs, used, 3) : QPen(ChartStyle::seriesColor(used), 3); m_lines[used]->pen() != pen)
        m_lines[used]->setPen(pen);
      m_lines[used]->replace(pts);
      if (const QColor color = known ? ChartStyle::modelColor(archs[used]) : ChartStyle::seriesColor(used); m_live[used]->color() != color)
        m_live[used]->setColor(color);
      m_live[used]->replace({QPointF(dot.x.at(0), dot.y.at(0) * perKb)});
    }
  }
  for (int k = 0; k < m_lines.size(); ++k) {  // the models that are gone leave nothing behind
    const bool on = k < used;
    if (!on) {
      m_lines[k]->replace(QList<QPointF>{});
      m_live[k]->replace(QList<QPointF>{});
      ChartStyle::setName(m_lines[k], QString());
    }
    chart->legend()->markers(m_lines[k]).first()->setVisible(on);
  }
  // Both axes on nice numbers (the horizontal one too: lengths read as 0, 500, 1000).
  const ChartStyle::NiceRange xr = ChartStyle::niceRange(0, f && !f->empty() ? f->scalar("positions") : 1.0, 5);
  ChartStyle::setRange(chart, m_x, xr.lo, xr.hi, font());
  ChartStyle::setRange(chart, m_y, 0, f && !f->empty() ? f->scalar("ymax_kb") * perKb * 1.1 : 1.0, font());
  ChartStyle::setTitle(m_y, unitName);
  ChartStyle::apply(chart, palette(), font());
}

int MemoryPanel::lineCount() const {
  int n = 0;
  for (QLineSeries* s : m_lines) n += s->count() > 0;
  return n;
}
