// Losses with their gradients: in-batch softmax cross-entropy (retrieval) and sigmoid
// cross-entropy (ranking). Both return the mean over the batch.
#pragma once

#include <cstdint>
#include <vector>

#include "nn/tensor.h"

namespace recsys::nn {

struct InBatchSoftmaxOptions {
  // logits = <u_i, v_j> / temperature.
  float temperature = 1.0f;
  // Log-Q correction (Yi et al. 2019): logits[i][j] -= log_q[j], where log_q[j] is the log of the
  // probability (or expected count, up to a constant) that candidate j's item is sampled into the
  // candidates. Empty = no correction.
  std::vector<float> log_q;
  // Accidental hits: candidate j's item equals the positive of row i (j != i). Masked out of the
  // softmax when true (needs item_ids).
  bool mask_accidental_hits = false;
};

// Queries U (B × d) and candidates V (C × d, C >= B); row i < B of V is the positive of row i of
// U, every other row is one of its negatives (the other positives of the batch, then C - B extra
// negatives such as uniformly sampled items). item_ids (size C) identify the candidates for
// masking; log_q (size C) corrects each candidate. Returns the mean of -log softmax(logits_i)[i];
// dU and dV (when not null) receive dLoss/dU and dLoss/dV.
float in_batch_softmax_loss(const Matrix& U, const Matrix& V,
                            const std::vector<std::int32_t>& item_ids,
                            const InBatchSoftmaxOptions& options, Matrix* dU, Matrix* dV);

// Mean over i of -[y_i log σ(x_i) + (1 - y_i) log(1 - σ(x_i))], computed stably; dlogits (when
// not null) receives (σ(x_i) - y_i) / n.
float sigmoid_cross_entropy(const std::vector<float>& logits, const std::vector<float>& labels,
                            std::vector<float>* dlogits);

}  // namespace recsys::nn
