#include "retrieval/topk.h"

#include <algorithm>

#include "common/check.h"

namespace recsys {

namespace {
// Heap order: the worst of the kept items on top (lower score, or equal score and higher index).
bool better(const ScoredItem& a, const ScoredItem& b) {
  return a.score > b.score || (a.score == b.score && a.item < b.item);
}
}  // namespace

std::vector<ScoredItem> top_k_of_scores(const float* scores, std::int32_t n, int k,
                                        const std::vector<char>& excluded) {
  RECSYS_CHECK(k >= 1, "top-k: k must be >= 1, got ", k);
  RECSYS_CHECK(excluded.empty() || excluded.size() == static_cast<std::size_t>(n),
               "top-k: excluded has ", excluded.size(), " entries for ", n, " items");
  std::vector<ScoredItem> heap;
  heap.reserve(static_cast<std::size_t>(k) + 1);
  for (std::int32_t i = 0; i < n; ++i) {
    if (!excluded.empty() && excluded[i]) continue;
    const ScoredItem c{i, scores[i]};
    if (static_cast<int>(heap.size()) < k) {
      heap.push_back(c);
      std::push_heap(heap.begin(), heap.end(), better);
    } else if (better(c, heap.front())) {
      std::pop_heap(heap.begin(), heap.end(), better);
      heap.back() = c;
      std::push_heap(heap.begin(), heap.end(), better);
    }
  }
  std::sort(heap.begin(), heap.end(), better);
  return heap;
}

std::vector<ScoredItem> top_k_exact(const nn::Matrix& items, const float* query, int k,
                                    const std::vector<char>& excluded) {
  const Eigen::Map<const Eigen::VectorXf> q(query, items.cols());
  const Eigen::VectorXf scores = items * q;
  return top_k_of_scores(scores.data(), static_cast<std::int32_t>(items.rows()), k, excluded);
}

}  // namespace recsys
