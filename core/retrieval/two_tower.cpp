#include "retrieval/two_tower.h"

#include <algorithm>
#include <cmath>

#include "common/check.h"
#include "common/hash.h"
#include "common/parallel.h"
#include "common/rng.h"
#include "common/tiering.h"
#include "features/hashing.h"
#include "features/history.h"
#include "features/text.h"
#include "nn/kernels.h"
#include "nn/losses.h"

namespace recsys {

using nn::Matrix;

TwoTowerModel::TwoTowerModel(const TwoTowerConfig& config, const Catalog& catalog,
                             const Vocabulary& users)
    : config_(config), items_(catalog.item_ids()), users_(users) {
  config_.validate();
  RECSYS_CHECK(catalog.size() > 0, "two-tower model: the catalog is empty");
  build_features(catalog);
  resolve_sizes();
  build_id_rows();
  build_title_words();
  init_weights();
}

RECSYS_LOOP void TwoTowerModel::build_title_words() {
  item_word_offsets_.assign(1, 0);
  item_words_.clear();
  if (config_.title_dim == 0) return;
  HashSpec h{config_.title_buckets, 1, config_.seed * 2 + 3};
  for (const auto& t : item_title_) {
    for (const auto& w : title_words(t)) item_words_.push_back(h.bucket(w, 0));
    item_word_offsets_.push_back(static_cast<std::int32_t>(item_words_.size()));
  }
}

void TwoTowerModel::build_features(const Catalog& catalog) {
  categories_ = catalog.categories();
  brands_ = catalog.brands();
  const std::int32_t n = catalog.size();
  item_category_ = catalog.category_column();
  item_brand_ = catalog.brand_column();
  item_price_ = catalog.price_column();
  item_title_.resize(static_cast<std::size_t>(catalog.size()));
  for (std::int32_t i = 0; i < catalog.size(); ++i) item_title_[i] = catalog.title(i);
  price_ = PriceFeatures::fit(item_price_, config_.price_buckets);
  item_price_bucket_.resize(static_cast<std::size_t>(n));
  item_price_value_.resize(static_cast<std::size_t>(n));
  for (std::int32_t i = 0; i < n; ++i) {
    item_price_bucket_[i] = price_.bucket(item_price_[i]);
    item_price_value_[i] = price_.value(item_price_[i], config_.price_feature);
  }
}

void TwoTowerModel::resolve_sizes() {
  if (config_.user_buckets < 0) {
    int b = 1024;
    while (b < 2 * users_.size() && b < (1 << 26)) b *= 2;
    config_.user_buckets = b;
  }
  if (config_.item_buckets < 0) config_.item_buckets = items_.size() <= 200000 ? 0 : (1 << 17);
}

RECSYS_LOOP void TwoTowerModel::build_id_rows() {
  const std::int32_t n_users = users_.size(), n_items = items_.size();
  // Users: the anonymous / unknown row is the table's last row.
  const int us = user_slots();
  anonymous_row_ = config_.user_buckets > 0 ? config_.user_buckets : n_users;
  user_id_rows_.resize(static_cast<std::size_t>(n_users) * us);
  HashSpec uh{config_.user_buckets, us, config_.seed * 2 + 1};
  for (std::int32_t u = 0; u < n_users; ++u)
    for (int k = 0; k < us; ++k)
      user_id_rows_[static_cast<std::size_t>(u) * us + k] =
          config_.user_buckets > 0 ? uh.bucket(users_.token(u), k) : u;
  item_id_rows_.clear();
  if (config_.item_id_dim > 0) {
    const int is = item_slots();
    item_id_rows_.resize(static_cast<std::size_t>(n_items) * is);
    HashSpec ih{config_.item_buckets, is, config_.seed * 2 + 2};
    for (std::int32_t i = 0; i < n_items; ++i)
      for (int k = 0; k < is; ++k)
        item_id_rows_[static_cast<std::size_t>(i) * is + k] =
            config_.item_buckets > 0 ? ih.bucket(items_.token(i), k) : i;
  }
}

int TwoTowerModel::user_input_dim() const {
  return config_.user_id_dim + (config_.has_history() ? config_.item_id_dim : 0);
}

int TwoTowerModel::item_input_dim() const {
  return config_.item_id_dim + config_.title_dim + config_.category_dim + config_.brand_dim +
         (config_.price_buckets > 0 ? config_.price_bucket_dim : 0) +
         (config_.price_feature == "none" ? 0 : 1);
}

void TwoTowerModel::init_weights(bool draw, bool user_codes) {
  // Loading a model file only needs the shapes: drawing every element (a 1M-row table is 64M
  // draws) would be thrown away at once.
  Rng rng(config_.seed, 7);
  auto table = [&](int rows, int dim) {
    return draw ? nn::Embedding(rows, dim, rng) : nn::Embedding(rows, dim);
  };
  const int user_rows = (config_.user_buckets > 0 ? config_.user_buckets : users_.size()) + 1;
  user_codes_.reset();
  user_id_ = user_codes ? nn::Embedding() : table(user_rows, config_.user_id_dim);
  if (config_.item_id_dim > 0)
    item_id_ = table((config_.item_buckets > 0 ? config_.item_buckets : items_.size()) + 1,
                     config_.item_id_dim);
  if (config_.title_dim > 0) title_ = table(config_.title_buckets, config_.title_dim);
  if (config_.category_dim > 0) category_ = table(categories_.size() + 1, config_.category_dim);
  if (config_.brand_dim > 0) brand_ = table(brands_.size() + 1, config_.brand_dim);
  if (config_.price_buckets > 0)
    price_bucket_ = table(config_.price_buckets, config_.price_bucket_dim);
  auto make_tower = [&](int in) {
    std::vector<nn::Dense> layers;
    for (int h : config_.hidden) {
      if (draw)
        layers.emplace_back(in, h, nn::Activation::Relu, rng);
      else
        layers.emplace_back(in, h, nn::Activation::Relu);
      in = h;
    }
    const auto act = config_.output_relu ? nn::Activation::Relu : nn::Activation::Linear;
    if (draw)
      layers.emplace_back(in, config_.output_dim, act, rng);
    else
      layers.emplace_back(in, config_.output_dim, act);
    return layers;
  };
  user_tower_ = make_tower(user_input_dim());
  item_tower_ = make_tower(item_input_dim());
  if (config_.history_encoder == "attention") {
    // Drawn after everything else, so that a pooled model's weights do not change. Small
    // positions and query / key weights (attention starts near a uniform mean of the history),
    // Wv near the identity (the values start as the items themselves).
    const int d = config_.item_id_dim, n = config_.history_length;
    const float sq = 1.0f / std::sqrt(static_cast<float>(d));
    pos_.setZero(n, d);
    wq_.setZero(d, d);
    wk_.setZero(d, d);
    wv_.setZero(d, d);
    if (draw) {
      for (Eigen::Index i = 0; i < pos_.size(); ++i) pos_.data()[i] = 0.02f * rng.normal();
      for (Eigen::Index i = 0; i < wq_.size(); ++i) wq_.data()[i] = sq * rng.normal();
      for (Eigen::Index i = 0; i < wk_.size(); ++i) wk_.data()[i] = sq * rng.normal();
      for (Eigen::Index i = 0; i < wv_.size(); ++i) wv_.data()[i] = 0.1f * sq * rng.normal();
      wv_ += Matrix::Identity(d, d);
    }
    grad_pos_.setZero(n, d);
    grad_wq_.setZero(d, d);
    grad_wk_.setZero(d, d);
    grad_wv_.setZero(d, d);
  }
}

void TwoTowerModel::attend(const std::int32_t* items, int n, float* z, AttentionWork& w) const {
  const int d = config_.item_id_dim, is = item_slots();
  if (n == 0) {
    std::fill(z, z + d, 0.0f);
    return;
  }
  w.X.resize(n, d);
  for (int j = 0; j < n; ++j) {
    auto x = w.X.row(j);
    x = pos_.row(j);
    for (int s = 0; s < is; ++s)
      x += item_id_.table.row(item_id_rows_[static_cast<std::size_t>(items[j]) * is + s]);
  }
  w.q.noalias() = w.X.row(0) * wq_;
  w.u.noalias() = w.q * wk_.transpose();
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  w.a.noalias() = (w.X * w.u.transpose()).transpose() * scale;
  const float top = w.a.maxCoeff();
  w.a = (w.a.array() - top).exp();
  w.a /= w.a.sum();
  w.c.noalias() = w.a * w.X;
  Eigen::Map<nn::RowVector> out(z, d);
  out.noalias() = w.X.row(0) + w.c * wv_;
}

void TwoTowerModel::attend_backward(const std::int32_t* items, int n, const float* dz_ptr,
                                    AttentionWork& w) {
  if (n == 0) return;
  const int d = config_.item_id_dim, is = item_slots();
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  const Eigen::Map<const nn::RowVector> dz(dz_ptr, d);
  Matrix dX = Matrix::Zero(n, d);
  // z = x_0 + c Wv, c = a X.
  dX.row(0) += dz;
  grad_wv_.noalias() += w.c.transpose() * dz;
  const nn::RowVector dc = dz * wv_.transpose();
  dX.noalias() += w.a.transpose() * dc;
  const nn::RowVector da = (w.X * dc.transpose()).transpose();
  // a = softmax(s), s = X u^T · scale.
  const float mean = (w.a.array() * da.array()).sum();
  const nn::RowVector ds = (w.a.array() * (da.array() - mean)).matrix() * scale;
  dX.noalias() += ds.transpose() * w.u;
  const nn::RowVector du = ds * w.X;
  // u = q Wk^T, q = x_0 Wq.
  grad_wk_.noalias() += du.transpose() * w.q;
  const nn::RowVector dq = du * wk_;
  grad_wq_.noalias() += w.X.row(0).transpose() * dq;
  dX.row(0).noalias() += dq * wq_.transpose();
  grad_pos_.topRows(n) += dX;
  for (int j = 0; j < n; ++j)
    for (int s = 0; s < is; ++s)
      item_id_.add_grad(item_id_rows_[static_cast<std::size_t>(items[j]) * is + s],
                        dX.row(j).data());
}

void TwoTowerModel::user_input(const std::vector<std::int32_t>& users,
                               const std::vector<std::int32_t>& offsets,
                               const std::vector<std::int32_t>& history, Matrix& X) const {
  X.setZero(static_cast<Eigen::Index>(users.size()), user_input_dim());
  user_input_rows(users, offsets, history, X, 0, X.rows());
}

void TwoTowerModel::user_input_rows(const std::vector<std::int32_t>& users,
                                    const std::vector<std::int32_t>& offsets,
                                    const std::vector<std::int32_t>& history, Matrix& X,
                                    Eigen::Index r0, Eigen::Index n) const {
  const int du = config_.user_id_dim, di = config_.item_id_dim, us = user_slots(),
            is = item_slots();
  std::vector<float> w, row(user_codes_ ? static_cast<std::size_t>(du) : 0);
  AttentionWork attention;
  for (Eigen::Index r = r0; r < r0 + n; ++r) {
    float* x = X.row(r).data();
    const std::int32_t u = users[r];
    if (u < 0) {
      const float* e = user_row(anonymous_row_, row.data());
      for (int k = 0; k < du; ++k) x[k] += e[k];
    } else {
      for (int s = 0; s < us; ++s) {
        const float* e = user_row(user_id_rows_[static_cast<std::size_t>(u) * us + s], row.data());
        for (int k = 0; k < du; ++k) x[k] += e[k];
      }
    }
    if (!config_.has_history()) continue;
    const std::int32_t b = offsets[r], e = offsets[r + 1];
    if (config_.history_encoder == "attention") {
      attend(history.data() + b, e - b, x + du, attention);
      continue;
    }
    history_weights(static_cast<std::size_t>(e - b), config_.history_decay, w);
    for (std::int32_t j = b; j < e; ++j) {
      const std::int32_t item = history[j];
      for (int s = 0; s < is; ++s) {
        const float* v =
            item_id_.table.row(item_id_rows_[static_cast<std::size_t>(item) * is + s]).data();
        const float wj = w[j - b];
        for (int k = 0; k < di; ++k) x[du + k] += wj * v[k];
      }
    }
  }
}

void TwoTowerModel::item_input(const std::vector<std::int32_t>& items, Matrix& X) const {
  X.setZero(static_cast<Eigen::Index>(items.size()), item_input_dim());
  item_input_rows(items, X, 0, X.rows());
}

RECSYS_LOOP void TwoTowerModel::item_input_rows(const std::vector<std::int32_t>& items, Matrix& X,
                                                Eigen::Index r0, Eigen::Index n) const {
  const int is = item_slots();
  for (Eigen::Index r = r0; r < r0 + n; ++r) {
    const std::int32_t i = items[r];
    float* x = X.row(r).data();
    int off = 0;
    if (config_.item_id_dim > 0) {
      for (int s = 0; s < is; ++s) {
        const float* v =
            item_id_.table.row(item_id_rows_[static_cast<std::size_t>(i) * is + s]).data();
        for (int k = 0; k < config_.item_id_dim; ++k) x[k] += v[k];
      }
      off += config_.item_id_dim;
    }
    if (config_.title_dim > 0) {
      const std::int32_t wb = item_word_offsets_[i], we = item_word_offsets_[i + 1];
      const float scale = we > wb ? 1.0f / static_cast<float>(we - wb) : 0.0f;
      for (std::int32_t w = wb; w < we; ++w) {
        const float* v = title_.table.row(item_words_[w]).data();
        for (int k = 0; k < config_.title_dim; ++k) x[off + k] += scale * v[k];
      }
      off += config_.title_dim;
    }
    auto put = [&](const nn::Embedding& table, std::int32_t row, int dim) {
      if (dim == 0) return;
      const float* v = table.table.row(row).data();
      for (int k = 0; k < dim; ++k) x[off + k] = v[k];
      off += dim;
    };
    put(category_, item_category_[i], config_.category_dim);
    put(brand_, item_brand_[i], config_.brand_dim);
    if (config_.price_buckets > 0)
      put(price_bucket_, item_price_bucket_[i], config_.price_bucket_dim);
    if (config_.price_feature != "none") x[off] = item_price_value_[i];
  }
}

void TwoTowerModel::run_tower(const std::vector<nn::Dense>& tower, TowerWork& w,
                              bool inference) const {
  w.acts.resize(tower.size());
  const Matrix* in = &w.input;
  for (std::size_t l = 0; l < tower.size(); ++l) {
    if (inference)
      tower[l].infer(*in, w.acts[l]);
    else
      tower[l].forward(*in, w.acts[l]);
    in = &w.acts[l];
  }
  if (config_.l2_normalize)
    nn::l2_normalize_rows(w.acts.back(), w.out, w.norms);
  else
    w.out = w.acts.back();
}

void TwoTowerModel::size_tower(const std::vector<nn::Dense>& tower, TowerWork& w,
                               Eigen::Index rows) const {
  w.acts.resize(tower.size());
  for (std::size_t l = 0; l < tower.size(); ++l) w.acts[l].resize(rows, tower[l].out());
  w.out.resize(rows, tower.back().out());
  w.norms.resize(rows);
}

void TwoTowerModel::run_tower_rows(const std::vector<nn::Dense>& tower, TowerWork& w,
                                   Eigen::Index r0, Eigen::Index n) const {
  const Matrix* in = &w.input;
  for (std::size_t l = 0; l < tower.size(); ++l) {
    tower[l].forward_rows(*in, w.acts[l], r0, n);
    in = &w.acts[l];
  }
  if (config_.l2_normalize)
    nn::l2_normalize_rows(w.acts.back(), w.out, w.norms, r0, n);
  else
    w.out.middleRows(r0, n) = w.acts.back().middleRows(r0, n);
}

void TwoTowerModel::forward_towers(const TrainingBatch& b,
                                   const std::vector<std::int32_t>& candidates, TowerWork& uw,
                                   TowerWork& iw) const {
  if (!parallel::by_pieces()) {
    user_input(b.users, b.history_offsets, b.history_items, uw.input);
    run_tower(user_tower_, uw);
    item_input(candidates, iw.input);
    run_tower(item_tower_, iw);
    return;
  }
  // Each tower in two halves of rows: four pieces that two threads share evenly (the user tower
  // may cost twice the item tower, or half), one hand-off for the whole forward pass.
  const auto B = static_cast<Eigen::Index>(b.users.size()),
             C = static_cast<Eigen::Index>(candidates.size());
  uw.input.setZero(B, user_input_dim());
  iw.input.setZero(C, item_input_dim());
  size_tower(user_tower_, uw, B);
  size_tower(item_tower_, iw, C);
  const Eigen::Index hu = nn::kernels::half_rows(B), hi = nn::kernels::half_rows(C);
  parallel::for_pieces(4, [&](int p) {
    if (p < 2) {
      const Eigen::Index r0 = p == 0 ? 0 : hu, n = p == 0 ? hu : B - hu;
      user_input_rows(b.users, b.history_offsets, b.history_items, uw.input, r0, n);
      run_tower_rows(user_tower_, uw, r0, n);
    } else {
      const Eigen::Index r0 = p == 2 ? 0 : hi, n = p == 2 ? hi : C - hi;
      item_input_rows(candidates, iw.input, r0, n);
      run_tower_rows(item_tower_, iw, r0, n);
    }
  });
}

void TwoTowerModel::backward_towers(const Matrix& dU, const Matrix& dV, Matrix& dXu, Matrix& dXi) {
  if (!parallel::by_pieces()) {
    backward_tower(user_tower_, user_work_, dU, dXu);
    backward_tower(item_tower_, item_work_, dV, dXi);
    return;
  }
  // Layer by layer from the outputs: at each depth, each tower's weight gradient and input
  // gradient are independent pieces (four for two one-layer towers), with backward_tower's sums.
  struct Side {
    std::vector<nn::Dense>* tower;
    TowerWork* work;
    const Matrix* d_out;
    Matrix g, next;
  };
  Side sides[2] = {{&user_tower_, &user_work_, &dU, {}, {}},
                   {&item_tower_, &item_work_, &dV, {}, {}}};
  // Each side's top gradient, through its L2 normalisation and masked by its last layer's ReLU: a
  // piece per side. Each mask below is applied in the piece that computed the gradient.
  const auto top = [&](Side& s) {
    if (config_.l2_normalize)
      nn::l2_normalize_backward(s.work->out, s.work->norms, *s.d_out, s.g);
    else
      s.g = *s.d_out;
    s.tower->back().mask_gradient(s.work->acts.back(), s.g);
  };
  const auto relu = [](const nn::Dense& layer) { return layer.activation == nn::Activation::Relu; };
  if (config_.l2_normalize || relu(user_tower_.back()) || relu(item_tower_.back()))
    parallel::for_pieces(2, [&](int k) { top(sides[k]); });
  else
    for (Side& s : sides) top(s);  // two copies: not worth a hand-off
  const std::size_t depth = std::max(user_tower_.size(), item_tower_.size());
  std::vector<std::pair<int, bool>> pieces;  // (side, weights rather than input)
  for (std::size_t level = 0; level < depth; ++level) {
    pieces.clear();
    for (int k = 0; k < 2; ++k) {
      if (level >= sides[k].tower->size()) continue;
      pieces.emplace_back(k, true);
      pieces.emplace_back(k, false);
    }
    parallel::for_pieces(static_cast<int>(pieces.size()), [&](int p) {
      const auto& [k, weights] = pieces[static_cast<std::size_t>(p)];
      Side& s = sides[k];
      const std::size_t l = s.tower->size() - 1 - level;
      nn::Dense& layer = (*s.tower)[l];
      if (weights) {
        layer.weight_gradients(l == 0 ? s.work->input : s.work->acts[l - 1], s.g);
      } else {
        layer.input_gradient(s.g, s.next);
        if (l > 0) (*s.tower)[l - 1].mask_gradient(s.work->acts[l - 1], s.next);
      }
    });
    for (Side& s : sides)
      if (level < s.tower->size()) s.g.swap(s.next);
  }
  dXu.swap(sides[0].g);
  dXi.swap(sides[1].g);
}

void TwoTowerModel::backward_tower(std::vector<nn::Dense>& tower, TowerWork& w, const Matrix& dOut,
                                   Matrix& dX) {
  Matrix g;
  if (config_.l2_normalize)
    nn::l2_normalize_backward(w.out, w.norms, dOut, g);
  else
    g = dOut;
  for (std::size_t l = tower.size(); l-- > 0;) {
    const Matrix& in = l == 0 ? w.input : w.acts[l - 1];
    Matrix d_in;
    tower[l].backward(in, w.acts[l], g, &d_in);
    g.swap(d_in);
  }
  dX.swap(g);
}

void TwoTowerModel::check_batch(const TrainingBatch& b) const {
  const std::size_t B = b.items.size();
  RECSYS_CHECK(B >= 1, "two-tower: empty batch");
  RECSYS_CHECK(b.users.size() == B, "two-tower batch: ", b.users.size(), " users for ", B,
               " items");
  RECSYS_CHECK(b.log_q.empty() || b.log_q.size() == B + b.negatives.size(),
               "two-tower batch: log_q has ", b.log_q.size(), " entries for ",
               B + b.negatives.size(), " candidates");
  for (std::int32_t i : b.negatives)
    RECSYS_CHECK(i >= 0 && i < num_items(), "two-tower batch: negative item index ", i,
                 " out of range [0, ", num_items(), ")");
  for (std::size_t r = 0; r < B; ++r) {
    RECSYS_CHECK(b.items[r] >= 0 && b.items[r] < num_items(), "two-tower batch: item index ",
                 b.items[r], " out of range [0, ", num_items(), ")");
    RECSYS_CHECK(b.users[r] >= -1 && b.users[r] < num_users(), "two-tower batch: user index ",
                 b.users[r], " out of range [-1, ", num_users(), ")");
  }
  if (config_.has_history()) {
    RECSYS_CHECK(b.history_offsets.size() == B + 1, "two-tower batch: history_offsets needs ",
                 B + 1, " entries, got ", b.history_offsets.size());
    RECSYS_CHECK(b.history_offsets[0] == 0 &&
                     b.history_offsets[B] == static_cast<std::int32_t>(b.history_items.size()),
                 "two-tower batch: history_offsets do not cover history_items");
    for (std::size_t r = 0; r < B; ++r)
      RECSYS_CHECK(b.history_offsets[r] <= b.history_offsets[r + 1],
                   "two-tower batch: history_offsets must not decrease");
    for (std::int32_t i : b.history_items)
      RECSYS_CHECK(i >= 0 && i < num_items(), "two-tower batch: history item index ", i,
                   " out of range [0, ", num_items(), ")");
  }
}

float TwoTowerModel::forward(const TrainingBatch& b, TowerWork& uw, TowerWork& iw, Matrix* dU,
                             Matrix* dV) const {
  check_batch(b);
  const std::vector<std::int32_t> candidates = b.candidates();
  forward_towers(b, candidates, uw, iw);
  nn::InBatchSoftmaxOptions opt;
  opt.temperature = config_.temperature;
  opt.mask_accidental_hits = config_.mask_accidental_hits;
  if (config_.log_q_correction) opt.log_q = b.log_q;
  return nn::in_batch_softmax_loss(uw.out, iw.out, candidates, opt, dU, dV);
}

float TwoTowerModel::loss(const TrainingBatch& b) const {
  TowerWork uw, iw;
  return forward(b, uw, iw, nullptr, nullptr);
}

void TwoTowerModel::clear_sparse_grads() {
  for (nn::Embedding* e : {&user_id_, &item_id_, &title_, &category_, &brand_, &price_bucket_})
    e->clear_grad();
}

const float* TwoTowerModel::user_row(std::int32_t r, float* buf) const {
  if (!user_codes_) return user_id_.table.row(r).data();
  const Int8Rows& c = *user_codes_;
  const std::int32_t at = c.slot.empty() ? r : c.slot[static_cast<std::size_t>(r)];
  if (at < 0) {  // a row the file left out
    std::fill(buf, buf + c.cols, 0.0f);
    return buf;
  }
  nn::kernels::dequantize_i8(
      c.codes.data() + static_cast<std::size_t>(at) * static_cast<std::size_t>(c.cols), 1, c.cols,
      c.by_row ? &c.scale[static_cast<std::size_t>(at)] : c.scale.data(), c.by_row, buf);
  return buf;
}

RECSYS_LOOP void TwoTowerModel::Int8Rows::dequantize(float* out) const {
  if (slot.empty()) {
    nn::kernels::dequantize_i8(codes.data(), rows, cols, scale.data(), by_row, out);
    return;
  }
  std::fill(out, out + static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols), 0.0f);
  for (std::int32_t r = 0; r < rows; ++r) {
    const std::int32_t at = slot[static_cast<std::size_t>(r)];
    if (at >= 0)
      nn::kernels::dequantize_i8(
          codes.data() + static_cast<std::size_t>(at) * static_cast<std::size_t>(cols), 1, cols,
          by_row ? &scale[static_cast<std::size_t>(at)] : scale.data(), by_row,
          out + static_cast<std::size_t>(r) * static_cast<std::size_t>(cols));
  }
}

void TwoTowerModel::materialize_user_table() {
  if (!user_codes_) return;
  const Int8Rows& c = *user_codes_;
  nn::Embedding table(c.rows, c.cols);
  c.dequantize(table.table.data());
  user_id_ = std::move(table);
  user_codes_.reset();
}

float TwoTowerModel::compute_gradients(const TrainingBatch& b) {
  materialize_user_table();  // parameters() did, for a Trainer; a direct caller writes it too
  Matrix dU, dV, dXu, dXi;
  const float loss = forward(b, user_work_, item_work_, &dU, &dV);
  clear_sparse_grads();
  backward_towers(dU, dV, dXu, dXi);
  // Scatter the input gradients into the embedding tables.
  const int du = config_.user_id_dim, di = config_.item_id_dim, us = user_slots(),
            is = item_slots();
  // Candidate c of the item tower: the batch's positives, then its extra negatives.
  auto scatter_item = [&](std::size_t c) {
    const float* gi = dXi.row(static_cast<Eigen::Index>(c)).data();
    const std::int32_t i = c < b.size() ? b.items[c] : b.negatives[c - b.size()];
    int off = 0;
    if (di > 0) {
      for (int s = 0; s < is; ++s)
        item_id_.add_grad(item_id_rows_[static_cast<std::size_t>(i) * is + s], gi);
      off += di;
    }
    if (config_.title_dim > 0) {
      const std::int32_t wb = item_word_offsets_[i], we = item_word_offsets_[i + 1];
      for (std::int32_t w = wb; w < we; ++w)
        title_.add_grad(item_words_[w], gi + off, 1.0f / static_cast<float>(we - wb));
      off += config_.title_dim;
    }
    if (config_.category_dim > 0) {
      category_.add_grad(item_category_[i], gi + off);
      off += config_.category_dim;
    }
    if (config_.brand_dim > 0) {
      brand_.add_grad(item_brand_[i], gi + off);
      off += config_.brand_dim;
    }
    if (config_.price_buckets > 0) price_bucket_.add_grad(item_price_bucket_[i], gi + off);
  };
  // The user-id rows on one side; the history's item rows, the attention weights and the item
  // features on the other, in the one-thread order (item_id_ gets both the history's and the
  // candidates' gradients, row by row): every table's sums are the same on any thread count.
  auto scatter_users = [&] {
    for (std::size_t r = 0; r < b.size(); ++r) {
      const float* g = dXu.row(static_cast<Eigen::Index>(r)).data();
      const std::int32_t u = b.users[r];
      if (u < 0)
        user_id_.add_grad(anonymous_row_, g);
      else
        for (int s = 0; s < us; ++s)
          user_id_.add_grad(user_id_rows_[static_cast<std::size_t>(u) * us + s], g);
    }
  };
  auto scatter_rest = [&] {
    std::vector<float> w, z(static_cast<std::size_t>(di));
    AttentionWork attention;
    if (config_.history_encoder == "attention") {
      grad_pos_.setZero();
      grad_wq_.setZero();
      grad_wk_.setZero();
      grad_wv_.setZero();
    }
    for (std::size_t r = 0; r < b.size(); ++r) {
      const float* g = dXu.row(static_cast<Eigen::Index>(r)).data();
      if (config_.has_history() && config_.history_encoder == "attention") {
        const std::int32_t hb = b.history_offsets[r], he = b.history_offsets[r + 1];
        // Forward again for this row's work: O(n·d + d²), cheaper than keeping every row's.
        attend(b.history_items.data() + hb, he - hb, z.data(), attention);
        attend_backward(b.history_items.data() + hb, he - hb, g + du, attention);
      } else if (config_.has_history()) {
        const std::int32_t hb = b.history_offsets[r], he = b.history_offsets[r + 1];
        history_weights(static_cast<std::size_t>(he - hb), config_.history_decay, w);
        for (std::int32_t j = hb; j < he; ++j)
          for (int s = 0; s < is; ++s)
            item_id_.add_grad(item_id_rows_[static_cast<std::size_t>(b.history_items[j]) * is + s],
                              g + du, w[j - hb]);
      }
      scatter_item(r);
    }
    for (std::size_t c = b.size(); c < b.size() + b.negatives.size(); ++c) scatter_item(c);
  };
  parallel::side_by_side(scatter_users, scatter_rest);
  return loss;
}

void TwoTowerModel::item_embeddings(Matrix& out) const {
  std::vector<std::int32_t> all(static_cast<std::size_t>(num_items()));
  for (std::int32_t i = 0; i < num_items(); ++i) all[i] = i;
  item_embeddings(all, out);
}

namespace {
// item_embeddings' loops over every item, each in a function of its own (common/tiering.h).
RECSYS_LOOP void check_item_indices(const std::vector<std::int32_t>& items, std::int32_t n) {
  for (std::int32_t i : items)
    RECSYS_CHECK(i >= 0 && i < n, "two-tower: item index ", i, " out of range [0, ", n, ")");
}

RECSYS_LOOP void put_rows(Matrix& out, std::size_t first, const Matrix& rows) {
  out.middleRows(static_cast<Eigen::Index>(first), rows.rows()) = rows;
}
}  // namespace

void TwoTowerModel::item_embeddings(const std::vector<std::int32_t>& items, Matrix& out) const {
  check_item_indices(items, num_items());
  TowerWork w;
  // In chunks, so that the activations stay small: 512 rows keep a default item tower's
  // activations near 0.5 MB (4,096 rows took 5 MB of heap that a cold page first touches at
  // about 4 ms per MB here) and in cache. Rows do not interact: any chunking gives the same bits.
  constexpr std::size_t kChunk = 512;
  out.resize(static_cast<Eigen::Index>(items.size()), dim());
  for (std::size_t b = 0; b < items.size(); b += kChunk) {
    const std::size_t e = std::min(items.size(), b + kChunk);
    item_input(std::vector<std::int32_t>(items.begin() + b, items.begin() + e), w.input);
    run_tower(item_tower_, w, /*inference=*/true);
    put_rows(out, b, w.out);
  }
}

void TwoTowerModel::user_embeddings(const std::vector<UserQuery>& queries, Matrix& out) const {
  std::vector<std::int32_t> users, offsets{0}, history;
  for (const auto& q : queries) {
    RECSYS_CHECK(q.user >= -1 && q.user < num_users(), "two-tower: user index ", q.user,
                 " out of range [-1, ", num_users(), ")");
    users.push_back(q.user);
    if (config_.has_history()) {
      for (std::int32_t item : q.history)
        RECSYS_CHECK(item >= 0 && item < num_items(), "two-tower: history item index ", item,
                     " out of range [0, ", num_items(), ")");
      select_history(q.history.data(), q.history.size(), history);
      offsets.push_back(static_cast<std::int32_t>(history.size()));
    }
  }
  TowerWork w;
  user_input(users, offsets, history, w.input);
  run_tower(user_tower_, w, /*inference=*/true);
  out = std::move(w.out);
}

std::uint64_t TwoTowerModel::checksum() const {
  Fnv1a h;
  h.str(config_.to_json());
  for (const Vocabulary* v : {&items_, &users_, &categories_, &brands_}) {
    h.u64(static_cast<std::uint64_t>(v->size()));
    for (const auto& t : v->tokens()) h.str(t);
  }
  // The user table first, as parameters() lists it: from its codes, the bytes of its floats.
  if (user_codes_) {
    const Int8Rows& c = *user_codes_;
    h.str("user/id_embedding");
    h.u64(static_cast<std::uint64_t>(c.rows));
    h.u64(static_cast<std::uint64_t>(c.cols));
    std::vector<float> row(static_cast<std::size_t>(c.cols));
    for (std::int32_t r = 0; r < c.rows; ++r)
      h.bytes(user_row(r, row.data()), sizeof(float) * row.size());
  }
  // float_parameters() only hands out pointers; nothing is written through them here.
  for (const Param& p : const_cast<TwoTowerModel*>(this)->float_parameters()) {
    h.str(p.name);
    h.u64(static_cast<std::uint64_t>(p.value->rows()));
    h.u64(static_cast<std::uint64_t>(p.value->cols()));
    h.bytes(p.value->data(), sizeof(float) * static_cast<std::size_t>(p.value->size()));
  }
  return h.value();
}

std::vector<TwoTowerModel::Param> TwoTowerModel::parameters() {
  materialize_user_table();
  return float_parameters();
}

std::vector<TwoTowerModel::Param> TwoTowerModel::float_parameters() {
  std::vector<Param> p;
  auto emb = [&](const char* name, nn::Embedding& e) {
    if (e.table.size() > 0) p.push_back(Param{name, &e.table, nullptr, &e});
  };
  emb("user/id_embedding", user_id_);
  emb("item/id_embedding", item_id_);
  emb("item/title_embedding", title_);
  emb("item/category_embedding", category_);
  emb("item/brand_embedding", brand_);
  emb("item/price_bucket_embedding", price_bucket_);
  auto tower = [&](const char* side, std::vector<nn::Dense>& layers) {
    for (std::size_t l = 0; l < layers.size(); ++l) {
      const std::string base = std::string(side) + "/dense_" + std::to_string(l);
      p.push_back(Param{base + "/kernel", &layers[l].W, &layers[l].grad_W, nullptr});
      p.push_back(Param{base + "/bias", &layers[l].b, &layers[l].grad_b, nullptr});
    }
  };
  tower("user", user_tower_);
  tower("item", item_tower_);
  if (config_.history_encoder == "attention") {
    p.push_back(Param{"user/history_position", &pos_, &grad_pos_, nullptr});
    p.push_back(Param{"user/attention_query", &wq_, &grad_wq_, nullptr});
    p.push_back(Param{"user/attention_key", &wk_, &grad_wk_, nullptr});
    p.push_back(Param{"user/attention_value", &wv_, &grad_wv_, nullptr});
  }
  return p;
}

std::vector<ScoredItem> top_items(const TwoTowerModel& model, const std::string& user_id,
                                  const std::vector<std::string>& history, int k) {
  RECSYS_CHECK(k >= 1 && k <= model.num_items(), "recommend: k must be an integer in [1, ",
               model.num_items(), "], got ", k);
  UserQuery q;
  if (!user_id.empty()) {
    q.user = model.users().find(user_id);
    RECSYS_CHECK_FOUND(q.user >= 0, "recommend: unknown user '", user_id, "'");
  }
  for (const auto& id : history) {
    const std::int32_t i = model.items().find(id);
    RECSYS_CHECK_FOUND(i >= 0, "recommend: unknown item '", id, "' in history");
    q.history.push_back(i);
  }
  nn::Matrix U, V;
  model.user_embeddings({q}, U);
  model.item_embeddings(V);
  return top_k_exact(V, U.row(0).data(), k);
}

}  // namespace recsys
