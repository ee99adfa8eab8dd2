// LessonCard: the card of the current lesson step — the lesson's title, "step i of n", the step's
// title, its text and formula — with previous / next buttons (hidden in presentation mode, where
// PgUp / PgDn move). It also draws the step's highlight over the view it names.
#pragma once

#include <QWidget>
#include <functional>

class HighlightFrame;
class LessonPlayer;
class LessonTarget;
class QTextBrowser;
class QPushButton;

class LessonCard : public QWidget {
  Q_OBJECT
 public:
  LessonCard(LessonPlayer* player, LessonTarget* target, QWidget* parent = nullptr);
  void setButtonsVisible(bool visible);
  HighlightFrame* highlight() const { return m_highlight; }
  QString cardText() const;   // what the card shows now (tests, deck export)
  // A live line under the card (the task scores of each model); "" hides it. Asked on every update.
  void setScoreSource(std::function<QString()> source) { m_scoreSource = std::move(source); }
  QString scoreText() const { return m_scoreSource ? m_scoreSource() : QString(); }  // that line now (tests)
  void refresh() { update(); }
  QString formulaText() const;

 protected:
  void changeEvent(QEvent* e) override;

 private:
  void update();
  LessonPlayer* m_player;
  LessonTarget* m_target;
  QTextBrowser* m_view;
  QString m_cardText, m_formulaText;
  std::function<QString()> m_scoreSource;
  QPushButton* m_prev;
  QPushButton* m_next;
  HighlightFrame* m_highlight;
};
