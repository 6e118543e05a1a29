// Candidate sources besides the two-tower model: popularity (all-time, and trending with an
// exponential time decay) and item-item co-occurrence (items bought or carted together, in the
// same basket or session), normalised by lift.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "data/interactions.h"

namespace recsys {

class PopularitySource {
 public:
  // half_life_days: weight of an event = 0.5^(age / half-life), age from the latest event.
  PopularitySource(const Interactions& logs, double half_life_days = 7);
  const std::vector<double>& all_time() const { return all_time_; }
  const std::vector<double>& trending() const { return trending_; }

 private:
  std::vector<double> all_time_, trending_;
};

struct CoOccurrenceOptions {
  std::int64_t session_gap = 1800;   // events of a user closer than this (seconds) share a basket
  bool carts_and_purchases = false;  // count only add_to_cart and purchase events
  int neighbours = 50;               // kept per item
  int min_count = 2;                 // pairs seen together fewer times are noise
};

class CoOccurrence {
 public:
  CoOccurrence() = default;
  CoOccurrence(const Interactions& logs, const CoOccurrenceOptions& options = {});
  // The item's neighbours, best lift first: lift(i, j) = c(i, j) · baskets / (n(i) · n(j)).
  const std::vector<std::pair<std::int32_t, float>>& neighbours(std::int32_t item) const;
  std::int64_t baskets() const { return baskets_; }

 private:
  std::vector<std::vector<std::pair<std::int32_t, float>>> neighbours_;
  std::int64_t baskets_ = 0;
};

}  // namespace recsys
