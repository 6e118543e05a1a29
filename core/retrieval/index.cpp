#include "retrieval/index.h"

#include <algorithm>
#include <cmath>

#include "common/check.h"
#include "common/parallel.h"
#include "data/json_options.h"
#include "nn/kernels.h"

namespace recsys {

void ItemFilter::exclude(std::int32_t item) {
  RECSYS_CHECK(item >= 0 && item < size(), "filter: item index ", item, " out of range [0, ",
               size(), ")");
  allowed_[static_cast<std::size_t>(item)] = 0;
}

void ItemFilter::keep_only(const std::vector<std::int32_t>& values,
                           const std::vector<std::int32_t>& allowed) {
  RECSYS_CHECK(static_cast<std::int32_t>(values.size()) == size(), "filter: ", values.size(),
               " attribute values for ", size(), " items");
  std::vector<std::int32_t> sorted(allowed);
  std::sort(sorted.begin(), sorted.end());
  for (std::size_t i = 0; i < values.size(); ++i)
    if (!std::binary_search(sorted.begin(), sorted.end(), values[i])) allowed_[i] = 0;
}

void ItemFilter::keep_price(const std::vector<double>& prices, double min, double max) {
  RECSYS_CHECK(static_cast<std::int32_t>(prices.size()) == size(), "filter: ", prices.size(),
               " prices for ", size(), " items");
  RECSYS_CHECK(min <= max, "filter: price range [", min, ", ", max, "] is empty");
  for (std::size_t i = 0; i < prices.size(); ++i)
    if (prices[i] < min || prices[i] > max) allowed_[i] = 0;
}

std::int32_t ItemFilter::allowed_count() const {
  std::int32_t n = 0;
  for (char c : allowed_) n += c != 0;
  return n;
}

IndexOptions IndexOptions::from_json(std::string_view text) {
  IndexOptions o;
  for_each_json_field(text, "index options", [&](const JsonField& f) {
    const std::string& k = f.key();
    if (k == "kind")
      o.kind = f.string();
    else if (k == "rerank")
      o.rerank = f.integer(1);
    else if (k == "nlist")
      o.nlist = f.integer(0);
    else if (k == "nprobe")
      o.nprobe = f.integer(0);
    else if (k == "kmeans_iterations")
      o.kmeans_iterations = f.integer(1);
    else if (k == "kmeans_sample")
      o.kmeans_sample = f.integer(1);
    else if (k == "seed")
      o.seed = static_cast<std::uint64_t>(f.integer(0));
    else
      f.unknown();
  });
  RECSYS_CHECK(o.kind == "exact" || o.kind == "int8" || o.kind == "ivf",
               "index options: 'kind' must be exact, int8 or ivf, got '", o.kind, "'");
  return o;
}

std::vector<ScoredItem> Index::search_one(const float* query, int k,
                                          const ItemFilter* filter) const {
  std::vector<std::vector<ScoredItem>> out;
  search(query, 1, k, filter, out);
  return std::move(out[0]);
}

float* Index::reserve(std::int32_t n, int d) {
  RECSYS_CHECK(n > 0 && d > 0, name(), " index: reserve needs n > 0 and d > 0, got ", n, " x ", d);
  staging_.resize(n, d);
  return staging_.data();
}

void Index::build_reserved() {
  RECSYS_CHECK_STATE(staging_.size() > 0, name(), " index: build_reserved() without reserve()");
  nn::Matrix m;
  m.swap(staging_);
  build(m);
}

namespace {

void check_search(const Index& index, std::int32_t m, int k, const ItemFilter* filter) {
  RECSYS_CHECK_STATE(index.size() > 0, index.name(), " index: search before build");
  RECSYS_CHECK(m >= 0, index.name(), " index: query count must be >= 0, got ", m);
  RECSYS_CHECK(k >= 1, index.name(), " index: k must be >= 1, got ", k);
  RECSYS_CHECK(!filter || filter->empty() || filter->size() == index.size(), index.name(),
               " index: the filter has ", filter ? filter->size() : 0, " items, the index ",
               index.size());
}

const char* allowed_mask(const ItemFilter* f) {
  return f && !f->empty() ? f->mask().data() : nullptr;
}

// Exact float32 brute force over the vectors in panel layout (nn::kernels::pack_panels): a scan
// without horizontal sums, and for batches a register-blocked GEMM, four queries per tile, over
// blocks of items that stay in cache while every query tile passes over them: the items are
// streamed from memory once per batch, not once per query.
class ExactIndex : public Index {
 public:
  void build(const nn::Matrix& items) override {
    RECSYS_CHECK(items.rows() > 0 && items.cols() > 0, "exact index: no vectors to index");
    RECSYS_CHECK(items.allFinite(), "exact index: the vectors contain NaN or infinity");
    const auto n = static_cast<std::int32_t>(items.rows());
    const int d = static_cast<int>(items.cols());
    std::vector<float> panels(static_cast<std::size_t>(nn::kernels::panel_floats(n, d)));
    nn::kernels::pack_panels(items.data(), n, d, panels.data());
    adopt(panels, n, d);
  }
  // The caller fills the rows into a buffer of panel size, which is packed in place: no copy.
  float* reserve(std::int32_t n, int d) override {
    RECSYS_CHECK(n > 0 && d > 0, "exact index: reserve needs n > 0 and d > 0, got ", n, " x ", d);
    staged_.assign(static_cast<std::size_t>(nn::kernels::panel_floats(n, d)), 0.0f);
    staged_n_ = n;
    staged_d_ = d;
    return staged_.data();
  }
  void build_reserved() override {
    RECSYS_CHECK_STATE(!staged_.empty(), "exact index: build_reserved() without reserve()");
    std::vector<float> panels;
    panels.swap(staged_);
    const std::size_t used = static_cast<std::size_t>(staged_n_) * staged_d_;
    if (!std::all_of(panels.begin(), panels.begin() + used, [](float x) { return std::isfinite(x); }))
      RECSYS_FAIL(Range, "exact index: the vectors contain NaN or infinity");
    nn::kernels::pack_panels(panels.data(), staged_n_, staged_d_, panels.data());
    adopt(panels, staged_n_, staged_d_);
  }
  void search(const float* queries, std::int32_t m, int k, const ItemFilter* filter,
              std::vector<std::vector<ScoredItem>>& out) const override {
    check_search(*this, m, k, filter);
    out.assign(static_cast<std::size_t>(m), {});
    if (m <= kFewQueries && split_items(n_, kFewBlock)) {
      // One query (or a few): too little to split by queries, so the items split across the
      // threads (a scan bound by memory bandwidth reads more with two cores reading), each part
      // keeping its own top k; the merged lists are the one-thread lists.
      by_item_ranges(n_, kFewBlock, m, k, out,
                     [&](std::int32_t i0, std::int32_t i1, std::vector<ScoredItem>* part) {
                       scan(queries, m, k, filter, part, i0, i1);
                     });
      return;
    }
    // A batch splits across the threads by queries, in multiples of the query tile: each chunk is
    // the scan of its own queries, so the lists are the same on any thread count.
    parallel::for_chunks(m, kQueryTile, kQueryTile, [&](std::int64_t q0, std::int64_t q1) {
      scan(queries + q0 * d_, static_cast<std::int32_t>(q1 - q0), k, filter, out.data() + q0, 0,
           n_);
    });
  }
  std::string name() const override { return "exact"; }
  std::int32_t size() const override { return n_; }

 private:
  static constexpr std::int32_t kQueryTile = 32;   // queries scored per pass over a block
  static constexpr std::int32_t kFewQueries = 4;   // up to this many: one long run per block
  static constexpr std::int32_t kFewBlock = 4096;  // that block (a multiple of the panel)
  // Items [i0, i1) (i0 a multiple of the block) for queries 0 .. m.
  void scan(const float* queries, std::int32_t m, int k, const ItemFilter* filter,
            std::vector<ScoredItem>* out, std::int32_t i0, std::int32_t i1) const {
    const char* allowed = allowed_mask(filter);
    constexpr int P = nn::kernels::kPanel;
    static_assert(kFewBlock % P == 0, "item ranges start at a panel");
    // Items per block: for one query a long run (the scan is bound by memory bandwidth); for
    // batches a block of about 256 KB, which stays in cache while the query tiles pass.
    const std::int32_t block =
        m <= kFewQueries ? kFewBlock : std::max<std::int32_t>(P, (262144 / (d_ * 4)) / P * P);
    std::vector<TopK> tops(static_cast<std::size_t>(m), TopK(k));
    std::vector<float> s(static_cast<std::size_t>(std::min(m, kQueryTile)) * block);
    for (std::int32_t b = i0; b < i1; b += block) {
      const std::int32_t c = std::min(block, i1 - b);
      const float* panels = panels_.data() + static_cast<std::int64_t>(b / P) * P * d_;
      const std::int64_t count = (c + P - 1) / P;
      for (std::int32_t q0 = 0; q0 < m; q0 += kQueryTile) {
        const int mq = std::min(kQueryTile, m - q0);
        nn::kernels::panel_scores(panels, count, d_, queries + static_cast<std::int64_t>(q0) * d_,
                                  mq, s.data(), block);
        for (int t = 0; t < mq; ++t)
          tops[q0 + t].push_block(s.data() + static_cast<std::size_t>(t) * block, c, b, nullptr,
                                  allowed);
      }
    }
    for (std::int32_t q = 0; q < m; ++q) out[q] = tops[q].sorted();
  }

 public:
  int dim() const override { return d_; }
  std::size_t memory_bytes() const override { return panels_.size() * sizeof(float); }

 private:
  void adopt(std::vector<float>& panels, std::int32_t n, int d) {
    panels_.swap(panels);
    n_ = n;
    d_ = d;
  }
  std::vector<float> staged_;  // reserve()d rows, packed by build_reserved()
  std::int32_t staged_n_ = 0;
  int staged_d_ = 0;
  std::vector<float> panels_;
  std::int32_t n_ = 0;
  int d_ = 0;
};

}  // namespace

std::unique_ptr<Index> make_int8_index(const IndexOptions& options);
std::unique_ptr<Index> make_ivf_index(const IndexOptions& options);

const std::vector<std::string>& index_kinds() {
  static const std::vector<std::string> kinds{"exact", "int8", "ivf"};
  return kinds;
}

std::unique_ptr<Index> make_index(const IndexOptions& options) {
  if (options.kind == "exact") return std::make_unique<ExactIndex>();
  if (options.kind == "int8") return make_int8_index(options);
  if (options.kind == "ivf") return make_ivf_index(options);
  RECSYS_FAIL(Range, "index: unknown kind '", options.kind, "' (expected exact, int8 or ivf)");
}

void search_flat(const Index& index, const float* queries, std::int32_t m, int k,
                 const std::vector<std::int32_t>& exclude, std::vector<std::int32_t>& ids,
                 std::vector<float>& scores) {
  ItemFilter filter;
  if (!exclude.empty()) {
    filter = ItemFilter(index.size());
    for (std::int32_t id : exclude) filter.exclude(id);
  }
  std::vector<std::vector<ScoredItem>> out;
  index.search(queries, m, k, filter.empty() ? nullptr : &filter, out);
  ids.assign(static_cast<std::size_t>(m) * static_cast<std::size_t>(k), -1);
  scores.assign(ids.size(), 0.0f);
  for (std::int32_t q = 0; q < m; ++q)
    for (std::size_t j = 0; j < out[q].size(); ++j) {
      ids[static_cast<std::size_t>(q) * k + j] = out[q][j].item;
      scores[static_cast<std::size_t>(q) * k + j] = out[q][j].score;
    }
}

double recall_against(const Index& exact, const Index& approx, const nn::Matrix& queries, int k) {
  RECSYS_CHECK(queries.rows() > 0, "recall: no queries");
  std::vector<std::vector<ScoredItem>> a, e;
  exact.search(queries.data(), static_cast<std::int32_t>(queries.rows()), k, nullptr, e);
  approx.search(queries.data(), static_cast<std::int32_t>(queries.rows()), k, nullptr, a);
  double total = 0;
  for (std::size_t q = 0; q < e.size(); ++q) {
    std::int32_t hits = 0;
    for (const auto& x : e[q])
      for (const auto& y : a[q]) hits += x.item == y.item;
    total += e[q].empty() ? 1.0 : static_cast<double>(hits) / static_cast<double>(e[q].size());
  }
  return total / static_cast<double>(e.size());
}

}  // namespace recsys
