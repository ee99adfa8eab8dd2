#include "frame.h"

#include <cstring>

namespace ss {

namespace {

// Bit for bit (a NaN equals itself: a caption's "not known" stays the same caption).
template <typename T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}

bool same_series(const Series& a, const Series& b) {
  return a.name == b.name && a.role == b.role && a.column == b.column && same_bits(a.x, b.x) && same_bits(a.y, b.y);
}

bool same_scalars(const std::map<std::string, double>& a, const std::map<std::string, double>& b) {
  if (a.size() != b.size()) return false;
  for (auto i = a.begin(), j = b.begin(); i != a.end(); ++i, ++j)
    if (i->first != j->first || std::memcmp(&i->second, &j->second, sizeof(double)) != 0) return false;
  return true;
}

}  // namespace

bool same_drawing(const Frame& a, const Frame& b, unsigned ignore) {
  if (a.view != b.view || a.column != b.column || a.text_version != b.text_version || a.model != b.model || a.delta_average != b.delta_average)
    return false;
  if (!(ignore & kIgnoreSelection) && (a.token != b.token || a.t0 != b.t0 || a.t1 != b.t1)) return false;
  if (!(ignore & kIgnoreChoice) && (a.layer != b.layer || a.mixer != b.mixer || a.head != b.head || a.channel != b.channel)) return false;
  if (a.title != b.title || a.row_axis != b.row_axis || a.col_axis != b.col_axis || a.units != b.units || a.rows != b.rows ||
      a.cols != b.cols || a.row0 != b.row0 || a.col0 != b.col0 || a.highlight_row != b.highlight_row || a.order != b.order ||
      a.order_labels != b.order_labels || a.labels != b.labels || a.tokens != b.tokens || !same_scalars(a.scalars, b.scalars) ||
      a.text != b.text || a.note != b.note || a.error != b.error || a.row_labels != b.row_labels || a.col_labels != b.col_labels ||
      a.series.size() != b.series.size())
    return false;
  if (a.per_token != b.per_token && (!a.per_token || !b.per_token || !same_bits(*a.per_token, *b.per_token))) return false;
  for (size_t k = 0; k < a.series.size(); ++k)
    if (!same_series(a.series[k], b.series[k])) return false;
  return same_bits(a.values, b.values);
}

}  // namespace ss
