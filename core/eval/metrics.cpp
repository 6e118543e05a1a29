#include "eval/metrics.h"

#include <algorithm>
#include <cmath>

#include "common/check.h"

namespace recsys::eval {

RankingMetrics ranking_metrics(const std::vector<std::int32_t>& ranked,
                               const std::vector<std::int32_t>& relevant, int k) {
  RECSYS_CHECK(k >= 1, "metrics: k must be >= 1, got ", k);
  RankingMetrics m;
  if (relevant.empty()) return m;
  const std::size_t n = std::min(ranked.size(), static_cast<std::size_t>(k));
  double dcg = 0, ap = 0;
  int hits = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::binary_search(relevant.begin(), relevant.end(), ranked[i])) continue;
    ++hits;
    dcg += 1.0 / std::log2(static_cast<double>(i) + 2);
    ap += static_cast<double>(hits) / static_cast<double>(i + 1);
    if (hits == 1) m.mrr = 1.0 / static_cast<double>(i + 1);
  }
  const std::size_t ideal = std::min(relevant.size(), static_cast<std::size_t>(k));
  double idcg = 0;
  for (std::size_t i = 0; i < ideal; ++i) idcg += 1.0 / std::log2(static_cast<double>(i) + 2);
  m.hit = hits > 0 ? 1 : 0;
  m.precision = static_cast<double>(hits) / k;
  m.recall = static_cast<double>(hits) / static_cast<double>(relevant.size());
  m.ndcg = dcg / idcg;
  m.ap = ap / static_cast<double>(ideal);
  return m;
}

double catalog_coverage(const std::vector<std::vector<std::int32_t>>& lists,
                        std::int32_t num_items) {
  RECSYS_CHECK(num_items > 0, "coverage: num_items must be > 0");
  std::vector<char> seen(static_cast<std::size_t>(num_items), 0);
  std::int32_t distinct = 0;
  for (const auto& l : lists)
    for (std::int32_t i : l)
      if (!seen[i]) {
        seen[i] = 1;
        ++distinct;
      }
  return static_cast<double>(distinct) / num_items;
}

double novelty(const std::vector<std::vector<std::int32_t>>& lists,
               const std::vector<std::int32_t>& item_user_counts, std::int32_t num_users) {
  RECSYS_CHECK(num_users > 0, "novelty: num_users must be > 0");
  double sum = 0;
  std::int64_t n = 0;
  for (const auto& l : lists)
    for (std::int32_t i : l) {
      const double p = std::max<double>(item_user_counts[i], 1.0) / num_users;
      sum += -std::log2(std::min(p, 1.0));
      ++n;
    }
  return n ? sum / static_cast<double>(n) : 0;
}

double category_diversity(const std::vector<std::vector<std::int32_t>>& lists,
                          const std::vector<std::int32_t>& item_category) {
  double sum = 0;
  std::int64_t counted = 0;
  for (const auto& l : lists) {
    if (l.size() < 2) continue;
    std::int64_t pairs = 0, different = 0;
    for (std::size_t a = 0; a < l.size(); ++a)
      for (std::size_t b = a + 1; b < l.size(); ++b) {
        ++pairs;
        different += item_category[l[a]] != item_category[l[b]];
      }
    sum += static_cast<double>(different) / static_cast<double>(pairs);
    ++counted;
  }
  return counted ? sum / static_cast<double>(counted) : 0;
}

double embedding_diversity(const std::vector<std::vector<std::int32_t>>& lists,
                           const nn::Matrix& E) {
  double sum = 0;
  std::int64_t counted = 0;
  for (const auto& l : lists) {
    if (l.size() < 2) continue;
    double total = 0;
    std::int64_t pairs = 0;
    for (std::size_t a = 0; a < l.size(); ++a)
      for (std::size_t b = a + 1; b < l.size(); ++b) {
        const double na = E.row(l[a]).norm(), nb = E.row(l[b]).norm();
        const double cos = na > 0 && nb > 0 ? E.row(l[a]).dot(E.row(l[b])) / (na * nb) : 0;
        total += 1 - cos;
        ++pairs;
      }
    sum += total / static_cast<double>(pairs);
    ++counted;
  }
  return counted ? sum / static_cast<double>(counted) : 0;
}

double gini(std::vector<double> x) {
  const std::size_t n = x.size();
  if (n == 0) return 0;
  std::sort(x.begin(), x.end());
  double total = 0, weighted = 0;
  for (std::size_t i = 0; i < n; ++i) {
    RECSYS_CHECK(x[i] >= 0, "gini: values must be non-negative, got ", x[i]);
    total += x[i];
    weighted += (2.0 * static_cast<double>(i + 1) - static_cast<double>(n) - 1) * x[i];
  }
  return total > 0 ? weighted / (static_cast<double>(n) * total) : 0;
}

double exposure_gini(const std::vector<std::vector<std::int32_t>>& lists, std::int32_t num_items) {
  std::vector<double> counts(static_cast<std::size_t>(num_items), 0);
  for (const auto& l : lists)
    for (std::int32_t i : l) counts[i] += 1;
  return gini(std::move(counts));
}

}  // namespace recsys::eval
