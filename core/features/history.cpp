#include "features/history.h"

#include <algorithm>

namespace recsys {

void select_history(const std::int32_t* items, std::size_t n, int length, bool distinct,
                    std::vector<std::int32_t>& out) {
  const std::size_t first = out.size();
  const auto limit = static_cast<std::size_t>(std::max(length, 0));
  for (std::size_t k = n; k-- > 0 && out.size() - first < limit;) {
    if (distinct && std::find(out.begin() + static_cast<std::ptrdiff_t>(first), out.end(),
                              items[k]) != out.end())
      continue;
    out.push_back(items[k]);
  }
}

void history_weights(std::size_t n, float decay, std::vector<float>& w) {
  w.resize(n);
  float sum = 0, p = 1;
  for (std::size_t k = 0; k < n; ++k) {
    w[k] = p;
    sum += p;
    p *= decay;
  }
  for (auto& x : w) x /= sum;
}

}  // namespace recsys
