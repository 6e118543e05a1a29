// Building blocks with hand-written backprop: Dense (ReLU / linear), embedding tables with sparse
// row gradients, hashed embeddings, row-wise L2 normalisation. Batched: one example per row.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/rng.h"
#include "nn/tensor.h"

namespace recsys::nn {

enum class Activation { Linear, Relu };

// Keras glorot_uniform: U(-limit, limit), limit = sqrt(6 / (fan_in + fan_out)).
void glorot_uniform(Matrix& w, Rng& rng);
// U(lo, hi) for every element (Keras' Embedding default is U(-0.05, 0.05)).
void uniform_init(Matrix& w, float lo, float hi, Rng& rng);

// y = act(x · W + b). W: in × out (Keras kernel layout), b: 1 × out (zero at init).
struct Dense {
  Matrix W;
  Matrix b;  // 1 × out
  Activation activation = Activation::Linear;
  Matrix grad_W;
  Matrix grad_b;

  Dense() = default;
  Dense(int in, int out, Activation act, Rng& rng);
  // Zero weights of this shape, for a model whose values are loaded next (no draws).
  Dense(int in, int out, Activation act);
  int in() const { return static_cast<int>(W.rows()); }
  int out() const { return static_cast<int>(W.cols()); }
  // Y (n × out) = act(X (n × in) · W + b).
  void forward(const Matrix& X, Matrix& Y) const;
  // The same for inference (towers run to embed, not to train): kernels::mat_mat's sums, each
  // output's products added in input order, the same bits on every target and for any row
  // split; forward() keeps Eigen's, which training's pieces reproduce.
  void infer(const Matrix& X, Matrix& Y) const;
  // Given X and the Y of forward() and dY = dL/dY (changed in place into dL/d(pre-activation)):
  // sets grad_W, grad_b, and dX = dL/dX when dX is not null.
  void backward(const Matrix& X, const Matrix& Y, Matrix& dY, Matrix* dX);
  // The parts of forward and backward, for callers that run them as separate pieces (the two
  // towers of a training step on two threads): each computes what forward/backward compute.
  // Rows r0 .. r0 + n of Y (already sized n_all × out), with r0 a multiple of 8 (the product's
  // sums are then those of the whole).
  void forward_rows(const Matrix& X, Matrix& Y, Eigen::Index r0, Eigen::Index n) const;
  // dY into dL/d(pre-activation), in place.
  void mask_gradient(const Matrix& Y, Matrix& dY) const;
  // grad_W and grad_b from the masked dY.
  void weight_gradients(const Matrix& X, const Matrix& dY);
  // dX from the masked dY.
  void input_gradient(const Matrix& dY, Matrix& dX) const;
};

// An n × d table whose gradients are sparse: only the rows looked up in a batch.
struct Embedding {
  Matrix table;
  // Rows touched since the last clear_grad(), and their summed gradients (one row each).
  std::vector<std::int32_t> grad_rows;
  Matrix grad;

  Embedding() = default;
  Embedding(int rows, int dim, Rng& rng, float init_scale = 0.05f);
  // A zero table of this shape, for a model whose values are loaded next (no draws).
  Embedding(int rows, int dim);
  int rows() const { return static_cast<int>(table.rows()); }
  int dim() const { return static_cast<int>(table.cols()); }
  // out (n × dim) row r = table[ids[r]]; throws on an id out of range.
  void lookup(const std::vector<std::int32_t>& ids, Matrix& out) const;
  // Adds weight · g (dim floats) to the gradient of table row id.
  void add_grad(std::int32_t id, const float* g, float weight = 1.0f);
  // Adds dOut row r, columns [col_offset, col_offset + dim), to the gradient of row ids[r].
  void accumulate(const std::vector<std::int32_t>& ids, const Matrix& dOut, int col_offset = 0);
  // Gradient of one element (0 when its row was not touched), for gradient checks.
  float grad_at(std::int32_t row, int col) const;
  void clear_grad();

 private:
  std::vector<std::int32_t> slot_;  // row -> index into grad_rows, -1 when untouched
};

// Row-wise L2 normalisation y = x / max(|x|, eps); norms are kept for backward.
void l2_normalize_rows(const Matrix& X, Matrix& Y, RowVector& norms, float eps = 1e-6f);
// Rows r0 .. r0 + n only, into Y and norms already sized like X.
void l2_normalize_rows(const Matrix& X, Matrix& Y, RowVector& norms, Eigen::Index r0,
                       Eigen::Index n, float eps = 1e-6f);
// dX = (dY - y (y·dY)) / |x| per row (for rows whose norm was above eps, else dY / eps).
void l2_normalize_backward(const Matrix& Y, const RowVector& norms, const Matrix& dY, Matrix& dX,
                           float eps = 1e-6f);

}  // namespace recsys::nn
