// Offline ranking metrics at K. A user's list is ranked best first (ties already broken: the
// scorers break equal scores by the lower item index); `relevant` is the set of the user's held-out
// items (sorted, unique). Users without relevant items are not evaluated (callers skip them).
//   HitRate@K   1 if any relevant item is in the top K, else 0
//   Precision@K |relevant ∩ top K| / K (K, not the list length, even when the list is shorter)
//   Recall@K    |relevant ∩ top K| / |relevant|
//   NDCG@K      Σ_{i<K, list[i] relevant} 1/log2(i + 2)  /  Σ_{i<min(K,|relevant|)} 1/log2(i + 2)
//   MRR@K       1 / (1-based rank of the first relevant item in the top K), 0 if none
//   AP@K        Σ_{i<K, list[i] relevant} Precision@(i+1)  /  min(K, |relevant|); MAP = mean AP
// Over all users' top-K lists:
//   coverage    distinct recommended items / catalog size
//   novelty     mean over recommended items of -log2(p(i)), p(i) = share of training users who had
//               item i (at least 1 / #users, so unseen items count as the rarest)
//   ILD         intra-list diversity: mean over lists of the share of item pairs in different
//               categories (category), or of the mean pairwise 1 - cosine similarity (embedding)
//   Gini        Gini coefficient of how often each catalog item is recommended (0 = even exposure,
//               → 1 = a few items get everything): Σ_i (2i - n - 1) x_(i) / (n Σ x), x ascending
#pragma once

#include <cstdint>
#include <vector>

#include "nn/tensor.h"

namespace recsys::eval {

struct RankingMetrics {
  double hit = 0, precision = 0, recall = 0, ndcg = 0, mrr = 0, ap = 0;
};

// Metrics of one ranked list (best first) against sorted unique relevant items. k >= 1.
RankingMetrics ranking_metrics(const std::vector<std::int32_t>& ranked,
                               const std::vector<std::int32_t>& relevant, int k);

// Aggregates over the top-K lists of all evaluated users.
double catalog_coverage(const std::vector<std::vector<std::int32_t>>& lists,
                        std::int32_t num_items);
double novelty(const std::vector<std::vector<std::int32_t>>& lists,
               const std::vector<std::int32_t>& item_user_counts, std::int32_t num_users);
double category_diversity(const std::vector<std::vector<std::int32_t>>& lists,
                          const std::vector<std::int32_t>& item_category);
double embedding_diversity(const std::vector<std::vector<std::int32_t>>& lists,
                           const nn::Matrix& item_embeddings);
double exposure_gini(const std::vector<std::vector<std::int32_t>>& lists, std::int32_t num_items);
// Gini coefficient of non-negative values (0 when all equal or all zero).
double gini(std::vector<double> values);

}  // namespace recsys::eval
