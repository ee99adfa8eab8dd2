// `statescope export`: a figure or a panel's data without a display (QT_QPA_PLATFORM=offscreen).
//   statescope export --model DIR [--model DIR ...] --input FILE
//                     --panel state|delta|matrix|memory|cost|prediction|window --token T
//                     --format png|svg|pdf|csv|npy --out FILE
//                     [--layer L] [--head H] [--channel C] [--window A:B] [--dpi N] [--size WxH] [--dark]
#pragma once

#include <QStringList>

namespace HeadlessExport {
// `args` are the arguments after "export". Returns the process exit code; errors go to stderr.
int run(const QStringList& args);
QString usage();
}
