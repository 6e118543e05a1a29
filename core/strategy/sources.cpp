#include "strategy/sources.h"

#include <Eigen/Cholesky>

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "common/check.h"

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

CoOccurrence::CoOccurrence(const Interactions& logs, const CoOccurrenceOptions& o) {
  RECSYS_CHECK(o.session_gap >= 0, "co-occurrence: session_gap must be >= 0, got ", o.session_gap);
  RECSYS_CHECK(o.neighbours >= 1, "co-occurrence: neighbours must be >= 1, got ", o.neighbours);
  RECSYS_CHECK(o.min_count >= 1, "co-occurrence: min_count must be >= 1, got ", o.min_count);
  const auto n = static_cast<std::size_t>(logs.num_items());
  // Baskets of distinct items, kept (as CSR: basket -> items, then item -> baskets) only when
  // small enough to count pairs in; each item's row is then counted in a dense scratch array. No
  // hash map per item: the counting is a few linear passes, which is what createRecommender
  // spends its time on for a shop of 100,000 events.
  std::vector<std::int64_t> count(n, 0);
  std::vector<std::int32_t> basket, basket_items;
  std::vector<std::size_t> basket_start{0};
  auto flush = [&]() {
    std::sort(basket.begin(), basket.end());
    basket.erase(std::unique(basket.begin(), basket.end()), basket.end());
    if (!basket.empty()) ++baskets_;
    for (std::int32_t i : basket) ++count[i];
    if (basket.size() >= 2 && basket.size() <= 200) {  // a huge basket is a bulk order
      basket_items.insert(basket_items.end(), basket.begin(), basket.end());
      basket_start.push_back(basket_items.size());
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
  const std::size_t num_baskets = basket_start.size() - 1;
  std::vector<std::size_t> item_start(n + 1, 0);
  for (std::int32_t i : basket_items) ++item_start[static_cast<std::size_t>(i) + 1];
  for (std::size_t i = 0; i < n; ++i) item_start[i + 1] += item_start[i];
  std::vector<std::int32_t> item_baskets(basket_items.size());
  {
    std::vector<std::size_t> fill(item_start.begin(), item_start.end() - 1);
    for (std::size_t b = 0; b < num_baskets; ++b)
      for (std::size_t k = basket_start[b]; k < basket_start[b + 1]; ++k)
        item_baskets[fill[static_cast<std::size_t>(basket_items[k])]++] =
            static_cast<std::int32_t>(b);
  }
  std::vector<std::int32_t> co(n, 0), touched;
  neighbours_.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t k = item_start[i]; k < item_start[i + 1]; ++k) {
      const auto b = static_cast<std::size_t>(item_baskets[k]);
      for (std::size_t q = basket_start[b]; q < basket_start[b + 1]; ++q) {
        const std::int32_t j = basket_items[q];
        if (static_cast<std::size_t>(j) == i) continue;
        if (co[j]++ == 0) touched.push_back(j);
      }
    }
    auto& out = neighbours_[i];
    for (std::int32_t j : touched) {
      const std::int32_t c = co[j];
      co[j] = 0;
      if (c >= o.min_count)
        out.emplace_back(
            j, static_cast<float>(static_cast<double>(c) * static_cast<double>(baskets_) /
                                  (static_cast<double>(count[i]) * static_cast<double>(count[j]))));
    }
    touched.clear();
    // Best lift first, ties by the lower index: a total order, so the result does not depend on
    // the order pairs were counted in.
    const auto better = [](const auto& a, const auto& b) {
      return a.second > b.second || (a.second == b.second && a.first < b.first);
    };
    const auto keep = static_cast<std::size_t>(o.neighbours);
    if (out.size() > keep) {
      std::partial_sort(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(keep), out.end(),
                        better);
      out.resize(keep);
      out.shrink_to_fit();
    } else {
      std::sort(out.begin(), out.end(), better);
    }
  }
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
  // Distinct items of each user, and the users of each item.
  std::vector<std::vector<std::int32_t>> user_items(static_cast<std::size_t>(logs.num_users()));
  std::vector<std::vector<std::int32_t>> item_users(static_cast<std::size_t>(n));
  for (std::int32_t u = 0; u < logs.num_users(); ++u) {
    auto& items = user_items[static_cast<std::size_t>(u)];
    for (const auto& e : logs.history(u)) items.push_back(e.item);
    std::sort(items.begin(), items.end());
    items.erase(std::unique(items.begin(), items.end()), items.end());
    for (std::int32_t i : items) item_users[static_cast<std::size_t>(i)].push_back(u);
  }
  neighbours_.resize(static_cast<std::size_t>(n));
  std::vector<float> co(static_cast<std::size_t>(n), 0);
  std::vector<std::int32_t> touched;
  for (std::int32_t i = 0; i < n; ++i) {
    touched.clear();
    for (std::int32_t u : item_users[static_cast<std::size_t>(i)])
      for (std::int32_t j : user_items[static_cast<std::size_t>(u)]) {
        if (j == i) continue;
        if (co[static_cast<std::size_t>(j)] == 0) touched.push_back(j);
        co[static_cast<std::size_t>(j)] += 1;
      }
    std::vector<std::pair<float, std::int32_t>> sims;
    sims.reserve(touched.size());
    for (std::int32_t j : touched) {
      const float denom =
          std::sqrt(static_cast<float>(item_users[static_cast<std::size_t>(i)].size()) *
                    static_cast<float>(item_users[static_cast<std::size_t>(j)].size())) +
          o.shrink;
      sims.emplace_back(co[static_cast<std::size_t>(j)] / denom, j);
      co[static_cast<std::size_t>(j)] = 0;
    }
    const std::size_t m =
        std::min<std::size_t>(sims.size(), static_cast<std::size_t>(o.neighbours));
    std::partial_sort(sims.begin(), sims.begin() + static_cast<std::ptrdiff_t>(m), sims.end(),
                      [](const auto& a, const auto& b) {
                        return a.first > b.first || (a.first == b.first && a.second < b.second);
                      });
    sims.resize(m);
    neighbours_[static_cast<std::size_t>(i)] = std::move(sims);
  }
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
    std::partial_sort(row.begin(), row.begin() + static_cast<std::ptrdiff_t>(m), row.end(),
                      [](const auto& a, const auto& b) {
                        return a.first > b.first || (a.first == b.first && a.second < b.second);
                      });
    row.resize(m);
    out.neighbours_[static_cast<std::size_t>(i)] = std::move(row);
  }
  return out;
}

nn::Matrix ease_weights(const Interactions& logs, double lambda) {
  RECSYS_CHECK(lambda > 0 && std::isfinite(lambda), "EASE: lambda must be > 0, got ", lambda);
  const std::int32_t n = logs.num_items();
  RECSYS_CHECK(n <= 20000, "EASE: the closed form needs an items × items matrix; ", n,
               " items is above the limit of 20,000");
  Eigen::MatrixXd G = Eigen::MatrixXd::Zero(n, n);
  std::vector<std::int32_t> items;
  for (std::int32_t u = 0; u < logs.num_users(); ++u) {
    items.clear();
    for (const auto& e : logs.history(u)) items.push_back(e.item);
    std::sort(items.begin(), items.end());
    items.erase(std::unique(items.begin(), items.end()), items.end());
    for (std::int32_t i : items)
      for (std::int32_t j : items) G(i, j) += 1;
  }
  G.diagonal().array() += lambda;
  // P = G⁻¹ from the Cholesky factor: G = L Lᵀ, P = L⁻ᵀ L⁻¹.
  const Eigen::LLT<Eigen::MatrixXd> llt(G);
  RECSYS_CHECK(llt.info() == Eigen::Success, "EASE: the Gram matrix is not positive definite");
  G.setIdentity();
  llt.matrixL().solveInPlace(G);  // L⁻¹
  const Eigen::MatrixXd P = G.transpose() * G.triangularView<Eigen::Lower>();
  nn::Matrix B(n, n);
  for (Eigen::Index j = 0; j < n; ++j) {
    const double d = P(j, j);
    for (Eigen::Index i = 0; i < n; ++i) B(i, j) = i == j ? 0.0f : static_cast<float>(-P(i, j) / d);
  }
  return B;
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
