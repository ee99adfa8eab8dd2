#include "PredictionPanel.h"

#include "SessionText.h"

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
#include "Translated.h"
#include "Workspace.h"

namespace {

QString byteLabel(int b) {
  if (b == ' ') return QStringLiteral("␣");
  if (b == '\n') return QStringLiteral("↵");
  if (b >= 0x21 && b < 0x7F) return QString(QChar(b));
  return QString("%1").arg(b, 2, 16, QChar('0'));
}

}  // namespace

PredictionPanel::PredictionPanel(Workspace* ws, QWidget* parent) : Panel(ws, "prediction", QT_TR_NOOP("Prediction"), parent) {
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
  buildChart();
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

void PredictionPanel::buildChart() {
  // The bars and axes live as long as the panel; a refresh replaces their values.
  QChart* chart = m_chartView->chart();
  m_set = new QBarSet(tr("p(next byte)"));
  m_actual = new QBarSet(QString());
  Translated::text(m_actual, [] { return tr("the byte that follows"); });
  for (int k = 0; k < kTopK; ++k) {
    *m_set << 0.0;
    *m_actual << 0.0;
  }
  auto* series = new QStackedBarSeries;  // one of the two sets is 0 in each category: bars stay centred
  series->append(m_set);
  series->append(m_actual);
  series->setBarWidth(0.7);
  chart->addSeries(series);
  m_xAxis = new QBarCategoryAxis;
  m_yAxis = new QValueAxis;
  Translated::text(m_yAxis, [] { return tr("probability"); });
  m_yAxis->setLabelFormat("%.2f");
  chart->addAxis(m_xAxis, Qt::AlignBottom);
  chart->addAxis(m_yAxis, Qt::AlignLeft);
  series->attachAxis(m_xAxis);
  series->attachAxis(m_yAxis);
}

void PredictionPanel::refresh() {
  const ss::FramePtr f = m_ws->frame(ss::View::Prediction);
  setShownFrame(f);
  QChart* chart = m_chartView->chart();
  const int active = m_ws->activeColumn();
  // The model's colour, as in its column; the byte that came next in the text's colour (distinct
  // from every model colour). (Set only when they change: each change relayouts the chart.)
  if (const QColor c = active < m_ws->columnCount() ? ChartStyle::modelColor(m_ws->column(active).config.arch) : ChartStyle::seriesColor(0);
      m_set->color() != c)
    m_set->setColor(c);
  if (const QColor c = palette().color(QPalette::WindowText); m_actual->color() != c) m_actual->setColor(c);
  if (textChanged()) m_text->setBytes(m_ws->bytes());
  m_text->setTokens(f ? f->tokens : nullptr);
  m_text->setSelection(m_ws->token(), m_ws->windowStart(), m_ws->windowEnd());
  m_top.clear();
  if (!f || f->empty()) {  // nothing of an earlier frame stays
    for (int k = 0; k < kTopK; ++k) {
      m_set->replace(k, 0.0);
      m_actual->replace(k, 0.0);
    }
    if (!m_xAxis->categories().isEmpty()) m_xAxis->setCategories({});
    ChartStyle::setTitle(m_xAxis, QString());
    ChartStyle::setTitle(chart, QString());
    m_text->clearCellValues();
    m_caption->setText(emptyReason(f));
    ChartStyle::apply(chart, palette(), font());
    return;
  }
  const qint64 t = f->token;
  const int next = int(f->scalar("next_byte", -1));
  // A tokenizer model predicts tokens: the frame says how each is drawn ("␣the", "<e2>").
  const bool tokens = f->scalar("tokenized") > 0;
  auto label = [&](const std::string& key) { auto it = f->labels.find(key); return it == f->labels.end() ? QString() : QString::fromStdString(it->second); };
  for (int k = 0; k < kTopK; ++k) {
    const bool has = k < int(f->order.size());
    const int b = has ? int(f->order[k]) : -1;
    const double p = has ? f->values[size_t(b)] : 0.0;
    QString l = !has ? QString() : tokens && k < int(f->order_labels.size()) ? QString::fromStdString(f->order_labels[k]) : byteLabel(b);
    while (m_top.contains(l)) l += QChar(' ');  // categories must differ
    m_top << l;
    m_set->replace(k, b == next ? 0.0 : p);
    m_actual->replace(k, b == next ? p : 0.0);
  }
  if (m_xAxis->categories() != m_top) m_xAxis->setCategories(m_top);
  ChartStyle::setTitle(m_xAxis, tokens ? tr("next token (top %1)").arg(kTopK) : tr("next byte (top %1)").arg(kTopK));
  // Hex labels ("9f") may be wider than a narrow chart's bars: upright, so they are never elided.
  bool wide = false;
  for (const QString& l : m_top) wide = wide || l.trimmed().size() > 1;
  if (m_xAxis->labelsAngle() != (wide ? -90 : 0)) m_xAxis->setLabelsAngle(wide ? -90 : 0);
  ChartStyle::setRange(chart, m_yAxis, 0, std::min(1.0, f->scalar("p_max") * 1.15 + 1e-3), font());
  const QString model = SessionText::model(*f);
  // Short enough not to be elided in a third of a 1080p window; the model is in the legend.
  if (const QString l = tokens ? tr("p(next token), %1").arg(model) : tr("p(next byte), %1").arg(model); m_set->label() != l) m_set->setLabel(l);
  ChartStyle::setTitle(chart, tokens ? tr("Next token after %1 (token %2, id %3)").arg(label("token")).arg(t).arg(qint64(f->scalar("token_id")))
                         : tr("Next byte after %1 (token %2)").arg(byteLabel(int(f->scalar("byte")))).arg(t));
  ChartStyle::apply(chart, palette(), font());

  m_text->setCellValues(f->per_token,
                        ColorNormalizer::fromRange(ColorScale::Linear, f->scalar("per_token_min", NAN), f->scalar("per_token_max", NAN)),
                        tr("surprisal (bits)"));
  QString cap = tr("<b>%1</b>").arg(model);
  if (next >= 0 && tokens)
    cap += tr(" · next token %1 (id %2): p = %3, %4 bits").arg(label("next")).arg(next).arg(f->scalar("p_next"), 0, 'g', 3).arg(f->scalar("bits_next"), 0, 'f', 2);
  else if (next >= 0)
    cap += tr(" · next byte %1: p = %2, %3 bits").arg(byteLabel(next)).arg(f->scalar("p_next"), 0, 'g', 3).arg(f->scalar("bits_next"), 0, 'f', 2);
  if (const double tb = f->scalar("task_bits_per_byte", NAN); !std::isnan(tb)) {  // a task model on its task: the scored bytes only
    const auto n = qint64(f->scalar("task_scored"));
    cap += label("task") == "noise" ? tr(" · text bytes (junk not counted): %1 bits/byte over %2").arg(tb, 0, 'f', 2).arg(n)
                                    : tr(" · the %1 bytes the task scores: %2 bits/byte").arg(n).arg(tb, 0, 'f', 2);
  } else if (tokens && !std::isnan(f->scalar("bits_per_token", NAN)))
    cap += tr(" · text: %1 bits/token, %2 bits/byte").arg(f->scalar("bits_per_token"), 0, 'f', 2).arg(f->scalar("bits_per_byte"), 0, 'f', 2);
  else if (!std::isnan(f->scalar("bits_per_byte", NAN)))
    cap += tr(" · text: %1 bits/byte").arg(f->scalar("bits_per_byte"), 0, 'f', 2);
  m_caption->setText(cap);
}
