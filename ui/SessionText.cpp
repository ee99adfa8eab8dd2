#include "SessionText.h"

#include <QCoreApplication>
#include <QRegularExpression>

namespace SessionText {

QString say(const std::string& english) {
  const QString s = QString::fromStdString(english);
  // Fixed sentences (session/engine.cpp, session/view_frames.cpp, session/session.cpp).
  static const char* const fixed[] = {
      QT_TRANSLATE_NOOP("SessionText", "no model"),
      QT_TRANSLATE_NOOP("SessionText", "no text"),
      QT_TRANSLATE_NOOP("SessionText", "not a view frame"),
      QT_TRANSLATE_NOOP("SessionText", "no matrix for this model"),
      QT_TRANSLATE_NOOP("SessionText", "measurement cancelled"),
      QT_TRANSLATE_NOOP("SessionText", "no model to time"),
      QT_TRANSLATE_NOOP("SessionText", "the models changed since the last measurement: press Measure"),
      QT_TRANSLATE_NOOP("SessionText", "press Measure to time every model"),
      QT_TRANSLATE_NOOP("SessionText", "failed to load"),
  };
  for (const char* f : fixed)
    if (s == QLatin1String(f)) return QCoreApplication::translate("SessionText", f);
  // Sentences with numbers.
  static const QRegularExpression notYet("^token (\\d+) is not computed yet \\((\\d+) of (\\d+) bytes\\)$");
  static const QRegularExpression noGate("^layer (\\d+) is an attention layer: it has no Δ gate$");
  static const QRegularExpression atMost("^at most (\\d+) models side by side$");
  if (const auto m = notYet.match(s); m.hasMatch())
    return QCoreApplication::translate("SessionText", "token %1 is not computed yet (%2 of %3 bytes)").arg(m.captured(1), m.captured(2), m.captured(3));
  if (const auto m = noGate.match(s); m.hasMatch()) return QCoreApplication::translate("SessionText", "layer %1 is an attention layer: it has no Δ gate").arg(m.captured(1));
  if (const auto m = atMost.match(s); m.hasMatch()) return QCoreApplication::translate("SessionText", "at most %1 models side by side").arg(m.captured(1));
  return s;
}

QString model(const ss::Frame& f) {
  const QString name = QString::fromStdString(f.model);
  if (!f.delta_average) return name;
  return QCoreApplication::translate("SessionText", "%1 [Δ → average]").arg(name);
}

QString mixer(const std::string& name) {
  if (name == "attention") return QCoreApplication::translate("SessionText", "attention");
  if (name == "attention+mamba2") return QCoreApplication::translate("SessionText", "attention ∥ mamba2");
  return QString::fromStdString(name);
}

}  // namespace SessionText
