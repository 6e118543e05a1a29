#include "nn/adam.h"

#include <cmath>

#include "common/check.h"

namespace recsys::nn {

Adam::Adam(AdamConfig config) : config_(config) {
  set_learning_rate(config.learning_rate);
  RECSYS_CHECK(config.beta1 >= 0 && config.beta1 < 1, "Adam: beta1 must be in [0, 1), got ", config.beta1);
  RECSYS_CHECK(config.beta2 >= 0 && config.beta2 < 1, "Adam: beta2 must be in [0, 1), got ", config.beta2);
  RECSYS_CHECK(config.epsilon > 0, "Adam: epsilon must be > 0, got ", config.epsilon);
}

void Adam::set_learning_rate(float lr) {
  RECSYS_CHECK(std::isfinite(lr) && lr > 0, "Adam: learning rate must be > 0, got ", lr);
  config_.learning_rate = lr;
}

void Adam::set_step(std::int64_t t) {
  RECSYS_CHECK(t >= 0, "Adam: step must be >= 0, got ", t);
  t_ = 0;
  beta1_power_ = beta2_power_ = 1;
  for (std::int64_t i = 0; i < t; ++i) advance();
}

void Adam::advance() {
  // β^t by repeated multiplication, not pow(): identical on every libm.
  ++t_;
  beta1_power_ *= config_.beta1;
  beta2_power_ *= config_.beta2;
}

void Adam::begin_step() {
  advance();
  lr_t_ = static_cast<float>(config_.learning_rate * std::sqrt(1 - beta2_power_) / (1 - beta1_power_));
}

void Adam::update(float* param, const float* grad, Eigen::Index rows, Eigen::Index cols,
                  AdamSlot& slot) {
  RECSYS_CHECK(t_ > 0, "Adam: begin_step() must come before the updates");
  if (slot.m.rows() != rows || slot.m.cols() != cols) {
    slot.m = Matrix::Zero(rows, cols);
    slot.v = Matrix::Zero(rows, cols);
  }
  const float b1 = config_.beta1, b2 = config_.beta2, eps = config_.epsilon, lr = lr_t_;
  float* m = slot.m.data();
  float* v = slot.v.data();
  const Eigen::Index n = rows * cols;
  for (Eigen::Index i = 0; i < n; ++i) {
    const float g = grad[i];
    m[i] = b1 * m[i] + (1 - b1) * g;
    v[i] = b2 * v[i] + (1 - b2) * g * g;
    param[i] -= lr * m[i] / (std::sqrt(v[i]) + eps);
  }
}

void Adam::update_rows(Matrix& table, const std::vector<std::int32_t>& rows, const Matrix& grad,
                       AdamSlot& slot) {
  RECSYS_CHECK(t_ > 0, "Adam: begin_step() must come before the updates");
  if (slot.m.rows() != table.rows() || slot.m.cols() != table.cols()) {
    slot.m = Matrix::Zero(table.rows(), table.cols());
    slot.v = Matrix::Zero(table.rows(), table.cols());
  }
  const float b1 = config_.beta1, b2 = config_.beta2, eps = config_.epsilon, lr = lr_t_;
  const Eigen::Index d = table.cols();
  for (std::size_t k = 0; k < rows.size(); ++k) {
    float* p = table.row(rows[k]).data();
    float* m = slot.m.row(rows[k]).data();
    float* v = slot.v.row(rows[k]).data();
    const float* g = grad.row(static_cast<Eigen::Index>(k)).data();
    for (Eigen::Index i = 0; i < d; ++i) {
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
      p[i] -= lr * m[i] / (std::sqrt(v[i]) + eps);
    }
  }
}

}  // namespace recsys::nn
