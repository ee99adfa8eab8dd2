#include "InputEditor.h"

#include <QFile>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QPushButton>
#include <QRegularExpression>
#include <QStringDecoder>
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

void InputEditor::setBytes(const QByteArray& b) {
  m_bytes = b;
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
}

void InputEditor::onTextChanged() {
  if (m_updating) return;
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
