#include "FigureExport.h"

#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QPainter>
#include <QPdfWriter>
#include <QSvgGenerator>
#include <QTextStream>
#include <QWidget>

#include "npy.h"

namespace FigureExport {

QStringList figureFormats() { return {"png", "svg", "pdf"}; }

QString exportWidget(QWidget* w, const QString& path, const QString& formatIn, int dpi) {
  const QString format = (formatIn.isEmpty() ? QFileInfo(path).suffix() : formatIn).toLower();
  const QSize size = w->size();
  if (size.isEmpty()) return QObject::tr("the widget has no size");
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
    return img.save(path, "PNG") ? QString() : QObject::tr("cannot write %1").arg(path);
  }
  if (format == "svg") {
    QSvgGenerator gen;
    gen.setFileName(path);
    gen.setSize(size);
    gen.setViewBox(QRect(QPoint(), size));
    gen.setResolution(96);
    gen.setTitle(w->windowTitle().isEmpty() ? w->objectName() : w->windowTitle());
    gen.setDescription(QObject::tr("StateScope figure"));
    QPainter p;
    if (!p.begin(&gen)) return QObject::tr("cannot write %1").arg(path);
    p.fillRect(QRect(QPoint(), size), w->palette().color(QPalette::Window));
    w->render(&p, QPoint(), QRegion(), QWidget::DrawChildren);
    p.end();
    return QFileInfo(path).size() > 0 ? QString() : QObject::tr("cannot write %1").arg(path);
  }
  if (format == "pdf") {
    QPdfWriter pdf(path);
    pdf.setResolution(96);
    pdf.setPageSize(QPageSize(QSizeF(size.width(), size.height()) * (25.4 / 96.0), QPageSize::Millimeter));
    pdf.setPageMargins(QMarginsF(0, 0, 0, 0));
    pdf.setTitle(w->windowTitle().isEmpty() ? w->objectName() : w->windowTitle());
    pdf.setCreator("StateScope");
    QPainter p;
    if (!p.begin(&pdf)) return QObject::tr("cannot write %1").arg(path);
    const QRect page = pdf.pageLayout().paintRectPixels(pdf.resolution());
    const qreal s = std::min(page.width() / qreal(size.width()), page.height() / qreal(size.height()));
    p.scale(s, s);
    p.fillRect(QRect(QPoint(), size), w->palette().color(QPalette::Window));
    w->render(&p, QPoint(), QRegion(), QWidget::DrawChildren);
    p.end();
    return QString();
  }
  return QObject::tr("unknown figure format '%1' (png, svg or pdf)").arg(format);
}

QString exportData(const PanelData& d, const QString& path) {
  const QString suffix = QFileInfo(path).suffix().toLower();
  if (suffix == "npy") {
    try {
      ss::write_npy(path.toStdString(), {d.rows, d.cols}, std::vector<float>(d.values.begin(), d.values.end()));
    } catch (const std::exception& e) {
      return QString::fromStdString(e.what());
    }
    return QString();
  }
  if (suffix != "csv") return QObject::tr("unknown data format '%1' (csv or npy)").arg(suffix);
  QFile f(path);
  if (!f.open(QIODevice::WriteOnly | QIODevice::Text)) return QObject::tr("cannot write %1").arg(path);
  QTextStream out(&f);
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
  return QString();
}

}  // namespace FigureExport
