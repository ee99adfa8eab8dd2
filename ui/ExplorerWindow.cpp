#include "ExplorerWindow.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QShowEvent>
#include <QDockWidget>
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

#include "BuiltinModels.h"
#include "FigureExport.h"
#include "InputEditor.h"
#include "ModelColumn.h"
#include "Panel.h"
#include "Panels.h"
#include "Stepper.h"
#include "Theme.h"
#include "TokenStrip.h"
#include "Workspace.h"

ExplorerWindow::ExplorerWindow(bool restoreSettings, QWidget* parent) : QMainWindow(parent), m_saveSettings(restoreSettings) {
  setWindowTitle(tr("StateScope — state space models and attention, byte by byte"));
  setObjectName("window");
  setDockOptions(QMainWindow::AnimatedDocks | QMainWindow::AllowTabbedDocks | QMainWindow::AllowNestedDocks);
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
  auto* openButton = new QPushButton(tr("Open model folder…"), m_columnsBox);
  openButton->setToolTip(tr("Open any supported HuggingFace folder (Mamba, Mamba-2, Llama, Jamba) with config.json and safetensors"));
  m_columnsLayout->addStretch();
  m_columnsLayout->addWidget(openButton);
  auto* modelsDock = new QDockWidget(tr("Models"), this);
  modelsDock->setObjectName("dock-models");
  modelsDock->setWidget(m_columnsBox);
  addDockWidget(Qt::TopDockWidgetArea, modelsDock);
  m_docks["models"] = modelsDock;

  // The views.
  for (const QString& key : Panels::keys()) {
    Panel* p = Panels::create(key, m_ws, this);
    auto* dock = new QDockWidget(p->title(), this);
    dock->setObjectName("dock-" + key);
    dock->setWidget(p);
    dock->setToolTip(p->toolTip());
    m_panels[key] = p;
    m_docks[key] = dock;
  }
  addDockWidget(Qt::RightDockWidgetArea, m_docks["state"]);
  addDockWidget(Qt::RightDockWidgetArea, m_docks["delta"]);
  addDockWidget(Qt::BottomDockWidgetArea, m_docks["matrix"]);
  addDockWidget(Qt::BottomDockWidgetArea, m_docks["prediction"]);
  splitDockWidget(m_docks["matrix"], m_docks["prediction"], Qt::Horizontal);
  addDockWidget(Qt::BottomDockWidgetArea, m_docks["memory"]);
  splitDockWidget(m_docks["prediction"], m_docks["memory"], Qt::Horizontal);
  tabifyDockWidget(m_docks["memory"], m_docks["cost"]);
  m_docks["memory"]->raise();

  // Status bar: progress and cancel for long updates.
  m_status = new QLabel(this);
  m_progress = new QProgressBar(this);
  m_progress->setMaximumWidth(260);
  m_progress->setVisible(false);
  m_cancel = new QToolButton(this);
  m_cancel->setText(tr("Cancel"));
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
  auto syncStrip = [this] {
    m_strip->setComputed(m_ws->computed());
    m_strip->setSelection(m_ws->token(), m_ws->windowStart(), m_ws->windowEnd());
    QString text = m_ws->bytes().isEmpty() ? QString()
                                           : tr("token %1 selected · window %2..%3 · %4 bytes")
                                                 .arg(m_ws->token()).arg(m_ws->windowStart()).arg(m_ws->windowEnd() - 1).arg(m_ws->bytes().size());
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

  if (restoreSettings) {
    QSettings s;
    setDark(false);
    m_darkAction->setChecked(s.value("dark", false).toBool());
    restoreGeometry(s.value("geometry").toByteArray());
    m_arranged = restoreState(s.value("state").toByteArray());
  } else {
    setDark(false);
  }
}

ExplorerWindow::~ExplorerWindow() { m_ws->cancel(); }

QByteArray ExplorerWindow::sampleText() {
  return QByteArray("A state space model reads one byte at a time and keeps a fixed-size memory. "
                    "Attention keeps every byte it has seen. 状态空间 = state space.\n");
}

void ExplorerWindow::buildMenus() {
  QMenu* file = menuBar()->addMenu(tr("&File"));
  file->addAction(tr("Open model folder…"), this, &ExplorerWindow::openModelFolder);
  file->addAction(tr("Open input file…"), this, [this] {
    const QString p = QFileDialog::getOpenFileName(this, tr("Open any file as bytes"));
    if (!p.isEmpty()) m_input->openFile(p);
  });
  QMenu* exp = file->addMenu(tr("Export"));
  auto addExports = [this](QMenu* m, QWidget* w, Panel* p) {
    for (const QString& f : FigureExport::figureFormats()) m->addAction(f.toUpper() + "…", this, [this, w, p, f] { exportPanel(w, p, f); });
    if (p)
      for (const QString& f : {QString("csv"), QString("npy")}) m->addAction(tr("data as %1…").arg(f.toUpper()), this, [this, w, p, f] { exportPanel(w, p, f); });
  };
  addExports(exp->addMenu(tr("Whole window")), this, nullptr);
  for (const QString& key : Panels::keys()) addExports(exp->addMenu(m_panels[key]->title()), m_panels[key], m_panels[key]);
  file->addSeparator();
  file->addAction(tr("Quit"), QKeySequence::Quit, this, &QWidget::close);

  QMenu* view = menuBar()->addMenu(tr("&View"));
  for (QDockWidget* d : m_docks) view->addAction(d->toggleViewAction());
  view->addSeparator();
  QAction* dark = view->addAction(tr("Dark theme"));
  dark->setCheckable(true);
  connect(dark, &QAction::toggled, this, &ExplorerWindow::setDark);
  m_darkAction = dark;

  QToolBar* tb = addToolBar(tr("Stepping"));
  tb->setObjectName("toolbar-stepping");
  tb->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
  QAction* play = tb->addAction(tr("Play"), m_stepper, &Stepper::play);
  play->setToolTip(tr("Feed the text byte by byte from the selected token: each byte runs the recurrent step"));
  QAction* pause = tb->addAction(tr("Pause"), m_stepper, &Stepper::pause);
  QAction* step = tb->addAction(tr("Step"), m_stepper, &Stepper::step);
  step->setToolTip(tr("Feed one more byte"));
  QAction* stop = tb->addAction(tr("Whole text"), m_stepper, &Stepper::stop);
  stop->setToolTip(tr("Leave stepping: back to the whole text"));
  m_transport = {{play, Theme::Glyph::Play}, {pause, Theme::Glyph::Pause}, {step, Theme::Glyph::Step}, {stop, Theme::Glyph::Stop}};
  updateTransportIcons();
  auto* speed = new QSlider(Qt::Horizontal, tb);
  speed->setRange(1, 60);
  speed->setValue(8);
  speed->setMaximumWidth(160);
  speed->setToolTip(tr("Bytes per second"));
  tb->addWidget(new QLabel(tr(" speed "), tb));
  tb->addWidget(speed);
  auto* speedLabel = new QLabel(tr("8 B/s"), tb);
  tb->addWidget(speedLabel);
  connect(speed, &QSlider::valueChanged, this, [this, speedLabel](int v) {
    m_stepper->setSpeed(v);
    speedLabel->setText(tr("%1 B/s").arg(v));
  });
  tb->addSeparator();
  QAction* darkTb = tb->addAction(tr("Light / dark"));
  connect(darkTb, &QAction::triggered, this, [this, dark] { dark->setChecked(!m_dark); });
}

void ExplorerWindow::setDark(bool dark) {
  m_dark = dark;
  if (auto* app = qobject_cast<QApplication*>(QCoreApplication::instance())) Theme::apply(*app, dark, app->font().pointSizeF() > 0 ? app->font().pointSizeF() : 12.0);
  updateTransportIcons();
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
  m_ws->waitForIdle();
  for (Panel* p : m_panels) p->refresh();
}

void ExplorerWindow::openModelFolder() {
  const QString d = QFileDialog::getExistingDirectory(this, tr("Open a HuggingFace model folder"));
  if (d.isEmpty()) return;
  QString err;
  if (!m_ws->openModel(d, &err)) QMessageBox::warning(this, tr("Cannot open the model"), err);
}

void ExplorerWindow::exportPanel(QWidget* w, Panel* p, const QString& format) {
  const QString base = p ? p->key() : QString("window");
  const QString path = QFileDialog::getSaveFileName(this, tr("Export"), base + "." + format, format.toUpper() + " (*." + format + ")");
  if (path.isEmpty()) return;
  const QString err = (format == "csv" || format == "npy") ? FigureExport::exportData(p->data(), path) : FigureExport::exportWidget(w, path, format, 192);
  m_status->setText(err.isEmpty() ? tr("wrote %1").arg(path) : "⚠ " + err);
}

void ExplorerWindow::showEvent(QShowEvent* e) {
  QMainWindow::showEvent(e);
  if (m_arranged) return;
  m_arranged = true;
  QTimer::singleShot(0, this, &ExplorerWindow::arrangeDocks);  // once the window has its final size
}

void ExplorerWindow::arrangeDocks() {
  // Proportions for a 16:9 screen or projector: views on the right and along the bottom, the text in the middle.
  const int W = width(), H = height();
  resizeDocks({m_docks["state"]}, {int(W * 0.58)}, Qt::Horizontal);
  resizeDocks({m_docks["state"], m_docks["delta"]}, {int(H * 0.3), int(H * 0.3)}, Qt::Vertical);
  resizeDocks({m_docks["matrix"]}, {int(H * 0.4)}, Qt::Vertical);
  resizeDocks({m_docks["matrix"], m_docks["prediction"], m_docks["memory"]}, {int(W * 0.38), int(W * 0.28), int(W * 0.34)}, Qt::Horizontal);
}

void ExplorerWindow::closeEvent(QCloseEvent* e) {
  if (m_saveSettings) {
    QSettings s;
    s.setValue("geometry", saveGeometry());
    s.setValue("state", saveState());
    s.setValue("dark", m_dark);
  }
  m_stepper->pause();
  m_ws->cancel();
  QMainWindow::closeEvent(e);
}
