// Exact top-K by inner product: the oracle that the approximate indexes are tested against.
#pragma once

#include <cstdint>
#include <vector>

#include "common/function_ref.h"
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

// Keeps the best k of a stream of (item, score) pairs: a heap whose top is the worst kept item.
class TopK {
 public:
  explicit TopK(int k) : k_(static_cast<std::size_t>(k)) { heap_.reserve(k_ + 1); }
  // The score an item must beat to enter (lowest float when not yet full).
  float threshold() const { return heap_.size() < k_ ? -3.4e38f : heap_.front().score; }
  void push(std::int32_t item, float score);
  // Items scored in one block: scores[j] belongs to item ids[j] (or first_id + j when ids is null);
  // allowed (indexed by item id, 1 = allowed) may be null.
  void push_block(const float* scores, std::int32_t count, std::int32_t first_id,
                  const std::int32_t* ids, const char* allowed);
  // Best first.
  std::vector<ScoredItem> sorted() const;
  std::size_t size() const { return heap_.size(); }

 private:
  std::size_t k_;
  std::vector<ScoredItem> heap_;
};

// A scan of one query (or a few) split by items across the threads (common/parallel.h), for the
// indexes whose batches split by queries. split_items: whether n items are worth splitting on this
// thread count. by_item_ranges: scan(i0, i1, part) fills part[q], q < m, with the best `keep` items
// of [i0, i1) for query q (TopK's lists); the ranges start at multiples of `align`; out[q] becomes
// the best `keep` of the parts' lists, which is the list of one scan over all the items (the order
// is total: score, then the lower id), so results do not depend on the thread count.
bool split_items(std::int32_t n, std::int32_t align);
void by_item_ranges(
    std::int32_t n, std::int32_t align, std::int32_t m, int keep,
    std::vector<std::vector<ScoredItem>>& out,
    const FunctionRef<void(std::int32_t, std::int32_t, std::vector<ScoredItem>*)>& scan);

}  // namespace recsys
