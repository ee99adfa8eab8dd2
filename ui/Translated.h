// Translated: a text set once (in a constructor) that follows View → Language at runtime. Instead of
// `action->setText(tr("Play"))`, write `Translated::text(action, [] { return tr("Play"); })`: the
// text is set now and again after every UiLanguage change, for as long as the object lives.
// Texts that a view recomputes anyway (captions, chart titles set in refresh()) need none of this:
// the panels redraw on a language change.
#pragma once

#include <QString>
#include <functional>

class QObject;

namespace Translated {
// QAction, QMenu (title), QDockWidget / QToolBar (window title), QAbstractButton, QLabel,
// QPlainTextEdit (placeholder), QAbstractAxis (title), QChart (title), QBarSet / QAbstractSeries (name).
void text(QObject* o, std::function<QString()> f);
void toolTip(QObject* o, std::function<QString()> f);  // any QWidget or QAction
}  // namespace Translated
