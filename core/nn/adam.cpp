#include "nn/adam.h"

#include <algorithm>
#include <cmath>

#include "common/check.h"
#include "common/parallel.h"

namespace recsys::nn {

namespace {
// Rows per parallel chunk: about 8,192 values (below that a fork-join costs more than it saves).
std::int64_t rows_per_chunk(Eigen::Index d) { return std::max<std::int64_t>(8, 8192 / std::max<Eigen::Index>(d, 1)); }
}  // namespace

Adam::Adam(AdamConfig config) : config_(config) {
  set_learning_rate(config.learning_rate);
  RECSYS_CHECK(config.beta1 >= 0 && config.beta1 < 1, "Adam: beta1 must be in [0, 1), got ",
               config.beta1);
  RECSYS_CHECK(config.beta2 >= 0 && config.beta2 < 1, "Adam: beta2 must be in [0, 1), got ",
               config.beta2);
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
  lr_history_.assign(1, 0.0);
  for (std::int64_t i = 0; i < t; ++i) begin_step();
}

void Adam::advance() {
  // β^t by repeated multiplication, not pow(): identical on every libm.
  ++t_;
  beta1_power_ *= config_.beta1;
  beta2_power_ *= config_.beta2;
}

void Adam::begin_step() {
  advance();
  const double lr = config_.learning_rate * std::sqrt(1 - beta2_power_) / (1 - beta1_power_);
  lr_t_ = static_cast<float>(lr);
  lr_history_.push_back(static_cast<double>(lr_t_));
}

void Adam::update(float* param, const float* grad, Eigen::Index rows, Eigen::Index cols,
                  AdamSlot& slot) {
  RECSYS_CHECK_STATE(t_ > 0, "Adam: begin_step() must come before the updates");
  if (slot.m.rows() != rows || slot.m.cols() != cols) {
    slot.m = Matrix::Zero(rows, cols);
    slot.v = Matrix::Zero(rows, cols);
  }
  const float b1 = config_.beta1, b2 = config_.beta2, eps = config_.epsilon, lr = lr_t_;
  float* m = slot.m.data();
  float* v = slot.v.data();
  // Element-wise: chunks across the threads give the same values.
  parallel::for_chunks(rows * cols, 64, 16384, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) {
      const float g = grad[i];
      m[i] = b1 * m[i] + (1 - b1) * g;
      v[i] = b2 * v[i] + (1 - b2) * g * g;
      param[i] -= lr * m[i] / (std::sqrt(v[i]) + eps);
    }
  });
}

void Adam::update_rows(Matrix& table, const std::vector<std::int32_t>& rows, const Matrix& grad,
                       AdamSlot& slot) {
  RECSYS_CHECK_STATE(t_ > 0, "Adam: begin_step() must come before the updates");
  prepare_rows(table, slot, false);
  // The rows are distinct (an embedding's gradient rows): chunks of them update independently.
  parallel::for_chunks(
      static_cast<std::int64_t>(rows.size()), 1, rows_per_chunk(table.cols()),
      [&](std::int64_t kb, std::int64_t ke) { rows_lazy(table, rows, grad, slot, kb, ke); });
}

void Adam::update_rows(Matrix& table, const std::vector<std::int32_t>& rows, const Matrix& grad,
                       AdamSlot& slot, std::int64_t kb, std::int64_t ke) {
  check_rows(table, rows, grad, slot, kb, ke, false);
  rows_lazy(table, rows, grad, slot, kb, ke);
}

void Adam::rows_lazy(Matrix& table, const std::vector<std::int32_t>& rows, const Matrix& grad,
                     AdamSlot& slot, std::int64_t kb, std::int64_t ke) const {
  const float b1 = config_.beta1, b2 = config_.beta2, eps = config_.epsilon, lr = lr_t_;
  const Eigen::Index d = table.cols();
  for (std::int64_t k = kb; k < ke; ++k) {
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

void Adam::prepare_rows(const Matrix& table, AdamSlot& slot, bool catch_up) const {
  ensure_slot(table, slot, catch_up);
}

void Adam::check_rows(const Matrix& table, const std::vector<std::int32_t>& rows,
                      const Matrix& grad, const AdamSlot& slot, std::int64_t kb, std::int64_t ke,
                      bool catch_up) const {
  RECSYS_CHECK_STATE(t_ > 0, "Adam: begin_step() must come before the updates");
  RECSYS_CHECK_STATE(
      slot.m.rows() == table.rows() && slot.m.cols() == table.cols() &&
          (!catch_up || slot.row_step.size() == static_cast<std::size_t>(table.rows())),
      "Adam: prepare_rows() must come before a range of row updates");
  RECSYS_CHECK(kb >= 0 && kb <= ke && ke <= static_cast<std::int64_t>(rows.size()), "Adam: rows [",
               kb, ", ", ke, ") out of range [0, ", rows.size(), ")");
  RECSYS_CHECK(ke <= grad.rows() && grad.cols() == table.cols(), "Adam: the gradient is ",
               grad.rows(), " x ", grad.cols(), " for rows up to ", ke, " of a table with ",
               table.cols(), " columns");
}

void Adam::ensure_slot(const Matrix& table, AdamSlot& slot, bool rows) const {
  if (slot.m.rows() != table.rows() || slot.m.cols() != table.cols()) {
    slot.m = Matrix::Zero(table.rows(), table.cols());
    slot.v = Matrix::Zero(table.rows(), table.cols());
    slot.row_step.clear();
  }
  // Rows start up to date with the step at which the table was first seen.
  if (rows && slot.row_step.size() != static_cast<std::size_t>(table.rows()))
    slot.row_step.assign(static_cast<std::size_t>(table.rows()), t_ - 1);
}

void Adam::update_all_rows(Matrix& table, const std::vector<std::int32_t>& rows, const Matrix& grad,
                           AdamSlot& slot) {
  RECSYS_CHECK_STATE(t_ > 0, "Adam: begin_step() must come before the updates");
  ensure_slot(table, slot, false);
  const float b1 = config_.beta1, b2 = config_.beta2, eps = config_.epsilon, lr = lr_t_;
  slot.m *= b1;
  slot.v *= b2;
  const Eigen::Index d = table.cols();
  for (std::size_t k = 0; k < rows.size(); ++k) {
    float* m = slot.m.row(rows[k]).data();
    float* v = slot.v.row(rows[k]).data();
    const float* g = grad.row(static_cast<Eigen::Index>(k)).data();
    for (Eigen::Index i = 0; i < d; ++i) {
      m[i] += (1 - b1) * g[i];
      v[i] += (1 - b2) * g[i] * g[i];
    }
  }
  float* p = table.data();
  const float* m = slot.m.data();
  const float* v = slot.v.data();
  for (Eigen::Index i = 0; i < table.size(); ++i) p[i] -= lr * m[i] / (std::sqrt(v[i]) + eps);
}

void Adam::catch_up(float* p, float* m, float* v, Eigen::Index d, std::int64_t from_step) const {
  // Steps from_step + 1 .. t_ - 1 had a zero gradient for this row.
  const std::int64_t k = t_ - 1 - from_step;
  if (k <= 0) return;
  const double c = config_.beta1 / std::sqrt(static_cast<double>(config_.beta2));
  double sum = 0, cj = 1;
  for (std::int64_t j = 1; j <= k; ++j) {
    cj *= c;
    sum += lr_history_[static_cast<std::size_t>(from_step + j)] * cj;
    if (cj < 1e-12) break;
  }
  const auto kk = static_cast<double>(k);
  const float m_decay = static_cast<float>(std::pow(static_cast<double>(config_.beta1), kk));
  const float v_decay = static_cast<float>(std::pow(static_cast<double>(config_.beta2), kk));
  const float step = static_cast<float>(sum);
  for (Eigen::Index i = 0; i < d; ++i) {
    if (v[i] > 0) p[i] -= step * m[i] / std::sqrt(v[i]);
    m[i] *= m_decay;
    v[i] *= v_decay;
  }
}

void Adam::update_rows_catch_up(Matrix& table, const std::vector<std::int32_t>& rows,
                                const Matrix& grad, AdamSlot& slot) {
  RECSYS_CHECK_STATE(t_ > 0, "Adam: begin_step() must come before the updates");
  ensure_slot(table, slot, true);
  parallel::for_chunks(
      static_cast<std::int64_t>(rows.size()), 1, rows_per_chunk(table.cols()) / 2,
      [&](std::int64_t kb, std::int64_t ke) { rows_catch_up(table, rows, grad, slot, kb, ke); });
}

void Adam::update_rows_catch_up(Matrix& table, const std::vector<std::int32_t>& rows,
                                const Matrix& grad, AdamSlot& slot, std::int64_t kb,
                                std::int64_t ke) {
  check_rows(table, rows, grad, slot, kb, ke, true);
  rows_catch_up(table, rows, grad, slot, kb, ke);
}

void Adam::rows_catch_up(Matrix& table, const std::vector<std::int32_t>& rows, const Matrix& grad,
                         AdamSlot& slot, std::int64_t kb, std::int64_t ke) const {
  const float b1 = config_.beta1, b2 = config_.beta2, eps = config_.epsilon, lr = lr_t_;
  const Eigen::Index d = table.cols();
  for (std::int64_t k = kb; k < ke; ++k) {
    const std::int32_t r = rows[k];
    float* p = table.row(r).data();
    float* m = slot.m.row(r).data();
    float* v = slot.v.row(r).data();
    catch_up(p, m, v, d, slot.row_step[r]);
    const float* g = grad.row(static_cast<Eigen::Index>(k)).data();
    for (Eigen::Index i = 0; i < d; ++i) {
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
      p[i] -= lr * m[i] / (std::sqrt(v[i]) + eps);
    }
    slot.row_step[r] = t_;
  }
}

void Adam::flush(Matrix& table, AdamSlot& slot) {
  if (slot.row_step.size() != static_cast<std::size_t>(table.rows())) return;  // never updated
  const Eigen::Index d = table.cols();
  // catch_up() applies steps up to t_ - 1; the current step counts as pending too.
  const std::int64_t saved = t_;
  ++t_;
  parallel::for_chunks(table.rows(), 1, rows_per_chunk(d), [&](std::int64_t rb, std::int64_t re) {
    for (std::int64_t r = rb; r < re; ++r) {
      if (slot.row_step[r] >= saved) continue;
      catch_up(table.row(r).data(), slot.m.row(r).data(), slot.v.row(r).data(), d,
               slot.row_step[r]);
      slot.row_step[r] = saved;
    }
  });
  t_ = saved;
}

}  // namespace recsys::nn
