// Exact top-K by inner product: the oracle that the approximate indexes are tested against.
#pragma once

#include <cstdint>
#include <vector>

#include "nn/tensor.h"

namespace recsys {

struct ScoredItem {
  std::int32_t item;
  float score;
};

// The k items of `items` (n × d) with the highest <item, query>, best first; ties go to the lower
// index. excluded (size n, or empty) marks items that may not be returned.
std::vector<ScoredItem> top_k_exact(const nn::Matrix& items, const float* query, int k,
                                    const std::vector<char>& excluded = {});
// Selects the top k of a score vector (same tie rule).
std::vector<ScoredItem> top_k_of_scores(const float* scores, std::int32_t n, int k,
                                        const std::vector<char>& excluded = {});

}  // namespace recsys
