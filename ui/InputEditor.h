// InputEditor: where the user gives the byte sequence — as UTF-8 text, or as hex bytes
// ("4d 61 6d 62 61"), or from any file. Emits the bytes on every edit.
#pragma once

#include <QByteArray>
#include <QLabel>
#include <QPlainTextEdit>
#include <QRadioButton>
#include <QWidget>

class InputEditor : public QWidget {
  Q_OBJECT
 public:
  explicit InputEditor(QWidget* parent = nullptr);
  void setBytes(const QByteArray& bytes);  // shows them (hex mode if they are not valid UTF-8)
  QByteArray bytes() const { return m_bytes; }
  bool hexMode() const { return m_hex->isChecked(); }
  void setHexMode(bool hex);
  QPlainTextEdit* editor() const { return m_edit; }
  void openFile(const QString& path);

  static QString toHex(const QByteArray& b);
  static bool parseHex(const QString& text, QByteArray* out, QString* error);

 signals:
  void bytesEdited(const QByteArray& bytes);

 private:
  void onTextChanged();
  void showBytes();
  QPlainTextEdit* m_edit;
  QRadioButton* m_text;
  QRadioButton* m_hex;
  QLabel* m_status;
  QByteArray m_bytes;
  bool m_updating = false;
  // The document's edits since the last textChanged (QTextDocument::contentsChange): one insertion at
  // the end in text mode is read as its own bytes, not as the whole text again (a keystroke in a 1 MB
  // text would otherwise convert the whole document).
  struct Change {
    int count = 0, position = 0, removed = 0, added = 0;
  } m_change;
  QByteArray typedAtEnd() const;  // the inserted text's UTF-8 when m_change is one insertion at the end, else null
};
