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
  // probability that item j is sampled into a batch. Empty = no correction.
  std::vector<float> log_q;
  // Accidental hits: item j of the batch equals the positive of row i (j != i). Masked out of
  // the softmax when true (needs item_ids).
  bool mask_accidental_hits = false;
};

// Queries U (B × d) and candidates V (B × d); row i of V is the positive of row i of U, the other
// rows are its negatives. item_ids (size B) identify the candidates for masking. Returns the mean
// of -log softmax(logits_i)[i]; dU and dV (when not null) receive dLoss/dU and dLoss/dV.
float in_batch_softmax_loss(const Matrix& U, const Matrix& V,
                            const std::vector<std::int32_t>& item_ids,
                            const InBatchSoftmaxOptions& options, Matrix* dU, Matrix* dV);

// Mean over i of -[y_i log σ(x_i) + (1 - y_i) log(1 - σ(x_i))], computed stably; dlogits (when
// not null) receives (σ(x_i) - y_i) / n.
float sigmoid_cross_entropy(const std::vector<float>& logits, const std::vector<float>& labels,
                            std::vector<float>* dlogits);

}  // namespace recsys::nn
