// HelpPanel: every view's formula and what to look for in it, and the keyboard shortcuts of the
// explorer and of presentation mode. The views' own "what am I looking at" paragraphs are used,
// so the help says what the views say.
#pragma once

#include <QWidget>

class LessonTarget;
class QTextBrowser;

class HelpPanel : public QWidget {
  Q_OBJECT
 public:
  explicit HelpPanel(LessonTarget* target, QWidget* parent = nullptr);
  QString html() const;
  static QString lookFor(const QString& panelKey);  // one or two sentences: what to look for
  static QList<QPair<QString, QString>> shortcuts();  // key, what it does

 protected:
  void changeEvent(QEvent* e) override;

 private:
  void rebuild();
  LessonTarget* m_target;
  QTextBrowser* m_text;
};
