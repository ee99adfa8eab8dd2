#include "ModelColumn.h"

#include <QGridLayout>
#include <QHBoxLayout>
#include <QVBoxLayout>

#include <QEvent>

#include "Workspace.h"
#include "published_memory.h"

ModelColumn::ModelColumn(Workspace* ws, int column, QWidget* parent) : QFrame(parent), m_ws(ws), m_column(column) {
  setFrameShape(QFrame::StyledPanel);
  setLineWidth(2);
  const ss::ColumnInfo& info = ws->column(column);
  const ss::ModelConfig& c = info.config;
  m_name = new QLabel("<b>" + QString::fromStdString(info.name) + "</b>", this);
  QFont big = m_name->font();
  big.setPointSizeF(big.pointSizeF() * 1.15);
  m_name->setFont(big);
  m_close = new QToolButton(this);
  m_close->setText("✕");
  m_close->setToolTip(tr("Close this model"));
  m_info = new QLabel(this);
  m_info->setWordWrap(true);
  if (info.loaded())
    m_info->setText(tr("%1 · %2 layers · %3 params · backend <b>%4</b> · state %5 fixed · KV %6/token")
                        .arg(ss::architecture_name(c.arch)).arg(c.n_layers)
                        .arg(info.parameters < 1000000 ? QString::number(info.parameters / 1e3, 'f', 1) + "K"
                                                       : QString::number(info.parameters / 1e6, 'f', 1) + "M")
                        .arg(QString::fromStdString(info.backend))
                        .arg(QString::fromStdString(ss::human_bytes(double(info.state_bytes))))
                        .arg(QString::fromStdString(ss::human_bytes(double(info.kv_bytes_per_token)))));
  m_error = new QLabel(this);  // why this model shows nothing: it failed to load, or the worker failed on it
  m_error->setWordWrap(true);
  m_error->setTextInteractionFlags(Qt::TextSelectableByMouse);
  m_error->setVisible(false);
  m_schedule = new LayerScheduleStrip(this);
  m_schedule->setConfig(c);
  m_layer = new QSpinBox(this);
  m_layer->setRange(0, c.n_layers - 1);
  m_layer->setPrefix(tr("layer "));
  m_head = new QSpinBox(this);
  m_layerKind = new QLabel(this);

  auto* head = new QHBoxLayout;
  head->addWidget(m_name);
  head->addWidget(m_layerKind, 1);
  head->addWidget(m_layer);
  head->addWidget(m_head);
  head->addWidget(m_close);
  auto* v = new QVBoxLayout(this);
  v->setContentsMargins(8, 4, 8, 4);
  v->setSpacing(3);
  v->addLayout(head);
  v->addWidget(m_info);
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
  connect(m_schedule, &LayerScheduleStrip::layerClicked, this, [this](int layer) {
    m_ws->setActiveColumn(m_column);
    m_layer->setValue(layer);
  });
  connect(m_close, &QToolButton::clicked, this, [this] { m_ws->closeModel(m_column); });
  sync();
}

void ModelColumn::setActive(bool active) {
  setStyleSheet(active ? "ModelColumn { border: 3px solid palette(highlight); border-radius: 6px; }" : "ModelColumn { border: 1px solid palette(mid); border-radius: 6px; }");
}

void ModelColumn::sync() {
  const QString err = m_ws->columnError(m_column);
  m_error->setText(err.isEmpty() ? QString() : "⚠ " + err.toHtmlEscaped());
  m_error->setStyleSheet("QLabel { color: #d55e00; }");
  m_error->setVisible(!err.isEmpty());
  if (!m_ws->column(m_column).loaded()) return;
  const LayerChoice ch = m_ws->choice(m_column);
  const ss::ModelConfig& c = m_ws->column(m_column).config;
  const QSignalBlocker b1(m_layer), b2(m_head);
  m_layer->setValue(ch.layer);
  const ss::MixerKind k = c.mixers[ch.layer];
  if (k == ss::MixerKind::Mamba) {
    m_head->setPrefix(tr("channel "));
    m_head->setRange(0, c.mamba.d_inner - 1);
    m_head->setValue(ch.channel);
  } else {
    m_head->setPrefix(tr("head "));
    m_head->setRange(0, (k == ss::MixerKind::Mamba2 ? c.mamba2.n_heads : c.attn.n_heads) - 1);
    m_head->setValue(ch.head);
  }
  m_layerKind->setText(QString("<span style='color:%1'>■</span> %2%3").arg(LayerScheduleStrip::mixerColor(k).name())
                           .arg(ss::mixer_name(k)).arg(c.ffns[ch.layer] == ss::FfnKind::Moe ? " + MoE" : ""));
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
