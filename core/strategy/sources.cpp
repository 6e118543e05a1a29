#include "strategy/sources.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "common/check.h"
#include "common/function_ref.h"
#include "common/sort.h"

namespace recsys {

PopularitySource::PopularitySource(const Interactions& logs, double half_life_days) {
  RECSYS_CHECK(half_life_days > 0, "popularity: half-life must be > 0 days, got ", half_life_days);
  const auto n = static_cast<std::size_t>(logs.num_items());
  all_time_.assign(n, 0);
  trending_.assign(n, 0);
  const std::int64_t now = logs.max_timestamp();
  const double per_second = std::log(2.0) / (half_life_days * 86400);
  for (const auto& e : logs.events()) {
    all_time_[e.item] += 1;
    trending_[e.item] += std::exp(-per_second * static_cast<double>(now - e.timestamp));
  }
}

namespace {
// The m best (similarity, item) pairs of v, best first, ties by the lower item: a total order.
std::vector<std::pair<float, std::int32_t>> best_of(
    const std::vector<std::pair<float, std::int32_t>>& v, std::size_t m) {
  const auto order = best_indices(v.size(), m, [&v](std::size_t a, std::size_t b) {
    return v[a].first > v[b].first || (v[a].first == v[b].first && v[a].second < v[b].second);
  });
  return in_order(v.data(), order);
}

// Item pairs counted over sets of distinct items (CSR: set k holds items[start[k] .. start[k+1])),
// with no hash map: for each item i in turn, co[j] = the number of sets that hold both i and j,
// for the j != i in `touched` (in the order first seen); row(i, touched, co) reads them, and co
// is zeroed again after it. What co-occurrence (sets: baskets) and item-kNN (sets:
// users' items) both count. One function for both (row through a FunctionRef), not a copy each.
void count_pairs(std::size_t n, const std::vector<std::int32_t>& items,
                 const std::vector<std::size_t>& start,
                 FunctionRef<void(std::size_t, const std::vector<std::int32_t>&,
                                  const std::vector<std::int32_t>&)>
                     row) {
  const std::size_t num_sets = start.size() - 1;
  std::vector<std::size_t> item_start(n + 1, 0);
  for (std::int32_t i : items) ++item_start[static_cast<std::size_t>(i) + 1];
  for (std::size_t i = 0; i < n; ++i) item_start[i + 1] += item_start[i];
  std::vector<std::int32_t> item_sets(items.size());
  {
    std::vector<std::size_t> fill(item_start.begin(), item_start.end() - 1);
    for (std::size_t k = 0; k < num_sets; ++k)
      for (std::size_t q = start[k]; q < start[k + 1]; ++q)
        item_sets[fill[static_cast<std::size_t>(items[q])]++] = static_cast<std::int32_t>(k);
  }
  std::vector<std::int32_t> co(n, 0), touched;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t q = item_start[i]; q < item_start[i + 1]; ++q) {
      const auto k = static_cast<std::size_t>(item_sets[q]);
      for (std::size_t r = start[k]; r < start[k + 1]; ++r) {
        const std::int32_t j = items[r];
        if (static_cast<std::size_t>(j) == i) continue;
        if (co[static_cast<std::size_t>(j)]++ == 0) touched.push_back(j);
      }
    }
    row(i, touched, co);
    for (std::int32_t j : touched) co[static_cast<std::size_t>(j)] = 0;
    touched.clear();
  }
}
}  // namespace

Baskets::Baskets(const Interactions& logs, const CoOccurrenceOptions& o) : options(o) {
  RECSYS_CHECK(o.session_gap >= 0, "co-occurrence: session_gap must be >= 0, got ", o.session_gap);
  RECSYS_CHECK(o.neighbours >= 1, "co-occurrence: neighbours must be >= 1, got ", o.neighbours);
  RECSYS_CHECK(o.min_count >= 1, "co-occurrence: min_count must be >= 1, got ", o.min_count);
  count.assign(static_cast<std::size_t>(logs.num_items()), 0);
  // Baskets of distinct items, kept (as CSR) only when small enough to count pairs in.
  std::vector<std::int32_t> basket;
  auto flush = [&]() {
    std::sort(basket.begin(), basket.end());
    basket.erase(std::unique(basket.begin(), basket.end()), basket.end());
    if (!basket.empty()) ++baskets;
    for (std::int32_t i : basket) ++count[i];
    if (basket.size() >= 2 && basket.size() <= 200) {  // a huge basket is a bulk order
      items.insert(items.end(), basket.begin(), basket.end());
      start.push_back(items.size());
    }
    basket.clear();
  };
  for (std::int32_t u = 0; u < logs.num_users(); ++u) {
    std::int64_t last = INT64_MIN / 2;
    for (const auto& e : logs.history(u)) {
      if (o.carts_and_purchases && e.event != Event::AddToCart && e.event != Event::Purchase)
        continue;
      if (e.timestamp - last > o.session_gap) flush();
      basket.push_back(e.item);
      last = e.timestamp;
    }
    flush();
  }
}

CoOccurrence::CoOccurrence(const Interactions& logs, const CoOccurrenceOptions& o)
    : CoOccurrence(Baskets(logs, o)) {}

CoOccurrence::CoOccurrence(const Baskets& b) : baskets_(b.baskets) {
  const CoOccurrenceOptions& o = b.options;
  const std::size_t n = b.count.size();
  const std::vector<std::int64_t>& count = b.count;
  const std::vector<std::int32_t>& basket_items = b.items;
  const std::vector<std::size_t>& basket_start = b.start;
  neighbours_.resize(n);
  const auto keep = static_cast<std::size_t>(o.neighbours);
  count_pairs(n, basket_items, basket_start,
              [&](std::size_t i, const std::vector<std::int32_t>& touched,
                  const std::vector<std::int32_t>& co) {
                auto& out = neighbours_[i];
                for (std::int32_t j : touched) {
                  const std::int32_t c = co[static_cast<std::size_t>(j)];
                  if (c >= o.min_count)
                    out.emplace_back(
                        j, static_cast<float>(
                               static_cast<double>(c) * static_cast<double>(baskets_) /
                               (static_cast<double>(count[i]) * static_cast<double>(count[j]))));
                }
                // Best lift first, ties by the lower index: a total order, so the result does
                // not depend on the order pairs were counted in.
                const auto better = [](const auto& a, const auto& b) {
                  return a.second > b.second || (a.second == b.second && a.first < b.first);
                };
                const auto order = best_indices(out.size(), std::min(keep, out.size()),
                                                [&out, &better](std::size_t a, std::size_t b) {
                                                  return better(out[a], out[b]);
                                                });
                out = in_order(out.data(), order);
              });
}

const std::vector<std::pair<std::int32_t, float>>& CoOccurrence::neighbours(
    std::int32_t item) const {
  RECSYS_CHECK(item >= 0 && static_cast<std::size_t>(item) < neighbours_.size(),
               "co-occurrence: item index ", item, " out of range");
  return neighbours_[static_cast<std::size_t>(item)];
}

ItemNeighbours::ItemNeighbours(const Interactions& logs, const ItemNeighboursOptions& o) {
  RECSYS_CHECK(o.neighbours >= 1, "item neighbours: neighbours must be >= 1, got ", o.neighbours);
  RECSYS_CHECK(o.shrink >= 0, "item neighbours: shrink must be >= 0, got ", o.shrink);
  const std::int32_t n = logs.num_items();
  // Distinct items of each user, as CSR; then count_pairs() over them.
  std::vector<std::int32_t> user_items;
  std::vector<std::size_t> start{0};
  std::vector<std::size_t> users_of(static_cast<std::size_t>(n), 0);
  for (std::int32_t u = 0; u < logs.num_users(); ++u) {
    const std::size_t b = user_items.size();
    for (const auto& e : logs.history(u)) user_items.push_back(e.item);
    std::sort(user_items.begin() + static_cast<std::ptrdiff_t>(b), user_items.end());
    user_items.erase(
        std::unique(user_items.begin() + static_cast<std::ptrdiff_t>(b), user_items.end()),
        user_items.end());
    for (std::size_t q = b; q < user_items.size(); ++q)
      ++users_of[static_cast<std::size_t>(user_items[q])];
    start.push_back(user_items.size());
  }
  neighbours_.resize(static_cast<std::size_t>(n));
  count_pairs(static_cast<std::size_t>(n), user_items, start,
              [&](std::size_t i, const std::vector<std::int32_t>& touched,
                  const std::vector<std::int32_t>& co) {
                std::vector<std::pair<float, std::int32_t>> sims;
                sims.reserve(touched.size());
                for (std::int32_t j : touched) {
                  const float denom =
                      std::sqrt(static_cast<float>(users_of[i]) * static_cast<float>(users_of[j])) +
                      o.shrink;
                  sims.emplace_back(static_cast<float>(co[static_cast<std::size_t>(j)]) / denom, j);
                }
                const std::size_t m =
                    std::min<std::size_t>(sims.size(), static_cast<std::size_t>(o.neighbours));
                neighbours_[i] = best_of(sims, m);
              });
}

const std::vector<std::pair<float, std::int32_t>>& ItemNeighbours::of(std::int32_t item) const {
  RECSYS_CHECK(item >= 0 && item < num_items(), "item neighbours: item index ", item,
               " out of range");
  return neighbours_[static_cast<std::size_t>(item)];
}

ItemNeighbours ItemNeighbours::from_weights(const nn::Matrix& W, int neighbours) {
  RECSYS_CHECK(W.rows() == W.cols(), "item neighbours: the weights are ", W.rows(), " × ",
               W.cols());
  RECSYS_CHECK(neighbours >= 1, "item neighbours: neighbours must be >= 1, got ", neighbours);
  ItemNeighbours out;
  out.neighbours_.resize(static_cast<std::size_t>(W.rows()));
  for (Eigen::Index i = 0; i < W.rows(); ++i) {
    std::vector<std::pair<float, std::int32_t>> row;
    for (Eigen::Index j = 0; j < W.cols(); ++j)
      if (j != i) row.emplace_back(W(i, j), static_cast<std::int32_t>(j));
    const std::size_t m = std::min<std::size_t>(row.size(), static_cast<std::size_t>(neighbours));
    out.neighbours_[static_cast<std::size_t>(i)] = best_of(row, m);
  }
  return out;
}

std::vector<std::pair<std::int32_t, double>> frequency_recency(
    const std::vector<std::int32_t>& items) {
  std::vector<std::pair<std::int32_t, double>> out;
  std::unordered_map<std::int32_t, std::size_t> where;
  const double steps = static_cast<double>(items.size()) + 1;
  for (std::size_t t = 0; t < items.size(); ++t) {
    const auto [it, fresh] = where.emplace(items[t], out.size());
    if (fresh) out.emplace_back(items[t], 0.0);
    double& f = out[it->second].second;
    f = std::floor(f) + 1 + (static_cast<double>(t) + 1) / steps * 0.999;
  }
  return out;
}

}  // namespace recsys
