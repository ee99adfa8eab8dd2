#include "TokenStrip.h"

#include <QHelpEvent>
#include <QKeyEvent>
#include <QPainter>
#include <QScrollBar>
#include <QToolTip>
#include <cmath>

namespace {

// Length of the UTF-8 sequence starting at b[i], or 0 if none starts there.
int utf8Length(const QByteArray& b, qint64 i) {
  const auto c = quint8(b[i]);
  int n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
  if (n <= 1) return n;
  if (i + n > b.size()) return 0;
  for (int k = 1; k < n; ++k)
    if ((quint8(b[i + k]) & 0xC0) != 0x80) return 0;
  return n;
}

bool isDark(QRgb c) { return 0.299 * qRed(c) + 0.587 * qGreen(c) + 0.114 * qBlue(c) < 140; }

}  // namespace

TokenStrip::TokenStrip(QWidget* parent) : QAbstractScrollArea(parent) {
  setFocusPolicy(Qt::StrongFocus);
  setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  setVerticalScrollBarPolicy(Qt::ScrollBarAsNeeded);
  setToolTip(tr("Every byte of the input is one token. Top: the character it belongs to; bottom: the byte in hex. "
                "A character of several UTF-8 bytes (é, 状, emoji) spans its 2-4 cells. Click or use the arrow keys to "
                "select a token; shift-click or shift-arrows to select a window."));
}

int TokenStrip::cellWidth() const { return QFontMetrics(font()).horizontalAdvance("WW") + 10; }
int TokenStrip::rowHeight() const { return int(QFontMetrics(font()).height() * 2.6) + 8; }

void TokenStrip::setBytes(const QByteArray& bytes) {
  const qint64 old = m_bytes.size(), n = bytes.size();
  // Typing or stepping at the end of a text grouped by characters: only the characters from the old
  // end on are grouped and laid out again (a 1 MB text is not walked per keystroke). A UTF-8 sequence
  // is at most 4 bytes, so no group starting before old - 3 can change.
  const bool appended = old > 0 && n > old && !showsTokens() && !spansCover(n) && m_groupOffset.size() == old && bytes.startsWith(m_bytes);
  m_bytes = bytes;
  const qint64 from = appended ? groupStart(std::max<qint64>(0, old - 3)) : 0;
  regroup(from);
  if (m_values && qint64(m_values->size()) != (showsTokens() ? qint64(m_spans->ids.size()) : m_bytes.size())) m_values.reset();
  relayout(from);
}

void TokenStrip::setTokens(std::shared_ptr<const ss::TokenSpans> spans) {
  if (spans == m_spans) return;
  m_spans = std::move(spans);
  m_values.reset();
  regroup();
  relayout();
}

void TokenStrip::regroup(qint64 from) {
  const qint64 n = m_bytes.size();
  if (m_groupOffset.capacity() < n) {  // room to type into: appends then never copy the arrays (4 bytes a byte each)
    m_groupOffset.reserve(n + n / 4 + 64);
    m_groupLength.reserve(n + n / 4 + 64);
  }
  if (from > 0) {  // by characters, bytes before `from` grouped already
    m_groupOffset.resize(n);
    m_groupLength.resize(n);
  } else {
    m_groupOffset.fill(0, n);
    m_groupLength.fill(1, n);
    m_tokenOfByte.clear();
    if (spansCover(n)) {
      m_tokenOfByte.fill(-1, n);
      for (size_t t = 0; t < m_spans->ids.size(); ++t) {
        const qint64 b = m_spans->begin[t], e = std::min<qint64>(m_spans->end[t], n);
        for (qint64 i = b; i < e; ++i) {
          m_groupOffset[i] = qint32(i - b);
          m_groupLength[i] = qint32(e - b);
          m_tokenOfByte[i] = qint64(t);
        }
      }
      return;
    }
  }
  for (qint64 i = from; i < n;) {
    const int len = std::max(1, utf8Length(m_bytes, i));
    for (int k = 0; k < len; ++k) {
      m_groupOffset[i + k] = k;
      m_groupLength[i + k] = len;
    }
    i += len;
  }
}

bool TokenStrip::spansCover(qint64 n) const { return m_spans && !m_spans->end.empty() && m_spans->end.back() == n && n > 0; }

float TokenStrip::valueAt(qint64 i) const {
  const qint64 t = tokenOfByte(i);
  return m_values && t >= 0 && t < qint64(m_values->size()) ? (*m_values)[size_t(t)] : NAN;
}

int TokenStrip::groupLength(qint64 i) const { return m_groupLength.value(i, 1); }

QString TokenStrip::glyph(qint64 i) const {
  if (showsTokens()) {
    const qint64 t = tokenOfByte(i);
    return t >= 0 ? QString::fromStdString(m_spans->labels[size_t(t)]) : QString();
  }
  const qint64 s = groupStart(i);
  const int len = groupLength(i);
  const auto c = quint8(m_bytes[s]);
  if (len > 1) return QString::fromUtf8(m_bytes.constData() + s, len);
  if (c == ' ') return QStringLiteral("␣");
  if (c == '\n') return QStringLiteral("↵");
  if (c == '\t') return QStringLiteral("⇥");
  if (c == '\r') return QStringLiteral("␍");
  if (c >= 0x21 && c < 0x7F) return QString(QChar(c));
  // Another control byte (the junk of noise padding, 0x01-0x08 and 0x0E-0x1F, among them): a visible
  // mark, not a blank cell; the hex line says which. (DejaVu Sans has ⌧; it has no Control Pictures.)
  if (c < 0x20 || c == 0x7F) return QStringLiteral("⌧");
  return QString();  // a byte of no valid UTF-8 character: the hex line says it all
}

void TokenStrip::relayout(qint64 from) {
  // Rows ending at or before `from` (a group start) stay as they are; the rest are laid out again.
  qint64 i = 0;
  if (from > 0 && !m_rowStart.isEmpty() && m_rowPerRow == std::max(4, viewport()->width() / cellWidth())) {
    const qsizetype r = std::upper_bound(m_rowStart.begin(), m_rowStart.end(), from) - m_rowStart.begin() - 1;
    i = m_rowStart[r];
    m_rowStart.resize(r);
  } else {
    m_rowStart.clear();
  }
  const int perRow = std::max(4, viewport()->width() / cellWidth());
  m_rowPerRow = perRow;
  const qint64 n = m_bytes.size();
  while (i < n) {
    m_rowStart.push_back(i);
    qint64 end = std::min(n, i + perRow);
    if (end < n && m_groupOffset[end] != 0) end -= m_groupOffset[end];  // keep a character on one row
    if (end <= i) end = i + 1;
    i = end;
  }
  QScrollBar* sb = verticalScrollBar();
  sb->setRange(0, std::max(0, int(m_rowStart.size()) * rowHeight() - viewport()->height()));
  sb->setPageStep(viewport()->height());
  sb->setSingleStep(rowHeight());
  viewport()->update();
}

void TokenStrip::resizeEvent(QResizeEvent*) { relayout(0); }

QRect TokenStrip::cellRect(qint64 i) const {
  if (i < 0 || i >= m_bytes.size() || m_rowStart.isEmpty()) return {};
  const int r = int(std::upper_bound(m_rowStart.begin(), m_rowStart.end(), i) - m_rowStart.begin()) - 1;
  return QRect(4 + int(i - m_rowStart[r]) * cellWidth(), r * rowHeight() - verticalScrollBar()->value() + 4, cellWidth(),
               rowHeight() - 6);
}

qint64 TokenStrip::byteAt(QPoint pos) const {
  if (m_rowStart.isEmpty()) return -1;
  const int r = (pos.y() + verticalScrollBar()->value() - 4) / rowHeight();
  if (r < 0 || r >= m_rowStart.size()) return -1;
  const qint64 end = r + 1 < m_rowStart.size() ? m_rowStart[r + 1] : m_bytes.size();
  const qint64 i = m_rowStart[r] + (pos.x() - 4) / cellWidth();
  return i >= m_rowStart[r] && i < end ? i : -1;
}

void TokenStrip::setSelection(qint64 token, qint64 w0, qint64 w1) {
  m_token = token;
  m_w0 = w0;
  m_w1 = w1;
  ensureVisible(token);
  viewport()->update();
}

void TokenStrip::setCellValues(std::shared_ptr<const std::vector<float>> values, const ColorNormalizer& norm, const QString& legend) {
  m_values = std::move(values);
  m_norm = norm;
  m_legend = legend;
  viewport()->update();
}

void TokenStrip::clearCellValues() {
  m_values.reset();
  viewport()->update();
}

void TokenStrip::setComputed(qint64 n) {
  m_computed = n;
  viewport()->update();
}

void TokenStrip::ensureVisible(qint64 i) {
  const QRect r = cellRect(i);
  if (r.isNull()) return;
  QScrollBar* sb = verticalScrollBar();
  if (r.top() < 0) sb->setValue(sb->value() + r.top() - 4);
  else if (r.bottom() > viewport()->height()) sb->setValue(sb->value() + r.bottom() - viewport()->height() + 4);
}

void TokenStrip::paintEvent(QPaintEvent*) {
  QPainter p(viewport());
  p.fillRect(viewport()->rect(), palette().color(QPalette::Base));
  if (m_rowStart.isEmpty()) {
    p.setPen(palette().color(QPalette::PlaceholderText));
    p.drawText(viewport()->rect(), Qt::AlignCenter, tr("type or open some text: every byte becomes a token"));
    return;
  }
  QFont big = font();
  big.setPointSizeF(font().pointSizeF() * 1.15);
  big.setBold(true);
  QFont small = font();
  small.setPointSizeF(std::max(8.0, font().pointSizeF() * 0.78));
  small.setFamily("monospace");
  const QColor text = palette().color(QPalette::Text), muted = palette().color(QPalette::PlaceholderText);
  const QColor hl = palette().color(QPalette::Highlight);
  QColor band = hl;
  band.setAlpha(30);
  const int rh = rowHeight(), cw = cellWidth();
  const int first = std::max(0, verticalScrollBar()->value() / rh);
  const int last = std::min(int(m_rowStart.size()) - 1, (verticalScrollBar()->value() + viewport()->height()) / rh);
  for (int r = first; r <= last; ++r) {
    const qint64 a = m_rowStart[r], b = r + 1 < m_rowStart.size() ? m_rowStart[r + 1] : m_bytes.size();
    for (qint64 i = a; i < b; ++i) {  // backgrounds first: a character's glyph spans several cells
      const QRect cell = cellRect(i).adjusted(1, 0, -1, 0);
      if (i >= m_w0 && i < m_w1) p.fillRect(cell.adjusted(-1, -3, 1, 3), band);
      if (const float v = valueAt(i); !std::isnan(v)) p.fillRect(cell.adjusted(2, 2, -2, -2), QColor::fromRgb(m_norm.color(v)));
    }
    for (qint64 i = a; i < b; ++i) {
      const QRect cell = cellRect(i).adjusted(1, 0, -1, 0);
      QColor fg = text;
      if (const float v = valueAt(i); !std::isnan(v)) fg = isDark(m_norm.color(v)) ? Qt::white : Qt::black;
      if (m_computed >= 0 && i >= m_computed) fg = muted;
      const QRect top(cell.left(), cell.top(), cell.width(), cell.height() * 58 / 100);
      const QRect bottom(cell.left(), top.bottom(), cell.width(), cell.height() - top.height());
      if (m_groupOffset[i] == 0) {  // the character (or token), centred over all its bytes
        const int len = int(std::min<qint64>(m_groupLength[i], b - i));
        const QRect room(top.left(), top.top(), cw * len - 2, top.height());
        QString g = glyph(i);
        p.setFont(big);
        if (QFontMetrics(big).horizontalAdvance(g) > room.width()) {  // a token's text wider than its bytes
          p.setFont(small);
          g = QFontMetrics(small).elidedText(g, Qt::ElideRight, room.width());
        }
        p.setPen(fg);
        if (!g.isEmpty()) p.drawText(room, Qt::AlignCenter, g);
        if (len > 1) {  // a bracket under the character joins its bytes
          p.setPen(QPen(muted, 1));
          p.drawLine(top.left() + 4, top.bottom() - 1, top.left() + cw * len - 6, top.bottom() - 1);
        }
      }
      p.setFont(small);
      p.setPen(fg == text ? muted : fg);
      if (!showsTokens()) {
        p.drawText(bottom, Qt::AlignHCenter | Qt::AlignTop, QString("%1").arg(quint8(m_bytes[i]), 2, 16, QChar('0')));
      } else if (m_groupOffset[i] == 0 && tokenOfByte(i) >= 0) {  // the token's id, under all its bytes
        const int len = int(std::min<qint64>(m_groupLength[i], b - i));
        p.drawText(QRect(bottom.left(), bottom.top(), cw * len - 2, bottom.height()), Qt::AlignHCenter | Qt::AlignTop,
                   QString::number(m_spans->ids[size_t(tokenOfByte(i))]));
      }
      // The selected token: one frame around its cells in this row.
      const bool selected = showsTokens() ? m_token >= 0 && m_token < m_bytes.size() && tokenOfByte(i) == tokenOfByte(m_token) : i == m_token;
      if (selected && (i == a || !showsTokens() || tokenOfByte(i - 1) != tokenOfByte(i))) {
        qint64 last = i;
        while (showsTokens() && last + 1 < b && tokenOfByte(last + 1) == tokenOfByte(i)) ++last;
        p.setPen(QPen(hl, 3));
        p.setBrush(Qt::NoBrush);
        p.drawRoundedRect(cell.adjusted(0, -2, int(last - i) * cw, 2), 4, 4);
      }
    }
  }
}

void TokenStrip::mousePressEvent(QMouseEvent* e) {
  setFocus();
  const qint64 i = byteAt(e->position().toPoint());
  if (i >= 0) emit tokenClicked(i, e->modifiers() & Qt::ShiftModifier);
}

void TokenStrip::keyPressEvent(QKeyEvent* e) {
  const qint64 n = m_bytes.size();
  if (n == 0) return QAbstractScrollArea::keyPressEvent(e);
  const qint64 perRow = m_rowStart.size() > 1 ? m_rowStart[1] - m_rowStart[0] : n;
  qint64 t = std::clamp<qint64>(m_token, 0, n - 1);
  switch (e->key()) {  // left / right: the previous / next token (a tokenizer's token spans several bytes)
    case Qt::Key_Left: t = showsTokens() ? groupStart(t) - 1 : t - 1; break;
    case Qt::Key_Right: t = showsTokens() ? groupStart(t) + groupLength(t) : t + 1; break;
    case Qt::Key_Up: t -= perRow; break;
    case Qt::Key_Down: t += perRow; break;
    case Qt::Key_Home: t = 0; break;
    case Qt::Key_End: t = n - 1; break;
    default: return QAbstractScrollArea::keyPressEvent(e);
  }
  emit tokenClicked(std::clamp<qint64>(t, 0, n - 1), e->modifiers() & Qt::ShiftModifier);
}

bool TokenStrip::viewportEvent(QEvent* e) {
  if (e->type() == QEvent::ToolTip) {
    auto* he = static_cast<QHelpEvent*>(e);
    const qint64 i = byteAt(he->pos());
    if (i >= 0) {
      QString s;
      if (showsTokens() && tokenOfByte(i) >= 0) {
        const qint64 t = tokenOfByte(i);
        s = tr("token %1: id %2, %3 (bytes %4..%5)").arg(t).arg(m_spans->ids[size_t(t)]).arg(glyph(i)).arg(groupStart(i)).arg(groupStart(i) + groupLength(i) - 1);
      } else {
        s = tr("token %1: byte 0x%2 (%3)").arg(i).arg(quint8(m_bytes[i]), 2, 16, QChar('0')).arg(quint8(m_bytes[i]));
        if (groupLength(i) > 1) s += tr("\nbyte %1 of %2 of the character %3").arg(m_groupOffset[i] + 1).arg(groupLength(i)).arg(glyph(i));
      }
      if (const float v = valueAt(i); !std::isnan(v)) s += QString("\n%1: %2").arg(m_legend).arg(v, 0, 'g', 4);
      QToolTip::showText(he->globalPos(), s, this);
      return true;
    }
  }
  return QAbstractScrollArea::viewportEvent(e);
}
