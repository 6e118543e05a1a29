#include "ranking/ranking_model.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "common/check.h"
#include "common/rng.h"
#include "common/tiering.h"
#include "data/json_options.h"
#include "data/parse.h"
#include "features/scaling.h"
#include "nn/kernels.h"
#include "nn/losses.h"

namespace recsys {

using nn::Matrix;

namespace {

// The two heads' logits (a row per candidate) as click and purchase probabilities.
void probabilities(const Matrix& logits, std::vector<RankingPrediction>& out) {
  out.resize(static_cast<std::size_t>(logits.rows()));
  for (Eigen::Index r = 0; r < logits.rows(); ++r) {
    auto& p = out[static_cast<std::size_t>(r)];
    p.click = 1.0f / (1.0f + std::exp(-logits(r, 0)));
    p.purchase = 1.0f / (1.0f + std::exp(-logits(r, 1)));
  }
}

}  // namespace

RankingConfig RankingConfig::from_json(std::string_view text) {
  RankingConfig c;
  for_each_json_field(text, "ranking config", [&](const JsonField& f) {
    const std::string& k = f.key();
    if (k == "hidden") {
      f.require(f.value().is_array(), "an array");
      c.hidden.clear();
      for (const auto& h : f.value()) {
        f.require(recsys::is_int32(h), "an array of integers");
        c.hidden.push_back(h.get<int>());
      }
    } else if (k == "cross_layer")
      c.cross_layer = f.boolean();
    else if (k == "category_dim")
      c.category_dim = f.integer(0);
    else if (k == "brand_dim")
      c.brand_dim = f.integer(0);
    else if (k == "epochs")
      c.epochs = f.integer(1);
    else if (k == "batch_size")
      c.batch_size = f.integer(1);
    else if (k == "learning_rate")
      c.learning_rate = static_cast<float>(f.number());
    else if (k == "seed")
      c.seed = static_cast<std::uint64_t>(f.integer(0));
    else
      f.unknown();
  });
  c.validate();
  return c;
}

std::string RankingConfig::to_json() const {
  return JsonObject()
      .add("hidden", hidden)
      .add("cross_layer", cross_layer)
      .add("category_dim", category_dim)
      .add("brand_dim", brand_dim)
      .add("epochs", epochs)
      .add("batch_size", batch_size)
      .add("learning_rate", float_as_double(learning_rate))
      .add("seed", seed)
      .text();
}

void RankingConfig::validate() const {
  for (int h : hidden)
    RECSYS_CHECK(h >= 1 && h <= 4096, "ranking config: hidden sizes must be in [1, 4096], got ", h);
  RECSYS_CHECK(category_dim >= 0 && category_dim <= 1024,
               "ranking config: 'category_dim' must be in [0, 1024], got ", category_dim);
  RECSYS_CHECK(brand_dim >= 0 && brand_dim <= 1024,
               "ranking config: 'brand_dim' must be in [0, 1024], got ", brand_dim);
  RECSYS_CHECK(epochs >= 1 && epochs <= 1000, "ranking config: 'epochs' must be in [1, 1000], got ",
               epochs);
  RECSYS_CHECK(batch_size >= 1 && batch_size <= 65536,
               "ranking config: 'batch_size' must be in [1, 65536], got ", batch_size);
  RECSYS_CHECK(std::isfinite(learning_rate) && learning_rate > 0 && learning_rate <= 1,
               "ranking config: 'learning_rate' must be in (0, 1], got ", learning_rate);
}

double roc_auc(const std::vector<float>& scores, const std::vector<float>& labels) {
  RECSYS_CHECK(scores.size() == labels.size(), "auc: ", scores.size(), " scores for ",
               labels.size(), " labels");
  std::vector<std::size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return scores[a] < scores[b]; });
  // Mann-Whitney U with average ranks for ties.
  double rank_sum = 0, pos = 0;
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j < order.size() && scores[order[j]] == scores[order[i]]) ++j;
    const double avg_rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2;
    for (std::size_t t = i; t < j; ++t)
      if (labels[order[t]] > 0.5f) {
        rank_sum += avg_rank;
        pos += 1;
      }
    i = j;
  }
  const double neg = static_cast<double>(scores.size()) - pos;
  if (pos == 0 || neg == 0) return 0.5;
  return (rank_sum - pos * (pos + 1) / 2) / (pos * neg);
}

namespace {
// log1p of every item's price and count, in a function of its own (common/tiering.h).
RECSYS_LOOP void log_columns(const std::vector<double>& price, const std::vector<double>& counts,
                             std::vector<float>& log_price, std::vector<float>& popularity) {
  const std::size_t n = price.size();
  log_price.resize(n);
  popularity.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    log_price[i] = static_cast<float>(std::log1p(std::max(price[i], 0.0)));
    popularity[i] = static_cast<float>(std::log1p(std::max(counts[i], 0.0)));
  }
}
}  // namespace

RankingModel::RankingModel(const RankingConfig& config,
                           std::shared_ptr<const TwoTowerModel> retrieval,
                           const std::vector<double>& item_counts, bool prepare_now)
    : config_(config), retrieval_(std::move(retrieval)), item_counts_(item_counts) {
  config_.validate();
  RECSYS_CHECK(retrieval_, "ranking model: no retrieval model");
  const std::int32_t n = retrieval_->num_items();
  RECSYS_CHECK(static_cast<std::int32_t>(item_counts.size()) == n,
               "ranking model: ", item_counts.size(), " item counts for ", n, " items");
  retrieval_->item_embeddings(item_vectors_);
  item_vectors_version_ = retrieval_->weights_version();
  log_columns(retrieval_->item_price(), item_counts, log_price_, popularity_);
  standardise(log_price_);
  standardise(popularity_);
  // Fresh weights are drawn from the seed; weights that the loader reads next start at zero.
  Rng rng(config_.seed, 71);
  const bool draw = prepare_now;
  const auto embedding = [&](int rows, int dim) {
    return draw ? nn::Embedding(rows, dim, rng) : nn::Embedding(rows, dim);
  };
  const auto dense = [&](int in, int out, nn::Activation act) {
    return draw ? nn::Dense(in, out, act, rng) : nn::Dense(in, out, act);
  };
  if (config_.category_dim > 0)
    category_ = embedding(retrieval_->categories().size() + 1, config_.category_dim);
  if (config_.brand_dim > 0) brand_ = embedding(retrieval_->brands().size() + 1, config_.brand_dim);
  int in = input_dim();
  if (config_.cross_layer) {
    cross_ = dense(in, in, nn::Activation::Linear);
    cross_.W *= 0.1f;  // start close to the identity map x0 + x
  }
  for (int h : config_.hidden) {
    layers_.push_back(dense(in, h, nn::Activation::Relu));
    in = h;
  }
  layers_.push_back(dense(in, 2, nn::Activation::Linear));
  if (prepare_now) prepare();
}

int RankingModel::input_dim() const {
  const int d = retrieval_->dim();
  return 3 * d + 1 + config_.category_dim + config_.brand_dim + 2 + kNumScenes + 2;
}

int RankingModel::item_side(std::int32_t i, float* x) const {
  int off = 0;
  if (config_.category_dim > 0) {
    const float* c = category_.table.row(retrieval_->item_category()[i]).data();
    std::copy(c, c + config_.category_dim, x + off);
    off += config_.category_dim;
  }
  if (config_.brand_dim > 0) {
    const float* b = brand_.table.row(retrieval_->item_brand()[i]).data();
    std::copy(b, b + config_.brand_dim, x + off);
    off += config_.brand_dim;
  }
  x[off++] = log_price_[i];
  x[off++] = popularity_[i];
  return off;
}

void RankingModel::features(const float* const* users, const std::vector<std::int32_t>& items,
                            const std::vector<Scene>& scenes,
                            const std::vector<std::int32_t>& positions, Matrix& X) const {
  const int d = retrieval_->dim();
  const auto B = static_cast<Eigen::Index>(items.size());
  X.setZero(B, input_dim());
  for (Eigen::Index r = 0; r < B; ++r) {
    const std::int32_t i = items[r];
    float* x = X.row(r).data();
    const float* u = users[r];
    const float* v = item_vectors_.row(i).data();
    for (int k = 0; k < d; ++k) {
      x[k] = u[k];
      x[d + k] = v[k];
      x[2 * d + k] = u[k] * v[k];
    }
    int off = 3 * d;
    x[off++] = nn::kernels::dot(u, v, d);
    off += item_side(i, x + off);
    x[off + static_cast<int>(scenes[r])] = 1;
    off += kNumScenes;
    const float p = static_cast<float>(positions[r]);
    x[off++] = 1.0f / (1.0f + p);
    x[off++] = std::log1p(p);
  }
}

void RankingModel::forward(const Matrix& X, std::vector<Matrix>& acts, Matrix& cross_y) const {
  acts.resize(layers_.size() + 1);
  if (config_.cross_layer) {
    cross_.forward(X, cross_y);
    acts[0] = X.cwiseProduct(cross_y) + X;
  } else {
    acts[0] = X;
  }
  for (std::size_t l = 0; l < layers_.size(); ++l) layers_[l].forward(acts[l], acts[l + 1]);
}

void RankingModel::prepare() {
  prepared_ = false;
  item_cross_.resize(0, 0);
  item_cross_ready_.reset(0);
  const std::int32_t n = retrieval_->num_items();
  const int in = input_dim(), d = retrieval_->dim();
  if (!config_.cross_layer || static_cast<std::int64_t>(n) * in > (8 << 20)) return;
  // The item's share of x · W: the item columns of x (its vector, category, brand, price,
  // popularity; the other columns are the user's, the scene's and the slot's) times those rows
  // of the kernel. Only the item columns are multiplied: the zero columns would be 60 % of the
  // work, and dropping terms that are exactly zero leaves the sums as they were.
  const int side = config_.category_dim + config_.brand_dim + 2;  // after the 3d + 1 block
  item_kernel_.resize(d + side, in);
  item_kernel_.topRows(d) = cross_.W.middleRows(d, d);
  item_kernel_.bottomRows(side) = cross_.W.middleRows(3 * d + 1, side);
  joint_kernel_ = cross_.W.middleRows(2 * d, d + 1);
  // Room for every row, written only when a row is first used (untouched memory costs nothing).
  item_cross_.resize(n, in);
  item_cross_ready_.reset(static_cast<std::size_t>(n));
  prepared_ = true;
}

const float* RankingModel::item_cross(std::int32_t i, float* scratch) const {
  auto& flag = item_cross_ready_.flags[static_cast<std::size_t>(i)];
  float* row = item_cross_.row(i).data();
  if (flag.load(std::memory_order_acquire) == 2) return row;
  std::uint8_t expected = 0;
  const bool mine = flag.compare_exchange_strong(expected, 1, std::memory_order_acquire);
  if (!mine && expected == 2) return row;
  const int d = retrieval_->dim(), k = static_cast<int>(item_kernel_.rows());
  float* x = scratch;
  float* out = mine ? row : scratch + k;  // another thread writes the row: the same values, here
  const float* v = item_vectors_.row(i).data();
  std::copy(v, v + d, x);
  item_side(i, x + d);
  nn::kernels::vec_mat(x, k, item_kernel_.data(), static_cast<int>(item_kernel_.cols()), out);
  if (mine) flag.store(2, std::memory_order_release);
  return out;
}

void RankingModel::predict_prepared(const float* user, const std::vector<std::int32_t>& items,
                                    Scene scene, std::int32_t position,
                                    std::vector<RankingPrediction>& out) const {
  const int d = retrieval_->dim(), in = input_dim();
  const auto B = static_cast<Eigen::Index>(items.size());
  std::vector<const float*> users(items.size(), user);
  std::vector<Scene> scenes(items.size(), scene);
  std::vector<std::int32_t> pos(items.size(), position);
  Matrix X;
  features(users.data(), items, scenes, pos, X);
  // The user's share (the user, the scene, the slot) once, plus the bias.
  Matrix xu = Matrix::Zero(1, in);
  xu.block(0, 0, 1, d) = X.block(0, 0, 1, d);
  xu.block(0, in - kNumScenes - 2, 1, kNumScenes + 2) =
      X.block(0, in - kNumScenes - 2, 1, kNumScenes + 2);
  Matrix cu;
  nn::kernels::matmul(xu, cross_.W, cu);
  cu += cross_.b;
  // The user-item products (u ⊙ v and <u, v>) per candidate, with their rows of the kernel.
  const Matrix J = X.block(0, 2 * d, B, d + 1);
  Matrix cross_y;
  nn::kernels::matmul(J, joint_kernel_, cross_y);
  std::vector<float> scratch(static_cast<std::size_t>(item_kernel_.rows() + in));
  for (Eigen::Index r = 0; r < B; ++r)
    cross_y.row(r) +=
        cu.row(0) + Eigen::Map<const nn::RowVector>(
                        item_cross(items[static_cast<std::size_t>(r)], scratch.data()), in);
  std::vector<Matrix> acts(layers_.size() + 1);
  acts[0] = X.cwiseProduct(cross_y) + X;
  for (std::size_t l = 0; l < layers_.size(); ++l) layers_[l].forward(acts[l], acts[l + 1]);
  probabilities(acts.back(), out);
}

void RankingModel::predict(const float* user, const std::vector<std::int32_t>& items, Scene scene,
                           const std::vector<std::int32_t>& positions,
                           std::vector<RankingPrediction>& out) const {
  RECSYS_CHECK(positions.empty() || positions.size() == items.size(), "ranking: ", positions.size(),
               " positions for ", items.size(), " items");
  for (std::int32_t i : items)
    RECSYS_CHECK(i >= 0 && i < retrieval_->num_items(), "ranking: item index ", i, " out of range");
  const bool one_slot =
      positions.empty() || std::all_of(positions.begin(), positions.end(),
                                       [&](std::int32_t p) { return p == positions[0]; });
  if (prepared_ && one_slot && !items.empty()) {
    predict_prepared(user, items, scene, positions.empty() ? 0 : positions[0], out);
    return;
  }
  predict_full(user, items, scene, positions, out);
}

void RankingModel::predict_full(const float* user, const std::vector<std::int32_t>& items,
                                Scene scene, const std::vector<std::int32_t>& positions,
                                std::vector<RankingPrediction>& out) const {
  RECSYS_CHECK(positions.empty() || positions.size() == items.size(), "ranking: ", positions.size(),
               " positions for ", items.size(), " items");
  std::vector<const float*> users(items.size(), user);
  std::vector<Scene> scenes(items.size(), scene);
  std::vector<std::int32_t> pos =
      positions.empty() ? std::vector<std::int32_t>(items.size(), 0) : positions;
  Matrix X, cy;
  std::vector<Matrix> acts;
  features(users.data(), items, scenes, pos, X);
  forward(X, acts, cy);
  probabilities(acts.back(), out);
}

std::vector<std::pair<std::string, Matrix*>> RankingModel::tensors() {
  std::vector<std::pair<std::string, Matrix*>> t;
  if (config_.category_dim > 0) t.emplace_back("ranking/category_embedding", &category_.table);
  if (config_.brand_dim > 0) t.emplace_back("ranking/brand_embedding", &brand_.table);
  if (config_.cross_layer) {
    t.emplace_back("ranking/cross/kernel", &cross_.W);
    t.emplace_back("ranking/cross/bias", &cross_.b);
  }
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    t.emplace_back("ranking/dense_" + std::to_string(l) + "/kernel", &layers_[l].W);
    t.emplace_back("ranking/dense_" + std::to_string(l) + "/bias", &layers_[l].b);
  }
  return t;
}

void RankingModel::batch_features(const std::vector<Impression>& batch,
                                  const Matrix& user_embeddings, Matrix& X,
                                  std::vector<std::int32_t>& items, std::vector<float>& clicks,
                                  std::vector<float>& purchases) const {
  std::vector<const float*> users;
  std::vector<Scene> scenes;
  std::vector<std::int32_t> positions;
  items.clear();
  clicks.clear();
  purchases.clear();
  for (const Impression& im : batch) {
    users.push_back(user_embeddings.row(im.user).data());
    items.push_back(im.item);
    scenes.push_back(im.scene);
    positions.push_back(im.position);
    clicks.push_back(im.clicked);
    purchases.push_back(im.purchased);
  }
  features(users.data(), items, scenes, positions, X);
}

float RankingModel::backward(const Matrix& X, const std::vector<std::int32_t>& items,
                             const std::vector<float>& clicks, const std::vector<float>& purchases,
                             bool forward_only) {
  std::vector<Matrix> acts;
  Matrix cy;
  forward(X, acts, cy);
  const auto B = static_cast<Eigen::Index>(items.size());
  std::vector<float> lc(items.size()), lp(items.size()), dc, dp;
  for (Eigen::Index r = 0; r < B; ++r) {
    lc[r] = acts.back()(r, 0);
    lp[r] = acts.back()(r, 1);
  }
  const float loss = nn::sigmoid_cross_entropy(lc, clicks, forward_only ? nullptr : &dc) +
                     nn::sigmoid_cross_entropy(lp, purchases, forward_only ? nullptr : &dp);
  if (forward_only) return loss;
  Matrix g(B, 2);
  for (Eigen::Index r = 0; r < B; ++r) {
    g(r, 0) = dc[r];
    g(r, 1) = dp[r];
  }
  for (std::size_t l = layers_.size(); l-- > 0;) {
    Matrix d_in;
    layers_[l].backward(acts[l], acts[l + 1], g, &d_in);
    g.swap(d_in);
  }
  // g = dL/d(acts[0]); through the cross layer when present: out = X ⊙ y + X, y = X W + b.
  Matrix dX;
  if (config_.cross_layer) {
    Matrix dY = g.cwiseProduct(X);
    Matrix dX_lin;
    cross_.backward(X, cy, dY, &dX_lin);
    dX = g.cwiseProduct(cy) + dX_lin + g;
  } else {
    dX = g;
  }
  // Scatter into the category and brand tables.
  category_.clear_grad();
  brand_.clear_grad();
  const int off = 3 * retrieval_->dim() + 1;
  for (Eigen::Index r = 0; r < B; ++r) {
    const float* gr = dX.row(r).data();
    if (config_.category_dim > 0)
      category_.add_grad(retrieval_->item_category()[items[r]], gr + off);
    if (config_.brand_dim > 0)
      brand_.add_grad(retrieval_->item_brand()[items[r]], gr + off + config_.category_dim);
  }
  return loss;
}

float RankingModel::loss(const std::vector<Impression>& batch, const Matrix& user_embeddings,
                         bool forward_only) {
  Matrix X;
  std::vector<std::int32_t> items;
  std::vector<float> clicks, purchases;
  batch_features(batch, user_embeddings, X, items, clicks, purchases);
  return backward(X, items, clicks, purchases, forward_only);
}

float RankingModel::gradient_at(std::size_t tensor, Eigen::Index row, Eigen::Index col) const {
  std::size_t k = 0;
  if (config_.category_dim > 0 && tensor == k++)
    return category_.grad_at(static_cast<std::int32_t>(row), static_cast<int>(col));
  if (config_.brand_dim > 0 && tensor == k++)
    return brand_.grad_at(static_cast<std::int32_t>(row), static_cast<int>(col));
  if (config_.cross_layer) {
    if (tensor == k++) return cross_.grad_W(row, col);
    if (tensor == k++) return cross_.grad_b(row, col);
  }
  for (const auto& layer : layers_) {
    if (tensor == k++) return layer.grad_W(row, col);
    if (tensor == k++) return layer.grad_b(row, col);
  }
  RECSYS_FAIL(Range, "ranking: no tensor ", tensor);
}

void RankingModel::apply(nn::Adam& adam, std::vector<nn::AdamSlot>& slots) {
  adam.begin_step();
  std::size_t k = 0;
  if (config_.category_dim > 0)
    adam.update_rows(category_.table, category_.grad_rows, category_.grad, slots[k++]);
  if (config_.brand_dim > 0)
    adam.update_rows(brand_.table, brand_.grad_rows, brand_.grad, slots[k++]);
  if (config_.cross_layer) {
    adam.update(cross_.W, cross_.grad_W, slots[k++]);
    adam.update(cross_.b, cross_.grad_b, slots[k++]);
  }
  for (auto& layer : layers_) {
    adam.update(layer.W, layer.grad_W, slots[k++]);
    adam.update(layer.b, layer.grad_b, slots[k++]);
  }
}

RankingReport RankingModel::fit(const std::vector<Impression>& impressions,
                                const Matrix& user_embeddings, double holdout) {
  RECSYS_CHECK(!impressions.empty(), "ranking: no impressions to train on");
  RECSYS_CHECK(holdout >= 0 && holdout < 1, "ranking: holdout must be in [0, 1), got ", holdout);
  RECSYS_CHECK(user_embeddings.cols() == retrieval_->dim(), "ranking: user embeddings have ",
               user_embeddings.cols(), " columns, the model ", retrieval_->dim());
  for (const auto& im : impressions) {
    RECSYS_CHECK(im.user >= 0 && im.user < user_embeddings.rows(), "ranking: impression user ",
                 im.user, " has no embedding");
    RECSYS_CHECK(im.item >= 0 && im.item < retrieval_->num_items(), "ranking: impression item ",
                 im.item, " out of range");
  }
  std::vector<std::size_t> order(impressions.size());
  std::iota(order.begin(), order.end(), 0);
  Rng rng(config_.seed, 72);
  rng.shuffle(order);
  const auto n_test = static_cast<std::size_t>(holdout * static_cast<double>(order.size()));
  const std::vector<std::size_t> test(order.end() - static_cast<std::ptrdiff_t>(n_test),
                                      order.end());
  std::vector<std::size_t> train(order.begin(), order.end() - static_cast<std::ptrdiff_t>(n_test));
  RECSYS_CHECK(!train.empty(), "ranking: no training impressions after the holdout");
  auto batch_of = [&](const std::vector<std::size_t>& idx, std::size_t b, std::size_t e, Matrix& X,
                      std::vector<std::int32_t>& items, std::vector<float>& clicks,
                      std::vector<float>& purchases) {
    std::vector<Impression> batch;
    for (std::size_t t = b; t < e; ++t) batch.push_back(impressions[idx[t]]);
    batch_features(batch, user_embeddings, X, items, clicks, purchases);
  };
  nn::Adam adam(nn::AdamConfig{config_.learning_rate});
  std::vector<nn::AdamSlot> slots(tensors().size());
  RankingReport rep;
  rep.train_impressions = static_cast<std::int64_t>(train.size());
  rep.test_impressions = static_cast<std::int64_t>(test.size());
  Matrix X;
  std::vector<std::int32_t> items;
  std::vector<float> clicks, purchases;
  const auto B = static_cast<std::size_t>(config_.batch_size);
  for (int epoch = 0; epoch < config_.epochs; ++epoch) {
    Rng shuffle(config_.seed, 100 + static_cast<std::uint64_t>(epoch));
    shuffle.shuffle(train);
    double sum = 0;
    int steps = 0;
    for (std::size_t b = 0; b < train.size(); b += B) {
      batch_of(train, b, std::min(train.size(), b + B), X, items, clicks, purchases);
      sum += backward(X, items, clicks, purchases, false);
      apply(adam, slots);
      ++steps;
    }
    rep.epoch_losses.push_back(sum / steps);
  }
  if (!test.empty()) {
    std::vector<float> pc, pp, yc, yp;
    std::vector<Matrix> acts;
    Matrix cy;
    for (std::size_t b = 0; b < test.size(); b += 4096) {
      batch_of(test, b, std::min(test.size(), b + 4096), X, items, clicks, purchases);
      forward(X, acts, cy);
      for (Eigen::Index r = 0; r < acts.back().rows(); ++r) {
        pc.push_back(acts.back()(r, 0));
        pp.push_back(acts.back()(r, 1));
      }
      yc.insert(yc.end(), clicks.begin(), clicks.end());
      yp.insert(yp.end(), purchases.begin(), purchases.end());
    }
    rep.click_auc = roc_auc(pc, yc);
    rep.purchase_auc = roc_auc(pp, yp);
    rep.click_logloss = nn::sigmoid_cross_entropy(pc, yc, nullptr);
    rep.purchase_logloss = nn::sigmoid_cross_entropy(pp, yp, nullptr);
  }
  prepare();
  return rep;
}

}  // namespace recsys
