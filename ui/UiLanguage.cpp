#include "UiLanguage.h"

#include <QCoreApplication>
#include <QLibraryInfo>
#include <QSettings>
#include <QTranslator>

UiLanguage::UiLanguage(QObject* parent) : QObject(parent) {}

UiLanguage* UiLanguage::instance() {
  static UiLanguage* self = new UiLanguage(QCoreApplication::instance());
  return self;
}

QString UiLanguage::displayName(const QString& code) { return code == "zh" ? QString::fromUtf8("中文（简体）") : QString("English"); }

bool UiLanguage::apply(const QString& code, bool remember) {
  if (!available().contains(code)) return false;
  if (code != m_current) {
    auto* app = new QTranslator(this);
    auto* qt = new QTranslator(this);
    if (code != "en") {
      if (!app->load(QString(":/i18n/statescope_%1.qm").arg(code == "zh" ? "zh_CN" : code))) {
        delete app;
        delete qt;
        return false;
      }
      // Qt's own words (OK, Cancel, file dialogs) from the system's Qt translations, when installed.
      if (!qt->load("qtbase_zh_CN", QLibraryInfo::path(QLibraryInfo::TranslationsPath))) {
        delete qt;
        qt = nullptr;
      }
    }
    for (QTranslator* old : {m_app, m_qt})
      if (old) {
        QCoreApplication::removeTranslator(old);
        old->deleteLater();
      }
    m_app = m_qt = nullptr;
    if (code != "en") {
      m_app = app;
      m_qt = qt;
      QCoreApplication::installTranslator(m_app);
      if (m_qt) QCoreApplication::installTranslator(m_qt);
    } else {
      delete app;
      delete qt;
    }
    m_current = code;
    emit changed(code);
  }
  if (remember) QSettings().setValue("language", code);
  return true;
}

void UiLanguage::applyRemembered() { apply(QSettings().value("language", "en").toString(), false); }
