// UiLanguage: the language of the explorer's own words (menus, dialogs, help), English or
// Simplified Chinese, through Qt Linguist (ui/translations/statescope_zh_CN.ts, compiled into the
// binary by CMake). Switchable at runtime (View → Language); the choice is remembered in QSettings
// and applied at the next start. Switching sends QEvent::LanguageChange to every widget.
// The lesson cards have their own language (View → Lesson language), since a teacher may keep the
// UI in one language and present in another.
#pragma once

#include <QObject>
#include <QString>
#include <QStringList>

class QTranslator;

class UiLanguage : public QObject {
  Q_OBJECT
 public:
  static UiLanguage* instance();
  static QStringList available() { return {"en", "zh"}; }
  static QString displayName(const QString& code);  // "English", "中文（简体）"

  QString current() const { return m_current; }
  // Installs the translators for `code` ("en" removes them). Returns false when the translation
  // file is missing (the language then stays as it was). `remember`: store it for the next start.
  bool apply(const QString& code, bool remember = true);
  void applyRemembered();  // at start: the language stored last time (English by default)

 signals:
  void changed(const QString& code);

 private:
  explicit UiLanguage(QObject* parent = nullptr);
  QString m_current = "en";
  QTranslator* m_app = nullptr;
  QTranslator* m_qt = nullptr;
};
