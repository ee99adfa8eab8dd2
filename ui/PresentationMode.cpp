#include "PresentationMode.h"

#include <QAbstractButton>
#include <QAbstractSpinBox>
#include <QApplication>
#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QDockWidget>
#include <QKeyEvent>
#include <QLayout>
#include <QMainWindow>
#include <QMenuBar>
#include <QScreen>
#include <QStatusBar>
#include <QTimer>
#include <QToolBar>
#include <QWindow>
#include <QXYSeries>

#include "ExplorerWindow.h"
#include "LessonCard.h"
#include "LessonPlayer.h"
#include "LessonTarget.h"
#include "Panel.h"
#include "Theme.h"
#include "Zoom.h"

PresentationMode::PresentationMode(LessonTarget* target, LessonPlayer* player, LessonCard* card, QDockWidget* cardDock, QObject* parent)
    : QObject(parent), m_target(target), m_player(player), m_card(card), m_cardDock(cardDock), m_window(target->window()) {
  connect(target, &LessonTarget::resultsChanged, this, &PresentationMode::scheduleThicken);
  connect(target, &LessonTarget::selectionChanged, this, &PresentationMode::scheduleThicken);
  connect(target, &LessonTarget::changed, this, &PresentationMode::scheduleThicken);
  connect(player, &LessonPlayer::stepChanged, this, &PresentationMode::arrange);
}

void PresentationMode::enter(int screen, bool windowed, QSize size) {
  if (m_active) return;
  m_active = true;
  m_screen = screen;
  m_savedState = m_window->saveState();
  m_savedGeometry = m_window->saveGeometry();
  m_savedWindowState = m_window->windowState();
  m_savedZoom = Zoom::instance()->factor();
  m_savedPalette = QApplication::palette();
  m_savedCardVisible = m_cardDock->isVisible();

  // Fewer controls: the views, the token strip and the card.
  m_hidden.clear();
  QList<QWidget*> hide = {m_window->menuBar(), m_window->statusBar(), m_target->inputEditor(), m_target->modelsDock()};
  for (QToolBar* tb : m_window->findChildren<QToolBar*>()) hide << tb;
  const QStringList keys = m_target->panelKeys();
  for (QDockWidget* d : m_window->findChildren<QDockWidget*>())  // task notes, help: the card says what matters
    if (d != m_cardDock && !keys.contains(d->objectName().mid(5))) hide << d;
  // The views' own controls (layer / scale choosers, "? explain", Measure): presentation is keyboard
  // only and the lesson steps set what they choose; hidden, they leave the views' readouts a whole row
  // instead of a narrow column beside them.
  for (Panel* panel : m_window->findChildren<Panel*>())
    for (QWidget* c : panel->findChildren<QWidget*>())
      if (qobject_cast<QComboBox*>(c) || qobject_cast<QAbstractButton*>(c) || qobject_cast<QAbstractSpinBox*>(c)) hide << c;
  for (QWidget* w : hide)
    if (w && !w->isHidden()) {
      w->hide();
      m_hidden << w;
    }
  m_card->setButtonsVisible(false);
  m_cardDock->setFeatures(QDockWidget::NoDockWidgetFeatures);
  m_savedCorners = {m_window->corner(Qt::TopRightCorner), m_window->corner(Qt::BottomRightCorner)};
  m_window->setCorner(Qt::TopRightCorner, Qt::RightDockWidgetArea);  // the card takes the whole right side
  m_window->setCorner(Qt::BottomRightCorner, Qt::RightDockWidgetArea);
  m_window->addDockWidget(Qt::RightDockWidgetArea, m_cardDock);
  m_cardDock->show();

  // High contrast and a large font.
  if (auto* app = qobject_cast<QApplication*>(QCoreApplication::instance())) {
    auto* ew = qobject_cast<ExplorerWindow*>(m_window);
    const bool dark = ew && ew->isDark();
    // The large font through the explorer's one zoom (ui/Zoom.h): the views' line widths, heatmap
    // ticks and model columns follow it as they follow Ctrl +. The window keeps the layout below.
    m_window->setProperty("presenting", true);
    Zoom::instance()->setFactor(kPointSize / Zoom::kBasePointSize);
    Theme::apply(*app, dark, Zoom::instance()->pointSize());
    QPalette p = QApplication::palette();
    const QColor ink = dark ? Qt::white : Qt::black, paper = dark ? Qt::black : Qt::white;
    for (auto role : {QPalette::WindowText, QPalette::Text, QPalette::ButtonText}) p.setColor(role, ink);
    for (auto role : {QPalette::Window, QPalette::Base}) p.setColor(role, paper);
    p.setColor(QPalette::Mid, dark ? QColor(190, 190, 190) : QColor(60, 60, 60));
    app->setPalette(p);
  }
  QFont cardFont = QApplication::font();
  cardFont.setPointSizeF(kCardPointSize);
  m_card->setFont(cardFont);
  qApp->installEventFilter(this);

  // Views may shrink below their desktop minimum: at 1280 x 720 and 20 pt, a view's controls and
  // chart would otherwise make the window wider than the screen.
  m_savedMinimums.clear();
  for (const QString& k : m_target->panelKeys())
    if (QWidget* p = m_target->panelWidget(k)) {
      m_savedMinimums.append({p, p->minimumSize()});
      p->setMinimumSize(1, 1);
    }
  m_cardDock->setMinimumWidth(int((windowed ? size.width() : m_window->width()) * 0.28));

  if (m_window->layout()) {  // the hidden controls no longer count towards the window's minimum size
    m_window->layout()->invalidate();
    m_window->layout()->activate();
  }
  if (windowed) {
    m_window->showNormal();
    m_window->resize(size);
  } else {
    const QList<QScreen*> screens = QGuiApplication::screens();
    if (screen >= 0 && screen < screens.size()) {
      if (!m_window->windowHandle()) m_window->winId();
      m_window->windowHandle()->setScreen(screens[screen]);
      m_window->setGeometry(screens[screen]->geometry());
    }
    m_window->showFullScreen();
  }
  arrange();
  scheduleThicken();
  emit activeChanged(true);
}

void PresentationMode::arrange() {
  if (!m_active) return;
  // The card alone on the right; the visible views below the token strip: one or two side by side
  // (stacked at 1280x720, two charts had about 100 px each and elided every axis label), three or
  // more stacked.
  QList<QDockWidget*> views;
  for (const QString& k : m_target->panelKeys())
    if (auto* d = m_window->findChild<QDockWidget*>("dock-" + k); d && !d->isHidden()) views << d;
  for (QDockWidget* d : views) m_window->addDockWidget(Qt::BottomDockWidgetArea, d);
  const Qt::Orientation along = views.size() <= 2 ? Qt::Horizontal : Qt::Vertical;
  for (int i = 1; i < views.size(); ++i) m_window->splitDockWidget(views[i - 1], views[i], along);
  m_window->resizeDocks({m_cardDock}, {int(m_window->width() * 0.30)}, Qt::Horizontal);
  if (!views.isEmpty() && along == Qt::Vertical) {
    const int h = int(m_window->height() * 0.72) / int(views.size());
    m_window->resizeDocks(views, QList<int>(views.size(), h), Qt::Vertical);
  } else if (!views.isEmpty()) {
    m_window->resizeDocks({views.first()}, {int(m_window->height() * 0.72)}, Qt::Vertical);
    // Heatmap views (state, Δ, matrix) take three parts of the width, the charts two.
    QList<int> parts;
    int sum = 0;
    for (QDockWidget* d : views) {
      const QString k = d->objectName().mid(5);  // "dock-<key>"
      parts << (k == "state" || k == "delta" || k == "matrix" ? 3 : 2);
      sum += parts.back();
    }
    QList<int> widths;
    for (int p : parts) widths << int(m_window->width() * 0.70) * p / sum;
    m_window->resizeDocks(views, widths, Qt::Horizontal);
  }
}

void PresentationMode::leave() {
  if (!m_active) return;
  m_active = false;
  qApp->removeEventFilter(this);
  if (auto* app = qobject_cast<QApplication*>(QCoreApplication::instance())) {
    auto* ew = qobject_cast<ExplorerWindow*>(m_window);
    Zoom::instance()->setFactor(m_savedZoom);
    Theme::apply(*app, ew && ew->isDark(), Zoom::instance()->pointSize());
    app->setPalette(m_savedPalette);
  }
  m_card->setFont(QFont());
  m_card->setAttribute(Qt::WA_SetFont, false);
  for (const QPointer<QWidget>& w : m_hidden)
    if (w) w->show();
  m_hidden.clear();
  m_card->setButtonsVisible(true);
  m_cardDock->setFeatures(QDockWidget::DockWidgetClosable | QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable);
  m_window->setCorner(Qt::TopRightCorner, m_savedCorners.first);
  m_window->setCorner(Qt::BottomRightCorner, m_savedCorners.second);
  m_window->setWindowState(m_savedWindowState);
  m_window->restoreGeometry(m_savedGeometry);
  m_window->restoreState(m_savedState);
  m_cardDock->setVisible(m_savedCardVisible);
  m_cardDock->setMinimumWidth(0);
  for (const auto& [w, min] : m_savedMinimums)
    if (w) w->setMinimumSize(min);
  m_savedMinimums.clear();
  // After the window's own reaction to the zoom (queued): it must not re-arrange the restored layout.
  QTimer::singleShot(0, m_window, [w = m_window] { w->setProperty("presenting", false); });
  emit activeChanged(false);
}

bool PresentationMode::eventFilter(QObject* o, QEvent* e) {
  if (!m_active || e->type() != QEvent::KeyPress) return QObject::eventFilter(o, e);
  auto* k = static_cast<QKeyEvent*>(e);
  switch (k->key()) {
    case Qt::Key_Left: m_target->stepToken(-1); return true;
    case Qt::Key_Right: m_target->stepToken(+1); return true;
    case Qt::Key_Space: m_target->togglePlay(); return true;
    case Qt::Key_PageUp: m_player->previous(); return true;
    case Qt::Key_PageDown: m_player->next(); return true;
    case Qt::Key_Escape:
    case Qt::Key_F5: leave(); return true;
    default: return QObject::eventFilter(o, e);
  }
}

void PresentationMode::scheduleThicken() {
  if (!m_active || m_thickenQueued) return;
  m_thickenQueued = true;
  // After the views' own (queued) refresh, which sets their pens afresh.
  QTimer::singleShot(0, this, [this] {
    QTimer::singleShot(0, this, [this] {
      m_thickenQueued = false;
      thickenLines();
    });
  });
}

void PresentationMode::thickenLines() {
  if (!m_active) return;
  for (QChartView* v : m_window->findChildren<QChartView*>()) {
    for (QAbstractSeries* s : v->chart()->series()) {
      auto* xy = qobject_cast<QXYSeries*>(s);
      if (!xy) continue;
      QPen pen = xy->pen();
      if (pen.widthF() >= kMinLineWidth) continue;
      pen.setWidthF(std::max(kMinLineWidth, pen.widthF() * 2));
      xy->setPen(pen);
    }
  }
}
