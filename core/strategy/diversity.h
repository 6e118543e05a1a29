// Diversity control of the final list. The tutorial's blend, as maximal marginal relevance:
// each next item maximises  final = (1 - λ) · relevance + λ · diversity,  where relevance is
// min-max normalised over the candidates and diversity = 1 - (the highest cosine similarity of
// the item's embedding to the items already chosen); the first pick has diversity 1. With λ = 0
// the order is exactly the relevance order. A per-category cap (0 = none) skips items of a
// category that already has `cap` items, unless too few candidates are left to fill k.
#pragma once

#include <cstdint>
#include <vector>

#include "nn/tensor.h"

namespace recsys {

struct DiversityPick {
  std::size_t candidate;  // index into the candidate list
  float relevance;        // normalised to [0, 1]
  float diversity;        // 1 - max similarity to earlier picks
  float final_score;      // (1 - λ) relevance + λ diversity
};

// candidates: item indices (rows of `embeddings`); relevance: any scale, higher is better;
// categories: per item index (may be empty when cap is 0).
std::vector<DiversityPick> diversify(const std::vector<std::int32_t>& candidates,
                                     const std::vector<float>& relevance,
                                     const nn::Matrix& embeddings, double lambda, int k,
                                     const std::vector<std::int32_t>& categories = {},
                                     int category_cap = 0);

}  // namespace recsys
