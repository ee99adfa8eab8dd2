// PresentationMode: the explorer as a teacher shows it to a room. Full screen on the chosen screen,
// large fonts (the views at 15 pt, the card at 20 pt), high contrast, thick chart lines, and fewer controls: no menus, toolbars,
// status bar, text editor or per-view controls; the views, the token strip and the lesson card. Keyboard only:
//   ← / →      step one token back / forward        space      play / pause feeding bytes
//   PgUp/PgDn  previous / next lesson step (what presentation clickers send)
//   Esc        leave presentation mode               F5         enter (from the menu) / leave
// Leaving restores the window exactly as it was (geometry, docks, font, theme).
#pragma once

#include <QByteArray>
#include <QObject>
#include <QPalette>
#include <QPointer>
#include <QSize>

class LessonCard;
class LessonPlayer;
class LessonTarget;
class QDockWidget;
class QMainWindow;
class QWidget;

class PresentationMode : public QObject {
  Q_OBJECT
 public:
  static constexpr double kPointSize = 15.0;      // the views: 20 px at 96 dpi, readable at 1280 x 720
  static constexpr double kCardPointSize = 20.0;  // the lesson card: readable from the back of a room
  static constexpr double kMinLineWidth = 4.0;

  PresentationMode(LessonTarget* target, LessonPlayer* player, LessonCard* card, QDockWidget* cardDock, QObject* parent = nullptr);

  bool isActive() const { return m_active; }
  // `screen`: index into QGuiApplication::screens() (-1: the window's screen). `windowed`: a
  // window of `size` instead of full screen (headless decks and screenshots).
  void enter(int screen = -1, bool windowed = false, QSize size = QSize(1280, 720));
  void leave();
  void toggle() { m_active ? leave() : enter(m_screen); }
  void setScreen(int screen) { m_screen = screen; }
  int screen() const { return m_screen; }
  void thickenLines();
  void arrange();  // the card on the right, the visible views stacked on the left  // chart series at least kMinLineWidth wide (reapplied after each refresh)

 signals:
  void activeChanged(bool active);

 protected:
  bool eventFilter(QObject* o, QEvent* e) override;

 private:
  void scheduleThicken();
  LessonTarget* m_target;
  LessonPlayer* m_player;
  LessonCard* m_card;
  QDockWidget* m_cardDock;
  QMainWindow* m_window;
  bool m_active = false;
  bool m_thickenQueued = false;
  int m_screen = -1;
  // What leave() restores.
  QByteArray m_savedState, m_savedGeometry;
  QList<QPointer<QWidget>> m_hidden;
  double m_savedZoom = 1.0;  // Zoom::factor() before presenting
  QPalette m_savedPalette;
  bool m_savedCardVisible = false;
  Qt::WindowStates m_savedWindowState;
  QPair<Qt::DockWidgetArea, Qt::DockWidgetArea> m_savedCorners;
  QList<QPair<QPointer<QWidget>, QSize>> m_savedMinimums;
};
