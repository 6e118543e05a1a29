// Top-K inner-product search over item vectors: one interface (build over n × d vectors, then
// search m × d queries for k items each, with a filter), three implementations —
//   exact : float32 brute force (SIMD dot products, partial top-K); the oracle of every test;
//   int8  : per-vector symmetric int8 quantisation, an int8 scan, then an exact float re-rank of
//           the best k · rerank candidates;
//   ivf   : k-means coarse quantiser (nlist cells), scans the nprobe cells nearest the query.
// Results are best first; equal scores go to the lower item index.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nn/tensor.h"
#include "retrieval/topk.h"

namespace recsys {

// Which items a search may return: a per-item mask (1 = allowed), built from exclusions
// (seen, purchased, in cart), category / brand allow-lists and a price range.
class ItemFilter {
 public:
  ItemFilter() = default;
  explicit ItemFilter(std::int32_t num_items) : allowed_(static_cast<std::size_t>(num_items), 1) {}
  bool empty() const { return allowed_.empty(); }
  std::int32_t size() const { return static_cast<std::int32_t>(allowed_.size()); }
  bool allows(std::int32_t item) const {
    return allowed_.empty() || allowed_[static_cast<std::size_t>(item)];
  }
  void exclude(std::int32_t item);
  // Keep only items whose attribute (category, brand, ...) index is in `allowed_values`.
  void keep_only(const std::vector<std::int32_t>& item_values,
                 const std::vector<std::int32_t>& allowed_values);
  // Keep only items with min <= price <= max.
  void keep_price(const std::vector<double>& prices, double min, double max);
  std::int32_t allowed_count() const;
  const std::vector<char>& mask() const { return allowed_; }

 private:
  std::vector<char> allowed_;  // empty: everything allowed
};

struct IndexOptions {
  std::string kind = "exact";  // exact | int8 | ivf
  int rerank = 4;              // int8: re-rank the best k · rerank by exact score
  int nlist = 0;               // ivf: cells (0: about sqrt(n))
  int nprobe = 0;              // ivf: cells searched (0: the default, see IvfIndex)
  int kmeans_iterations = 8;
  std::int32_t kmeans_sample = 20000;  // ivf: vectors the centroids are trained on
  std::uint64_t seed = 1;
  // exact: skip the rows that a bound from int8 codes kept beside the floats rules out, and score
  // the rest exactly (the lists are those of the full scan, bit for bit; see ExactIndex). Unset:
  // from kPruneFrom vectors, where the scan is long enough to gain (smaller ones scan the floats).
  std::optional<bool> prune;
  static constexpr std::int32_t kPruneFrom = 32768;
  // {"kind", "rerank", "nlist", "nprobe", "kmeans_iterations", "kmeans_sample", "seed", "prune"}.
  static IndexOptions from_json(std::string_view json);
};

class Index {
 public:
  virtual ~Index() = default;
  // Indexes the rows of `items` (n × d, row-major); replaces any previous content.
  virtual void build(const nn::Matrix& items) = 0;
  // queries: m × d row-major; out[q] = the top k allowed items of query q.
  virtual void search(const float* queries, std::int32_t m, int k, const ItemFilter* filter,
                      std::vector<std::vector<ScoredItem>>& out) const = 0;
  virtual std::string name() const = 0;
  virtual std::int32_t size() const = 0;
  virtual int dim() const = 0;
  virtual std::size_t memory_bytes() const = 0;
  // The mean share of the indexed vectors that a search of these m queries scores (1 for a full
  // scan; IVF: the probed cells).
  virtual double scanned_fraction(const float* queries, std::int32_t m) const { return 1.0; }
  // Convenience: one query.
  std::vector<ScoredItem> search_one(const float* query, int k,
                                     const ItemFilter* filter = nullptr) const;
  // Two-step build without an extra copy of the input: reserve() hands out storage for n × d
  // floats (row-major) that the caller fills, then build_reserved() indexes it. An index that
  // keeps the raw vectors (exact) adopts that storage.
  virtual float* reserve(std::int32_t n, int d);
  virtual void build_reserved();

 protected:
  nn::Matrix staging_;
};

// "exact", "int8", "ivf": the kinds make_index builds (the JS API's IndexKind type lists the
// same, a test checks it).
const std::vector<std::string>& index_kinds();
std::unique_ptr<Index> make_index(const IndexOptions& options);

// Searches m queries and lays the results out flat: ids and scores of query q at [q·k, q·k + k),
// -1 / 0 where fewer than k items qualify. `exclude` lists item indices no query may return.
void search_flat(const Index& index, const float* queries, std::int32_t m, int k,
                 const std::vector<std::int32_t>& exclude, std::vector<std::int32_t>& ids,
                 std::vector<float>& scores);

// What every index's search() checks first, naming the index: built, m >= 0, k >= 1, a filter
// of the index's size, and finite queries (m × dim()).
void check_search(const Index& index, const float* queries, std::int32_t m, int k,
                  const ItemFilter* filter);

// The int8 codes of one vector (the int8 index's, and the exact index's bound): round(x / s),
// clamped to [-63, 63], with s = max|x| / 63 (1 for a zero vector); returns s.
float quantize_i8(const float* x, int d, std::int8_t* out);
// From how many bytes of int8 codes (rows × dimensions) a single query's int8 scan (the int8
// index's, and the exact index's bound) reads the codes' high four bits first (half the bytes)
// instead of the codes: 32 MiB by default, where the codes outgrow a last-level cache and stream
// from memory (in cache, the full codes' scan is the faster: 100k x 64 in Chromium, 0.30 against
// 0.46 ms). Set for the whole process (tests set 0: every index).
std::int64_t nibble_pass_from();
void set_nibble_pass_from(std::int64_t bytes);
// Rows per block of an int8 scan of m queries (the int8 index's and the exact index's bound): one
// query a long run; a batch about 256 KB of codes, which stay in cache while the queries pass.
constexpr std::int32_t int8_scan_block(std::int32_t m, int d) {
  return m == 1 ? 8192 : std::max<std::int32_t>(4, 262144 / d / 4 * 4);
}

// Pass one of a single query's int8 scan from the codes' high nibbles (the int8 index's and the
// exact index's, from nibble_pass_from() bytes of codes): for rows [i0, i1), every row's upper
// bound on its int8 score (nn::kernels::nibble_bounds; row r's at bounds[r - i0]) and the ids,
// ascending, of the `lead` allowed rows of the highest bounds, which the caller scores first.
struct NibbleScan {
  std::vector<std::int8_t> q;         // the query's codes, padded with zeros for the nibbles
  std::unique_ptr<float[]> bounds;    // not zeroed: a fresh block of zeros is fresh pages
  std::vector<std::int32_t> leaders;  // ascending
  bool is_leader(std::int32_t r) const;
  // Row r's int8 score, with the bits of nn::kernels::scores_i8_scaled_multi.
  float score(const std::int8_t* codes, const float* scales, int d, std::int32_t r) const;
};
NibbleScan nibble_scan(const std::uint8_t* nibbles, const float* scales, int d,
                       const std::int8_t* query_codes, std::int32_t i0, std::int32_t i1, int lead,
                       const char* allowed);

// Recall@k of `approx` against `exact` over the queries (mean over queries of |A ∩ E| / |E|).
double recall_against(const Index& exact, const Index& approx, const nn::Matrix& queries, int k);

}  // namespace recsys
