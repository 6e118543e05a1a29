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

// First and second moments of one parameter, shaped like it; for embedding tables updated with
// Keras semantics, also the step at which each row was last brought up to date.
struct AdamSlot {
  Matrix m, v;
  std::vector<std::int64_t> row_step;
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
  void update(float* param, const float* grad, Eigen::Index rows, Eigen::Index cols,
              AdamSlot& slot);
  void update(Matrix& param, const Matrix& grad, AdamSlot& slot) {
    update(param.data(), grad.data(), param.rows(), param.cols(), slot);
  }
  void update(RowVector& param, const RowVector& grad, AdamSlot& slot) {
    update(param.data(), grad.data(), 1, param.cols(), slot);
  }
  // Lazy: table rows `rows[k]` move by grad row k; other rows and their moments stay as they are.
  void update_rows(Matrix& table, const std::vector<std::int32_t>& rows, const Matrix& grad,
                   AdamSlot& slot);
  // Dense semantics from a sparse gradient (what Keras' Adam does with an embedding's
  // IndexedSlices): every row's moments decay and every row moves; rows[k] also get grad row k.
  // O(table) per step: the reference for the lazy form below.
  void update_all_rows(Matrix& table, const std::vector<std::int32_t>& rows, const Matrix& grad,
                       AdamSlot& slot);
  // The same semantics in O(batch rows): a row untouched for k steps is brought up to date when it
  // is next touched (or flushed). With a zero gradient its moments decay as b1^j, b2^j and it moves
  // by Σ_j lr_j · (b1 / sqrt(b2))^j · m / sqrt(v), j = 1..k — exact but for ε, which the catch-up
  // neglects (relative error about ε / sqrt(v)); terms below 1e-12 of the first are dropped.
  void update_rows_catch_up(Matrix& table, const std::vector<std::int32_t>& rows,
                            const Matrix& grad, AdamSlot& slot);
  // The two lazy updates above over rows[kb .. ke) only, for pieces of one hand-off that share a
  // table's rows (trainer.cpp); prepare_rows() sizes the slot first, on one thread.
  void prepare_rows(const Matrix& table, AdamSlot& slot, bool catch_up) const;
  void update_rows(Matrix& table, const std::vector<std::int32_t>& rows, const Matrix& grad,
                   AdamSlot& slot, std::int64_t kb, std::int64_t ke);
  void update_rows_catch_up(Matrix& table, const std::vector<std::int32_t>& rows,
                            const Matrix& grad, AdamSlot& slot, std::int64_t kb, std::int64_t ke);
  // Brings every row of a catch-up table up to the current step (before reading the weights).
  void flush(Matrix& table, AdamSlot& slot);

 private:
  void advance();
  void ensure_slot(const Matrix& table, AdamSlot& slot, bool rows) const;
  void check_rows(const Matrix& table, const std::vector<std::int32_t>& rows, const Matrix& grad,
                  const AdamSlot& slot, std::int64_t kb, std::int64_t ke, bool catch_up) const;
  void rows_lazy(Matrix& table, const std::vector<std::int32_t>& rows, const Matrix& grad,
                 AdamSlot& slot, std::int64_t kb, std::int64_t ke) const;
  void rows_catch_up(Matrix& table, const std::vector<std::int32_t>& rows, const Matrix& grad,
                     AdamSlot& slot, std::int64_t kb, std::int64_t ke) const;
  void catch_up(float* p, float* m, float* v, Eigen::Index d, std::int64_t from_step) const;

  AdamConfig config_;
  std::int64_t t_ = 0;
  double beta1_power_ = 1, beta2_power_ = 1;
  std::vector<double> lr_history_{0.0};  // lr_t of every step so far, lr_history_[t]
  float lr_t_ = 0;
};

}  // namespace recsys::nn
