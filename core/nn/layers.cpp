#include "nn/layers.h"

#include <cmath>
#include <cstring>

#include "common/check.h"
#include "common/hash.h"
#include "common/tiering.h"
#include "nn/kernels.h"

namespace recsys::nn {

void glorot_uniform(Matrix& w, Rng& rng) {
  const double limit = std::sqrt(6.0 / static_cast<double>(w.rows() + w.cols()));
  for (Eigen::Index i = 0; i < w.size(); ++i)
    w.data()[i] = static_cast<float>(rng.uniform(-limit, limit));
}

void uniform_init(Matrix& w, float lo, float hi, Rng& rng) {
  for (Eigen::Index i = 0; i < w.size(); ++i) w.data()[i] = static_cast<float>(rng.uniform(lo, hi));
}

Dense::Dense(int in, int out, Activation act, Rng& rng) : activation(act) {
  RECSYS_CHECK(in > 0 && out > 0, "Dense: sizes must be positive, got ", in, " x ", out);
  W.resize(in, out);
  glorot_uniform(W, rng);
  b = Matrix::Zero(1, out);
  grad_W = Matrix::Zero(in, out);
  grad_b = Matrix::Zero(1, out);
}

Dense::Dense(int in, int out, Activation act) : activation(act) {
  RECSYS_CHECK(in > 0 && out > 0, "Dense: sizes must be positive, got ", in, " x ", out);
  W = Matrix::Zero(in, out);
  b = Matrix::Zero(1, out);
  grad_W = Matrix::Zero(in, out);
  grad_b = Matrix::Zero(1, out);
}

void Dense::forward(const Matrix& X, Matrix& Y) const {
  RECSYS_CHECK(X.cols() == W.rows(), "Dense: input has ", X.cols(), " columns, expected ",
               W.rows());
  kernels::matmul(X, W, Y);
  kernels::bias_act(Y.data(), static_cast<int>(Y.rows()), out(), b.data(),
                    activation == Activation::Relu);
}

void Dense::infer(const Matrix& X, Matrix& Y) const {
  RECSYS_CHECK(X.cols() == W.rows(), "Dense: input has ", X.cols(), " columns, expected ",
               W.rows());
  Y.resize(X.rows(), W.cols());
  kernels::mat_mat(X.data(), static_cast<int>(X.rows()), in(), W.data(), out(), Y.data());
  kernels::bias_act(Y.data(), static_cast<int>(Y.rows()), out(), b.data(),
                    activation == Activation::Relu);
}

void Dense::forward_rows(const Matrix& X, Matrix& Y, Eigen::Index r0, Eigen::Index n) const {
  RECSYS_CHECK(X.cols() == W.rows(), "Dense: input has ", X.cols(), " columns, expected ",
               W.rows());
  RECSYS_CHECK(Y.rows() == X.rows() && Y.cols() == W.cols(), "Dense: output is ", Y.rows(), " x ",
               Y.cols(), ", expected ", X.rows(), " x ", W.cols(), " (sized before the pieces)");
  RECSYS_CHECK(r0 >= 0 && n >= 0 && r0 + n <= X.rows(), "Dense: rows [", r0, ", ", r0 + n,
               ") out of range [0, ", X.rows(), ")");
  RECSYS_CHECK(r0 % 8 == 0, "Dense: rows start at ", r0,
               ", not a multiple of 8 (the sums would differ from forward's)");
  kernels::matmul_rows(X, W, Y, r0, n);
  kernels::bias_act(Y.data() + r0 * Y.cols(), static_cast<int>(n), out(), b.data(),
                    activation == Activation::Relu);
}

void Dense::mask_gradient(const Matrix& Y, Matrix& dY) const {
  if (activation != Activation::Relu) return;
  // A select per element, branch-free (it vectorises: a blend natively, v128.bitselect in wasm).
  // Eigen's select() became a branch per element here, mispredicted on half the ReLU outputs:
  // 8 % of a one-thread training step.
  RECSYS_CHECK(Y.rows() == dY.rows() && Y.cols() == dY.cols(), "Dense: the gradient is ", dY.rows(),
               " x ", dY.cols(), ", the output ", Y.rows(), " x ", Y.cols());
  const float* y = Y.data();
  float* d = dY.data();
  const Eigen::Index n = dY.size();
  for (Eigen::Index i = 0; i < n; ++i) d[i] = y[i] > 0.0f ? d[i] : 0.0f;
}

void Dense::weight_gradients(const Matrix& X, const Matrix& dY) {
  kernels::matmul_at(X, dY, grad_W);
  grad_b = dY.colwise().sum();
}

void Dense::input_gradient(const Matrix& dY, Matrix& dX) const {
  kernels::matmul_bt(dY, W, dX);
}

void Dense::backward(const Matrix& X, const Matrix& Y, Matrix& dY, Matrix* dX) {
  mask_gradient(Y, dY);
  weight_gradients(X, dY);
  if (dX) input_gradient(dY, *dX);
}

Embedding::Embedding(int rows, int dim, Rng& rng, float init_scale) {
  RECSYS_CHECK(rows > 0 && dim > 0, "Embedding: sizes must be positive, got ", rows, " x ", dim);
  table.resize(rows, dim);
  uniform_init(table, -init_scale, init_scale, rng);
  slot_.assign(static_cast<std::size_t>(rows), -1);
}

Embedding::Embedding(int rows, int dim) {
  RECSYS_CHECK(rows > 0 && dim > 0, "Embedding: sizes must be positive, got ", rows, " x ", dim);
  // One memset (memory.fill in wasm, native speed in every tier): the tables to be loaded are
  // the model's largest, and a loop that a cold page runs as baseline code was not.
  table.resize(rows, dim);
  std::memset(table.data(), 0, sizeof(float) * static_cast<std::size_t>(table.size()));
  slot_.assign(static_cast<std::size_t>(rows), -1);
}

void Embedding::lookup(const std::vector<std::int32_t>& ids, Matrix& out) const {
  out.resize(static_cast<Eigen::Index>(ids.size()), table.cols());
  for (std::size_t r = 0; r < ids.size(); ++r) {
    RECSYS_CHECK(ids[r] >= 0 && ids[r] < table.rows(), "embedding: id ", ids[r],
                 " out of range [0, ", table.rows(), ")");
    out.row(static_cast<Eigen::Index>(r)) = table.row(ids[r]);
  }
}

void Embedding::add_grad(std::int32_t id, const float* g, float weight) {
  if (slot_.size() != static_cast<std::size_t>(table.rows())) slot_.assign(table.rows(), -1);
  const Eigen::Index d = table.cols();
  std::int32_t s = slot_[id];
  if (s < 0) {
    s = static_cast<std::int32_t>(grad_rows.size());
    slot_[id] = s;
    grad_rows.push_back(id);
    if (grad.cols() != d) grad.resize(0, d);
    if (grad.rows() <= s) grad.conservativeResize(std::max<Eigen::Index>(16, 2 * grad.rows()), d);
    grad.row(s).setZero();
  }
  float* dst = grad.row(s).data();
  for (Eigen::Index k = 0; k < d; ++k) dst[k] += weight * g[k];
}

void Embedding::accumulate(const std::vector<std::int32_t>& ids, const Matrix& dOut,
                           int col_offset) {
  RECSYS_CHECK(col_offset + table.cols() <= dOut.cols(), "embedding: gradient block out of range");
  for (std::size_t r = 0; r < ids.size(); ++r)
    add_grad(ids[r], dOut.row(static_cast<Eigen::Index>(r)).data() + col_offset);
}

float Embedding::grad_at(std::int32_t row, int col) const {
  if (row < 0 || static_cast<std::size_t>(row) >= slot_.size() || slot_[row] < 0) return 0;
  return grad(slot_[row], col);
}

void Embedding::clear_grad() {
  for (std::int32_t id : grad_rows) slot_[id] = -1;
  grad_rows.clear();
}

void l2_normalize_rows(const Matrix& X, Matrix& Y, RowVector& norms, float eps) {
  norms.resize(X.rows());
  Y.resize(X.rows(), X.cols());
  l2_normalize_rows(X, Y, norms, 0, X.rows(), eps);
}

// A loop over rows in a function of its own (common/tiering.h): the towers that call it run once
// per chunk of rows.
RECSYS_LOOP void l2_normalize_rows(const Matrix& X, Matrix& Y, RowVector& norms, Eigen::Index r0,
                                   Eigen::Index n, float eps) {
  for (Eigen::Index r = r0; r < r0 + n; ++r) {
    const float n = X.row(r).norm();
    norms[r] = n;
    Y.row(r) = X.row(r) / std::max(n, eps);
  }
}

void l2_normalize_backward(const Matrix& Y, const RowVector& norms, const Matrix& dY, Matrix& dX,
                           float eps) {
  dX.resize(Y.rows(), Y.cols());
  for (Eigen::Index r = 0; r < Y.rows(); ++r) {
    if (norms[r] <= eps) {
      dX.row(r) = dY.row(r) / eps;
      continue;
    }
    const float dot = Y.row(r).dot(dY.row(r));
    dX.row(r) = (dY.row(r) - dot * Y.row(r)) / norms[r];
  }
}

}  // namespace recsys::nn
