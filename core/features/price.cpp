#include "features/price.h"

#include <algorithm>
#include <cmath>

namespace recsys {

float PriceFeatures::value(double price, const std::string& mode) const {
  if (mode == "raw") return static_cast<float>(price);
  if (mode == "none") return 0.0f;
  return static_cast<float>((std::log1p(std::max(price, 0.0)) - log_mean) / log_std);
}

std::int32_t PriceFeatures::bucket(double price) const {
  const double x = std::log1p(std::max(price, 0.0));
  return static_cast<std::int32_t>(std::upper_bound(boundaries.begin(), boundaries.end(), x) -
                                   boundaries.begin());
}

PriceFeatures PriceFeatures::fit(const std::vector<double>& prices, int buckets) {
  PriceFeatures p;
  const std::size_t n = prices.size();
  if (n == 0) return p;
  std::vector<double> logs(n);
  double sum = 0;
  for (std::size_t i = 0; i < n; ++i) sum += (logs[i] = std::log1p(std::max(prices[i], 0.0)));
  p.log_mean = sum / static_cast<double>(n);
  double var = 0;
  for (double x : logs) var += (x - p.log_mean) * (x - p.log_mean);
  p.log_std = std::max(std::sqrt(var / static_cast<double>(n)), 1e-6);
  if (buckets > 0) {
    std::vector<double> sorted = logs;
    std::sort(sorted.begin(), sorted.end());
    for (int k = 1; k < buckets; ++k)
      p.boundaries.push_back(
          sorted[static_cast<std::size_t>(k) * sorted.size() / static_cast<std::size_t>(buckets)]);
  }
  return p;
}

}  // namespace recsys
