// TokenStrip: the input as a strip of byte cells that wraps like text. Each cell shows its byte in hex
// (bottom line) under the character it belongs to (top line): printable ASCII as itself, space, tab and
// newline as visible marks, a multi-byte UTF-8 character once, centred over its 2-4 byte cells (状 is
// e7 8a b6), bytes that are not valid UTF-8 as their hex. Cells can be coloured by a value per byte
// (Δ, surprisal). Click or arrow keys select a token; shift-click or shift-arrows select a window.
// Only the visible rows are painted, so a 1 MB text scrolls as fast as a short one.
// For a model with a tokenizer (setTokens), the cells are grouped by its tokens instead: each token's
// text over its bytes (a character split between tokens shown as its bytes, <e2>, never "�") and its id
// on the bottom line; values and the selection then belong to tokens.
#pragma once

#include <QAbstractScrollArea>
#include <QByteArray>
#include <QVector>
#include <memory>
#include <vector>

#include "Colormap.h"
#include "token_spans.h"

class TokenStrip : public QAbstractScrollArea {
  Q_OBJECT
 public:
  explicit TokenStrip(QWidget* parent = nullptr);

  void setBytes(const QByteArray& bytes);
  // Group the cells by a tokenizer model's tokens of these bytes (null, or spans of another text: by
  // UTF-8 characters, one token per byte). setCellValues then takes one value per token.
  void setTokens(std::shared_ptr<const ss::TokenSpans> spans);
  bool showsTokens() const { return !m_tokenOfByte.isEmpty(); }
  void setSelection(qint64 token, qint64 windowStart, qint64 windowEnd);  // window [start, end)
  // One value per token (shared with the frame that carries it: a 1 MB text's series is not copied).
  void setCellValues(std::shared_ptr<const std::vector<float>> values, const ColorNormalizer& norm, const QString& legend);
  void clearCellValues();
  void setComputed(qint64 n);  // cells from n on are drawn as pending

  qint64 token() const { return m_token; }
  QRect cellRect(qint64 i) const;  // in viewport coordinates (for tests and tooltips)
  qint64 groupStart(qint64 i) const { return i - m_groupOffset.value(i); }
  int groupLength(qint64 i) const;
  QString glyph(qint64 i) const;   // what the top line shows for the group of byte i
  qint64 tokenOfByte(qint64 i) const { return showsTokens() ? m_tokenOfByte.value(i, -1) : i; }

  QSize sizeHint() const override { return {420, 170}; }
  QSize minimumSizeHint() const override { return {160, 60}; }

 signals:
  void tokenClicked(qint64 token, bool extend);

 protected:
  void paintEvent(QPaintEvent*) override;
  void resizeEvent(QResizeEvent*) override;
  void mousePressEvent(QMouseEvent*) override;
  void keyPressEvent(QKeyEvent*) override;
  bool viewportEvent(QEvent*) override;

 public:
  void ensureVisible(qint64 i);  // scrolls so that byte i's cell shows (selects nothing)

 private:
  void regroup(qint64 from = 0);   // groups bytes from `from` on (> 0: by characters, the earlier ones kept)
  void relayout(qint64 from = 0);  // lays out rows from the row holding byte `from` on
  int m_rowPerRow = 0;             // the cells per row m_rowStart was laid out with
  // Tokens group the cells only when the spans are of this text (they cover its n bytes exactly).
  bool spansCover(qint64 n) const;
  float valueAt(qint64 i) const;  // the cell value of byte i's token (NaN when none)
  qint64 byteAt(QPoint viewportPos) const;
  int cellWidth() const;
  int rowHeight() const;

  QByteArray m_bytes;
  QVector<qint32> m_groupOffset;  // per byte: index inside its group (UTF-8 character or token; 0 for the first byte)
  QVector<qint32> m_groupLength;  // per byte: length of its group in bytes
  std::shared_ptr<const ss::TokenSpans> m_spans;  // the tokenizer's tokens (null: bytes)
  QVector<qint64> m_tokenOfByte;  // per byte: its token when grouped by tokens (empty otherwise)
  QVector<qint64> m_rowStart;     // first byte of each row
  std::shared_ptr<const std::vector<float>> m_values;
  ColorNormalizer m_norm;
  QString m_legend;
  qint64 m_token = -1, m_w0 = 0, m_w1 = 0, m_computed = -1;
};
