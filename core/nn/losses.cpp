#include "nn/losses.h"

#include <algorithm>
#include <cmath>
#include <vector>
#include <limits>

#include "common/check.h"
#include "common/parallel.h"
#include "nn/kernels.h"

namespace recsys::nn {

float in_batch_softmax_loss(const Matrix& U, const Matrix& V,
                            const std::vector<std::int32_t>& item_ids,
                            const InBatchSoftmaxOptions& o, Matrix* dU, Matrix* dV) {
  const Eigen::Index B = U.rows(), C = V.rows();
  RECSYS_CHECK(B > 0, "in-batch softmax: empty batch");
  RECSYS_CHECK(C >= B && V.cols() == U.cols(), "in-batch softmax: queries are ", B, " x ", U.cols(),
               " but candidates are ", V.rows(), " x ", V.cols());
  RECSYS_CHECK(o.temperature > 0, "in-batch softmax: temperature must be > 0, got ", o.temperature);
  RECSYS_CHECK(o.log_q.empty() || static_cast<Eigen::Index>(o.log_q.size()) == C,
               "in-batch softmax: log_q has ", o.log_q.size(), " entries for ", C, " candidates");
  RECSYS_CHECK(!o.mask_accidental_hits || static_cast<Eigen::Index>(item_ids.size()) == C,
               "in-batch softmax: masking needs one item id per candidate, got ", item_ids.size());
  const float inv_t = 1.0f / o.temperature;
  constexpr float kMasked = -std::numeric_limits<float>::infinity();
  // Rows r0 .. r1 of the logits into a softmax in place: logits becomes P, then dlogits =
  // (P - I) / B; each row's loss term is kept, and added in row order afterwards (the same sum
  // on any thread count).
  Matrix logits(B, C);
  std::vector<float> row_loss(static_cast<std::size_t>(B));
  auto softmax_rows = [&](Eigen::Index r0, Eigen::Index r1) {
    for (Eigen::Index i = r0; i < r1; ++i) {
      auto row = logits.row(i);
      if (inv_t != 1.0f) row *= inv_t;
      if (!o.log_q.empty())
        for (Eigen::Index j = 0; j < C; ++j) row(j) -= o.log_q[static_cast<std::size_t>(j)];
      if (o.mask_accidental_hits)
        for (Eigen::Index j = 0; j < C; ++j)
          if (j != i && item_ids[j] == item_ids[i]) row(j) = kMasked;
      const float m = row.maxCoeff();
      const float positive = row(i);
      float sum = 0;
      for (Eigen::Index j = 0; j < C; ++j) {
        const float e = std::exp(row(j) - m);  // exp(-inf) = 0 for masked entries
        row(j) = e;
        sum += e;
      }
      row_loss[static_cast<std::size_t>(i)] = std::log(sum) + m - positive;
      row /= sum;
    }
  };
  if (parallel::by_pieces()) {
    // Two halves of rows, the product and the softmax of each in one piece (one hand-off); a
    // cut at a multiple of 8 keeps the product's sums (kernels.h).
    const Eigen::Index h = kernels::half_rows(B);
    parallel::for_pieces(2, [&](int p) {
      const Eigen::Index r0 = p == 0 ? 0 : h, r1 = p == 0 ? h : B;
      logits.middleRows(r0, r1 - r0).noalias() = U.middleRows(r0, r1 - r0) * V.transpose();
      softmax_rows(r0, r1);
    });
  } else {
    kernels::matmul_bt(U, V, logits);
    parallel::for_chunks(B, 1, std::max<Eigen::Index>(8, 4096 / C),
                         [&](std::int64_t ib, std::int64_t ie) { softmax_rows(ib, ie); });
  }
  double total = 0;
  for (float l : row_loss) total += static_cast<double>(l);
  if (dU || dV) {
    logits.diagonal().array() -= 1.0f;
    logits *= inv_t / static_cast<float>(B);  // dLoss/d(U Vᵀ)
    parallel::side_by_side(
        [&] {
          if (dU) kernels::matmul(logits, V, *dU);
        },
        [&] {
          if (dV) kernels::matmul_at(logits, U, *dV);
        });
  }
  return static_cast<float>(total / static_cast<double>(B));
}

float sigmoid_cross_entropy(const std::vector<float>& logits, const std::vector<float>& labels,
                            std::vector<float>* dlogits) {
  RECSYS_CHECK(logits.size() == labels.size(), "sigmoid cross-entropy: ", logits.size(),
               " logits but ", labels.size(), " labels");
  RECSYS_CHECK(!logits.empty(), "sigmoid cross-entropy: empty batch");
  const float n = static_cast<float>(logits.size());
  double total = 0;
  if (dlogits) dlogits->resize(logits.size());
  for (std::size_t i = 0; i < logits.size(); ++i) {
    const float x = logits[i], y = labels[i];
    total += std::max(x, 0.0f) - x * y + std::log1p(std::exp(-std::fabs(x)));
    if (dlogits) {
      const float s = x >= 0 ? 1.0f / (1.0f + std::exp(-x)) : std::exp(x) / (1.0f + std::exp(x));
      (*dlogits)[i] = (s - y) / n;
    }
  }
  return static_cast<float>(total / n);
}

}  // namespace recsys::nn
