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
  Matrix logits;
  kernels::matmul_bt(U, V, logits);
  const float inv_t = 1.0f / o.temperature;
  if (inv_t != 1.0f) logits *= inv_t;
  if (!o.log_q.empty())
    for (Eigen::Index j = 0; j < C; ++j) logits.col(j).array() -= o.log_q[j];
  constexpr float kMasked = -std::numeric_limits<float>::infinity();
  if (o.mask_accidental_hits)
    for (Eigen::Index i = 0; i < B; ++i)
      for (Eigen::Index j = 0; j < C; ++j)
        if (j != i && item_ids[j] == item_ids[i]) logits(i, j) = kMasked;
  // Softmax in place: logits becomes P, then dlogits = (P - I) / B. Rows in chunks across the
  // threads; the loss adds the rows' terms in row order afterwards (the same sum on any count).
  std::vector<float> row_loss(static_cast<std::size_t>(B));
  parallel::for_chunks(B, 1, std::max<Eigen::Index>(8, 4096 / C), [&](std::int64_t ib, std::int64_t ie) {
    for (std::int64_t i = ib; i < ie; ++i) {
      auto row = logits.row(i);
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
  });
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
