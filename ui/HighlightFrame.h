// HighlightFrame: a thick frame drawn over a region of a view (a lesson step's "highlight"), given
// in fractions of the view so it follows the view's size. Mouse events pass through it.
#pragma once

#include <QPointer>
#include <QRectF>
#include <QWidget>

class HighlightFrame : public QWidget {
  Q_OBJECT
 public:
  explicit HighlightFrame(QWidget* parent = nullptr);
  // Shows the frame over `view` at `region` (x, y, w, h in [0, 1]); nullptr hides it.
  void showOver(QWidget* view, const QRectF& region);
  QWidget* view() const { return m_view; }
  QRectF region() const { return m_region; }

 protected:
  bool eventFilter(QObject* o, QEvent* e) override;
  void paintEvent(QPaintEvent*) override;

 private:
  void place();
  QPointer<QWidget> m_view;
  QRectF m_region;
};
