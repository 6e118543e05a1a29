#include "retrieval/index.h"

#include <algorithm>
#include <atomic>
#include <cfloat>
#include <cmath>
#include <limits>
#include <memory>
#include <new>

#include "common/check.h"
#include "common/parallel.h"
#include "common/rng.h"
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
    else if (k == "prune")
      o.prune = f.boolean();
    else
      f.unknown();
  });
  RECSYS_CHECK(o.kind == "exact" || o.kind == "int8" || o.kind == "ivf",
               "index options: 'kind' must be exact, int8 or ivf, got '", o.kind, "'");
  return o;
}

void check_search(const Index& index, const float* queries, std::int32_t m, int k,
                  const ItemFilter* filter) {
  RECSYS_CHECK_STATE(index.size() > 0, index.name(), " index: search before build");
  RECSYS_CHECK(m >= 0, index.name(), " index: query count must be >= 0, got ", m);
  RECSYS_CHECK(k >= 1, index.name(), " index: k must be >= 1, got ", k);
  RECSYS_CHECK(!filter || filter->empty() || filter->size() == index.size(), index.name(),
               " index: the filter has ", filter ? filter->size() : 0, " items, the index ",
               index.size());
  const std::int64_t values = static_cast<std::int64_t>(m) * index.dim();
  for (std::int64_t i = 0; i < values; ++i)
    RECSYS_CHECK(std::isfinite(queries[i]), index.name(), " index: query ", i / index.dim(),
                 " has ", queries[i], " at dimension ", i % index.dim(),
                 " (every value must be finite)");
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


const char* allowed_mask(const ItemFilter* f) {
  return f && !f->empty() ? f->mask().data() : nullptr;
}

// The exact index's bound. Beside the floats, each row r keeps int8 codes c_r and a scale s_r
// (quantize_i8, the int8 index's); a query q is split exactly (in double) into its codes q' with
// scale s_q, the codes f' of the remainder with scale s_f, and what is left, g:
//   q = s_q q' + s_f f' + g.
// The int8 scan gives A_r = f32(<c_r, q'>) · s_r for every row; for the rows that pass a first
// test below, J_r = <c_r, f'> (integers) too. The row's float score S_r (Σ_j q_j x_rj added in j
// order, what the full scan computes) then lies within E_r = s_r · K(q) + e of
// M_r = s_q A_r + s_f s_r J_r, with K(q) from the query alone:
//   x_r = s_r c_r + e_r with |e_rj| <= s_r (1/2 + 64u) (u = 2^-24: the rounding of x / s_r; the
//   clamp to 63 only moves a code by rounding), so <x_r, q> - s_r (s_q <c_r, q'> + s_f J_r) =
//   <e_r, q> + s_r <c_r, g>, at most s_r ((1/2 + 64u) ‖q‖₁ + 63 ‖g‖₁);
//   |S_r - <x_r, q>| <= γ_d Σ|q_j x_rj| <= γ_d ‖q‖₂ ‖x_r‖₂ with γ_d = du / (1 - du) and
//   ‖x_r‖₂ <= s_r (63 + 1/2 + 64u) √d, plus d · 2^-149 for products in the subnormal range;
//   |s_r <c_r, q'> - A_r| <= 2.0001u · 63² d s_r (the integer converted, then scaled).
// K(q) sums these per unit of s_r, times (1 + 2^-20) for the double arithmetic of the bounds; e is
// (d + ‖q‖₁) · 2^-120, which also covers a host that flushes subnormals to zero (natively, a
// library may set FTZ / DAZ; wasm never does). So L_r = M_r - E_r <= S_r <= U_r = M_r + E_r. With τ
// the k-th largest L_r of the allowed rows, at least k of them score >= τ, so every row of the top
// k has U_r >= S_r >= τ: only the rows with U_r >= τ are scored in floats (41 rows a query of
// 50,000 clustered unit vectors of 64 floats, in the tests), and the top k of those is the full
// scan's list, the same bits (scores computed in the same order; ties to the lower id, a total
// order). The first test needs only A_r: since |s_f s_r J_r| <= s_r 63 ‖s_f f'‖₁ <= s_r 63 (‖f‖₁ +
// ‖g‖₁) with f = q - s_q q', a row with U_r >= τ has A_r >= (τ - reach) / s_q, reach being
// s_b · (K + 63 (‖f‖₁ + ‖g‖₁)) + e with s_b the largest scale of the row's block. Zero rows, and
// rows whose scale max|x| / 63 is not a normal float, keep codes 0 and scale 128 · FLT_MIN, for
// which the bound above holds as written (a zero row's scale of 1 would widen its block's reach for
// nothing); a query that is zero, not finite, that small, or large enough that a score could
// overflow takes the full scan, and so does an index of more than 65,536 dimensions (the int32 dot
// products and γ_d stay in range below).
struct RowBounds {
  static constexpr std::int32_t kChunk = 256;  // rows per entry of chunk_max
  std::vector<std::int8_t> codes;
  std::vector<float> scales;
  std::vector<float> chunk_max;  // the largest scale of rows [i · kChunk, (i + 1) · kChunk)
  std::vector<std::uint8_t> nibbles;  // nn::kernels::pack_nibbles of the codes
  float max_scale = 0;
};

RowBounds row_bounds(const float* rows, std::int32_t n, int d) {
  RowBounds b;
  if (d > 65536) return b;
  b.codes.resize(static_cast<std::size_t>(n) * d);
  b.scales.resize(static_cast<std::size_t>(n));
  for (std::int32_t r = 0; r < n; ++r) {
    const float* x = rows + static_cast<std::int64_t>(r) * d;
    std::int8_t* c = b.codes.data() + static_cast<std::int64_t>(r) * d;
    b.scales[r] = quantize_i8(x, d, c);
    // max|x| / 63 not a normal float, or a zero row (scale 1, every code 0; any other row has a
    // code of ±63).
    if (b.scales[r] < FLT_MIN ||
        (b.scales[r] == 1.0f && std::all_of(c, c + d, [](std::int8_t v) { return v == 0; }))) {
      std::fill(c, c + d, std::int8_t{0});
      b.scales[r] = 128.0f * FLT_MIN;
    }
    b.max_scale = std::max(b.max_scale, b.scales[r]);
  }
  b.chunk_max.assign(static_cast<std::size_t>((n + RowBounds::kChunk - 1) / RowBounds::kChunk),
                     0.0f);
  for (std::int32_t r = 0; r < n; ++r)
    b.chunk_max[r / RowBounds::kChunk] = std::max(b.chunk_max[r / RowBounds::kChunk], b.scales[r]);
  // Vectors this large (entries beyond 10^30 or so) could overflow the int8 scores: no bound.
  if (static_cast<double>(b.max_scale) * 63 * 63 * d > 1e36) return RowBounds{};
  b.nibbles.resize(static_cast<std::size_t>(n) * nn::kernels::nibble_stride(d));
  nn::kernels::pack_nibbles(b.codes.data(), n, d, b.nibbles.data());
  return b;
}

struct QueryBound {
  bool ok = false;
  double sq = 0, sf = 0;          // s_q, s_f
  std::vector<std::int8_t> rest;  // f'
  double k = 0;                   // K(q)
  double abs = 0;                 // e
  double loose = 0;               // the first test's K: K + 63 (‖f‖₁ + ‖g‖₁)
};

// The query's bound; codes (d of them) receive q'.
QueryBound query_bound(const float* q, int d, float max_scale, std::int8_t* codes) {
  QueryBound b;
  std::fill(codes, codes + d, std::int8_t{0});
  float m = 0;
  for (int j = 0; j < d; ++j) {
    if (!std::isfinite(q[j])) return b;
    m = std::max(m, std::fabs(q[j]));
  }
  if (!(m >= 63.0f * FLT_MIN)) return b;
  const float sq = quantize_i8(q, d, codes);
  std::vector<float> f(static_cast<std::size_t>(d));
  for (int j = 0; j < d; ++j)
    f[j] = static_cast<float>(static_cast<double>(q[j]) - static_cast<double>(sq) * codes[j]);
  b.rest.resize(static_cast<std::size_t>(d));
  const float sf = quantize_i8(f.data(), d, b.rest.data());
  double norm2 = 0, norm1 = 0, f1 = 0, g1 = 0;
  for (int j = 0; j < d; ++j) {
    const double qj = q[j], fj = qj - static_cast<double>(sq) * codes[j];
    norm2 += qj * qj;
    norm1 += std::fabs(qj);
    f1 += std::fabs(fj);
    g1 += std::fabs(fj - static_cast<double>(sf) * b.rest[j]);
  }
  // Sums of d doubles (d <= 65,536): relative errors below 10^-11.
  norm2 = std::sqrt(norm2) * (1 + 1e-11);
  norm1 *= 1 + 1e-11;
  f1 *= 1 + 1e-11;
  g1 *= 1 + 1e-11;
  const double u = 0x1p-24, root = std::sqrt(static_cast<double>(d));
  const double gamma = d * u / (1 - d * u);
  if (norm2 * max_scale * 63.6 * root > 1e30) return b;  // scores could overflow
  b.sq = sq;
  b.sf = sf;
  b.k = ((0.5 + 64 * u) * norm1 + 63 * g1 + gamma * 63.6 * root * norm2 +
         2.0001 * u * 63.0 * 63.0 * d * sq) *
        (1 + 0x1p-20);
  b.abs = (d + norm1) * 0x1p-120;
  b.loose = b.k + 63 * (f1 + g1) * (1 + 0x1p-20);
  b.ok = true;
  return b;
}

// One query's pass over the int8 scores: τ (the k-th largest L_r of the allowed rows so far) and
// the rows whose U_r reaches it.
class Pruner {
 public:
  // range: the rows the pass covers; it gives up (ok() turns false) where the bound keeps more
  // than a sixteenth of them, which the full scan then scores faster.
  Pruner(int k, QueryBound b, std::int64_t range)
      : k_(static_cast<std::size_t>(k)), b_(std::move(b)), limit_(range / 16) {}
  bool ok() const { return b_.ok; }
  // approx[j]: A_r of row first + j; codes: every row's (d each); block_scale: the largest scale
  // of rows first .. first + count.
  void take(const float* approx, std::int32_t count, std::int32_t first, const float* scales,
            float block_scale, const std::int8_t* codes, int d, const char* allowed) {
    if (!b_.ok) return;
    block_scale_ = block_scale;
    if (lows_.size() == k_) set_tau(tau_);
    constexpr std::int32_t kChunk = 16;
    std::int32_t j = 0;
    const auto row = [&](std::int32_t at) {
      const std::int32_t r = first + at;
      if (allowed && !allowed[r]) return;
      const std::int32_t rest =
          nn::kernels::dot_i8(codes + static_cast<std::int64_t>(r) * d, b_.rest.data(), d);
      const double centre = b_.sq * approx[at] + b_.sf * scales[r] * rest;
      const double e = scales[r] * b_.k + b_.abs;
      const double upper = centre + e;
      if (upper < tau_) return;
      candidates_.push_back({r, upper});
      const double lower = centre - e;
      if (lows_.size() < k_) {
        lows_.push_back(lower);
        std::push_heap(lows_.begin(), lows_.end(), std::greater<double>());
        if (lows_.size() == k_) set_tau(lows_.front());
      } else if (lower > lows_.front()) {
        std::pop_heap(lows_.begin(), lows_.end(), std::greater<double>());
        lows_.back() = lower;
        std::push_heap(lows_.begin(), lows_.end(), std::greater<double>());
        set_tau(lows_.front());
      }
    };
    // Most rows of a long scan fall below: sixteen at a time against a float threshold that no
    // row with U_r >= τ falls below, then the bounds in double where one reaches it.
    for (; j + kChunk <= count; j += kChunk) {
      int any = 0;
      for (int l = 0; l < kChunk; ++l) any |= approx[j + l] >= theta_;
      if (!any) continue;
      for (int l = 0; l < kChunk; ++l)
        if (approx[j + l] >= theta_) row(j + l);
    }
    for (; j < count; ++j)
      if (approx[j] >= theta_) row(j);
    if (candidates_.size() > 2 * kept_ + 4096) {
      compact();
      give_up_if_too_many();
    }
  }
  // The first test's threshold on A_r for the rows whose scale is at most block_scale (the lowest
  // float until k rows have been taken).
  float theta_for(float block_scale) const {
    if (lows_.size() < k_) return -std::numeric_limits<float>::infinity();
    return theta_of(tau_, block_scale);
  }
  // The candidates that still reach τ (ok() turns false where they are too many).
  const std::vector<std::pair<std::int32_t, double>>& candidates() {
    compact();
    give_up_if_too_many();
    return candidates_;
  }

 private:
  void set_tau(double tau) {
    tau_ = tau;
    theta_ = theta_of(tau, block_scale_);
  }
  // A_r >= (τ - reach) / s_q for every row of the block with U_r >= τ; the float below that.
  float theta_of(double tau, float block_scale) const {
    const double t = (tau - (block_scale * b_.loose + b_.abs)) / b_.sq;
    float f = static_cast<float>(t);
    if (static_cast<double>(f) > t) f = std::nextafter(f, -std::numeric_limits<float>::infinity());
    return std::nextafter(f, -std::numeric_limits<float>::infinity());
  }
  // Rows gathered one by one from the panels cost more than a scan's: beyond a sixteenth of the
  // range the full scan scores them faster.
  void give_up_if_too_many() {
    if (static_cast<std::int64_t>(kept_) <= limit_) return;
    b_.ok = false;
    std::vector<std::pair<std::int32_t, double>>().swap(candidates_);
  }
  void compact() {
    candidates_.erase(std::remove_if(candidates_.begin(), candidates_.end(),
                                     [&](const auto& c) { return c.second < tau_; }),
                      candidates_.end());
    kept_ = candidates_.size();
  }
  std::size_t k_;
  QueryBound b_;
  std::int64_t limit_;
  float block_scale_ = 0;
  double tau_ = -std::numeric_limits<double>::infinity();
  float theta_ = -std::numeric_limits<float>::infinity();
  std::vector<double> lows_;  // min-heap of the k largest L_r
  std::vector<std::pair<std::int32_t, double>> candidates_;
  std::size_t kept_ = 0;
};

// Exact float32 brute force over the vectors in panel layout (nn::kernels::pack_panels): a scan
// without horizontal sums, and for batches a register-blocked GEMM, four queries per tile, over
// blocks of items that stay in cache while every query tile passes over them: the items are
// streamed from memory once per batch, not once per query. With the bound (prune, above), the
// scan reads the int8 codes (a quarter of the floats' bytes) and scores in floats only the rows
// that the bound keeps.
class ExactIndex : public Index {
 public:
  explicit ExactIndex(std::optional<bool> prune) : prune_(prune) {}
  void build(const nn::Matrix& items) override {
    RECSYS_CHECK(items.rows() > 0 && items.cols() > 0, "exact index: no vectors to index");
    RECSYS_CHECK(nn::kernels::all_finite(items.data(), items.size()),
                 "exact index: the vectors contain NaN or infinity");
    const auto n = static_cast<std::int32_t>(items.rows());
    const int d = static_cast<int>(items.cols());
    RowBounds bounds = pruned(n) ? row_bounds(items.data(), n, d) : RowBounds{};
    std::vector<float> panels(static_cast<std::size_t>(nn::kernels::panel_floats(n, d)));
    nn::kernels::pack_panels(items.data(), n, d, panels.data());
    adopt(panels, n, d, bounds);
    calibrate();
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
    const std::size_t used = static_cast<std::size_t>(staged_n_) * staged_d_;
    if (!std::all_of(staged_.begin(), staged_.begin() + used,
                     [](float x) { return std::isfinite(x); }))
      RECSYS_FAIL(Range, "exact index: the vectors contain NaN or infinity");
    RowBounds bounds =
        pruned(staged_n_) ? row_bounds(staged_.data(), staged_n_, staged_d_) : RowBounds{};
    std::vector<float> panels;
    panels.swap(staged_);
    nn::kernels::pack_panels(panels.data(), staged_n_, staged_d_, panels.data());
    adopt(panels, staged_n_, staged_d_, bounds);
    calibrate();
  }
  void search(const float* queries, std::int32_t m, int k, const ItemFilter* filter,
              std::vector<std::vector<ScoredItem>>& out) const override {
    check_search(*this, queries, m, k, filter);
    out.assign(static_cast<std::size_t>(m), {});
    if (m <= kFewQueries && split_items(n_, kFewBlock)) {
      // One query (or a few): too little to split by queries, so the items split across the
      // threads (a scan bound by memory bandwidth reads more with two cores reading), each part
      // keeping its own top k; the merged lists are the one-thread lists.
      by_item_ranges(n_, kFewBlock, m, k, out,
                     [&](std::int32_t i0, std::int32_t i1, std::vector<ScoredItem>* part) {
                       run(queries, m, k, filter, part, i0, i1);
                     });
      return;
    }
    // A batch splits across the threads by queries, in multiples of the query tile: each chunk is
    // the scan of its own queries, so the lists are the same on any thread count.
    parallel::for_chunks(m, kQueryTile, kQueryTile, [&](std::int64_t q0, std::int64_t q1) {
      run(queries + q0 * d_, static_cast<std::int32_t>(q1 - q0), k, filter, out.data() + q0, 0, n_);
    });
  }
  std::string name() const override { return "exact"; }
  std::int32_t size() const override { return n_; }
  // With the bound: the mean share of the rows that a search of these queries (k = 10, no filter)
  // scores in floats.
  double scanned_fraction(const float* queries, std::int32_t m) const override {
    RECSYS_CHECK_STATE(n_ > 0, "exact index: scanned_fraction before build");
    if (scales_.empty() || m <= 0) return 1.0;
    std::vector<std::vector<ScoredItem>> lists(static_cast<std::size_t>(m));
    std::int64_t scored = 0;
    bounded_scan(queries, m, std::min(10, n_), nullptr, lists.data(), 0, n_, &scored);
    return static_cast<double>(scored) / (static_cast<double>(n_) * m);
  }

 private:
  static constexpr std::int32_t kQueryTile = 32;   // queries scored per pass over a block
  static constexpr std::int32_t kFewQueries = 4;   // up to this many: one long run per block
  static constexpr std::int32_t kFewBlock = 4096;  // that block (a multiple of the panel)
  static constexpr int kCodeTile = 16;             // queries per pass of the int8 scan
#ifdef __wasm_simd128__
  static constexpr bool kBoundBatches = true;
#else
  // Natively this build's int8 scan (SSE2, query by query) is slower than the float GEMM of a
  // batch (1M x 64, 128 queries: 924 ms through the bound against 573): batches scan the floats.
  static constexpr bool kBoundBatches = false;
#endif
  bool pruned(std::int32_t n) const {
    return prune_.value_or(n >= IndexOptions::kPruneFrom);
  }
  // Items [i0, i1) for queries 0 .. m, by the bound where the index keeps one.
  void run(const float* queries, std::int32_t m, int k, const ItemFilter* filter,
           std::vector<ScoredItem>* out, std::int32_t i0, std::int32_t i1) const {
    if (scales_.empty() || (!kBoundBatches && m > kFewQueries))
      scan(queries, m, k, filter, out, i0, i1);
    else
      bounded_scan(queries, m, k, filter, out, i0, i1);
  }
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
  // The same lists through the bound: the int8 scan of [i0, i1) for every query, then the float
  // scores of the rows that the bound keeps. Queries that the bound cannot serve, or for which it
  // keeps too many rows, take scan(). scored (optional) adds the rows scored in floats.
  void bounded_scan(const float* queries, std::int32_t m, int k, const ItemFilter* filter,
                    std::vector<ScoredItem>* out, std::int32_t i0, std::int32_t i1,
                    std::int64_t* scored = nullptr) const {
    const char* allowed = allowed_mask(filter);
    const int d = d_;
    std::vector<std::int8_t> qcodes(static_cast<std::size_t>(m) * d);
    std::vector<Pruner> pruners;
    pruners.reserve(static_cast<std::size_t>(m));
    bool any = false;
    for (std::int32_t q = 0; q < m; ++q) {
      pruners.emplace_back(k,
                           query_bound(queries + static_cast<std::int64_t>(q) * d, d, max_scale_,
                                       qcodes.data() + static_cast<std::int64_t>(q) * d),
                           i1 - i0);
      any = any || pruners[q].ok();
    }
    if (any && m == 1 && !nibbles_.empty() &&
        static_cast<std::int64_t>(n_) * d >= nibble_pass_from() &&
        nibble_pass(qcodes.data(), pruners[0], allowed, i0, i1)) {
      // served from the nibbles
    } else if (any) {  // (a nibble pass that gave up left its pruner as it was)
      const std::int32_t block = int8_scan_block(m, d);
      std::vector<float> approx(static_cast<std::size_t>(std::min(m, kCodeTile)) * block);
      for (std::int32_t b = i0; b < i1; b += block) {
        const std::int32_t c = std::min(block, i1 - b);
        const float block_scale = max_scale_of(b, c);
        for (std::int32_t q0 = 0; q0 < m; q0 += kCodeTile) {
          const int mq = std::min(kCodeTile, m - q0);
          nn::kernels::scores_i8_scaled_multi(codes_.data() + static_cast<std::int64_t>(b) * d, c,
                                              d, qcodes.data() + static_cast<std::int64_t>(q0) * d,
                                              mq, scales_.data() + b, approx.data(), block);
          for (int t = 0; t < mq; ++t)
            if (pruners[q0 + t].ok())
              pruners[q0 + t].take(approx.data() + static_cast<std::size_t>(t) * block, c, b,
                                   scales_.data(), block_scale, codes_.data(), d, allowed);
        }
      }
    }
    std::vector<std::int32_t> full;  // the queries that take the full scan
    for (std::int32_t q = 0; q < m; ++q) {
      const auto& candidates = pruners[q].candidates();
      if (!pruners[q].ok()) {  // not served by the bound, or it kept too many rows
        full.push_back(q);
        continue;
      }
      const float* query = queries + static_cast<std::int64_t>(q) * d;
      TopK top(k);
      for (const auto& cand : candidates) top.push(cand.first, score(cand.first, query));
      out[q] = top.sorted();
      if (scored) *scored += static_cast<std::int64_t>(candidates.size());
    }
    if (!full.empty()) {
      std::vector<float> rest(full.size() * static_cast<std::size_t>(d));
      for (std::size_t i = 0; i < full.size(); ++i)
        std::copy_n(queries + static_cast<std::int64_t>(full[i]) * d, d, rest.data() + i * d);
      std::vector<std::vector<ScoredItem>> lists(full.size());
      scan(rest.data(), static_cast<std::int32_t>(full.size()), k, filter, lists.data(), i0, i1);
      for (std::size_t i = 0; i < full.size(); ++i) out[full[i]] = std::move(lists[i]);
      if (scored) *scored += static_cast<std::int64_t>(full.size()) * (i1 - i0);
    }
  }
  // The int8 pass of one query from about half the bytes (the int8 index's scan_one does the
  // same): every row's upper bound on A_r from its codes' high four bits (nn::kernels::
  // nibble_bounds), kept; the rows of the highest bounds go to the pruner first, which gives it
  // its τ; then, chunk by chunk, only the rows whose bound reaches the first test's threshold
  // (θ for the chunk's largest scale) have A_r computed and go to it. A row skipped has
  // A_r <= its bound < θ, which the first test would reject too: the pruner keeps the candidates
  // of the full pass. False (nothing taken) where too many rows would reach θ.
  bool nibble_pass(const std::int8_t* query_codes, Pruner& pruner, const char* allowed,
                   std::int32_t i0, std::int32_t i1) const {
    const std::int32_t range = i1 - i0;
    const int d = d_;
    const NibbleScan ns = nibble_scan(nibbles_.data(), scales_.data(), d, query_codes, i0, i1,
                                      std::min(range, 256), allowed);
    const auto take = [&](Pruner& p, std::int32_t r) {
      const float a = ns.score(codes_.data(), scales_.data(), d, r);
      p.take(&a, 1, r, scales_.data(), scales_[r], codes_.data(), d, allowed);
    };
    // The leaders give the pruner its τ. Where too many rows reach even the loosest threshold
    // (the largest scale's) the full pass reads the codes in order instead.
    Pruner trial = pruner;
    for (const std::int32_t r : ns.leaders) take(trial, r);
    if (!trial.ok() || nn::kernels::count_at_least(ns.bounds.get(), range,
                                                   trial.theta_for(max_scale_)) > range / 16)
      return false;
    pruner = std::move(trial);
    constexpr std::int32_t kChunk = RowBounds::kChunk;
    for (std::int32_t lo = i0; lo < i1 && pruner.ok();) {
      const std::int32_t hi = std::min(i1, (lo / kChunk + 1) * kChunk);
      const float chunk_scale = chunk_max_[static_cast<std::size_t>(lo / kChunk)];
      const float* u = ns.bounds.get() + (lo - i0);
      for (std::int64_t j =
               nn::kernels::next_at_least(u, 0, hi - lo, pruner.theta_for(chunk_scale));
           j < hi - lo;
           j = nn::kernels::next_at_least(u, j + 1, hi - lo, pruner.theta_for(chunk_scale))) {
        const auto r = static_cast<std::int32_t>(lo + j);
        if (!ns.is_leader(r)) take(pruner, r);  // a leader was taken already
      }
      lo = hi;
    }
    return true;
  }
  // Row r's first element in the panels; element j is kPanel floats further for each j.
  const float* row_start(std::int32_t r) const {
    constexpr int P = nn::kernels::kPanel;
    return panels_.data() + static_cast<std::int64_t>(r / P) * P * d_ + r % P;
  }
  // Row r's score as the panel scan computes it: Σ_j q_j x_rj added in j order.
  float score(std::int32_t r, const float* q) const {
    const float* x = row_start(r);
    float s = 0;
    for (int j = 0; j < d_; ++j) s += q[j] * x[static_cast<std::int64_t>(j) * nn::kernels::kPanel];
    return s;
  }

 public:
  int dim() const override { return d_; }
  std::size_t memory_bytes() const override {
    return panels_.size() * sizeof(float) + codes_.size() + nibbles_.size() +
           (scales_.size() + chunk_max_.size()) * sizeof(float);
  }

 private:
  // Unset prune: the bound stays where it pays. On a fixed draw of user-like queries (the
  // normalised sum of three rows), it must leave at most 1/32 of the rows to score in floats;
  // else (near-duplicate rows, for one: a trained catalog's rarely seen items share their features'
  // vectors) the scan reads the floats, as it would have, and the codes are freed.
  void calibrate() {
    if (prune_.has_value() || scales_.empty()) return;
    bool pays = false;
    try {  // after adopt(): a failure here must not fail the build, only drop the bound
      constexpr int kSample = 8;
      Rng rng(0x5eed, 91);
      std::vector<float> q(static_cast<std::size_t>(kSample) * d_, 0.0f);
      for (int i = 0; i < kSample; ++i) {
        float* v = q.data() + static_cast<std::size_t>(i) * d_;
        for (int t = 0; t < 3; ++t) {
          const float* x =
              row_start(static_cast<std::int32_t>(rng.below(static_cast<std::uint32_t>(n_))));
          for (int j = 0; j < d_; ++j)
            v[j] += x[static_cast<std::int64_t>(j) * nn::kernels::kPanel];
        }
        double norm = 0;
        for (int j = 0; j < d_; ++j) norm += static_cast<double>(v[j]) * v[j];
        if (norm > 0)
          for (int j = 0; j < d_; ++j) v[j] = static_cast<float>(v[j] / std::sqrt(norm));
      }
      std::vector<std::vector<ScoredItem>> lists(kSample);
      std::int64_t scored = 0;
      bounded_scan(q.data(), kSample, std::min(10, n_), nullptr, lists.data(), 0, n_, &scored);
      pays = scored * 32 <= static_cast<std::int64_t>(kSample) * n_;
    } catch (const std::bad_alloc&) {
      pays = false;
    }
    if (!pays) {
      std::vector<std::int8_t>().swap(codes_);
      std::vector<float>().swap(scales_);
      std::vector<float>().swap(chunk_max_);
    }
  }
  // The largest scale of rows [b, b + c) or above (the whole chunks that hold them): c / 256
  // values to compare instead of c (a max over every scale of a block took a third of its pass).
  float max_scale_of(std::int32_t b, std::int32_t c) const {
    float m = 0;
    for (std::int32_t i = b / RowBounds::kChunk; i <= (b + c - 1) / RowBounds::kChunk; ++i)
      m = std::max(m, chunk_max_[static_cast<std::size_t>(i)]);
    return m;
  }
  void adopt(std::vector<float>& panels, std::int32_t n, int d, RowBounds& bounds) {
    panels_.swap(panels);
    codes_.swap(bounds.codes);
    scales_.swap(bounds.scales);
    chunk_max_.swap(bounds.chunk_max);
    nibbles_.swap(bounds.nibbles);
    max_scale_ = bounds.max_scale;
    n_ = n;
    d_ = d;
  }
  std::optional<bool> prune_;
  std::vector<float> staged_;  // reserve()d rows, packed by build_reserved()
  std::int32_t staged_n_ = 0;
  int staged_d_ = 0;
  std::vector<float> panels_;
  std::vector<std::int8_t> codes_;  // the bound's codes and scales (empty: no bound)
  std::vector<float> scales_;
  std::vector<float> chunk_max_;  // the largest scale of each 256 rows
  std::vector<std::uint8_t> nibbles_;  // the codes' high four bits, for one query's pass
  float max_scale_ = 0;
  std::int32_t n_ = 0;
  int d_ = 0;
};

}  // namespace

std::unique_ptr<Index> make_int8_index(const IndexOptions& options);
std::unique_ptr<Index> make_ivf_index(const IndexOptions& options);

namespace {
std::atomic<std::int64_t> g_nibble_from{std::int64_t{32} << 20};
}
std::int64_t nibble_pass_from() {
  return g_nibble_from.load();
}
void set_nibble_pass_from(std::int64_t bytes) {
  RECSYS_CHECK(bytes >= 0, "set_nibble_pass_from: bytes must be >= 0, got ", bytes);
  g_nibble_from.store(bytes);
}

bool NibbleScan::is_leader(std::int32_t r) const {
  return std::binary_search(leaders.begin(), leaders.end(), r);
}

float NibbleScan::score(const std::int8_t* codes, const float* scales, int d,
                        std::int32_t r) const {
  return static_cast<float>(
             nn::kernels::dot_i8(codes + static_cast<std::int64_t>(r) * d, q.data(), d)) *
         scales[r];
}

NibbleScan nibble_scan(const std::uint8_t* nibbles, const float* scales, int d,
                       const std::int8_t* query_codes, std::int32_t i0, std::int32_t i1, int lead,
                       const char* allowed) {
  NibbleScan s;
  const int stride = nn::kernels::nibble_stride(d);
  s.q.assign(static_cast<std::size_t>(2 * stride), 0);
  std::copy_n(query_codes, d, s.q.begin());
  const std::int32_t bias = nn::kernels::nibble_bias(s.q.data(), d);
  s.bounds.reset(new float[static_cast<std::size_t>(std::max(i1 - i0, 1))]);
  TopK top(std::max(lead, 1));
  constexpr std::int32_t kBlock = int8_scan_block(1, 1);
  for (std::int32_t b = i0; b < i1; b += kBlock) {
    const std::int32_t c = std::min(kBlock, i1 - b);
    float* u = s.bounds.get() + (b - i0);
    nn::kernels::nibble_bounds(nibbles + static_cast<std::int64_t>(b) * stride, c, d, s.q.data(),
                               bias, scales + b, u);
    top.push_block(u, c, b, nullptr, allowed);
  }
  for (const auto& l : top.sorted()) s.leaders.push_back(l.item);
  std::sort(s.leaders.begin(), s.leaders.end());
  return s;
}

const std::vector<std::string>& index_kinds() {
  static const std::vector<std::string> kinds{"exact", "int8", "ivf"};
  return kinds;
}

std::unique_ptr<Index> make_index(const IndexOptions& options) {
  if (options.kind == "exact") return std::make_unique<ExactIndex>(options.prune);
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
