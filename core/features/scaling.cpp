#include "features/scaling.h"

#include <algorithm>
#include <cmath>

namespace recsys {

void standardise(std::vector<float>& v) {
  if (v.empty()) return;
  double mean = 0, var = 0;
  for (float x : v) mean += x;
  mean /= static_cast<double>(v.size());
  for (float x : v) var += (x - mean) * (x - mean);
  const double sd = std::max(std::sqrt(var / static_cast<double>(v.size())), 1e-6);
  for (float& x : v) x = static_cast<float>((x - mean) / sd);
}

}  // namespace recsys
