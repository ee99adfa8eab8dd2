#include "TaskGeneratorDialog.h"

#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLabel>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

TaskGeneratorDialog::TaskGeneratorDialog(ss::TaskKind kind, const QByteArray& content, QWidget* parent)
    : QDialog(parent), m_kind(kind), m_content(content.isEmpty() ? QByteArray("The state stays the same size while the cache grows.\n") : content) {
  setWindowTitle(title(kind));
  auto* form = new QFormLayout;
  auto spin = [this, form](const QString& label, int lo, int hi, int value, const QString& tip) {
    auto* s = new QSpinBox(this);
    s->setRange(lo, hi);
    s->setValue(value);
    s->setToolTip(tip);
    form->addRow(label, s);
    connect(s, &QSpinBox::valueChanged, this, &TaskGeneratorDialog::updatePreview);
    return s;
  };
  switch (kind) {
    case ss::TaskKind::Mqar:
      m_pairs = spin(tr("pairs per book"), 1, 52, 8, tr("key-value pairs in each book: a key is a letter (at most 52), a value a digit"));
      break;
    case ss::TaskKind::Noise:
      m_p = new QDoubleSpinBox(this);
      m_p->setRange(0.0, 1.0);
      m_p->setSingleStep(0.1);
      m_p->setValue(0.5);
      m_p->setToolTip(tr("chance of a run of junk bytes after each byte of the text"));
      form->addRow(tr("junk rate p"), m_p);
      connect(m_p, &QDoubleSpinBox::valueChanged, this, &TaskGeneratorDialog::updatePreview);
      m_maxRun = spin(tr("longest junk run"), 1, 64, 4, tr("a run is 1..this many junk bytes (control bytes 0x01-0x08, 0x0E-0x1F)"));
      break;
    case ss::TaskKind::SelectiveCopy:
      m_tokens = spin(tr("letters to copy"), 1, 1000, 8, tr("letters scattered among the dots, copied after '|'"));
      m_length = spin(tr("field length"), 1, 100000, 64, tr("dots and letters before '|'"));
      break;
    case ss::TaskKind::Induction:
      m_length = spin(tr("segment length"), 2, 100000, 64, tr("random letters and digits, written twice"));
      break;
  }
  m_examples = spin(tr("examples"), 1, 1000, 1,
                    tr("examples one after the other. The task models were trained on one example per sequence: "
                       "after the first, a model reads out of its training distribution"));
  m_seed = spin(tr("seed"), 0, 1000000, 1, tr("the same seed makes the same bytes"));
  auto* about = new QLabel(description(kind), this);
  about->setWordWrap(true);
  m_preview = new QLabel(this);
  m_preview->setWordWrap(true);
  m_preview->setTextFormat(Qt::PlainText);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
  buttons->button(QDialogButtonBox::Ok)->setText(tr("Insert"));
  connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  auto* v = new QVBoxLayout(this);
  v->addWidget(about);
  v->addLayout(form);
  v->addWidget(m_preview);
  v->addWidget(buttons);
  updatePreview();
}

QString TaskGeneratorDialog::title(ss::TaskKind kind) {
  switch (kind) {
    case ss::TaskKind::Mqar: return tr("Phone book (multi-query associative recall)");
    case ss::TaskKind::Noise: return tr("Noise padding");
    case ss::TaskKind::SelectiveCopy: return tr("Selective copying");
    case ss::TaskKind::Induction: return tr("Repeated random text (induction)");
  }
  return {};
}

QString TaskGeneratorDialog::description(ss::TaskKind kind) {
  switch (kind) {
    case ss::TaskKind::Mqar:
      return tr("A book of letter-digit pairs, '|', then every letter again followed by its digit: \"Q4 b7 K0|b7 K0 Q4\". "
                "Scored: the digit after each query letter. The format the mqar-* models were trained on.");
    case ss::TaskKind::Noise:
      return tr("The current text with runs of junk control bytes inserted after some bytes. Scored: predictions of text "
                "bytes only. The format the noise-* models were trained on.");
    case ss::TaskKind::SelectiveCopy:
      return tr("Letters scattered among dots, then '|' and the letters in order: \"..k...b..x..|kbx\". Scored: the copied letters.");
    case ss::TaskKind::Induction:
      return tr("A random segment written twice. An induction head predicts the second copy from the first. Scored: the "
                "second copy but its first byte.");
  }
  return {};
}

ss::TaskSpec TaskGeneratorDialog::spec() const {
  ss::TaskSpec s;
  s.kind = m_kind;
  if (m_pairs) s.pairs = m_pairs->value();
  if (m_p) s.p = m_p->value();
  if (m_maxRun) s.max_run = m_maxRun->value();
  if (m_tokens) s.tokens = m_tokens->value();
  if (m_length) s.length = m_length->value();
  s.content = m_content.toStdString();
  s.examples = m_examples->value();
  s.seed = uint64_t(m_seed->value());
  return s;
}

void TaskGeneratorDialog::updatePreview() {
  try {
    const ss::TaskExample ex = ss::generate_task(spec());
    QByteArray bytes;
    for (char c : ex.bytes.substr(0, 160)) bytes += ss::is_junk_byte(uint8_t(c)) ? QByteArray("\u2591") : QByteArray(1, c);  // ░ for a junk byte
    const QString shown = QString::fromUtf8(bytes);
    m_preview->setText(tr("%1 bytes, %2 scored positions:\n%3%4").arg(ex.bytes.size()).arg(ex.scored.size()).arg(shown, ex.bytes.size() > 160 ? "…" : ""));
  } catch (const std::exception& e) {
    m_preview->setText(QString::fromStdString(e.what()));
  }
}
