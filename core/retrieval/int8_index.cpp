// int8 index: each vector is stored as round(x / s) with s = max|x| / 63 (per vector): 7-bit codes
// (kept from the first format, whose SIMD scan accumulated in int16; the scan now widens to int16
// and multiply-adds pairs into int32, nn::kernels::scores_i8_scaled_multi). A query
// is quantised the same way; the int8 scan ranks items by dot_i8 · s_item (the query's scale is the
// same for every item), keeps the best k · rerank, and re-ranks those by their exact float score.
// A single query takes that list through a bound from each code's high four bits (scan_one),
// reading half the bytes; batches score every row (their blocks stay in cache across queries).
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

#include "common/check.h"
#include "common/parallel.h"
#include "nn/kernels.h"
#include "retrieval/index.h"

#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

namespace recsys {

float quantize_i8(const float* x, int d, std::int8_t* out) {
  int i = 0;
  float m = 0;
#ifdef __wasm_simd128__
  // Four lanes at a time, the same values as the loops below: max is exact, and each code is
  // the same division, clamp, round to nearest even and conversion (the scalar loops' conversion
  // checks each value for a trap: building 1M × 64 took 2.2 s in Chromium, against 0.3 s).
  v128_t mv = wasm_f32x4_splat(0);
  for (; i + 4 <= d; i += 4) mv = wasm_f32x4_max(mv, wasm_f32x4_abs(wasm_v128_load(x + i)));
  m = std::max(std::max(wasm_f32x4_extract_lane(mv, 0), wasm_f32x4_extract_lane(mv, 1)),
               std::max(wasm_f32x4_extract_lane(mv, 2), wasm_f32x4_extract_lane(mv, 3)));
#endif
  for (; i < d; ++i) m = std::max(m, std::fabs(x[i]));
  float scale = m > 0 ? m / 63.0f : 1.0f;
  // max|x| / 63 underflows to 0 below 31.5 · 2^-149: the smallest float instead (0 / 0 would give
  // NaN codes, and converting NaN to an integer is undefined).
  if (!(scale > 0)) scale = std::numeric_limits<float>::denorm_min();
  i = 0;
#ifdef __wasm_simd128__
  const v128_t sv = wasm_f32x4_splat(scale), lo = wasm_f32x4_splat(-63.0f),
               hi = wasm_f32x4_splat(63.0f);
  const auto codes = [&](int at) {
    const v128_t v = wasm_f32x4_div(wasm_v128_load(x + at), sv);
    return wasm_i32x4_trunc_sat_f32x4(
        wasm_f32x4_nearest(wasm_f32x4_min(wasm_f32x4_max(v, lo), hi)));
  };
  for (; i + 16 <= d; i += 16) {
    const v128_t a = wasm_i16x8_narrow_i32x4(codes(i), codes(i + 4));
    const v128_t b = wasm_i16x8_narrow_i32x4(codes(i + 8), codes(i + 12));
    wasm_v128_store(out + i, wasm_i8x16_narrow_i16x8(a, b));
  }
#endif
  // nearbyint is one instruction on both targets (wasm f32.nearest; lround was a libm call:
  // building 1M × 64 took 5.5 s in Chromium); ties go to even, the same on both.
  for (; i < d; ++i)
    out[i] = static_cast<std::int8_t>(std::nearbyint(std::clamp(x[i] / scale, -63.0f, 63.0f)));
  return scale;
}

namespace {

class Int8Index : public Index {
 public:
  explicit Int8Index(const IndexOptions& o) : rerank_(o.rerank) {
    RECSYS_CHECK(o.rerank >= 1, "int8 index: rerank must be >= 1, got ", o.rerank);
  }
  void build(const nn::Matrix& items) override {
    RECSYS_CHECK(items.rows() > 0 && items.cols() > 0, "int8 index: no vectors to index");
    RECSYS_CHECK(nn::kernels::all_finite(items.data(), items.size()),
                 "int8 index: the vectors contain NaN or infinity");
    items_ = items;
    const auto n = items.rows();
    const int d = static_cast<int>(items.cols());
    codes_.resize(static_cast<std::size_t>(n * d));
    scales_.resize(static_cast<std::size_t>(n));
    for (Eigen::Index r = 0; r < n; ++r)
      scales_[r] = quantize_i8(items.row(r).data(), d, codes_.data() + r * d);
    // Four bits of each code, for the single-query pass (scan_one).
    nibbles_.clear();
    if (d <= nn::kernels::kNibbleMaxDim) {
      nibbles_.resize(static_cast<std::size_t>(n) * nn::kernels::nibble_stride(d));
      nn::kernels::pack_nibbles(codes_.data(), n, d, nibbles_.data());
    }
  }
  void search(const float* queries, std::int32_t m, int k, const ItemFilter* filter,
              std::vector<std::vector<ScoredItem>>& out) const override {
    check_search(*this, queries, m, k, filter);
    out.assign(static_cast<std::size_t>(m), {});
    const int depth = std::min(size(), k * rerank_);
    if (m == 1 && split_items(size(), kOneBlock)) {
      // One query: the items split across the threads (as the exact index does), each part
      // keeping its own candidates; the merged candidates are those of one scan.
      std::vector<std::vector<ScoredItem>> candidates;
      by_item_ranges(size(), kOneBlock, 1, depth, candidates,
                     [&](std::int32_t i0, std::int32_t i1, std::vector<ScoredItem>* part) {
                       scan(queries, 1, depth, filter, part, i0, i1);
                     });
      out[0] = rerank(queries, candidates[0], k);
      return;
    }
    // A batch splits across the threads by queries (as the exact index does).
    parallel::for_chunks(m, kQueryTile, kQueryTile, [&](std::int64_t q0, std::int64_t q1) {
      const auto mq = static_cast<std::int32_t>(q1 - q0);
      std::vector<std::vector<ScoredItem>> candidates(static_cast<std::size_t>(mq));
      scan(queries + q0 * dim(), mq, depth, filter, candidates.data(), 0, size());
      for (std::int32_t q = 0; q < mq; ++q)
        out[q0 + q] = rerank(queries + (q0 + q) * dim(), candidates[q], k);
    });
  }
  std::string name() const override { return "int8"; }
  // The mean share of the rows that a single-query search (k = 10, no filter) scores from their
  // full codes (the others are ruled out by the bound from four bits of each code); 1 where the
  // index keeps no such bound or is under nibble_pass_from(). A batch scores every row.
  double scanned_fraction(const float* queries, std::int32_t m) const override {
    RECSYS_CHECK_STATE(size() > 0, "int8 index: scanned_fraction before build");
    if (nibbles_.empty() || m <= 0 ||
        static_cast<std::int64_t>(size()) * dim() < nibble_pass_from())
      return 1.0;
    std::int64_t scored = 0;
    std::vector<ScoredItem> list;
    const int depth = std::min(size(), std::min(10, size()) * rerank_);
    for (std::int32_t q = 0; q < m; ++q)
      scan_one(queries + static_cast<std::int64_t>(q) * dim(), depth, nullptr, list, 0, size(),
               &scored);
    return static_cast<double>(scored) / (static_cast<double>(m) * size());
  }

 private:
  static constexpr int kQueryTile = 16;
  static constexpr std::int32_t kOneBlock = int8_scan_block(1, 1);  // items per block, one query
  // The best `depth` items of [i0, i1) by their int8 scores, for queries 0 .. m (into out[q]).
  void scan(const float* queries, std::int32_t m, int depth, const ItemFilter* filter,
            std::vector<ScoredItem>* out, std::int32_t i0, std::int32_t i1) const {
    if (m == 1 && !nibbles_.empty() &&
        static_cast<std::int64_t>(size()) * dim() >= nibble_pass_from())
      return scan_one(queries, depth, filter, *out, i0, i1);
    scan_codes(queries, m, depth, filter, out, i0, i1);
  }
  // scan() from the full codes of every row.
  void scan_codes(const float* queries, std::int32_t m, int depth, const ItemFilter* filter,
                  std::vector<ScoredItem>* out, std::int32_t i0, std::int32_t i1) const {
    const char* allowed = filter && !filter->empty() ? filter->mask().data() : nullptr;
    const int d = dim();
    std::vector<std::int8_t> qcodes(static_cast<std::size_t>(m) * d);
    for (std::int32_t q = 0; q < m; ++q)
      quantize_i8(queries + static_cast<std::size_t>(q) * d, d, qcodes.data() + q * d);
    // Blocks of items stay in cache while the queries pass over them, two queries per pass
    // (scores_i8_scaled_multi reads each row once per pair).
    const std::int32_t block = int8_scan_block(m, d);
    std::vector<TopK> candidates(static_cast<std::size_t>(m), TopK(depth));
    std::vector<float> approx(static_cast<std::size_t>(std::min(m, kQueryTile)) * block);
    for (std::int32_t b = i0; b < i1; b += block) {
      const std::int32_t c = std::min(block, i1 - b);
      for (std::int32_t q0 = 0; q0 < m; q0 += kQueryTile) {
        const int mq = std::min(kQueryTile, m - q0);
        nn::kernels::scores_i8_scaled_multi(codes_.data() + static_cast<std::size_t>(b) * d, c, d,
                                            qcodes.data() + static_cast<std::size_t>(q0) * d, mq,
                                            scales_.data() + b, approx.data(), block);
        for (int t = 0; t < mq; ++t)
          candidates[q0 + t].push_block(approx.data() + static_cast<std::size_t>(t) * block, c, b,
                                        nullptr, allowed);
      }
    }
    for (std::int32_t q = 0; q < m; ++q) out[q] = candidates[q].sorted();
  }
  // scan() for one query: the same list from about half the bytes. Pass 1 streams the codes'
  // high nibbles (32 bytes a row at d = 64 instead of 64): every row's upper bound on its int8
  // score (nn::kernels::nibble_bounds), kept, and the `lead` rows of the highest bounds. Their int8
  // scores give the list a threshold t; then only the rows whose bound reaches t are scored
  // (1,000 to 2,000 of 1M clustered vectors). A row whose bound falls below t has a score below
  // it, which the list would not take either, and every row scored gets the bits of the full
  // scan: the same list. Where too many rows reach t (scores that crowd together) the codes are
  // scanned in full. scored (optional) adds the rows scored from their full codes.
  void scan_one(const float* query, int depth, const ItemFilter* filter,
                std::vector<ScoredItem>& out, std::int32_t i0, std::int32_t i1,
                std::int64_t* scored = nullptr) const {
    const char* allowed = filter && !filter->empty() ? filter->mask().data() : nullptr;
    const std::int32_t range = i1 - i0;
    if (range <= 0) {
      out.clear();
      return;
    }
    const int d = dim();
    std::vector<std::int8_t> codes(static_cast<std::size_t>(d));
    quantize_i8(query, d, codes.data());
    const NibbleScan ns =
        nibble_scan(nibbles_.data(), scales_.data(), d, codes.data(), i0, i1,
                    static_cast<int>(std::min<std::int64_t>(range, 4LL * depth)), allowed);
    const auto score = [&](std::int32_t item) {
      return ns.score(codes_.data(), scales_.data(), d, item);
    };
    TopK top(depth);
    for (const std::int32_t item : ns.leaders) top.push(item, score(item));
    if (scored) *scored += static_cast<std::int64_t>(ns.leaders.size());
    // Fewer than depth: every allowed row was a leader.
    if (top.size() < static_cast<std::size_t>(depth)) {
      out = top.sorted();
      return;
    }
    // Pass 2: the rows whose bound reaches t, unless they are too many (a row read alone costs
    // about what sixteen rows of a scan do).
    float t = top.threshold();
    if (nn::kernels::count_at_least(ns.bounds.get(), range, t) > range / 16) {
      if (scored) *scored += range - static_cast<std::int64_t>(ns.leaders.size());  // each once
      return scan_codes(query, 1, depth, filter, &out, i0, i1);
    }
    for (std::int64_t j = nn::kernels::next_at_least(ns.bounds.get(), 0, range, t); j < range;
         j = nn::kernels::next_at_least(ns.bounds.get(), j + 1, range, t)) {
      const auto item = static_cast<std::int32_t>(i0 + j);
      if (allowed && !allowed[item]) continue;
      if (ns.is_leader(item)) continue;  // scored already
      if (scored) ++*scored;
      const float a = score(item);
      if (a < t) continue;
      top.push(item, a);
      t = top.threshold();  // only rises
    }
    out = top.sorted();
  }
  // The best k of the candidates by their exact float scores.
  std::vector<ScoredItem> rerank(const float* query, const std::vector<ScoredItem>& candidates,
                                 int k) const {
    TopK top(k);
    for (const auto& cand : candidates)
      top.push(cand.item, nn::kernels::dot(items_.row(cand.item).data(), query, dim()));
    return top.sorted();
  }

 public:
  std::int32_t size() const override { return static_cast<std::int32_t>(items_.rows()); }
  int dim() const override { return static_cast<int>(items_.cols()); }
  std::size_t memory_bytes() const override {
    return codes_.size() + nibbles_.size() + scales_.size() * sizeof(float) +
           static_cast<std::size_t>(items_.size()) * sizeof(float);
  }

 private:
  int rerank_;
  nn::Matrix items_;  // exact vectors, for the re-rank
  std::vector<std::int8_t> codes_;
  std::vector<std::uint8_t> nibbles_;  // nn::kernels::pack_nibbles of codes_ (empty: none)
  std::vector<float> scales_;
};

}  // namespace

std::unique_ptr<Index> make_int8_index(const IndexOptions& options) {
  return std::make_unique<Int8Index>(options);
}

}  // namespace recsys
