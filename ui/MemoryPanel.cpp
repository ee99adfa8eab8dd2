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

MemoryPanel::MemoryPanel(Workspace* ws, QWidget* parent) : Panel(ws, "memory", tr("Memory"), parent) {
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

void MemoryPanel::refresh() {
  QChart* chart = m_chartView->chart();
  chart->removeAllSeries();
  for (QAbstractAxis* a : chart->axes()) {
    chart->removeAxis(a);
    delete a;
  }
  m_data = PanelData{};
  const qint64 n = m_ws->computed();
  const int models = m_ws->columnCount();
  if (n == 0 || models == 0) return;
  const int points = int(std::min<qint64>(n, 400));
  m_data = PanelData{tr("state + KV bytes per position"), points, models, QVector<float>(qsizetype(points) * models),
                     tr("position t"), tr("model"), tr("bytes"), {}, {}, m_ws->token()};
  auto* x = new QValueAxis;
  auto* y = new QValueAxis;
  x->setTitleText(tr("tokens read t"));
  x->setLabelFormat("%d");
  // Ticks of at most 4 digits in the unit that fits the largest value (never "2000000.0" beside the title).
  double maxBytes = 1;
  QList<ss::Architecture> archs;
  for (int col = 0; col < models; ++col) {
    ss::Exploration& ex = m_ws->exploration(col);
    archs << ex.config().arch;
    maxBytes = std::max(maxBytes, double(ex.state_bytes() + ex.kv_bytes_at(n - 1)));
  }
  const auto [unit, unitName] = ChartStyle::byteUnit(maxBytes);
  y->setTitleText(unitName);
  chart->addAxis(x, Qt::AlignBottom);
  chart->addAxis(y, Qt::AlignLeft);
  double ymax = 0;
  for (int col = 0; col < models; ++col) {
    ss::Exploration& ex = m_ws->exploration(col);
    auto* s = new QLineSeries;
    s->setName(QString::fromStdString(ex.name()));
    s->setPen(ChartStyle::modelPen(archs, col, 3));  // the model's colour, as in its column
    QList<QPointF> pts;
    for (int k = 0; k < points; ++k) {
      const qint64 t = points == 1 ? 0 : k * (n - 1) / (points - 1);
      const double b = double(ex.state_bytes() + ex.kv_bytes_at(t));
      pts.append({double(t + 1), b / unit});
      m_data.values[qsizetype(k) * models + col] = float(b);
      if (col == 0) m_data.rowLabels << QString::number(t + 1);
      ymax = std::max(ymax, b / unit);
    }
    s->replace(pts);
    chart->addSeries(s);
    s->attachAxis(x);
    s->attachAxis(y);
    auto* live = new QScatterSeries;  // measured from the live cache tensors
    live->setColor(ChartStyle::modelColor(ex.config().arch));
    live->setMarkerSize(12);
    live->append(double(ex.computed()), double(ex.state_bytes() + ex.live_kv_bytes()) / unit);
    chart->addSeries(live);
    live->attachAxis(x);
    live->attachAxis(y);
    chart->legend()->markers(live).first()->setVisible(false);
    m_data.colLabels << QString::fromStdString(ex.name());
  }
  x->setRange(0, double(n));
  y->setRange(0, std::max(ymax, 1e-3) * 1.1);
  x->applyNiceNumbers();
  y->applyNiceNumbers();
  chart->setTitle(tr("State + KV cache"));  // short: a chart elides a title wider than itself
  ChartStyle::apply(chart, palette(), font());
}
