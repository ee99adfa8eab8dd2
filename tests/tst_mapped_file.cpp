// MappedFile (issue 13 beside issue 12's memory-mapped weights): a weight file that another program
// cuts short while we read it must give an error naming the file, not kill the process with SIGBUS.
// The truncation is made between the size check and the copy, the window check_unchanged cannot close.
#include <QtTest>

#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "error.h"
#include "mapped_file.h"
#include "regular_file.h"
#include "test_support.h"

using namespace ss;

namespace {

struct CopyJob {
  const unsigned char* src;
  size_t n;
  unsigned char* dst;
};
void copy_bytes(void* p) {
  const auto* j = static_cast<const CopyJob*>(p);
  for (size_t i = 0; i < j->n; ++i) j->dst[i] = j->src[i];
}

std::string write_pages(const std::string& tag, size_t pages, size_t page) {
  const std::string path = test::temp_dir(tag) + "/weights.bin";
  std::ofstream f(path, std::ios::binary);
  for (size_t i = 0; i < pages * page; ++i) f.put(static_cast<char>(i % 251));
  return path;
}

}  // namespace

class TestMappedFile : public QObject {
  Q_OBJECT
 private slots:
  void a_file_cut_short_during_the_copy_is_an_error() {
    const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    const std::string path = write_pages("mapped-cut", 4, page);
    RegularFile file(path);
    MappedFile map(file);
    map.check_unchanged("t");  // whole: no error
    std::vector<unsigned char> out(page);
    CopyJob first{map.data(), page, out.data()};
    map.read_guarded("t", copy_bytes, &first);
    QCOMPARE(int(out[7]), 7);
    // Another program truncates the file to one page after the check, before the copy of page 3.
    QCOMPARE(::truncate(path.c_str(), static_cast<off_t>(page)), 0);
    CopyJob last{map.data() + 3 * page, page, out.data()};
    QString message;
    try {
      map.read_guarded("model.layers.0.mixer.in_proj.weight", copy_bytes, &last);
    } catch (const Error& e) {
      message = QString::fromStdString(e.what());
    }
    QVERIFY2(message.contains(QString::fromStdString(path)), qPrintable(message));
    QVERIFY2(message.contains("model.layers.0.mixer.in_proj.weight"), qPrintable(message));
    QVERIFY2(message.contains("cut short"), qPrintable(message));
    // The process goes on: the page still in the file reads, a second cut read is an error again,
    // and check_unchanged now names the shrink before any copy.
    map.read_guarded("t", copy_bytes, &first);
    QCOMPARE(int(out[250]), 250);
    bool again = false;
    try {
      map.read_guarded("t", copy_bytes, &last);
    } catch (const Error&) {
      again = true;
    }
    QVERIFY(again);
    bool shrank = false;
    try {
      map.check_unchanged("t");
    } catch (const Error& e) {
      shrank = std::string(e.what()).find("shrank") != std::string::npos;
    }
    QVERIFY(shrank);
  }
};

QTEST_GUILESS_MAIN(TestMappedFile)
#include "tst_mapped_file.moc"
