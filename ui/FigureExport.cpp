#include "FigureExport.h"

#include <QAbstractButton>
#include <QAbstractScrollArea>
#include <QAbstractSpinBox>
#include <QBuffer>
#include <QComboBox>
#include <QCoreApplication>
#include <QGraphicsView>
#include <QLayout>
#include <QFileInfo>
#include <QImage>
#include <QPainter>
#include <QPdfWriter>
#include <QSaveFile>
#include <QSvgGenerator>
#include <QTextStream>
#include <QWidget>

#include "npy.h"

namespace FigureExport {

QStringList figureFormats() { return {"png", "svg", "pdf"}; }

namespace {

bool isControl(QWidget* c) {
  return qobject_cast<QAbstractButton*>(c) || qobject_cast<QComboBox*>(c) || qobject_cast<QAbstractSpinBox*>(c) ||
         c->property("figureExclude").toBool();
}

void relayout(QWidget* w) {
  const QSize size = w->size();  // the figure's size: a dock's layout must not change it meanwhile
  for (int pass = 0; pass < 3; ++pass) {
    if (w->size() != size) w->resize(size);
    QCoreApplication::sendPostedEvents(nullptr, QEvent::LayoutRequest);
    for (QLayout* l : w->findChildren<QLayout*>()) l->activate();
    if (w->layout()) w->layout()->activate();
  }
  QCoreApplication::sendPostedEvents();  // chart views resize their charts
  if (w->size() != size) {
    w->resize(size);
    if (w->layout()) w->layout()->activate();
    QCoreApplication::sendPostedEvents();
  }
}

// Scroll areas whose content is drawn as an image in vector output: the outermost ones, not charts.
QList<QAbstractScrollArea*> scrolledAreas(QWidget* w) {
  QList<QAbstractScrollArea*> out;
  for (QAbstractScrollArea* a : w->findChildren<QAbstractScrollArea*>()) {
    if (qobject_cast<QGraphicsView*>(a) || !a->isVisibleTo(w) || !a->viewport()->isVisibleTo(w)) continue;
    bool nested = false;
    for (QWidget* p = a->parentWidget(); p && p != w; p = p->parentWidget())
      if (auto* outer = qobject_cast<QAbstractScrollArea*>(p); outer && !qobject_cast<QGraphicsView*>(outer)) nested = true;
    if (!nested) out << a;
  }
  return out;
}

}  // namespace

QList<QWidget*> hideControls(QWidget* w) {
  QList<QWidget*> hidden;
  if (!qobject_cast<Panel*>(w)) return hidden;  // a whole window is a screenshot: everything stays
  for (QWidget* c : w->findChildren<QWidget*>())
    if (c->isVisibleTo(w) && isControl(c)) hidden << c;
  for (QWidget* c : hidden) c->hide();
  relayout(w);
  return hidden;
}

void restoreControls(QWidget* w, const QList<QWidget*>& hidden) {
  for (QWidget* c : hidden) c->show();
  if (!hidden.isEmpty()) relayout(w);
}

QString exportWidget(QWidget* w, const QString& path, const QString& formatIn, int dpi) {
  const QList<QWidget*> hidden = hideControls(w);
  const QString err = exportFigure(w, path, formatIn, dpi);
  restoreControls(w, hidden);
  return err;
}

// Renders `w` into the vector device's painter with scrolled areas as clipped images.
static void renderVector(QWidget* w, QPainter& p) {
  struct Shot {
    QWidget* viewport;
    QRect where;
    QImage image;
  };
  QList<Shot> shots;
  for (QAbstractScrollArea* a : scrolledAreas(w)) {
    QWidget* vp = a->viewport();
    QImage img(vp->size() * 2, QImage::Format_ARGB32);  // twice the screen resolution
    img.setDevicePixelRatio(2);
    img.fill(vp->palette().color(vp->backgroundRole()));
    {
      QPainter ip(&img);
      vp->render(&ip, QPoint(), QRegion(), QWidget::DrawChildren);
    }
    shots.push_back({vp, QRect(vp->mapTo(w, QPoint(0, 0)), vp->size()), img});
  }
  for (const Shot& s : shots) s.viewport->hide();  // not drawn as vectors: it would spill past its viewport
  w->render(&p, QPoint(), QRegion(), QWidget::DrawChildren);
  for (const Shot& s : shots) {
    s.viewport->show();
    p.drawImage(s.where, s.image);
  }
}

// Figures and data are made in memory first (a few MB at most), then written by saveBytes.
QString saveBytes(const QByteArray& bytes, const QString& path) {
  QSaveFile f(path);
  if (!f.open(QIODevice::WriteOnly)) return QObject::tr("cannot write %1 (%2)").arg(path, f.errorString());
  if (f.write(bytes) != bytes.size()) {
    const QString why = f.errorString();
    f.cancelWriting();
    f.commit();  // removes the temporary
    return QObject::tr("cannot write %1 (%2); the file was left as it was").arg(path, why);
  }
  return f.commit() ? QString() : QObject::tr("cannot write %1 (%2); the file was left as it was").arg(path, f.errorString());
}

QString exportFigure(QWidget* w, const QString& path, const QString& formatIn, int dpi) {
  const QString format = (formatIn.isEmpty() ? QFileInfo(path).suffix() : formatIn).toLower();
  const QSize size = w->size();
  if (size.isEmpty()) return QObject::tr("the widget has no size");
  QByteArray bytes;
  QBuffer buffer(&bytes);
  buffer.open(QIODevice::WriteOnly);
  if (format == "png") {
    const qreal scale = std::clamp(dpi, 24, 1200) / 96.0;
    QImage img(size * scale, QImage::Format_ARGB32);
    img.setDevicePixelRatio(scale);
    img.setDotsPerMeterX(int(dpi / 0.0254));
    img.setDotsPerMeterY(int(dpi / 0.0254));
    img.fill(w->palette().color(QPalette::Window));
    {
      QPainter p(&img);
      w->render(&p, QPoint(), QRegion(), QWidget::DrawChildren);
    }
    if (!img.save(&buffer, "PNG")) return QObject::tr("cannot encode %1 as PNG").arg(path);
    return saveBytes(bytes, path);
  }
  if (format == "svg") {
    QSvgGenerator gen;
    gen.setOutputDevice(&buffer);
    gen.setSize(size);
    gen.setViewBox(QRect(QPoint(), size));
    gen.setResolution(96);
    gen.setTitle(w->windowTitle().isEmpty() ? w->objectName() : w->windowTitle());
    gen.setDescription(QObject::tr("StateScope figure"));
    QPainter p;
    if (!p.begin(&gen)) return QObject::tr("cannot draw %1 as SVG").arg(path);
    p.fillRect(QRect(QPoint(), size), w->palette().color(QPalette::Window));
    renderVector(w, p);
    p.end();
    if (bytes.isEmpty()) return QObject::tr("cannot draw %1 as SVG").arg(path);
    return saveBytes(bytes, path);
  }
  if (format == "pdf") {
    {
      QPdfWriter pdf(&buffer);
      pdf.setResolution(96);
      pdf.setPageSize(QPageSize(QSizeF(size.width(), size.height()) * (25.4 / 96.0), QPageSize::Millimeter));
      pdf.setPageMargins(QMarginsF(0, 0, 0, 0));
      pdf.setTitle(w->windowTitle().isEmpty() ? w->objectName() : w->windowTitle());
      pdf.setCreator("StateScope");
      QPainter p;
      if (!p.begin(&pdf)) return QObject::tr("cannot draw %1 as PDF").arg(path);
      const QRect page = pdf.pageLayout().paintRectPixels(pdf.resolution());
      const qreal s = std::min(page.width() / qreal(size.width()), page.height() / qreal(size.height()));
      p.scale(s, s);
      p.fillRect(QRect(QPoint(), size), w->palette().color(QPalette::Window));
      renderVector(w, p);
      p.end();
    }
    return saveBytes(bytes, path);
  }
  return QObject::tr("unknown figure format '%1' (png, svg or pdf)").arg(format);
}

QString exportData(const PanelData& d, const QString& path) {
  const QString suffix = QFileInfo(path).suffix().toLower();
  if (suffix == "npy") {
    try {
      ss::write_npy(path.toStdString(), {d.rows, d.cols}, std::vector<float>(d.values.begin(), d.values.end()));  // atomic (core/atomic_file)
    } catch (const std::exception& e) {
      return QString::fromStdString(e.what());
    }
    return QString();
  }
  if (suffix != "csv") return QObject::tr("unknown data format '%1' (csv or npy)").arg(suffix);
  QString text;
  QTextStream out(&text);
  auto quote = [](QString s) { return s.contains(',') || s.contains('"') ? "\"" + s.replace("\"", "\"\"") + "\"" : s; };
  out << "# " << d.name << (d.units.isEmpty() ? "" : " [" + d.units + "]") << "; rows: " << d.rowAxis << "; columns: " << d.colAxis << "\n";
  out << quote(d.rowAxis);
  for (qint64 c = 0; c < d.cols; ++c) out << "," << quote(c < d.colLabels.size() ? d.colLabels[c] : QString::number(c));
  out << "\n";
  for (qint64 r = 0; r < d.rows; ++r) {
    out << quote(r < d.rowLabels.size() ? d.rowLabels[r] : QString::number(r));
    for (qint64 c = 0; c < d.cols; ++c) out << "," << QString::number(d.at(r, c), 'g', 8);
    out << "\n";
  }
  out.flush();
  return saveBytes(text.toUtf8(), path);
}

}  // namespace FigureExport
