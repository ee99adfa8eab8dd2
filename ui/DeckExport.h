// DeckExport: a lesson as slides. Every step is put on the explorer in presentation mode (a
// 1280 x 720 window, large fonts, the card beside the views) and rendered as one page of a PDF
// (the views as vector graphics, the card's text beside them) or as one PNG per step.
//   statescope lesson --lesson FILE --format pdf --out DECK.pdf [--language en|zh] [--dark] [--size WxH]
//   statescope lesson --lesson FILE --format png --out DIR      (DIR/step-01.png, ...)
// --language sets the cards' language and the panels', axes' and legends' alike.
#pragma once

#include <QSize>
#include <QString>
#include <QStringList>

namespace DeckExport {

struct Options {
  QString lesson, out, format = "pdf", language = "en", modelsRoot;
  bool dark = false;
  QSize size = QSize(1280, 720);
};

QString usage();
// Writes the deck; returns the number of pages (steps) written, or -1 with `error` set.
int write(const Options& o, QString* error);
int run(const QStringList& args);  // the `statescope lesson` command; exit status

}  // namespace DeckExport
