// TaskGeneratorDialog: Insert → phone book / noise padding / selective copying / repeated random
// text. Asks for the generator's parameters (core/task_generator.h) and makes the bytes, in the
// formats the task models were trained on.
#pragma once

#include <QDialog>

#include "task_generator.h"

class QDoubleSpinBox;
class QLabel;
class QSpinBox;

class TaskGeneratorDialog : public QDialog {
  Q_OBJECT
 public:
  // `content`: the text noise padding pads (the current input, typically).
  TaskGeneratorDialog(ss::TaskKind kind, const QByteArray& content, QWidget* parent = nullptr);
  ss::TaskSpec spec() const;
  static QString title(ss::TaskKind kind);
  static QString description(ss::TaskKind kind);

 private:
  void updatePreview();
  ss::TaskKind m_kind;
  QByteArray m_content;
  QSpinBox* m_pairs = nullptr;
  QDoubleSpinBox* m_p = nullptr;
  QSpinBox* m_maxRun = nullptr;
  QSpinBox* m_tokens = nullptr;
  QSpinBox* m_length = nullptr;
  QSpinBox* m_examples;
  QSpinBox* m_seed;
  QLabel* m_preview;
};
