#include "ModelColumn.h"

#include <QGridLayout>
#include <QHBoxLayout>
#include <QPainter>
#include <QVBoxLayout>

#include "ChartStyle.h"
#include "Zoom.h"
#include <QEvent>

#include "SessionText.h"
#include "Workspace.h"
#include "published_memory.h"

ModelColumn::ModelColumn(Workspace* ws, int column, QWidget* parent) : QFrame(parent), m_ws(ws), m_column(column) {
  setFrameShape(QFrame::NoFrame);  // the border is painted (paintEvent), in the palette of the moment
  const ss::ColumnInfo& info = ws->column(column);
  const ss::ModelConfig& c = info.config;
  m_color = ChartStyle::modelColor(c.arch);
  // <big>: relative to the widget font, so the name follows the zoom.
  m_name = new QLabel(QString("<big><span style='color:%1'>■</span> <b>%2</b></big>").arg(m_color.name(), QString::fromStdString(info.name)), this);
  m_name->setToolTip(tr("This model's colour in every chart"));
  m_close = new QToolButton(this);
  m_close->setText(QStringLiteral("✕"));
  m_close->setToolTip(tr("Close this model"));
  m_info = new QLabel(this);
  m_info->setWordWrap(false);  // one line: the column's height does not depend on its width
  m_info->setToolTip(tr("%1, %2 layers; the backend that runs it; its fixed state; the KV cache it adds per token")
                         .arg(ss::architecture_name(c.arch)).arg(c.n_layers));
  if (info.loaded())
    m_info->setText(tr("%3 · <b>%4</b> · state %5 · KV %6/tok")
                        .arg(info.parameters < 1000000 ? QString::number(info.parameters / 1e3, 'f', 1) + "K"
                                                       : QString::number(info.parameters / 1e6, 'f', 1) + "M")
                        .arg(QString::fromStdString(info.backend))
                        .arg(QString::fromStdString(ss::human_bytes(double(info.state_bytes))))
                        .arg(QString::fromStdString(ss::human_bytes(double(info.kv_bytes_per_token)))));
  if (info.loaded() && !info.tokenizer.empty()) {  // its tokens are the tokenizer's, not bytes: say so
    m_info->setText(m_info->text() + tr(" · <b>tokens</b>"));
    m_info->setToolTip(m_info->toolTip() + tr("\nTokenizer: %1. Its views count this tokenizer's tokens, not bytes.")
                                               .arg(QString::fromStdString(info.tokenizer)));
  }
  m_error = new QLabel(this);  // why this model shows nothing (it failed to load, or the worker failed on it), and its warnings
  m_error->setWordWrap(true);
  m_error->setTextInteractionFlags(Qt::TextSelectableByMouse);
  m_error->setVisible(false);
  m_schedule = new LayerScheduleStrip(this);
  m_schedule->setConfig(c);
  m_layer = new QSpinBox(this);
  m_layer->setRange(0, c.n_layers - 1);
  m_layer->setPrefix(tr("layer "));
  m_head = new QSpinBox(this);
  // A layer with attention and a Mamba-2 (Falcon-H1: side by side; Zamba2's hybrid layers: the shared
  // block's attention, then the Mamba-2): which one the state and matrix views show. Its tool tip is
  // the layer's (sync).
  m_part = new QComboBox(this);
  m_part->addItem(tr("Mamba-2"));
  m_part->addItem(tr("attention"));
  m_part->setVisible(false);
  m_layerKind = new QLabel(this);
  // Δ → average (core/intervention.h): the selectivity lesson's switch; shown for SSM models only.
  m_deltaAverage = new QCheckBox(tr("Δ → average (time-invariant)"), this);
  m_deltaAverage->setToolTip(tr("Replace every SSM layer's Δ by its mean over the text: a time-invariant SSM.\n"
                                "The column then shows an intervened model, not the trained one: compare its\n"
                                "prediction and surprisal with the real model's to see what selectivity buys."));
  m_deltaAverage->setVisible(ws->hasSsm(column));
  m_intervened = new QLabel(this);  // a mark no one can miss while the switch is on
  m_intervened->setWordWrap(true);
  m_intervened->setVisible(false);

  // Two short rows instead of one long one, so four columns fit 1280 pixels.
  auto* head = new QHBoxLayout;
  head->addWidget(m_name, 1);
  head->addWidget(m_close);
  auto* pick = new QHBoxLayout;
  pick->addWidget(m_layer);
  pick->addWidget(m_head);
  pick->addWidget(m_part);
  pick->addWidget(m_layerKind, 1);
  pick->addWidget(m_deltaAverage);  // on this row: a row of its own would not fit 1280 × 720 (tst_layout)
  auto* v = new QVBoxLayout(this);
  v->setContentsMargins(10, 5, 6, 3);  // room for the stripe and the active border, the same whether active or not
  v->setSpacing(1);
  v->addLayout(head);
  v->addLayout(pick);
  v->addWidget(m_info);
  v->addWidget(m_intervened);
  v->addWidget(m_error);
  v->addWidget(m_schedule);
  // A press anywhere on the column (its header, spin boxes, layer blocks) makes it the active one.
  for (QWidget* w : findChildren<QWidget*>()) w->installEventFilter(this);
  if (!info.loaded()) {
    m_layer->setEnabled(false);
    m_head->setEnabled(false);
    m_schedule->setVisible(false);
  }

  connect(m_layer, &QSpinBox::valueChanged, this, &ModelColumn::apply);
  connect(m_head, &QSpinBox::valueChanged, this, &ModelColumn::apply);
  connect(m_part, &QComboBox::currentIndexChanged, this, &ModelColumn::apply);
  connect(m_deltaAverage, &QCheckBox::toggled, this, [this](bool on) {
    m_ws->setActiveColumn(m_column);
    m_ws->setDeltaAverage(m_column, on);
    sync();
  });
  connect(m_schedule, &LayerScheduleStrip::layerClicked, this, [this](int layer) {
    m_ws->setActiveColumn(m_column);
    m_layer->setValue(layer);
  });
  connect(m_close, &QToolButton::clicked, this, [this] { m_ws->closeModel(m_column); });
  sync();
}

void ModelColumn::setActive(bool active) {
  m_active = active;
  update();
}

void ModelColumn::paintEvent(QPaintEvent*) {
  QPainter p(this);
  p.setRenderHint(QPainter::Antialiasing);
  const double w = m_active ? 3 : 1;
  const QRectF r = QRectF(rect()).adjusted(w / 2 + 0.5, w / 2 + 0.5, -w / 2 - 0.5, -w / 2 - 0.5);
  p.setPen(QPen(palette().color(m_active ? QPalette::Highlight : QPalette::Mid), w));
  p.setBrush(Qt::NoBrush);
  p.drawRoundedRect(r, 6, 6);
  if (m_ws->deltaAverage(m_column)) {  // intervened: a dashed frame inside the border
    p.setPen(QPen(QColor(0xb0, 0x30, 0x60), 2, Qt::DashLine));
    p.drawRoundedRect(r.adjusted(3, 3, -3, -3), 5, 5);
  }
  p.setPen(Qt::NoPen);
  p.setBrush(m_color);
  p.drawRoundedRect(QRectF(r.left() + 2, r.top() + 8, 4, r.height() - 16), 2, 2);  // the model's colour stripe
}

void ModelColumn::sync() {
  const QString err = m_ws->columnError(m_column);
  QStringList lines;
  if (!err.isEmpty()) lines << "⚠ " + err.toHtmlEscaped();
  for (const QString& w : m_ws->columnWarnings(m_column)) lines << "⚠ " + w.toHtmlEscaped();
  m_error->setText(lines.join("<br>"));
  QPalette warn = m_error->palette();  // a palette, not a style sheet: a style sheet would stop the zoom's font reaching it
  warn.setColor(QPalette::WindowText, QColor(0xd5, 0x5e, 0x00));
  m_error->setPalette(warn);
  m_error->setVisible(!lines.isEmpty());
  const bool averaged = m_ws->deltaAverage(m_column);
  {
    const QSignalBlocker b(m_deltaAverage);
    m_deltaAverage->setChecked(averaged);
  }
  m_intervened->setText(averaged ? tr("<b>⚠ Intervened: Δ averaged over the text.</b> Not the trained model.") : QString());
  QPalette mark = m_intervened->palette();
  mark.setColor(QPalette::WindowText, QColor(0xb0, 0x30, 0x60));
  m_intervened->setPalette(mark);
  m_intervened->setVisible(averaged);
  update();  // the border says it too
  if (!m_ws->column(m_column).loaded()) return;
  const LayerChoice ch = m_ws->choice(m_column);
  const ss::ModelConfig& c = m_ws->column(m_column).config;
  const QSignalBlocker b1(m_layer), b2(m_head), b3(m_part);
  m_layer->setValue(ch.layer);
  const ss::MixerKind k = c.mixers[ch.layer];
  const int block = c.shared_block(ch.layer);  // Zamba2's hybrid layer: the shared block it runs first
  m_part->setVisible(c.has_ssm_and_attention(ch.layer));
  m_part->setCurrentIndex(ch.attention_part ? 1 : 0);
  m_part->setToolTip(block >= 0 ? tr("This Zamba2 layer first runs a shared transformer block (attention + MLP whose weights "
                                     "several layers share; this layer keeps its own KV cache), then its own Mamba-2.\n"
                                     "Mamba-2: the state and matrix views show its SSM (state h_t, M); attention: the shared\n"
                                     "attention's KV cache and probabilities. The Δ view always shows the Mamba-2.")
                                : tr("This layer runs attention and a Mamba-2 side by side on the same input and adds their outputs.\n"
                                     "Mamba-2: the state and matrix views show its SSM (state h_t, M); attention: its KV cache and\n"
                                     "probabilities. The Δ view always shows the Mamba-2."));
  if (k == ss::MixerKind::Mamba) {
    m_head->setPrefix(tr("channel "));
    m_head->setRange(0, c.mamba.d_inner - 1);
    m_head->setValue(ch.channel);
  } else {
    m_head->setPrefix(tr("head "));
    m_head->setRange(0, ss::shown_heads(c, ch) - 1);  // a Falcon-H1 or Zamba2 hybrid layer: the heads of the part shown
    m_head->setValue(ch.head);
  }
  if (block >= 0) {  // a Zamba2 hybrid layer: "S1 + Mamba-2" (shared block 1 runs first; the views show the
                     // Mamba-2), or "S1: attention" (the views show the shared block's attention)
    const ss::MixerKind shown = ss::shown_mixer(c, ch);
    m_layerKind->setText(QString("%1 %2%3%4").arg(LayerScheduleStrip::mixerSwatch(shown))
                             .arg(ch.attention_part ? QString("S%1: ").arg(block) : QString("S%1 + ").arg(block))
                             .arg(SessionText::mixer(ss::mixer_name(shown))).arg(c.ffns[ch.layer] == ss::FfnKind::Moe ? " + MoE" : ""));
  } else {
    m_layerKind->setText(QString("%1 %2%3").arg(LayerScheduleStrip::mixerSwatch(k))
                             .arg(SessionText::mixer(ss::mixer_name(k))).arg(c.ffns[ch.layer] == ss::FfnKind::Moe ? " + MoE" : ""));
  }
  m_schedule->setCurrentLayer(ch.layer);
}

void ModelColumn::apply() {
  if (!m_ws->column(m_column).loaded()) return;
  LayerChoice ch = m_ws->choice(m_column);
  const ss::ModelConfig& c = m_ws->column(m_column).config;
  const int oldLayer = ch.layer;
  ch.layer = m_layer->value();
  if (ch.layer == oldLayer) {
    if (c.mixers[ch.layer] == ss::MixerKind::Mamba) ch.channel = m_head->value();
    else ch.head = m_head->value();
    const bool attentionPart = m_part->currentIndex() == 1;
    if (attentionPart != ch.attention_part) ch.head = 0;  // the other part's heads
    ch.attention_part = attentionPart;
  } else {
    ch.head = 0;  // a new layer may have fewer heads
    ch.channel = std::min(ch.channel, c.mamba.d_inner - 1);
  }
  m_ws->setActiveColumn(m_column);
  m_ws->setChoice(m_column, ch);
  sync();
}

bool ModelColumn::eventFilter(QObject* o, QEvent* e) {
  if (e->type() == QEvent::MouseButtonPress) m_ws->setActiveColumn(m_column);
  return QFrame::eventFilter(o, e);
}

void ModelColumn::mousePressEvent(QMouseEvent* e) {
  m_ws->setActiveColumn(m_column);
  QFrame::mousePressEvent(e);
}
