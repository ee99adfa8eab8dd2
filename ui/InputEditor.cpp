#include "InputEditor.h"

#include <QFile>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QPushButton>
#include <QRegularExpression>
#include <QStringDecoder>
#include <QTextCursor>
#include <QTextDocument>
#include <QVBoxLayout>

#include "Translated.h"
#include "error.h"
#include "regular_file.h"

InputEditor::InputEditor(QWidget* parent) : QWidget(parent) {
  m_edit = new QPlainTextEdit(this);
  Translated::text(m_edit, [] { return tr("Type here: every byte you type is a token the models read"); });
  m_edit->setMinimumHeight(QFontMetrics(font()).height() * 3);
  m_text = new QRadioButton(this);
  Translated::text(m_text, [] { return tr("Text (UTF-8)"); });
  m_hex = new QRadioButton(this);
  Translated::text(m_hex, [] { return tr("Hex bytes"); });
  m_text->setChecked(true);
  auto* open = new QPushButton(this);
  Translated::text(open, [] { return tr("Open file…"); });
  m_status = new QLabel(this);
  Translated::text(m_status, [this] { return tr("%1 bytes").arg(m_bytes.size()); });
  auto* bar = new QHBoxLayout;
  bar->addWidget(m_text);
  bar->addWidget(m_hex);
  bar->addWidget(open);
  bar->addWidget(m_status, 1);
  auto* v = new QVBoxLayout(this);
  v->setContentsMargins(0, 0, 0, 0);
  v->addLayout(bar);
  v->addWidget(m_edit, 1);
  connect(m_edit->document(), &QTextDocument::contentsChange, this, [this](int position, int removed, int added) {
    m_change = {m_change.count + 1, position, removed, added};
  });
  connect(m_edit, &QPlainTextEdit::textChanged, this, &InputEditor::onTextChanged);
  connect(m_hex, &QRadioButton::toggled, this, [this] { showBytes(); });
  connect(open, &QPushButton::clicked, this, [this] {
    const QString path = QFileDialog::getOpenFileName(this, tr("Open any file as bytes"));
    if (!path.isEmpty()) openFile(path);
  });
}

QString InputEditor::toHex(const QByteArray& b) {
  QString s;
  s.reserve(b.size() * 3);
  for (qsizetype i = 0; i < b.size(); ++i) s += QString("%1%2").arg(quint8(b[i]), 2, 16, QChar('0')).arg(i + 1 < b.size() ? " " : "");
  return s;
}

bool InputEditor::parseHex(const QString& text, QByteArray* out, QString* error) {
  out->clear();
  const QStringList parts = text.split(QRegularExpression("\\s+"), Qt::SkipEmptyParts);
  for (const QString& p : parts) {
    for (qsizetype i = 0; i < p.size(); i += 2) {  // "4d61" and "4d 61" both work
      bool ok = false;
      const int v = p.mid(i, 2).toInt(&ok, 16);
      if (!ok || p.mid(i, 2).size() != 2) {
        if (error) *error = tr("'%1' is not a hex byte").arg(p.mid(i, 2));
        return false;
      }
      out->append(char(v));
    }
  }
  return true;
}

void InputEditor::setHexMode(bool hex) { (hex ? m_hex : m_text)->setChecked(true); }

namespace {

// Bytes at the end of b that begin a UTF-8 sequence not complete yet (0-3): QString::fromUtf8 shows
// them as one U+FFFD, which the next bytes may still complete.
int incompleteTail(const QByteArray& b) {
  for (int k = 1; k <= 3 && k <= b.size(); ++k) {
    const auto c = quint8(b[b.size() - k]);
    if ((c & 0xC0) == 0x80) continue;  // a continuation byte: look further back
    const int len = c >= 0xF0 && c < 0xF8 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    return len > k ? k : 0;
  }
  return 0;
}

}  // namespace

void InputEditor::setBytes(const QByteArray& b) {
  const QByteArray old = m_bytes;
  m_bytes = b;
  // Stepping or a lesson appending at the end, in text mode: the new bytes go in at the end of the
  // document instead of a new document (O(new bytes), not O(text)), when what is shown now is the
  // old bytes' text and the appended part decodes on its own. From the old bytes' incomplete tail
  // on (shown as one U+FFFD), the text is decoded again.
  if (!m_hex->isChecked() && !old.isEmpty() && b.size() > old.size() && b.startsWith(old)) {
    const int tail = incompleteTail(old);
    const QByteArrayView from = QByteArrayView(b).sliced(old.size() - tail);
    QStringDecoder check(QStringDecoder::Utf8);
    (void)QString(check(from));  // an invalid byte: the whole text again (it switches to hex)
    const int shownTail = int(QString::fromUtf8(QByteArrayView(old).sliced(old.size() - tail)).size());
    const QTextDocument* doc = m_edit->document();
    if (!check.hasError() && doc->characterCount() - 1 >= shownTail) {
      m_updating = true;
      const int end = doc->characterCount() - 1;  // positions count UTF-16 units
      QTextCursor c(m_edit->document());
      c.setPosition(end - shownTail);
      c.setPosition(end, QTextCursor::KeepAnchor);
      c.insertText(QString::fromUtf8(from));
      m_edit->moveCursor(QTextCursor::End);
      m_status->setText(tr("%1 bytes").arg(m_bytes.size()));
      m_updating = false;
      m_change = {};
      return;
    }
  }
  QStringDecoder dec(QStringDecoder::Utf8);
  (void)QString(dec(b));
  if (dec.hasError() && !m_hex->isChecked()) {
    const QSignalBlocker blk(m_hex);
    m_hex->setChecked(true);
  }
  showBytes();
}

void InputEditor::showBytes() {
  m_updating = true;
  const QString s = m_hex->isChecked() ? toHex(m_bytes) : QString::fromUtf8(m_bytes);
  if (m_edit->toPlainText() != s) {
    m_edit->setPlainText(s);
    m_edit->moveCursor(QTextCursor::End);
  }
  m_status->setText(tr("%1 bytes").arg(m_bytes.size()));
  m_updating = false;
  m_change = {};
}

QByteArray InputEditor::typedAtEnd() const {
  const QTextDocument* doc = m_edit->document();
  const Change c = m_change;
  if (m_hex->isChecked() || c.count != 1 || c.removed != 0 || c.added <= 0 || c.position + c.added != doc->characterCount() - 1 ||
      incompleteTail(m_bytes))
    return {};
  QTextCursor cur(const_cast<QTextDocument*>(doc));
  cur.setPosition(c.position);
  cur.setPosition(c.position + c.added, QTextCursor::KeepAnchor);
  QString s = cur.selectedText();
  for (QChar& ch : s) {  // as QTextDocument::toPlainText writes them
    const char16_t u = ch.unicode();
    if (u == QChar::ParagraphSeparator || u == QChar::LineSeparator || u == 0xfdd0 || u == 0xfdd1) ch = u'\n';
    else if (u == QChar::Nbsp) ch = u' ';
  }
  return s.toUtf8();
}

void InputEditor::onTextChanged() {
  if (m_updating) return;
  const QByteArray typed = typedAtEnd();
  m_change = {};
  if (!typed.isNull()) {  // typing at the end: the typed bytes only
    m_bytes += typed;
    m_status->setText(tr("%1 bytes").arg(m_bytes.size()));
    emit bytesEdited(m_bytes);
    return;
  }
  QByteArray b;
  if (m_hex->isChecked()) {
    QString err;
    if (!parseHex(m_edit->toPlainText(), &b, &err)) {
      m_status->setText("<span style='color:#d55e00'>" + err + "</span>");
      return;
    }
  } else {
    b = m_edit->toPlainText().toUtf8();
  }
  m_bytes = b;
  m_status->setText(tr("%1 bytes").arg(b.size()));
  emit bytesEdited(b);
}

void InputEditor::openFile(const QString& path) {
  // A regular file of at most 16 MiB: a FIFO, a device or a huge file is refused before reading
  // (the window would hang or run out of memory).
  QByteArray bytes;
  try {
    const std::string s = ss::RegularFile(path.toStdString()).read_all(ss::kMaxExplorerTextBytes);
    bytes = QByteArray(s.data(), qsizetype(s.size()));
  } catch (const ss::Error& e) {
    m_status->setText("<span style='color:#d55e00'>" + tr("cannot open: %1").arg(QString::fromStdString(e.what()).toHtmlEscaped()) + "</span>");
    return;
  }
  setBytes(bytes);
  emit bytesEdited(m_bytes);
}
