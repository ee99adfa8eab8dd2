#include "BuiltinModels.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>

namespace BuiltinModels {

QStringList find(QString* origin) {
  const QString exe = QCoreApplication::applicationDirPath();
  const QStringList roots = {exe, exe + "/..", exe + "/../..", exe + "/../share/statescope", QStringLiteral(STATESCOPE_SOURCE_DIR)};
  const QStringList shipped = {"mamba1-bytes", "mamba2-bytes", "llama-bytes", "jamba-bytes"};
  QStringList out;
  for (const QString& r : roots) {
    for (const QString& n : shipped) {
      const QString d = QDir::cleanPath(r + "/assets/models/" + n);
      if (QFileInfo::exists(d + "/config.json") && !out.contains(d)) out << d;
    }
    if (!out.isEmpty()) {
      if (origin) *origin = QDir::cleanPath(r + "/assets/models");
      return out;
    }
  }
  const QStringList fixtures = {"mamba1_tied_f32", "mamba2_g1_f32", "llama_mha_f32", "jamba_a", "mamba1_untied_bf16"};
  const QString dir = QStringLiteral(STATESCOPE_SOURCE_DIR) + "/tests/fixtures/";
  for (const QString& n : fixtures)
    if (QFileInfo::exists(dir + n + "/config.json")) out << QDir::cleanPath(dir + n);
  if (origin) *origin = QDir::cleanPath(dir);
  return out;
}

}  // namespace BuiltinModels
