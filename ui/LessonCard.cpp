#include "LessonCard.h"

#include <QRegularExpression>

#include <QEvent>
#include <QHBoxLayout>
#include <QTextBrowser>
#include <QPushButton>
#include <QVBoxLayout>

#include "HighlightFrame.h"
#include "LessonPlayer.h"
#include "LessonTarget.h"

namespace {

// A lesson's formula as written in the file ("h_t = exp(Δ_t A) h_{t−1}") with its subscripts set as
// subscripts: _{...} and _x (a run of letters and digits) become <sub>; the rest is escaped text.
QString formulaHtml(const QString& formula) {
  QString html = formula.toHtmlEscaped();
  static const QRegularExpression braced(QStringLiteral("_\\{([^{}]*)\\}")), bare(QStringLiteral("_([\\p{L}\\p{N}]+)"));
  html.replace(braced, QStringLiteral("<sub>\\1</sub>"));
  html.replace(bare, QStringLiteral("<sub>\\1</sub>"));
  return html;
}

}  // namespace

LessonCard::LessonCard(LessonPlayer* player, LessonTarget* target, QWidget* parent)
    : QWidget(parent), m_player(player), m_target(target) {
  setObjectName("lesson-card");
  m_view = new QTextBrowser(this);
  m_view->setFrameShape(QFrame::NoFrame);
  m_view->setOpenLinks(false);
  m_view->viewport()->setAutoFillBackground(false);
  m_view->setFocusPolicy(Qt::NoFocus);  // keys go to the window (presentation mode)
  m_prev = new QPushButton(tr("◀ Previous"), this);
  m_next = new QPushButton(tr("Next ▶"), this);
  m_prev->setToolTip(tr("Previous step (Page Up)"));
  m_next->setToolTip(tr("Next step (Page Down)"));
  auto* buttons = new QHBoxLayout;
  buttons->addWidget(m_prev);
  buttons->addWidget(m_next);
  auto* v = new QVBoxLayout(this);
  v->setContentsMargins(6, 6, 6, 6);
  v->addWidget(m_view, 1);
  v->addLayout(buttons);
  m_highlight = new HighlightFrame(this);

  connect(m_prev, &QPushButton::clicked, player, &LessonPlayer::previous);
  connect(m_next, &QPushButton::clicked, player, &LessonPlayer::next);
  connect(player, &LessonPlayer::stepChanged, this, &LessonCard::update);
  connect(player, &LessonPlayer::lessonChanged, this, &LessonCard::update);
  connect(player, &LessonPlayer::languageChanged, this, &LessonCard::update);
  update();
}

void LessonCard::setButtonsVisible(bool visible) {
  m_prev->setVisible(visible);
  m_next->setVisible(visible);
}

QString LessonCard::cardText() const { return m_cardText; }
QString LessonCard::formulaText() const { return m_formulaText; }

void LessonCard::changeEvent(QEvent* e) {
  if (e->type() == QEvent::LanguageChange) {
    m_prev->setText(tr("◀ Previous"));
    m_next->setText(tr("Next ▶"));
    m_prev->setToolTip(tr("Previous step (Page Up)"));
    m_next->setToolTip(tr("Next step (Page Down)"));
  }
  if (e->type() == QEvent::FontChange || e->type() == QEvent::PaletteChange || e->type() == QEvent::LanguageChange) update();
  QWidget::changeEvent(e);
}

void LessonCard::update() {
  if (!m_player->isOpen() || m_player->step() < 0) {
    m_cardText.clear();
    m_formulaText.clear();
    m_view->setHtml(tr("<p>No lesson open (File → Open lesson…).</p>"));
    m_prev->setEnabled(false);
    m_next->setEnabled(false);
    m_highlight->showOver(nullptr, {});
    return;
  }
  const double pt = font().pointSizeF() > 0 ? font().pointSizeF() : 12.0;
  const ss::LessonStep& s = m_player->currentStep();
  m_cardText = m_player->text(s.card);
  m_formulaText = QString::fromStdString(s.formula);
  const QString muted = palette().color(QPalette::PlaceholderText).name();
  const QString accent = palette().color(QPalette::Highlight).name();
  QString html = QString("<p style='font-size:%1pt; color:%2'>%3 · %4</p>")
                     .arg(pt * 0.8)
                     .arg(muted, m_player->text(m_player->lesson().title).toHtmlEscaped(),
                          // In the lesson's language (the audience reads the card), not the UI's.
                          (m_player->language() == "zh" ? QString::fromUtf8("第 %1 步，共 %2 步") : QString("step %1 of %2"))
                              .arg(m_player->step() + 1)
                              .arg(m_player->stepCount()));
  html += QString("<p style='font-size:%1pt'><b>%2</b></p>").arg(pt * 1.3).arg(m_player->text(s.title).toHtmlEscaped());
  html += QString("<p style='font-size:%1pt'>%2</p>").arg(pt).arg(m_cardText.toHtmlEscaped());
  if (!m_formulaText.isEmpty())
    html += QString("<table cellpadding='8' style='margin-top:8px'><tr><td style='background-color:%1'></td>"
                    "<td style='font-family:\"DejaVu Serif\", serif; font-style:italic; font-size:%2pt'>%3</td></tr></table>")
                .arg(accent)
                .arg(pt * 1.05)
                .arg(formulaHtml(m_formulaText));
  const QString score = m_scoreSource ? m_scoreSource() : QString();
  if (!score.isEmpty()) html += QString("<p style='font-size:%1pt'>%2</p>").arg(pt * 0.9).arg(score);
  m_view->setHtml(html);
  m_prev->setEnabled(m_player->step() > 0);
  m_next->setEnabled(m_player->step() + 1 < m_player->stepCount());
  if (s.highlight) {
    const auto& h = *s.highlight;
    m_highlight->showOver(m_target->panelWidget(QString::fromStdString(h.panel)), QRectF(h.x, h.y, h.w, h.h));
  } else {
    m_highlight->showOver(nullptr, {});
  }
}
