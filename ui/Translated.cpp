#include "Translated.h"

#include <QAbstractAxis>
#include <QAbstractButton>
#include <QAbstractSeries>
#include <QAction>
#include <QBarSet>
#include <QChart>
#include <QLabel>
#include <QMenu>
#include <QPlainTextEdit>

#include "UiLanguage.h"

namespace {

// Lives as a child of the object it translates, so it goes when the object goes.
class Binding : public QObject {
 public:
  Binding(QObject* o, bool tip, std::function<QString()> f) : QObject(o), m_tip(tip), m_f(std::move(f)) {
    apply();
    connect(UiLanguage::instance(), &UiLanguage::changed, this, &Binding::apply);
  }

 private:
  void apply() {
    QObject* o = parent();
    const QString s = m_f();
    if (m_tip) {
      if (auto* a = qobject_cast<QAction*>(o)) a->setToolTip(s);
      else if (auto* w = qobject_cast<QWidget*>(o)) w->setToolTip(s);
      return;
    }
    if (auto* a = qobject_cast<QAction*>(o)) a->setText(s);
    else if (auto* m = qobject_cast<QMenu*>(o)) m->setTitle(s);
    else if (auto* b = qobject_cast<QAbstractButton*>(o)) b->setText(s);
    else if (auto* l = qobject_cast<QLabel*>(o)) l->setText(s);
    else if (auto* e = qobject_cast<QPlainTextEdit*>(o)) e->setPlaceholderText(s);
    else if (auto* ax = qobject_cast<QAbstractAxis*>(o)) ax->setTitleText(s);
    else if (auto* c = qobject_cast<QChart*>(o)) c->setTitle(s);
    else if (auto* bs = qobject_cast<QBarSet*>(o)) bs->setLabel(s);
    else if (auto* se = qobject_cast<QAbstractSeries*>(o)) se->setName(s);
    else if (auto* w = qobject_cast<QWidget*>(o)) w->setWindowTitle(s);  // docks, tool bars, windows
  }
  bool m_tip;
  std::function<QString()> m_f;
};

}  // namespace

namespace Translated {
void text(QObject* o, std::function<QString()> f) { new Binding(o, false, std::move(f)); }
void toolTip(QObject* o, std::function<QString()> f) { new Binding(o, true, std::move(f)); }
}  // namespace Translated
