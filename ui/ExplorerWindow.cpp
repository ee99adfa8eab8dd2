#include "ExplorerWindow.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QShowEvent>
#include <QDir>
#include <QDockWidget>
#include <QScreen>
#include <QScrollArea>
#include <QScrollBar>
#include <QStandardPaths>
#include <QFileInfo>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSlider>
#include <QSplitter>
#include <QStatusBar>
#include <QStyle>
#include <QTimer>
#include <QToolBar>
#include <QToolButton>
#include <QVBoxLayout>
#include <algorithm>

#include "BuiltinModels.h"
#include "FigureExport.h"
#include "InputEditor.h"
#include "ModelColumn.h"
#include "Panel.h"
#include "Panels.h"
#include "Stepper.h"
#include "Theme.h"
#include "Translated.h"
#include "UiLanguage.h"
#include "TokenStrip.h"
#include "Workspace.h"
#include "Zoom.h"

ExplorerWindow::ExplorerWindow(bool restoreSettings, QWidget* parent) : QMainWindow(parent), m_saveSettings(restoreSettings) {
  Translated::text(this, [] { return tr("StateScope — state space models and attention, byte by byte"); });
  setObjectName("window");
  setDockOptions(QMainWindow::AnimatedDocks | QMainWindow::AllowTabbedDocks | QMainWindow::AllowNestedDocks);
  // The zoom first: every widget below is created with its font (12 pt × zoom).
  Zoom::instance()->setFactor(restoreSettings ? QSettings().value("zoom", 1.0).toDouble() : Zoom::instance()->factor());
  m_ws = new Workspace(this);
  m_stepper = new Stepper(m_ws, this);

  // Middle: the input and its token strip.
  m_input = new InputEditor(this);
  m_strip = new TokenStrip(this);
  auto* middle = new QSplitter(Qt::Vertical, this);
  middle->addWidget(m_input);
  middle->addWidget(m_strip);
  middle->setStretchFactor(0, 1);
  middle->setStretchFactor(1, 3);
  setCentralWidget(middle);

  // Top: the model columns.
  m_columnsBox = new QWidget(this);
  m_columnsLayout = new QHBoxLayout(m_columnsBox);
  auto* openButton = new QPushButton(m_columnsBox);
  Translated::text(openButton, [] { return tr("Open model folder…"); });
  Translated::toolTip(openButton, [] { return tr("Open any supported HuggingFace folder (Mamba, Mamba-2, Llama, Jamba) with config.json and safetensors"); });
  m_columnsLayout->addStretch();
  m_columnsLayout->addWidget(openButton);
  // Four columns side by side fit 1280 pixels; more (or a large zoom) scroll sideways.
  m_columnsScroll = new QScrollArea(this);
  m_columnsScroll->setWidget(m_columnsBox);
  m_columnsScroll->setWidgetResizable(true);
  m_columnsScroll->setFrameShape(QFrame::NoFrame);
  m_columnsScroll->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  m_columnsBox->installEventFilter(this);
  auto* modelsDock = new QDockWidget(this);
  Translated::text(modelsDock, [] { return tr("Models"); });
  modelsDock->setObjectName("dock-models");
  modelsDock->setWidget(m_columnsScroll);
  addDockWidget(Qt::TopDockWidgetArea, modelsDock);
  m_docks["models"] = modelsDock;

  // The views.
  for (const QString& key : Panels::keys()) {
    Panel* p = Panels::create(key, m_ws, this);
    auto* dock = new QDockWidget(this);
    dock->setObjectName("dock-" + key);
    dock->setWidget(p);
    Translated::text(dock, [p] { return p->title(); });
    Translated::toolTip(dock, [p] { return p->toolTip(); });
    m_panels[key] = p;
    m_docks[key] = dock;
    p->installEventFilter(this);  // shown / hidden: syncViews
  }
  // The window's size and the views' places: within the screen, compact or wide (arrangeDocks).
  if (QScreen* sc = screen()) {
    const QRect avail = sc->availableGeometry();
    resize(std::min(avail.width(), 1920), std::min(avail.height(), 1080));
  }
  arrangeDocks(presetFor(size()));

  // Status bar: progress and cancel for long updates.
  m_status = new QLabel(this);
  m_progress = new QProgressBar(this);
  m_progress->setMaximumWidth(260);
  m_progress->setVisible(false);
  m_cancel = new QToolButton(this);
  m_cancel->setVisible(false);
  statusBar()->addWidget(m_status, 1);
  statusBar()->addPermanentWidget(m_progress);
  statusBar()->addPermanentWidget(m_cancel);

  buildMenus();

  connect(openButton, &QPushButton::clicked, this, &ExplorerWindow::openModelFolder);
  // Data flows one way: the editor, the stepper and the strips change the session; the editor,
  // the strips and the views show what the session holds.
  connect(m_input, &InputEditor::bytesEdited, this, [this](const QByteArray& b) {
    if (m_stepper->isPlaying()) m_stepper->pause();  // typing while stepping edits the fed text
    m_ws->setBytes(b);
  });
  connect(m_strip, &TokenStrip::tokenClicked, this, [this](qint64 t, bool extend) {
    if (extend) m_ws->extendSelection(t);
    else m_ws->selectToken(t);
  });
  connect(m_ws, &Workspace::bytesChanged, this, [this] {
    if (m_input->bytes() != m_ws->bytes()) m_input->setBytes(m_ws->bytes());  // stepping, files, lessons
    m_strip->setBytes(m_ws->bytes());
  });
  // The strip groups bytes by the active model's tokens when it has a tokenizer (the frames of the
  // per-model views carry them).
  connect(m_ws, &Workspace::frameReady, this, [this](ss::View v, int column) {
    if (column != -1 || v == ss::View::Memory || v == ss::View::Cost) return;
    if (const ss::FramePtr f = m_ws->frame(v)) m_strip->setTokens(f->tokens);
  });
  auto syncStrip = [this] {
    m_strip->setComputed(m_ws->computed());
    m_strip->setSelection(m_ws->token(), m_ws->windowStart(), m_ws->windowEnd());
    QString text;
    if (m_ws->bytes().isEmpty()) {
    } else if (m_strip->showsTokens()) {
      const qint64 t = m_strip->tokenOfByte(m_ws->token());
      text = tr("token %1 selected (byte %2) · window bytes %3..%4 · %5 bytes")
                 .arg(t).arg(m_ws->token()).arg(m_ws->windowStart()).arg(m_ws->windowEnd() - 1).arg(m_ws->bytes().size());
    } else {
      text = tr("token %1 selected · window %2..%3 · %4 bytes")
                 .arg(m_ws->token()).arg(m_ws->windowStart()).arg(m_ws->windowEnd() - 1).arg(m_ws->bytes().size());
    }
    if (m_ws->isStepping()) text += tr(" · stepping: %1 bytes to feed").arg(m_ws->pendingBytes());
    if (m_ws->isPaused()) text += tr(" · cancelled at %1 of %2 bytes").arg(m_ws->computed()).arg(m_ws->bytes().size());
    m_status->setText(text);
  };
  connect(m_ws, &Workspace::selectionChanged, this, syncStrip);
  connect(m_ws, &Workspace::statusChanged, this, syncStrip);
  connect(m_ws, &Workspace::modelsChanged, this, &ExplorerWindow::rebuildColumns);
  connect(m_ws, &Workspace::choiceChanged, this, [this](int c) { if (c < m_columns.size()) m_columns[c]->sync(); });
  connect(m_ws, &Workspace::activeColumnChanged, this, [this](int a) {
    for (ModelColumn* c : m_columns) c->setActive(c->column() == a);
  });
  connect(m_ws, &Workspace::errorOccurred, this, [this] {
    for (ModelColumn* c : m_columns) c->sync();  // the failing column says why
  });
  auto syncProgress = [this] {
    const bool busy = m_ws->isBusy(), paused = m_ws->isPaused();
    m_progress->setVisible(busy || paused);
    m_cancel->setVisible(busy || paused);
    m_cancel->setText(paused ? tr("Resume") : tr("Cancel"));
    if (paused) {
      m_progress->setValue(int(100.0 * m_ws->computed() / std::max<qint64>(1, m_ws->bytes().size())));
      m_progress->setFormat(tr("cancelled at %p%"));
    }
  };
  syncProgress();
  connect(UiLanguage::instance(), &UiLanguage::changed, this, [syncStrip, syncProgress] {
    syncStrip();
    syncProgress();
  });
  connect(UiLanguage::instance(), &UiLanguage::changed, this, &ExplorerWindow::rebuildColumns);  // their texts are set once
  connect(m_ws, &Workspace::busyChanged, this, syncProgress);
  connect(m_ws, &Workspace::statusChanged, this, syncProgress);
  connect(m_ws, &Workspace::progressChanged, this, [this](int pct, const QString& what) {
    if (!m_ws->isBusy()) return;
    const double eta = m_ws->status().eta_seconds;
    const QString left = eta < 0 ? QString() : eta < 90 ? tr(" · %1 s left").arg(int(eta + 0.5)) : tr(" · %1 min left").arg(int(eta / 60 + 0.5));
    m_progress->setValue(pct);
    m_progress->setFormat((what.isEmpty() ? "%p%" : what + " %p%") + left);
    const QString warning = QString::fromStdString(m_ws->status().warning);
    m_progress->setToolTip(warning);
    if (!warning.isEmpty()) m_status->setText("⚠ " + warning);
  });
  connect(m_cancel, &QToolButton::clicked, this, [this] {
    if (m_ws->isPaused()) m_ws->resume();
    else m_ws->cancel();
  });
  connect(Zoom::instance(), &Zoom::changed, this, &ExplorerWindow::onZoomChanged);

  if (restoreSettings) {
    QSettings s;
    setDark(false);
    m_darkAction->setChecked(s.value("dark", false).toBool());
    restoreGeometry(s.value("geometry").toByteArray());
    m_arranged = restoreState(s.value("state").toByteArray(), kLayoutVersion);
    fitToScreen();
  } else {
    setDark(false);
  }
}

bool ExplorerWindow::showsDocumentState(quint64 serial) const {
  if (m_ws->status().serial < serial || m_ws->isBusy()) return false;
  for (Panel* p : m_panels) {
    if (p->key() == "cost") continue;
    const ss::FramePtr f = p->shownFrame();
    if (!f || f->request < serial) return false;
  }
  return true;
}

ExplorerWindow::~ExplorerWindow() { m_ws->cancel(); }

QByteArray ExplorerWindow::sampleText() {
  return QByteArray("A state space model reads one byte at a time and keeps a fixed-size memory. "
                    "Attention keeps every byte it has seen. 状态空间 = state space.\n");
}

void ExplorerWindow::buildMenus() {
  // Every text through Translated: View → Language changes them at runtime.
  auto tr_ = [](QObject* o, std::function<QString()> f) { Translated::text(o, std::move(f)); return o; };
  QMenu* file = menuBar()->addMenu(QString());
  tr_(file, [] { return tr("&File"); });
  tr_(file->addAction(QString(), this, &ExplorerWindow::openModelFolder), [] { return tr("Open model folder…"); });
  QAction* openInput = file->addAction(QString(), this, [this] {
    const QString p = QFileDialog::getOpenFileName(this, tr("Open any file as bytes"));
    if (!p.isEmpty()) m_input->openFile(p);
  });
  tr_(openInput, [] { return tr("Open input file…"); });
  QMenu* exp = file->addMenu(QString());
  tr_(exp, [] { return tr("Export"); });
  auto addExports = [this](QMenu* m, QWidget* w, Panel* p) {
    for (const QString& f : FigureExport::figureFormats()) m->addAction(f.toUpper() + "…", this, [this, w, p, f] { exportPanel(w, p, f); });
    if (p)
      for (const QString& f : {QString("csv"), QString("npy")})
        Translated::text(m->addAction(QString(), this, [this, w, p, f] { exportPanel(w, p, f); }), [f] { return tr("data as %1…").arg(f.toUpper()); });
  };
  QMenu* whole = exp->addMenu(QString());
  tr_(whole, [] { return tr("Whole window"); });
  addExports(whole, this, nullptr);
  for (const QString& key : Panels::keys()) {
    Panel* p = m_panels[key];
    QMenu* m = exp->addMenu(QString());
    tr_(m, [p] { return p->title(); });
    addExports(m, p, p);
  }
  file->addSeparator();
  tr_(file->addAction(QString(), QKeySequence::Quit, this, &QWidget::close), [] { return tr("Quit"); });

  QMenu* view = menuBar()->addMenu(QString());
  tr_(view, [] { return tr("&View"); });
  QMenu* shown = view->addMenu(QString());
  tr_(shown, [] { return tr("Show / hide"); });
  shown->addAction(m_docks["models"]->toggleViewAction());
  for (const QString& key : Panels::keys()) shown->addAction(m_docks[key]->toggleViewAction());
  QMenu* focus = view->addMenu(QString());
  tr_(focus, [] { return tr("Focus on one view"); });
  int k = 1;
  for (const QString& key : Panels::keys()) {
    Panel* p = m_panels[key];
    QAction* a = focus->addAction(QString(), this, [this, key] { focusView(key); });
    a->setShortcut(QKeySequence(Qt::ALT | Qt::Key(Qt::Key_0 + k++)));
    tr_(a, [p] { return p->title(); });
    Translated::toolTip(a, [p] { return tr("Give the %1 view the whole window (Esc: back)").arg(p->title()); });
  }
  focus->addSeparator();
  QAction* unfocus = focus->addAction(QString(), this, &ExplorerWindow::leaveFocus);
  tr_(unfocus, [] { return tr("Back to all views"); });
  unfocus->setShortcut(Qt::Key_Escape);
  unfocus->setShortcutContext(Qt::WindowShortcut);
  QMenu* layout = view->addMenu(QString());
  tr_(layout, [] { return tr("Layout"); });
  tr_(layout->addAction(QString(), this, [this] { leaveFocus(); arrangeDocks(presetFor(size())); }), [] { return tr("Default for this window size"); });
  tr_(layout->addAction(QString(), this, [this] { leaveFocus(); arrangeDocks(Preset::Wide); }), [] { return tr("Wide (views side by side)"); });
  tr_(layout->addAction(QString(), this, [this] { leaveFocus(); arrangeDocks(Preset::Compact); }), [] { return tr("Compact (views as tabs)"); });
  view->addSeparator();
  tr_(view->addAction(QString(), QKeySequence::ZoomIn, Zoom::instance(), &Zoom::zoomIn), [] { return tr("Zoom in"); });
  tr_(view->addAction(QString(), QKeySequence::ZoomOut, Zoom::instance(), &Zoom::zoomOut), [] { return tr("Zoom out"); });
  tr_(view->addAction(QString(), QKeySequence(Qt::CTRL | Qt::Key_0), Zoom::instance(), &Zoom::reset), [] { return tr("Actual size"); });
  // Ctrl+= as well as Ctrl++ (on most keyboards + needs shift).
  auto* zoomEq = new QAction(this);
  zoomEq->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Equal));
  connect(zoomEq, &QAction::triggered, Zoom::instance(), &Zoom::zoomIn);
  addAction(zoomEq);
  view->addSeparator();
  QAction* dark = view->addAction(QString());
  tr_(dark, [] { return tr("Dark theme"); });
  dark->setCheckable(true);
  connect(dark, &QAction::toggled, this, &ExplorerWindow::setDark);
  m_darkAction = dark;

  QToolBar* tb = addToolBar(QString());
  tr_(tb, [] { return tr("Stepping"); });
  tb->setObjectName("toolbar-stepping");
  tb->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
  QAction* play = tb->addAction(QString(), m_stepper, &Stepper::play);
  tr_(play, [] { return tr("Play"); });
  Translated::toolTip(play, [] { return tr("Feed the text byte by byte from the selected token: each byte runs the recurrent step"); });
  QAction* pause = tb->addAction(QString(), m_stepper, &Stepper::pause);
  tr_(pause, [] { return tr("Pause"); });
  QAction* step = tb->addAction(QString(), m_stepper, &Stepper::step);
  tr_(step, [] { return tr("Step"); });
  Translated::toolTip(step, [] { return tr("Feed one more byte"); });
  QAction* stop = tb->addAction(QString(), m_stepper, &Stepper::stop);
  tr_(stop, [] { return tr("Whole text"); });
  Translated::toolTip(stop, [] { return tr("Leave stepping: back to the whole text"); });
  m_transport = {{play, Theme::Glyph::Play}, {pause, Theme::Glyph::Pause}, {step, Theme::Glyph::Step}, {stop, Theme::Glyph::Stop}};
  updateTransportIcons();
  auto* speed = new QSlider(Qt::Horizontal, tb);
  speed->setRange(1, 60);
  speed->setValue(8);
  speed->setMaximumWidth(160);
  Translated::toolTip(speed, [] { return tr("Bytes per second"); });
  auto* speedName = new QLabel(tb);
  tr_(speedName, [] { return tr(" speed "); });
  tb->addWidget(speedName);
  tb->addWidget(speed);
  auto* speedLabel = new QLabel(tb);
  tr_(speedLabel, [speed] { return tr("%1 B/s").arg(speed->value()); });
  tb->addWidget(speedLabel);
  connect(speed, &QSlider::valueChanged, this, [this, speedLabel](int v) {
    m_stepper->setSpeed(v);
    speedLabel->setText(tr("%1 B/s").arg(v));
  });
  tb->addSeparator();
  QAction* darkTb = tb->addAction(QString());
  tr_(darkTb, [] { return tr("Light / dark"); });
  connect(darkTb, &QAction::triggered, this, [this, dark] { dark->setChecked(!m_dark); });
}

void ExplorerWindow::setDark(bool dark) {
  m_dark = dark;
  if (auto* app = qobject_cast<QApplication*>(QCoreApplication::instance())) Theme::apply(*app, dark, Zoom::instance()->pointSize());
  updateTransportIcons();
  for (ModelColumn* c : m_columns) c->update();
}

void ExplorerWindow::updateTransportIcons() {
  const QColor ink = QApplication::palette().color(QPalette::WindowText);
  for (const auto& [action, glyph] : m_transport) action->setIcon(Theme::glyphIcon(glyph, ink));
}

void ExplorerWindow::rebuildColumns() {
  qDeleteAll(m_columns);
  m_columns.clear();
  for (int c = 0; c < m_ws->columnCount(); ++c) {
    auto* col = new ModelColumn(m_ws, c, m_columnsBox);
    col->setActive(c == m_ws->activeColumn());
    m_columnsLayout->insertWidget(c, col, 1);
    m_columns << col;
  }
  updateColumnsHeight();
}

bool ExplorerWindow::eventFilter(QObject* o, QEvent* e) {
  // The columns' height changes with the style (a theme switch re-polishes the spin boxes), the font
  // and their content: measure again whenever their layout asks.
  if (o == m_columnsBox && e->type() == QEvent::LayoutRequest) QTimer::singleShot(0, this, &ExplorerWindow::updateColumnsHeight);
  if ((e->type() == QEvent::Show || e->type() == QEvent::Hide) && qobject_cast<Panel*>(o) && !m_syncViewsQueued) {
    m_syncViewsQueued = true;
    QTimer::singleShot(0, this, &ExplorerWindow::syncViews);
  }
  return QMainWindow::eventFilter(o, e);
}

QList<ss::View> ExplorerWindow::panelViews(bool shownOnly, std::optional<ss::View> also) const {
  QList<ss::View> views;
  for (Panel* p : m_panels)
    if ((!shownOnly || p->isVisible()) && !views.contains(p->view())) views << p->view();
  if (also && !views.contains(*also)) views << *also;
  std::sort(views.begin(), views.end());  // one order, so an unchanged set is not sent again
  return views;
}

void ExplorerWindow::syncViews() {
  m_syncViewsQueued = false;
  // The prediction frame also carries a tokenizer model's tokens to the token strip; it is cheap.
  m_ws->setViews(panelViews(/*shownOnly=*/true, ss::View::Prediction));
}

void ExplorerWindow::updateColumnsHeight() {
  // The columns' full height (schedules included) plus the sideways scroll bar: the dock never cuts them.
  int h = m_columnsBox->sizeHint().height();
  for (ModelColumn* c : m_columns) h = std::max(h, c->minimumSizeHint().height() + m_columnsLayout->contentsMargins().top() + m_columnsLayout->contentsMargins().bottom());
  const int want = h + m_columnsScroll->horizontalScrollBar()->sizeHint().height();
  if (m_columnsScroll->minimumHeight() != want) m_columnsScroll->setMinimumHeight(want);
}

void ExplorerWindow::onZoomChanged() {
  updateColumnsHeight();
  updateTransportIcons();
  // A zoom that no longer fits the layout in the window: the compact layout, or the window grows
  // (within the screen).
  QTimer::singleShot(0, this, [this] {
    if (!m_focused.isEmpty() || property("presenting").toBool()) return;  // presentation mode arranges its own
    const QSize need = minimumSizeHint();
    if (need.width() > width() || need.height() > height()) arrangeDocks(Preset::Compact);
    fitToScreen();
  });
}

int ExplorerWindow::openBuiltinModels() {
  QString origin;
  const QStringList dirs = BuiltinModels::find(&origin);
  QStringList failed;
  for (const QString& d : dirs) {
    if (m_ws->columnCount() >= Workspace::kMaxColumns) break;
    QString err;
    if (!m_ws->openModel(d, &err)) failed << QFileInfo(d).fileName() + ": " + err.section(": ", -1);
  }
  m_status->setText(tr("models from %1").arg(origin) + (failed.isEmpty() ? QString() : tr(" · not loaded: %1").arg(failed.join("; "))));
  return m_ws->columnCount();
}

void ExplorerWindow::setText(const QByteArray& bytes) { m_ws->setBytes(bytes); }  // the editor follows

void ExplorerWindow::refreshPanels() {
  // Every panel, shown or not (the headless exporter and tests read hidden ones too).
  m_ws->setViews(panelViews(/*shownOnly=*/false));
  m_ws->waitForIdle();
  for (Panel* p : m_panels) p->refresh();
}

void ExplorerWindow::openModelFolder() {
  const QString d = QFileDialog::getExistingDirectory(this, tr("Open a HuggingFace model folder"));
  if (d.isEmpty()) return;
  QString err;
  if (!m_ws->openModel(d, &err)) QMessageBox::warning(this, tr("Cannot open the model"), err);
}

QString ExplorerWindow::exportDirectory() {
  const QString last = QSettings().value("exportDir").toString();
  if (!last.isEmpty() && QFileInfo(last).isDir()) return last;
  for (auto where : {QStandardPaths::PicturesLocation, QStandardPaths::DocumentsLocation, QStandardPaths::HomeLocation}) {
    const QString d = QStandardPaths::writableLocation(where);
    if (!d.isEmpty() && QFileInfo(d).isDir()) return d;
  }
  return QDir::homePath();
}

void ExplorerWindow::exportPanel(QWidget* w, Panel* p, const QString& format) {
  const QString base = p ? p->key() : QString("window");
  const QString path = QFileDialog::getSaveFileName(this, tr("Export"), QDir(exportDirectory()).filePath(base + "." + format),
                                                    format.toUpper() + " (*." + format + ")");
  if (path.isEmpty()) return;
  QSettings().setValue("exportDir", QFileInfo(path).absolutePath());
  const QString err = (format == "csv" || format == "npy") ? FigureExport::exportData(p->data(), path) : FigureExport::exportWidget(w, path, format, 192);
  m_status->setText(err.isEmpty() ? tr("wrote %1").arg(path) : "⚠ " + err);
}

void ExplorerWindow::showEvent(QShowEvent* e) {
  QMainWindow::showEvent(e);
  fitToScreen();
  if (m_arranged) return;
  m_arranged = true;
  QTimer::singleShot(0, this, [this] { arrangeDocks(); });  // once the window has its final size
}

void ExplorerWindow::arrangeDocks() { arrangeDocks(presetFor(size())); }

ExplorerWindow::Preset ExplorerWindow::presetFor(QSize s) const {
  const double z = Zoom::instance()->factor();
  return s.width() >= 1600 * z && s.height() >= 900 * z ? Preset::Wide : Preset::Compact;
}

void ExplorerWindow::arrangeDocks(Preset preset) {
  centralWidget()->show();
  for (QDockWidget* d : m_docks) {
    d->setFloating(false);
    removeDockWidget(d);
  }
  addDockWidget(Qt::TopDockWidgetArea, m_docks["models"]);
  const int W = width(), H = height();
  if (preset == Preset::Compact) {
    // One tabbed group of views beside the text: each view gets most of a 1280 × 720 window.
    addDockWidget(Qt::RightDockWidgetArea, m_docks["state"]);
    for (const QString key : {"delta", "matrix", "prediction", "memory", "cost"}) tabifyDockWidget(m_docks["state"], m_docks[key]);
    for (QDockWidget* d : m_docks) d->show();
    m_docks["state"]->raise();
    resizeDocks({m_docks["state"]}, {int(W * 0.64)}, Qt::Horizontal);
    return;
  }
  // Wide, for a 16:9 screen or projector of 1600 × 900 or more: the text on the left, the views in
  // two rows beside it (state | Δ above, matrix | prediction | memory / cost below).
  addDockWidget(Qt::RightDockWidgetArea, m_docks["state"]);
  splitDockWidget(m_docks["state"], m_docks["matrix"], Qt::Vertical);
  splitDockWidget(m_docks["state"], m_docks["delta"], Qt::Horizontal);
  splitDockWidget(m_docks["matrix"], m_docks["prediction"], Qt::Horizontal);
  splitDockWidget(m_docks["prediction"], m_docks["memory"], Qt::Horizontal);
  tabifyDockWidget(m_docks["memory"], m_docks["cost"]);
  for (QDockWidget* d : m_docks) d->show();
  m_docks["memory"]->raise();
  const int right = int(W * 0.8);
  resizeDocks({m_docks["state"]}, {right}, Qt::Horizontal);
  resizeDocks({m_docks["state"], m_docks["delta"]}, {right / 2, right / 2}, Qt::Horizontal);
  resizeDocks({m_docks["matrix"], m_docks["prediction"], m_docks["memory"]}, {int(right * 0.45), int(right * 0.25), int(right * 0.30)}, Qt::Horizontal);
  resizeDocks({m_docks["state"], m_docks["matrix"]}, {int(H * 0.4), int(H * 0.6)}, Qt::Vertical);  // the matrices need two rows
}

void ExplorerWindow::focusView(const QString& key) {
  QDockWidget* target = m_docks.value(key);
  if (!target) return;
  if (m_focused.isEmpty()) m_beforeFocus = saveState(kLayoutVersion);
  m_focused = key;
  for (QDockWidget* d : m_docks)
    if (d != target) d->hide();
  target->setFloating(false);
  target->show();
  target->raise();
  centralWidget()->hide();  // the dock areas take the whole window
}

void ExplorerWindow::leaveFocus() {
  if (m_focused.isEmpty()) return;
  m_focused.clear();
  centralWidget()->show();
  if (!restoreState(m_beforeFocus, kLayoutVersion)) arrangeDocks(presetFor(size()));
  m_beforeFocus.clear();
}

void ExplorerWindow::fitToScreen() {
  QScreen* sc = screen();
  if (!sc || testAttribute(Qt::WA_DontShowOnScreen)) return;  // a headless export renders at the size it asks for
  const QRect avail = sc->availableGeometry();
  const QSize frame = frameGeometry().size() - geometry().size();  // title bar and borders, when shown
  const QSize room = avail.size() - frame;
  if (isMaximized() || isFullScreen()) return;
  if (width() > room.width() || height() > room.height()) resize(std::min(width(), room.width()), std::min(height(), room.height()));
  if (!avail.contains(frameGeometry())) move(std::clamp(x(), avail.left(), std::max(avail.left(), avail.right() - frameGeometry().width())),
                                             std::clamp(y(), avail.top(), std::max(avail.top(), avail.bottom() - frameGeometry().height())));
}

void ExplorerWindow::closeEvent(QCloseEvent* e) {
  if (m_saveSettings) {
    QSettings s;
    s.setValue("geometry", saveGeometry());
    s.setValue("state", m_focused.isEmpty() ? saveState(kLayoutVersion) : m_beforeFocus);
    s.setValue("dark", m_dark);
    s.setValue("zoom", Zoom::instance()->factor());
  }
  m_stepper->pause();
  m_ws->cancel();
  QMainWindow::closeEvent(e);
}
