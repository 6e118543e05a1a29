// Price features of the item tower, fitted on the catalog a model is created with: the price as
// a standardised log(1 + price) (or raw, or none), and quantile buckets of log(1 + price).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace recsys {

struct PriceFeatures {
  double log_mean = 0, log_std = 1;  // of log(1 + price)
  std::vector<double> boundaries;    // ascending bucket boundaries of log(1 + price)
  // mode: "log_standardized", "raw" or "none" (0).
  float value(double price, const std::string& mode) const;
  std::int32_t bucket(double price) const;
  // Mean and standard deviation of log(1 + price) over the prices (population, floored at
  // 1e-6), and buckets - 1 quantile boundaries (none when buckets is 0).
  static PriceFeatures fit(const std::vector<double>& prices, int buckets);
};

}  // namespace recsys
