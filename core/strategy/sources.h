// Candidate sources besides the two-tower model: popularity (all-time, and trending with an
// exponential time decay) and item-item co-occurrence (items bought or carted together, in the
// same basket or session), normalised by lift; and item-based kNN neighbours (cosine of the users
// who had both), which the `neighbours` source sums over a user's whole history.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "data/interactions.h"
#include "nn/tensor.h"

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

// The logs cut into baskets of distinct items, the first half of counting co-occurrence: one
// pass over the events; the pairs (the costly half) are counted from this.
struct Baskets {
  CoOccurrenceOptions options;
  std::vector<std::int64_t> count;    // per item: the baskets that hold it
  std::vector<std::int32_t> items;    // the baskets of 2 to 200 items, as CSR
  std::vector<std::size_t> start{0};  // basket b is items[start[b] .. start[b + 1])
  std::int64_t baskets = 0;           // every non-empty basket
  Baskets() = default;
  Baskets(const Interactions& logs, const CoOccurrenceOptions& options);
};

class CoOccurrence {
 public:
  CoOccurrence() = default;
  CoOccurrence(const Interactions& logs, const CoOccurrenceOptions& options = {});
  explicit CoOccurrence(const Baskets& baskets);
  // The item's neighbours, best lift first: lift(i, j) = c(i, j) · baskets / (n(i) · n(j)).
  const std::vector<std::pair<std::int32_t, float>>& neighbours(std::int32_t item) const;
  std::int64_t baskets() const { return baskets_; }

 private:
  std::vector<std::vector<std::pair<std::int32_t, float>>> neighbours_;
  std::int64_t baskets_ = 0;
};

struct ItemNeighboursOptions {
  int neighbours = 50;  // top-M most similar items kept per item
  float shrink = 0;     // sim(i, j) = co(i, j) / (sqrt(n_i n_j) + shrink)
};

// Item-based kNN on the binary user-item matrix: sim(i, j) = the users who had both over
// sqrt(n_i n_j) (+ shrink), the M most similar kept per item, best first (ties: lower index).
class ItemNeighbours {
 public:
  ItemNeighbours() = default;
  ItemNeighbours(const Interactions& logs, const ItemNeighboursOptions& options = {});
  // Row i of W's off-diagonal weights, the `neighbours` largest kept (ties: lower index).
  static ItemNeighbours from_weights(const nn::Matrix& W, int neighbours);
  const std::vector<std::pair<float, std::int32_t>>& of(std::int32_t item) const;
  std::int32_t num_items() const { return static_cast<std::int32_t>(neighbours_.size()); }

 private:
  std::vector<std::vector<std::pair<float, std::int32_t>>> neighbours_;
};

// Each distinct item of a time-ordered list, scored by how often it occurs plus a recency share
// in (0, 1) (the later its last occurrence, the larger): more often first, then more recent. What
// the repeat source and the personal top-frequency baseline rank by. In first-occurrence order.
std::vector<std::pair<std::int32_t, double>> frequency_recency(
    const std::vector<std::int32_t>& items);

// EASE's item-item weights (Steck, WWW 2019) on the binary user-item matrix X of the logs:
// B = I - P diag(1 / diag(P)), P = (XᵀX + λI)⁻¹, diag(B) = 0. Items × items floats; O(items³).
nn::Matrix ease_weights(const Interactions& logs, double lambda);
// The `neighbours` largest EASE weights of each item (the recommender's ease source). In
// strategy/ease.cpp; the serving engine, which fits no models, defines it as an error instead.
ItemNeighbours ease_neighbours(const Interactions& logs, double lambda, int neighbours);

}  // namespace recsys
