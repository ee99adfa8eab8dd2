// Waiting for the explorer the way the application runs it: inside an event loop (QEventLoop::exec, as
// QApplication::exec runs the window), never by calling QCoreApplication::processEvents() from main().
// Measured (statescope-bench-explorer, a 2-layer test model, 800 keystrokes at 1 KB): with
// processEvents() from main, the time per keystroke grew with every sample (p50 9.0 ms over 200
// samples, 15.9 ms over 800; half of the CPU time at the end was in sendPostedEvents itself, walking a
// list of posted events that never shrank), while inside an event loop it stayed flat (p50 9.3 ms over
// 800). So the benchmark and the soak measure what a user's window does, not that artifact.
#pragma once

#include <QElapsedTimer>
#include <QEventLoop>
#include <QTimer>
#include <functional>

namespace bench {

// Runs an event loop until done() (checked every millisecond and after every event the loop handles)
// or `timeout_ms` pass; then once more for the events (repaints) that were asked for meanwhile.
inline void run_until(const std::function<bool()>& done, qint64 timeout_ms) {
  QElapsedTimer t;
  t.start();
  QEventLoop loop;
  QTimer poll;
  poll.setInterval(1);
  QObject::connect(&poll, &QTimer::timeout, &loop, [&] {
    if (done() || t.elapsed() >= timeout_ms) loop.quit();
  });
  if (!done()) {
    poll.start();
    loop.exec();
    poll.stop();
  }
  for (int i = 0; i < 3; ++i) {  // the paints the last frames asked for (posted events, then their repaints)
    QTimer::singleShot(0, &loop, &QEventLoop::quit);
    loop.exec();
  }
}

// Handles the events pending now, inside an event loop.
inline void drain() {
  run_until([] { return true; }, 0);
}

}  // namespace bench
