#include "Stepper.h"

#include <algorithm>

#include "Workspace.h"

Stepper::Stepper(Workspace* ws, QObject* parent) : QObject(parent), m_ws(ws) {
  setSpeed(8);
  connect(&m_timer, &QTimer::timeout, this, &Stepper::step);
}

bool Stepper::isStepping() const { return m_ws->isStepping(); }
qint64 Stepper::position() const { return m_ws->bytes().size(); }

void Stepper::setSpeed(double bps) { m_timer.setInterval(int(1000.0 / std::clamp(bps, 0.2, 200.0))); }

bool Stepper::begin() {
  if (m_ws->isStepping()) return true;
  if (!m_ws->beginStepping()) return false;
  emit positionChanged(position(), position() + m_ws->pendingBytes());
  return true;
}

void Stepper::play() {
  if (!begin()) return;
  m_timer.start();
  emit playingChanged(true);
}

void Stepper::pause() {
  m_timer.stop();
  emit playingChanged(false);
}

void Stepper::step() {
  if (!begin()) return;
  if (m_ws->step() == 0 || !m_ws->isStepping()) pause();  // the last byte is fed
  emit positionChanged(position(), position() + m_ws->pendingBytes());
}

void Stepper::stop() {
  pause();
  if (!m_ws->isStepping()) return;
  m_ws->feedRest();
}
