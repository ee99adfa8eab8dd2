// SessionText: the session's own short words (a frame's note, a mixer's name) in the UI language.
// The session and the core have no Qt and speak English; the views pass what they show from them
// through here. A sentence not listed is shown as it came (an error with a path stays exact).
#pragma once

#include <QString>
#include <string>

#include "frame.h"

namespace SessionText {
QString say(const std::string& english);   // "no text" → "没有文本" under the Chinese UI
QString mixer(const std::string& name);    // "attention" → "注意力"; "mamba", "mamba2" stay names
// The frame's model name as views title it; an intervened model says so ("mamba2-bytes [Δ → average]").
QString model(const ss::Frame& f);
}  // namespace SessionText
