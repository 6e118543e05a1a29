#include "retrieval/topk.h"

#include <algorithm>

#include "common/check.h"
#include "common/parallel.h"

namespace recsys {

namespace {
// Heap order: the worst of the kept items on top (lower score, or equal score and higher index).
// A function object, so that the heap and the sort inline it (as a function pointer it was called
// for every comparison: 15 % of a simulated session's time, measured with perf).
struct Better {
  bool operator()(const ScoredItem& a, const ScoredItem& b) const {
    return a.score > b.score || (a.score == b.score && a.item < b.item);
  }
};
constexpr Better better{};

// Puts c in place of the heap's top (its worst item) and restores the heap in one sift down,
// where pop_heap and then push_heap sift twice. The order is total (ties go to the lower index),
// so the kept set, and the sorted list, are those of pop_heap and push_heap.
void replace_top(std::vector<ScoredItem>& heap, const ScoredItem& c) {
  const std::size_t n = heap.size();
  std::size_t i = 0;
  for (std::size_t child = 1; child < n; child = 2 * i + 1) {
    if (child + 1 < n && better(heap[child], heap[child + 1])) ++child;  // the worse child
    if (!better(c, heap[child])) break;
    heap[i] = heap[child];
    i = child;
  }
  heap[i] = c;
}
}  // namespace

void TopK::push(std::int32_t item, float score) {
  const ScoredItem c{item, score};
  if (heap_.size() < k_) {
    heap_.push_back(c);
    std::push_heap(heap_.begin(), heap_.end(), better);
  } else if (better(c, heap_.front())) {
    replace_top(heap_, c);
  }
}

void TopK::push_block(const float* scores, std::int32_t count, std::int32_t first_id,
                      const std::int32_t* ids, const char* allowed) {
  float t = threshold();
  std::int32_t j = 0;
  // Most scores of a long scan fall below the threshold: test sixteen at a time with a
  // branch-free OR of comparisons (vectorised on both targets), and look closer only where one
  // reaches it.
  constexpr std::int32_t kChunk = 16;
  for (; j + kChunk <= count; j += kChunk) {
    int any = 0;
    for (int l = 0; l < kChunk; ++l) any |= scores[j + l] >= t;
    if (!any) continue;
    for (int l = 0; l < kChunk; ++l) {
      const std::int32_t at = j + l;
      if (scores[at] < t) continue;
      const std::int32_t item = ids ? ids[at] : first_id + at;
      if (allowed && !allowed[item]) continue;
      push(item, scores[at]);
      t = threshold();
    }
  }
  for (; j < count; ++j) {
    if (scores[j] < t) continue;  // cheap rejection of most candidates
    const std::int32_t item = ids ? ids[j] : first_id + j;
    if (allowed && !allowed[item]) continue;
    push(item, scores[j]);
    t = threshold();
  }
}

std::vector<ScoredItem> TopK::sorted() const {
  std::vector<ScoredItem> out = heap_;
  std::sort(out.begin(), out.end(), better);
  return out;
}

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
      replace_top(heap, c);
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

namespace {
// Items per thread below which a split costs more than it gains (a fork-join is a few
// microseconds; 16,384 rows of 64 floats are 4 MB, some 0.2 ms of reading).
constexpr std::int32_t kMinItemsPerThread = 16384;
}  // namespace

bool split_items(std::int32_t n, std::int32_t align) {
  const int t = parallel::threads();
  return t > 1 && n >= static_cast<std::int64_t>(t) * std::max(align, kMinItemsPerThread);
}

void by_item_ranges(
    std::int32_t n, std::int32_t align, std::int32_t m, int keep,
    std::vector<std::vector<ScoredItem>>& out,
    const FunctionRef<void(std::int32_t, std::int32_t, std::vector<ScoredItem>*)>& scan) {
  RECSYS_CHECK(n >= 0 && align >= 1 && m >= 0 && keep >= 1, "by_item_ranges: n ", n, ", align ",
               align, ", m ", m, ", keep ", keep);
  const int parts = std::max(1, std::min(parallel::threads(), (n + align - 1) / align));
  // Range p: [start(p), start(p + 1)), whole blocks of `align` shared as evenly as they go.
  const std::int64_t blocks = (static_cast<std::int64_t>(n) + align - 1) / align;
  const auto start = [&](int p) {
    return static_cast<std::int32_t>(std::min<std::int64_t>(n, blocks * p / parts * align));
  };
  std::vector<std::vector<std::vector<ScoredItem>>> lists(static_cast<std::size_t>(parts));
  parallel::for_tasks(parts, [&](int p) {
    lists[p].assign(static_cast<std::size_t>(m), {});
    if (start(p) < start(p + 1)) scan(start(p), start(p + 1), lists[p].data());
  });
  out.assign(static_cast<std::size_t>(m), {});
  for (std::int32_t q = 0; q < m; ++q) {
    TopK top(keep);
    for (const auto& list : lists)
      for (const ScoredItem& c : list[q]) top.push(c.item, c.score);
    out[q] = top.sorted();
  }
}

}  // namespace recsys
