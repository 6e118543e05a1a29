// Adam (Kingma & Ba 2015) in Keras' form: lr_t = lr · sqrt(1 - β2^t) / (1 - β1^t),
// θ -= lr_t · m / (sqrt(v) + ε). Dense updates for layers; lazy sparse updates for embedding
// rows (only the rows of the batch move, as TensorFlow's LazyAdam).
#pragma once

#include <cstdint>
#include <vector>

#include "nn/tensor.h"

namespace recsys::nn {

struct AdamConfig {
  float learning_rate = 1e-3f;
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float epsilon = 1e-7f;  // Keras' default
};

// First and second moments of one parameter, shaped like it.
struct AdamSlot {
  Matrix m, v;
};

class Adam {
 public:
  explicit Adam(AdamConfig config = AdamConfig());
  const AdamConfig& config() const { return config_; }
  void set_learning_rate(float lr);
  // Call once per training step, before the updates of that step.
  void begin_step();
  std::int64_t step() const { return t_; }
  void set_step(std::int64_t t);

  // θ (any shape) -= update from its gradient.
  void update(float* param, const float* grad, Eigen::Index rows, Eigen::Index cols, AdamSlot& slot);
  void update(Matrix& param, const Matrix& grad, AdamSlot& slot) {
    update(param.data(), grad.data(), param.rows(), param.cols(), slot);
  }
  void update(RowVector& param, const RowVector& grad, AdamSlot& slot) {
    update(param.data(), grad.data(), 1, param.cols(), slot);
  }
  // Lazy: table rows `rows[k]` move by grad row k; other rows and their moments stay as they are.
  void update_rows(Matrix& table, const std::vector<std::int32_t>& rows, const Matrix& grad,
                   AdamSlot& slot);

 private:
  void advance();

  AdamConfig config_;
  std::int64_t t_ = 0;
  double beta1_power_ = 1, beta2_power_ = 1;
  float lr_t_ = 0;
};

}  // namespace recsys::nn
