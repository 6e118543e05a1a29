// IVF index: k-means (trained on a seeded sample) partitions the vectors into nlist cells; a query
// scans the nprobe cells whose centroids have the highest inner product with it. Cells store their
// vectors contiguously, with the original item ids.
#include <algorithm>
#include <cmath>

#include "common/check.h"
#include "common/rng.h"
#include "nn/kernels.h"
#include "retrieval/index.h"

namespace recsys {

namespace {

class IvfIndex : public Index {
 public:
  explicit IvfIndex(const IndexOptions& o) : options_(o) {
    RECSYS_CHECK(o.nlist >= 0 && o.nprobe >= 0, "ivf index: nlist and nprobe must be >= 0");
    RECSYS_CHECK(o.kmeans_iterations >= 1 && o.kmeans_sample >= 1,
                 "ivf index: bad k-means settings");
  }

  void build(const nn::Matrix& items) override {
    const auto n = static_cast<std::int32_t>(items.rows());
    const int d = static_cast<int>(items.cols());
    RECSYS_CHECK(n > 0 && d > 0, "ivf index: no vectors to index");
    RECSYS_CHECK(nn::kernels::all_finite(items.data(), items.size()),
                 "ivf index: the vectors contain NaN or infinity");
    const int nlist =
        std::min(n, options_.nlist > 0 ? options_.nlist
                                       : std::max(1, static_cast<int>(std::lround(std::sqrt(n)))));
    // Default nprobe: an eighth of the cells (at least 4), and cells enough to hold about 4096
    // vectors, so that a small catalog (where a scan is cheap anyway) keeps its recall.
    const int small_catalog = static_cast<int>((4096LL * nlist + n - 1) / n);
    nprobe_ = std::min(nlist, options_.nprobe > 0
                                  ? options_.nprobe
                                  : std::max({std::min(4, nlist), (nlist + 7) / 8, small_catalog}));
    // Training sample.
    Rng rng(options_.seed, 51);
    std::vector<std::int32_t> order(static_cast<std::size_t>(n));
    for (std::int32_t i = 0; i < n; ++i) order[i] = i;
    rng.shuffle(order);
    const std::int32_t ns = std::min(n, std::max(options_.kmeans_sample, nlist));
    nn::Matrix X(ns, d);
    for (std::int32_t i = 0; i < ns; ++i) X.row(i) = items.row(order[i]);
    centroids_ = X.topRows(nlist);  // distinct random points
    std::vector<std::int32_t> assign;
    for (int it = 0; it < options_.kmeans_iterations; ++it) {
      this->assign(X, assign);
      nn::Matrix sums = nn::Matrix::Zero(nlist, d);
      std::vector<std::int32_t> counts(static_cast<std::size_t>(nlist), 0);
      for (std::int32_t i = 0; i < ns; ++i) {
        sums.row(assign[i]) += X.row(i);
        ++counts[assign[i]];
      }
      for (int c = 0; c < nlist; ++c) {
        if (counts[c] > 0)
          centroids_.row(c) = sums.row(c) / static_cast<float>(counts[c]);
        else
          centroids_.row(c) = X.row(
              static_cast<Eigen::Index>(rng.below(static_cast<std::uint32_t>(ns))));  // re-seed
      }
    }
    // Assign every vector; store cells contiguously.
    this->assign(items, assign);
    offsets_.assign(static_cast<std::size_t>(nlist) + 1, 0);
    for (std::int32_t i = 0; i < n; ++i) ++offsets_[assign[i] + 1];
    for (int c = 0; c < nlist; ++c) offsets_[c + 1] += offsets_[c];
    ids_.resize(static_cast<std::size_t>(n));
    vectors_.resize(n, d);
    std::vector<std::int32_t> cursor(offsets_.begin(), offsets_.end() - 1);
    for (std::int32_t i = 0; i < n; ++i) {
      const std::int32_t pos = cursor[assign[i]]++;
      ids_[pos] = i;
      vectors_.row(pos) = items.row(i);
    }
  }

  void search(const float* queries, std::int32_t m, int k, const ItemFilter* filter,
              std::vector<std::vector<ScoredItem>>& out) const override {
    check_search(*this, queries, m, k, filter);
    out.assign(static_cast<std::size_t>(m), {});
    const char* allowed = filter && !filter->empty() ? filter->mask().data() : nullptr;
    const int d = dim();
    const int nlist = static_cast<int>(centroids_.rows());
    std::vector<float> cs(static_cast<std::size_t>(nlist)), s;
    for (std::int32_t q = 0; q < m; ++q) {
      const float* query = queries + static_cast<std::size_t>(q) * d;
      nn::kernels::scores(centroids_.data(), nlist, d, query, cs.data());
      TopK cells(nprobe_);
      cells.push_block(cs.data(), nlist, 0, nullptr, nullptr);
      TopK top(k);
      for (const auto& cell : cells.sorted()) {
        const std::int32_t b = offsets_[cell.item], e = offsets_[cell.item + 1];
        if (e == b) continue;
        s.resize(static_cast<std::size_t>(e - b));
        nn::kernels::scores(vectors_.data() + static_cast<std::size_t>(b) * d, e - b, d, query,
                            s.data());
        top.push_block(s.data(), e - b, 0, ids_.data() + b, allowed);
      }
      out[q] = top.sorted();
    }
  }

  std::string name() const override { return "ivf"; }
  std::int32_t size() const override { return static_cast<std::int32_t>(vectors_.rows()); }
  int dim() const override { return static_cast<int>(vectors_.cols()); }
  std::size_t memory_bytes() const override {
    return static_cast<std::size_t>(vectors_.size() + centroids_.size()) * sizeof(float) +
           (ids_.size() + offsets_.size()) * sizeof(std::int32_t);
  }
  int nprobe() const { return nprobe_; }
  double scanned_fraction(const float* queries, std::int32_t m) const override {
    RECSYS_CHECK_STATE(size() > 0, "ivf index: scanned_fraction before build");
    const int d = dim();
    const int nlist = static_cast<int>(centroids_.rows());
    std::vector<float> cs(static_cast<std::size_t>(nlist));
    double scanned = 0;
    for (std::int32_t q = 0; q < m; ++q) {
      nn::kernels::scores(centroids_.data(), nlist, d, queries + static_cast<std::size_t>(q) * d,
                          cs.data());
      TopK cells(nprobe_);
      cells.push_block(cs.data(), nlist, 0, nullptr, nullptr);
      for (const auto& cell : cells.sorted())
        scanned += offsets_[cell.item + 1] - offsets_[cell.item];
    }
    return m > 0 ? scanned / (static_cast<double>(m) * size()) : 0;
  }

 private:
  // Nearest centroid (L2) of each row: argmax <x, c> - |c|² / 2, by blocks of GEMM.
  void assign(const nn::Matrix& X, std::vector<std::int32_t>& out) const {
    out.resize(static_cast<std::size_t>(X.rows()));
    const Eigen::VectorXf half_norm = centroids_.rowwise().squaredNorm() * 0.5f;
    constexpr Eigen::Index kBlock = 4096;
    nn::Matrix S;
    for (Eigen::Index b = 0; b < X.rows(); b += kBlock) {
      const Eigen::Index c = std::min(kBlock, X.rows() - b);
      S.noalias() = X.middleRows(b, c) * centroids_.transpose();
      for (Eigen::Index r = 0; r < c; ++r) {
        Eigen::Index best = 0;
        float best_score = -3.4e38f;
        for (Eigen::Index j = 0; j < S.cols(); ++j) {
          const float v = S(r, j) - half_norm[j];
          if (v > best_score) {
            best_score = v;
            best = j;
          }
        }
        out[static_cast<std::size_t>(b + r)] = static_cast<std::int32_t>(best);
      }
    }
  }

  IndexOptions options_;
  int nprobe_ = 1;
  nn::Matrix centroids_, vectors_;
  std::vector<std::int32_t> offsets_, ids_;
};

}  // namespace

std::unique_ptr<Index> make_ivf_index(const IndexOptions& options) {
  return std::make_unique<IvfIndex>(options);
}

}  // namespace recsys
