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
};
