// Stepper: play / pause / step through the text one byte at a time. Stepping is the session's
// (ss::Document::begin_stepping): the text is cut after the selected token and each tick feeds the
// next byte, which the models run through their recurrent step, and the selection follows it, so
// the state, Δ and cache views animate token by token. The editor shows the same, cut text; typing
// meanwhile edits it and the rest still follows; "Whole text" feeds every byte left.
#pragma once

#include <QObject>
#include <QTimer>

class Workspace;

class Stepper : public QObject {
  Q_OBJECT
 public:
  explicit Stepper(Workspace* ws, QObject* parent = nullptr);
  bool isPlaying() const { return m_timer.isActive(); }
  bool isStepping() const;   // a stepping session is under way (bytes are left to feed)
  qint64 position() const;   // bytes fed so far (the text's length)
  void setSpeed(double bytesPerSecond);

  void play();
  void pause();
  void step();   // one byte
  void stop();   // leaves stepping mode: every byte not fed yet is fed at once

 signals:
  void playingChanged(bool playing);
  void positionChanged(qint64 fed, qint64 total);

 private:
  bool begin();
  Workspace* m_ws;
  QTimer m_timer;
};
