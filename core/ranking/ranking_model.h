// The ranking model: P(click) and P(purchase) of an item shown to a user in a context, from the
// frozen two-tower embeddings (user u, item v, u ⊙ v, <u, v>), the item's category, brand, price
// and popularity, the scene and the slot. An optional DCN-v2 cross layer (x0 ⊙ (W x + b) + x),
// then an MLP with two logits. Trained with sigmoid cross-entropy on impressions.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "nn/adam.h"
#include "nn/layers.h"
#include "ranking/impressions.h"
#include "retrieval/two_tower.h"

namespace recsys {

struct RankingConfig {
  std::vector<int> hidden = {64, 32};
  bool cross_layer = true;
  int category_dim = 8;
  int brand_dim = 8;
  int epochs = 4;
  int batch_size = 256;
  float learning_rate = 2e-3f;
  std::uint64_t seed = 5;
  // Keys as above; unknown keys and bad values are errors.
  static RankingConfig from_json(std::string_view json);
  std::string to_json() const;
  void validate() const;
};

struct RankingPrediction {
  float click = 0;     // P(click | shown)
  float purchase = 0;  // P(purchase | shown)
};

struct RankingReport {
  double click_auc = 0, click_logloss = 0, purchase_auc = 0, purchase_logloss = 0;
  std::int64_t train_impressions = 0, test_impressions = 0;
  std::vector<double> epoch_losses;
};

// Area under the ROC curve (ties count half); 0.5 when a class is missing.
double roc_auc(const std::vector<float>& scores, const std::vector<float>& labels);

class RankingModel {
 public:
  // item_counts: interactions per item (the popularity feature), size = retrieval.num_items().
  // prepare_now: draw fresh weights from the seed and precompute the items' share of the cross
  // layer for them; off when the weights are loaded next (they start at zero, and the loader
  // prepares once they are in).
  RankingModel(const RankingConfig& config, std::shared_ptr<const TwoTowerModel> retrieval,
               const std::vector<double>& item_counts, bool prepare_now = true);

  const RankingConfig& config() const { return config_; }
  const std::vector<double>& item_counts() const { return item_counts_; }
  // The retrieval model's item vectors as this ranker took them, and the retrieval model's
  // weights_version() then: equal to its version now, they are its item vectors now.
  const nn::Matrix& item_vectors() const { return item_vectors_; }
  std::uint64_t item_vectors_version() const { return item_vectors_version_; }
  const TwoTowerModel& retrieval() const { return *retrieval_; }
  // Predictions for one user (its two-tower embedding, dim floats) and items shown in `scene` at
  // slots `positions` (empty: slot 0 for every item — the ranking-time convention).
  void predict(const float* user_embedding, const std::vector<std::int32_t>& items, Scene scene,
               const std::vector<std::int32_t>& positions,
               std::vector<RankingPrediction>& out) const;
  // Trains on impressions (users index rows of user_embeddings); the last holdout share, after a
  // seeded shuffle, is held out for AUC and log-loss.
  RankingReport fit(const std::vector<Impression>& impressions, const nn::Matrix& user_embeddings,
                    double holdout = 0.2);
  // The same as predict() through the training path's full forward pass (the reference that
  // predict()'s precomputed path is tested against).
  void predict_full(const float* user_embedding, const std::vector<std::int32_t>& items,
                    Scene scene, const std::vector<std::int32_t>& positions,
                    std::vector<RankingPrediction>& out) const;
  // Every tensor, to read or to fill (files, gradient checks). After changing weights through
  // these, call prepare() before predict().
  std::vector<std::pair<std::string, nn::Matrix*>> tensors();
  // Readies what predict() reuses: each item's share of the cross layer (its embedding,
  // category, brand, price and popularity times their rows of the cross kernel), so that a
  // request computes only the user's share once and the user-item products per candidate —
  // about half the work of the full product. Each item's share is computed the first time a
  // request ranks it (kernels::vec_mat: the same bits whenever and on whichever thread it is
  // computed), not here: a page that loads a model ranks a few hundred of its items before it
  // ranks the rest (computing all 5,000 of the demo's took 30 ms and 4.4 MB on the first page).
  // Skipped (the full product is used) for catalogs whose table would exceed 8M floats. fit()
  // and the model files call it.
  void prepare();
  // Loss of a batch of impressions and, unless forward_only, the gradient of every tensor:
  // dense gradients in the returned order of tensors(); the embedding tables' rows sparse in
  // embedding_gradient(). For tests and for fit().
  float loss(const std::vector<Impression>& batch, const nn::Matrix& user_embeddings,
             bool forward_only);
  float gradient_at(std::size_t tensor, Eigen::Index row, Eigen::Index col) const;

 private:
  void batch_features(const std::vector<Impression>& batch, const nn::Matrix& user_embeddings,
                      nn::Matrix& X, std::vector<std::int32_t>& items, std::vector<float>& clicks,
                      std::vector<float>& purchases) const;
  float backward(const nn::Matrix& X, const std::vector<std::int32_t>& items,
                 const std::vector<float>& clicks, const std::vector<float>& purchases,
                 bool forward_only);
  void apply(nn::Adam& adam, std::vector<nn::AdamSlot>& slots);
  int input_dim() const;
  // Item i's side features (category and brand embeddings, log price, popularity) into x, in
  // the order of the input's columns after the 3d + 1 block; returns how many.
  int item_side(std::int32_t i, float* x) const;
  void features(const float* const* users, const std::vector<std::int32_t>& items,
                const std::vector<Scene>& scenes, const std::vector<std::int32_t>& positions,
                nn::Matrix& X) const;
  void forward(const nn::Matrix& X, std::vector<nn::Matrix>& acts, nn::Matrix& cross_y) const;

  // predict() with the precomputed item share of the cross layer.
  void predict_prepared(const float* user, const std::vector<std::int32_t>& items, Scene scene,
                        std::int32_t position, std::vector<RankingPrediction>& out) const;
  // Item i's share of the cross layer: its row of item_cross_, computed on first use. scratch:
  // item_kernel_.rows() + input_dim() floats (the item's columns, and the row itself while
  // another thread computes it).
  const float* item_cross(std::int32_t i, float* scratch) const;

  // One flag per row of item_cross_: 0 not computed, 1 being computed, 2 ready. A copy keeps
  // the ready rows and computes the others itself (one still being written is not ready).
  struct RowFlags {
    std::vector<std::atomic<std::uint8_t>> flags;
    RowFlags() = default;
    RowFlags(const RowFlags& o) { *this = o; }
    RowFlags& operator=(const RowFlags& o) {
      if (this != &o) {
        std::vector<std::atomic<std::uint8_t>> f(o.flags.size());
        for (std::size_t i = 0; i < f.size(); ++i)
          f[i].store(o.flags[i].load(std::memory_order_acquire) == 2 ? 2 : 0);
        flags.swap(f);
      }
      return *this;
    }
    void reset(std::size_t n) { std::vector<std::atomic<std::uint8_t>>(n).swap(flags); }
  };

  RankingConfig config_;
  std::shared_ptr<const TwoTowerModel> retrieval_;
  // items × in: each item's features times the cross kernel, rows filled on first use
  // (item_cross()); item_kernel_: the item's rows of the cross kernel, (d + side) × in.
  mutable nn::Matrix item_cross_;
  mutable RowFlags item_cross_ready_;
  nn::Matrix item_kernel_;
  nn::Matrix joint_kernel_;  // the rows of the cross kernel for u ⊙ v and <u, v>: (d + 1) × in
  bool prepared_ = false;
  std::vector<double> item_counts_;
  nn::Matrix item_vectors_;                    // frozen two-tower item embeddings
  std::uint64_t item_vectors_version_ = 0;
  std::vector<float> log_price_, popularity_;  // standardised
  nn::Embedding category_, brand_;
  nn::Dense cross_;                // in -> in (when cross_layer)
  std::vector<nn::Dense> layers_;  // hidden ReLU layers, then 2 logits
};

}  // namespace recsys
