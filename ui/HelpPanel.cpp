#include "HelpPanel.h"

#include <QEvent>
#include <QTextBrowser>
#include <QVBoxLayout>

#include "LessonTarget.h"

HelpPanel::HelpPanel(LessonTarget* target, QWidget* parent) : QWidget(parent), m_target(target) {
  setObjectName("help-panel");
  m_text = new QTextBrowser(this);
  auto* v = new QVBoxLayout(this);
  v->setContentsMargins(4, 4, 4, 4);
  v->addWidget(m_text);
  rebuild();
}

QString HelpPanel::lookFor(const QString& key) {
  if (key == "state") return tr("Look for: the SSM state keeps its size at every token while its values change; an attention layer's picture gets one column wider per token.");
  if (key == "delta") return tr("Look for: bright rows (large Δ) where the input matters, e.g. spaces, digits, word starts; dark rows where the state passes through unchanged.");
  if (key == "matrix") return tr("Look for: everything above the diagonal is zero (causal); drag a block strictly below the diagonal: its rank is at most N for an SSM.");
  if (key == "memory") return tr("Look for: flat lines (SSM state) against rising lines (KV cache); the hybrid in between.");
  if (key == "cost") return tr("Look for: time per token flat for an SSM, growing with length for attention.");
  if (key == "prediction") return tr("Look for: high surprisal (bright) where the text is hard to guess; in a task input, the answers the model gets right.");
  return {};
}

QList<QPair<QString, QString>> HelpPanel::shortcuts() {
  return {
      {"F5", tr("presentation mode on / off")},
      {"F1", tr("this help")},
      {tr("Ctrl+L"), tr("open a lesson")},
      {tr("Ctrl+O / Ctrl+S"), tr("open / save a workspace")},
      {"← →", tr("presentation: one token back / forward")},
      {tr("Space"), tr("presentation: play / pause feeding bytes")},
      {tr("Page Up / Page Down"), tr("presentation: previous / next lesson step (presentation clickers)")},
      {tr("Esc"), tr("leave presentation mode")},
      {tr("click / shift-click a token"), tr("select a token / a window of tokens")},
  };
}

void HelpPanel::changeEvent(QEvent* e) {
  if (e->type() == QEvent::LanguageChange) rebuild();
  QWidget::changeEvent(e);
}

QString HelpPanel::html() const { return m_text->toHtml(); }

void HelpPanel::rebuild() {
  QString h = tr("<h3>The views</h3>");
  for (const QString& k : m_target->panelKeys())
    h += QString("<p><b>%1</b><br>%2<br><i>%3</i></p>").arg(m_target->panelTitle(k).toHtmlEscaped(), m_target->panelHelp(k), lookFor(k).toHtmlEscaped());
  h += tr("<h3>Keyboard</h3><table cellpadding='3'>");
  for (const auto& [key, what] : shortcuts()) h += QString("<tr><td><b>%1</b></td><td>%2</td></tr>").arg(key.toHtmlEscaped(), what.toHtmlEscaped());
  h += "</table>";
  m_text->setHtml(h);
}
