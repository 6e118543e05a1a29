#include "strategy/diversity.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "common/check.h"
#include "nn/kernels.h"

namespace recsys {

std::vector<DiversityPick> diversify(const std::vector<std::int32_t>& candidates,
                                     const std::vector<float>& relevance, const nn::Matrix& E,
                                     double lambda, int k,
                                     const std::vector<std::int32_t>& categories, int cap) {
  RECSYS_CHECK(candidates.size() == relevance.size(), "diversity: ", candidates.size(),
               " candidates but ", relevance.size(), " relevance scores");
  RECSYS_CHECK(lambda >= 0 && lambda <= 1, "diversity: lambda must be in [0, 1], got ", lambda);
  RECSYS_CHECK(k >= 0, "diversity: k must be >= 0, got ", k);
  RECSYS_CHECK(cap >= 0, "diversity: category cap must be >= 0, got ", cap);
  const std::size_t n = candidates.size();
  std::vector<DiversityPick> picks;
  if (n == 0 || k == 0) return picks;
  float lo = relevance[0], hi = relevance[0];
  for (float r : relevance) {
    lo = std::min(lo, r);
    hi = std::max(hi, r);
  }
  std::vector<float> rel(n);
  for (std::size_t c = 0; c < n; ++c) rel[c] = hi > lo ? (relevance[c] - lo) / (hi - lo) : 1.0f;
  // Unit vectors, so that the dot product is the cosine.
  const int d = static_cast<int>(E.cols());
  nn::Matrix U(static_cast<Eigen::Index>(n), d);
  for (std::size_t c = 0; c < n; ++c) {
    U.row(static_cast<Eigen::Index>(c)) = E.row(candidates[c]);
    const float norm = U.row(static_cast<Eigen::Index>(c)).norm();
    if (norm > 0) U.row(static_cast<Eigen::Index>(c)) /= norm;
  }
  std::vector<float> max_sim(n, -1.0f);  // -1: nothing chosen yet, diversity 1
  std::vector<char> taken(n, 0);
  std::map<std::int32_t, int> per_category;
  const std::size_t want = std::min(n, static_cast<std::size_t>(k));
  while (picks.size() < want) {
    std::size_t best = n;
    float best_score = 0;
    for (int pass = 0; pass < 2 && best == n; ++pass) {  // pass 1 relaxes the cap
      for (std::size_t c = 0; c < n; ++c) {
        if (taken[c]) continue;
        if (pass == 0 && cap > 0 && !categories.empty() &&
            per_category[categories[candidates[c]]] >= cap)
          continue;
        const float div = max_sim[c] < -0.5f ? 1.0f : 1.0f - max_sim[c];
        const float f = static_cast<float>((1 - lambda) * rel[c] + lambda * div);
        if (best == n || f > best_score) {  // strict: ties keep the earlier candidate
          best = c;
          best_score = f;
        }
      }
    }
    taken[best] = 1;
    const float div = max_sim[best] < -0.5f ? 1.0f : 1.0f - max_sim[best];
    picks.push_back(DiversityPick{best, rel[best], div, best_score});
    if (!categories.empty()) ++per_category[categories[candidates[best]]];
    if (lambda > 0)
      for (std::size_t c = 0; c < n; ++c)
        if (!taken[c])
          max_sim[c] = std::max(max_sim[c],
                                nn::kernels::dot(U.row(static_cast<Eigen::Index>(c)).data(),
                                                 U.row(static_cast<Eigen::Index>(best)).data(), d));
  }
  return picks;
}

}  // namespace recsys
