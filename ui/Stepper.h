// Stepper: play / pause / step through the text one byte at a time. Each tick appends the next byte,
// which the models run through their recurrent step (from the cached state), and selects it, so the
// state, Δ and cache views animate token by token.
#pragma once

#include <QByteArray>
#include <QObject>
#include <QTimer>

class Workspace;

class Stepper : public QObject {
  Q_OBJECT
 public:
  explicit Stepper(Workspace* ws, QObject* parent = nullptr);
  bool isPlaying() const { return m_timer.isActive(); }
  bool isStepping() const { return !m_target.isEmpty(); }  // a stepping session is under way
  qint64 position() const { return m_pos; }                 // bytes fed so far
  void setSpeed(double bytesPerSecond);

  void play();
  void pause();
  void step();   // one byte
  void stop();   // leaves stepping mode: the whole text again

 signals:
  void playingChanged(bool playing);
  void positionChanged(qint64 fed, qint64 total);

 private:
  void begin();
  Workspace* m_ws;
  QTimer m_timer;
  QByteArray m_target;
  qint64 m_pos = 0;
};
