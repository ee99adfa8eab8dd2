#include "TaskNotes.h"

#include <QDateTime>
#include <QDir>
#include <QEvent>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QPushButton>
#include <QTextBrowser>
#include <QTimer>
#include <QVBoxLayout>
#include <cmath>

#include "LessonTarget.h"

TaskNotes::TaskNotes(LessonTarget* target, QWidget* parent) : QWidget(parent), m_target(target) {
  setObjectName("task-notes");
  m_text = new QTextBrowser(this);
  m_text->setOpenLinks(false);
  m_make = new QPushButton(tr("Make an input for this model"), this);
  m_make->setToolTip(tr("Replace the text by fresh examples of the task the active model was trained on"));
  auto* v = new QVBoxLayout(this);
  v->setContentsMargins(4, 4, 4, 4);
  v->addWidget(m_text, 1);
  v->addWidget(m_make);
  connect(m_make, &QPushButton::clicked, this, &TaskNotes::makeInput);
  connect(target, &LessonTarget::modelsChanged, this, &TaskNotes::rebuild);
  connect(target, &LessonTarget::changed, this, &TaskNotes::rescore);
  connect(target, &LessonTarget::resultsChanged, this, &TaskNotes::rescore);
  rebuild();
}

TaskNotes::Task TaskNotes::readTask(const QString& folder) {
  Task t;
  QFile f(QDir(folder).filePath("task.json"));
  if (!f.exists()) return t;
  if (!f.open(QIODevice::ReadOnly)) {
    t.error = tr("%1: cannot read").arg(f.fileName());
    return t;
  }
  QJsonParseError pe;
  const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &pe);
  if (!doc.isObject()) {
    t.error = tr("%1: not valid JSON (%2)").arg(f.fileName(), pe.errorString());
    return t;
  }
  t.json = doc.object();
  const QString name = t.json.value("task").toString();
  if (name == "mqar") t.kind = ss::TaskKind::Mqar;
  else if (name == "noise") t.kind = ss::TaskKind::Noise;
  else if (name == "selective-copying") t.kind = ss::TaskKind::SelectiveCopy;  // tools/train/train_tasks.py's name
  else if (!ss::task_kind_from_name(name.toStdString(), &t.kind)) {
    t.error = tr("%1: task: unknown task \"%2\"").arg(f.fileName(), name);
    return t;
  }
  t.ok = true;
  return t;
}

void TaskNotes::rebuild() {
  const QStringList folders = m_target->modelFolders();
  bool any = false;
  for (const QString& f : folders) any = any || readTask(f).ok;
  const bool newly = any && !m_anyTask;
  m_anyTask = any;
  rescore();
  if (newly) emit taskModelsOpened();
}

TaskNotes::Score TaskNotes::score(int column) {
  Score s;
  const Task t = readTask(m_target->modelFolders().value(column));
  if (!t.ok || m_target->isBusy()) return s;
  s.task = t.json.value("task").toString();
  const std::string bytes = m_target->input().toStdString();
  const std::vector<int64_t> scored = ss::scored_positions(t.kind, bytes);
  s.scored = qint64(scored.size());
  if (t.kind == ss::TaskKind::Noise) {
    s.bitsPerByte = ss::task_bits_per_byte(scored, m_target->surprisals(column));
    s.accuracy = std::nan("");
  } else {
    s.accuracy = ss::task_accuracy(bytes, scored, m_target->topBytes(column, scored));
    s.bitsPerByte = std::nan("");
  }
  return s;
}

void TaskNotes::rescore() {
  if (m_rescoreQueued) return;
  m_rescoreQueued = true;
  QTimer::singleShot(0, this, [this] {
    m_rescoreQueued = false;
    const QStringList folders = m_target->modelFolders();
    QString html;
    for (int c = 0; c < folders.size(); ++c) {
      const Task t = readTask(folders[c]);
      const QString name = QDir(folders[c]).dirName().toHtmlEscaped();
      if (!t.ok) {
        html += t.error.isEmpty() ? tr("<p><b>%1</b>: a language model (no task.json): any text.</p>").arg(name)
                                  : tr("<p><b>%1</b>: ⚠ %2</p>").arg(name, t.error.toHtmlEscaped());
        continue;
      }
      const QJsonObject& j = t.json;
      html += tr("<p><b>%1</b> was trained on the <b>%2</b> task.<br>Input it expects: %3")
                  .arg(name,
                       t.kind == ss::TaskKind::Mqar            ? tr("phone book (recall)")
                       : t.kind == ss::TaskKind::SelectiveCopy ? tr("selective copying")
                                                               : tr("noise padding"),
                       j.value("format").toString().toHtmlEscaped());
      if (j.contains("example")) html += tr("<br>Example: <code>%1</code>").arg(j.value("example").toString().toHtmlEscaped().replace("\n", "\\n"));
      if (t.kind == ss::TaskKind::Mqar) {
        const QJsonObject acc = j.value("accuracy_by_pairs").toObject();
        QStringList cells;
        for (const QString& k : {"2", "8", "32", "52"})
          if (acc.contains(k)) cells << tr("%1 pairs: %2").arg(k).arg(acc.value(k).toDouble(), 0, 'f', 2);
        if (!cells.isEmpty()) html += tr("<br>Measured accuracy after training: %1").arg(cells.join(" · "));
        if (j.contains("learned_recall") && !j.value("learned_recall").toBool())
          html += tr("<br><span style='color:#d55e00'><b>⚠ This model never learned recall</b>: its accuracy stays near what knowing "
                     "only which digits occur gives. A failure of its training, not a property of its architecture.</span>");
      } else {
        const QJsonObject r = j.value("results").toObject();
        if (r.contains("letter_accuracy"))
          html += tr("<br>Measured after training: %1 of the copied letters right.").arg(r.value("letter_accuracy").toDouble(), 0, 'f', 2);
        if (r.contains("clean_bpb"))
          html += tr("<br>Measured after training: %1 bits/byte on clean text, %2 on padded text (text bytes only).")
                      .arg(r.value("clean_bpb").toDouble(), 0, 'f', 2).arg(r.value("padded_bpb").toDouble(), 0, 'f', 2);
      }
      const Score s = score(c);
      if (s.scored == 0) html += tr("<br><i>The current text is not in this format: nothing to score. Use “Make an input”.</i>");
      else if (t.kind == ss::TaskKind::Noise) html += tr("<br>On this text: <b>%1 bits/byte</b> over %2 text bytes (junk not counted).").arg(s.bitsPerByte, 0, 'f', 2).arg(s.scored);
      else if (!std::isnan(s.accuracy)) html += tr("<br>On this text: <b>accuracy %1</b> over %2 answers.").arg(s.accuracy, 0, 'f', 2).arg(s.scored);
      html += "</p>";
    }
    m_text->setHtml(html);
    m_make->setEnabled(m_anyTask);
  });
}

void TaskNotes::changeEvent(QEvent* e) {
  if (e->type() == QEvent::LanguageChange) {
    m_make->setText(tr("Make an input for this model"));
    m_make->setToolTip(tr("Replace the text by fresh examples of the task the active model was trained on"));
    rescore();
  }
  QWidget::changeEvent(e);
}

QString TaskNotes::text() const { return m_text->toPlainText(); }

void TaskNotes::makeInput() {
  const QStringList folders = m_target->modelFolders();
  int column = m_target->activeColumn();
  Task t = readTask(folders.value(column));
  for (int c = 0; !t.ok && c < folders.size(); ++c) t = readTask(folders[column = c]);
  if (!t.ok) return;
  ss::TaskSpec spec;
  spec.kind = t.kind;
  spec.seed = uint64_t(QDateTime::currentMSecsSinceEpoch() & 0xffffff);
  if (t.kind == ss::TaskKind::Mqar) {
    spec.pairs = 16;
    spec.examples = 1;  // the task models were trained on one book per sequence, from an empty state
  } else if (t.kind == ss::TaskKind::SelectiveCopy) {  // the format the selcopy-* models were trained on
    spec.tokens = t.json.value("num_data").toInt(8);
    spec.length = t.json.value("region").toInt(128);
  } else {
    spec.p = t.json.value("p").toDouble(0.5);
    spec.max_run = t.json.value("max_run").toInt(4);
    spec.content = "A state space model reads one byte at a time and keeps a fixed-size memory. "
                   "Attention keeps every byte it has seen, so its cache grows with the text.\n";
  }
  const ss::TaskExample ex = ss::generate_task(spec);
  const QByteArray bytes = QByteArray::fromStdString(ex.bytes);
  m_target->setInput(bytes);
  emit inputMade(bytes);
}
