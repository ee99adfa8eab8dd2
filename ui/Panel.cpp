#include "Panel.h"

#include <QTimer>

#include "HelpBadge.h"
#include "Workspace.h"

Panel::Panel(Workspace* ws, const QString& key, const QString& title, QWidget* parent)
    : QWidget(parent), m_ws(ws), m_key(key), m_title(title) {
  setObjectName(key);
}

void Panel::followWorkspace() {
  setToolTip("<p><b>" + m_title + "</b></p><p>" + help() + "</p>");
  connect(m_ws, &Workspace::resultsChanged, this, &Panel::scheduleRefresh);
  connect(m_ws, &Workspace::selectionChanged, this, &Panel::scheduleRefresh);
  connect(m_ws, &Workspace::choiceChanged, this, &Panel::scheduleRefresh);
  connect(m_ws, &Workspace::activeColumnChanged, this, &Panel::scheduleRefresh);
  connect(m_ws, &Workspace::modelsChanged, this, &Panel::scheduleRefresh);
}

void Panel::scheduleRefresh() {
  if (m_refreshQueued) return;
  m_refreshQueued = true;
  QTimer::singleShot(0, this, [this] {
    m_refreshQueued = false;
    if (!m_ws->isBusy()) refresh();
  });
}

QWidget* Panel::helpBadge() { return new HelpBadge(m_title, help(), this); }

void Panel::excludeFromFigure(QWidget* w) { w->setProperty("figureExclude", true); }
