#include "Stepper.h"

#include "Workspace.h"

Stepper::Stepper(Workspace* ws, QObject* parent) : QObject(parent), m_ws(ws) {
  setSpeed(8);
  connect(&m_timer, &QTimer::timeout, this, &Stepper::step);
}

void Stepper::setSpeed(double bps) { m_timer.setInterval(int(1000.0 / std::clamp(bps, 0.2, 200.0))); }

void Stepper::begin() {
  if (isStepping()) return;
  m_target = m_ws->bytes();
  if (m_target.isEmpty()) return;
  // Feed from the selected token on (from the start when the last token is selected).
  m_pos = m_ws->token() + 1 < m_target.size() ? m_ws->token() + 1 : 1;
  m_ws->setBytes(m_target.left(m_pos));
  m_ws->selectToken(m_pos - 1);
  emit positionChanged(m_pos, m_target.size());
}

void Stepper::play() {
  begin();
  if (!isStepping()) return;
  m_timer.start();
  emit playingChanged(true);
}

void Stepper::pause() {
  m_timer.stop();
  emit playingChanged(false);
}

void Stepper::step() {
  begin();
  if (!isStepping()) return;
  if (m_pos >= m_target.size()) {
    pause();
    m_target.clear();
    return;
  }
  m_ws->appendBytes(m_target.mid(m_pos, 1));  // one byte: the recurrent step from the cached state
  ++m_pos;
  m_ws->selectToken(m_pos - 1);
  emit positionChanged(m_pos, m_target.size());
}

void Stepper::stop() {
  const bool wasStepping = isStepping();
  pause();
  if (!wasStepping) return;
  const QByteArray all = m_target;
  m_target.clear();
  m_ws->setBytes(all);
}
