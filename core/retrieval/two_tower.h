// The two-tower retrieval model: a user tower and an item tower whose outputs are compared by a
// dot product, trained with an in-batch softmax (see two_tower_config.h for the presets).
// Hand-written backprop on Eigen; one instance is not safe for concurrent use.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "data/catalog.h"
#include "data/vocabulary.h"
#include "features/history.h"
#include "features/price.h"
#include "nn/layers.h"
#include "retrieval/topk.h"
#include "retrieval/two_tower_config.h"

namespace recsys {

// What the user tower reads: a known user (or -1 for anonymous) and the recent items.
struct UserQuery {
  std::int32_t user = -1;             // index in the model's users, -1 = anonymous / unknown
  std::vector<std::int32_t> history;  // item indices, oldest first; the last history_length count
};

// A training batch: row r pairs users[r] (with its history) with its positive items[r].
struct TrainingBatch {
  std::vector<std::int32_t> users;  // -1 = trained as anonymous
  std::vector<std::int32_t> items;
  std::vector<std::int32_t> history_offsets;  // size B + 1 (empty when the model has no history)
  std::vector<std::int32_t> history_items;    // per row, most recent first
  std::vector<std::int32_t> negatives;        // extra negative items for every row (may be empty)
  // Per candidate (items, then negatives): log P(item sampled), up to a constant; empty = none.
  std::vector<float> log_q;
  std::size_t size() const { return items.size(); }
  // The item tower's rows: items, then negatives.
  std::vector<std::int32_t> candidates() const {
    std::vector<std::int32_t> c(items);
    c.insert(c.end(), negatives.begin(), negatives.end());
    return c;
  }
};

class TwoTowerModel {
 public:
  // One trainable tensor: dense (value + grad) or an embedding table (sparse grad).
  struct Param {
    std::string name;
    nn::Matrix* value = nullptr;
    nn::Matrix* dense_grad = nullptr;    // dense parameters
    nn::Embedding* embedding = nullptr;  // embedding tables
  };

  TwoTowerModel() = default;
  // Fresh weights (seeded by config.seed) for this catalog's items and these users.
  TwoTowerModel(const TwoTowerConfig& config, const Catalog& catalog, const Vocabulary& users);

  const TwoTowerConfig& config() const { return config_; }
  int dim() const { return config_.output_dim; }
  std::int32_t num_items() const { return items_.size(); }
  std::int32_t num_users() const { return users_.size(); }
  const Vocabulary& items() const { return items_; }
  const Vocabulary& users() const { return users_; }
  const Vocabulary& categories() const { return categories_; }
  const Vocabulary& brands() const { return brands_; }
  const PriceFeatures& price_features() const { return price_; }
  const std::vector<std::int32_t>& item_category() const { return item_category_; }
  const std::vector<std::int32_t>& item_brand() const { return item_brand_; }
  const std::vector<double>& item_price() const { return item_price_; }
  const std::vector<std::string>& item_title() const { return item_title_; }

  // All items' embeddings (num_items × dim), or those of the given items.
  void item_embeddings(nn::Matrix& out) const;
  void item_embeddings(const std::vector<std::int32_t>& items, nn::Matrix& out) const;
  // Appends to `out`, most recent first, the history items the user tower pools from a user's
  // items (oldest first): features/history.h with this model's history settings.
  void select_history(const std::int32_t* items, std::size_t n,
                      std::vector<std::int32_t>& out) const {
    recsys::select_history(items, n, config_.history_length, config_.history_distinct, out);
  }
  // One embedding per query (queries.size() × dim).
  void user_embeddings(const std::vector<UserQuery>& queries, nn::Matrix& out) const;

  // Forward + backward on a batch: sets every parameter's gradient, returns the mean loss.
  float compute_gradients(const TrainingBatch& batch);
  // Forward only.
  float loss(const TrainingBatch& batch) const;
  // Every trainable tensor, in a fixed order; names are the model file's tensor names. A user
  // table held as int8 codes (an int8 model file's) becomes floats first.
  std::vector<Param> parameters();
  void clear_sparse_grads();
  // Whether the user table is held as an int8 file's codes (until parameters() needs floats).
  bool user_table_int8() const { return user_codes_ != nullptr; }
  // FNV-1a 64 over the configuration, the vocabularies and every weight, bit for bit: equal
  // checksums mean the same model (a failed call must leave it unchanged).
  std::uint64_t checksum() const;
  // Counts the times the weights may have changed since construction or loading: whoever writes
  // them (the Trainer, at each train_steps call) calls weights_changed() first, so that what was
  // computed from them (a ranker's copy of the item vectors) is known to be stale.
  std::uint64_t weights_version() const { return weights_version_; }
  void weights_changed() { ++weights_version_; }

 private:
  friend class TwoTowerFile;
  // Activations of one tower's last forward pass.
  struct TowerWork {
    nn::Matrix input, out;
    std::vector<nn::Matrix> acts;  // output of each layer
    nn::RowVector norms;
  };
  void build_features(const Catalog& catalog);
  void resolve_sizes();
  void build_id_rows();
  void build_title_words();
  // Every tensor with its shape: drawn from the seed, or zero when the values are loaded next
  // (the user table left empty when user_codes: its codes are loaded into user_codes_).
  void init_weights(bool draw = true, bool user_codes = false);
  // parameters() without turning the user table's codes into floats (then without it).
  std::vector<Param> float_parameters();
  // Row r of the user table: the floats', or the codes' dequantized into buf (user_id_dim floats).
  const float* user_row(std::int32_t r, float* buf) const;
  // The codes as floats in user_id_.table, for what writes or hands out the table.
  void materialize_user_table();
  int user_slots() const { return config_.user_buckets > 0 ? config_.user_hashes : 1; }
  int item_slots() const { return config_.item_buckets > 0 ? config_.item_hashes : 1; }
  int user_input_dim() const;
  int item_input_dim() const;
  void user_input(const std::vector<std::int32_t>& users, const std::vector<std::int32_t>& offsets,
                  const std::vector<std::int32_t>& history, nn::Matrix& X) const;
  void item_input(const std::vector<std::int32_t>& items, nn::Matrix& X) const;
  void user_input_rows(const std::vector<std::int32_t>& users,
                       const std::vector<std::int32_t>& offsets,
                       const std::vector<std::int32_t>& history, nn::Matrix& X, Eigen::Index r0,
                       Eigen::Index n) const;
  void item_input_rows(const std::vector<std::int32_t>& items, nn::Matrix& X, Eigen::Index r0,
                       Eigen::Index n) const;
  // inference: Dense::infer's sums (item_embeddings, user_embeddings), else forward's (training).
  void run_tower(const std::vector<nn::Dense>& tower, TowerWork& w, bool inference = false) const;
  // run_tower in pieces: size the work for `rows` rows, then fill rows r0 .. r0 + n.
  void size_tower(const std::vector<nn::Dense>& tower, TowerWork& w, Eigen::Index rows) const;
  void run_tower_rows(const std::vector<nn::Dense>& tower, TowerWork& w, Eigen::Index r0,
                      Eigen::Index n) const;
  // Both towers forward (the batch's users, the candidates) and backward, as pieces of one
  // hand-off each when the threads share pieces (parallel::for_pieces), else tower by tower.
  void forward_towers(const TrainingBatch& batch, const std::vector<std::int32_t>& candidates,
                      TowerWork& uw, TowerWork& iw) const;
  void backward_towers(const nn::Matrix& dU, const nn::Matrix& dV, nn::Matrix& dXu,
                       nn::Matrix& dXi);
  void backward_tower(std::vector<nn::Dense>& tower, TowerWork& w, const nn::Matrix& dOut,
                      nn::Matrix& dX);
  float forward(const TrainingBatch& batch, TowerWork& uw, TowerWork& iw, nn::Matrix* dU,
                nn::Matrix* dV) const;
  void check_batch(const TrainingBatch& batch) const;
  // The attention history encoder (config history_encoder "attention") for one row's history of
  // n items (most recent first): writes z (item_id_dim floats); `work` keeps what backward needs.
  struct AttentionWork {
    nn::Matrix X;           // n × d: item embeddings + positions
    nn::RowVector q, u, a;  // q = x_0 Wq, u = q Wk^T (so scores = X u^T / sqrt d), a = softmax
    nn::RowVector c;        // a^T X
  };
  void attend(const std::int32_t* items, int n, float* z, AttentionWork& work) const;
  // Given dz for that row: accumulates the encoder's gradients and the items' embedding rows'.
  void attend_backward(const std::int32_t* items, int n, const float* dz, AttentionWork& work);

  TwoTowerConfig config_;
  Vocabulary items_, users_, categories_, brands_;
  PriceFeatures price_;
  // Per item: rows of the item-id table (item_hashes per item), category, brand, price.
  std::vector<std::int32_t> item_id_rows_, item_category_, item_brand_, item_price_bucket_;
  std::vector<float> item_price_value_;
  std::vector<double> item_price_;
  std::vector<std::string> item_title_;
  // Rows of the title table per item (CSR: item_word_offsets_[i] .. [i + 1]).
  std::vector<std::int32_t> item_word_offsets_, item_words_;
  // Per user: rows of the user-id table (user_hashes per user); the anonymous row is last.
  std::vector<std::int32_t> user_id_rows_;
  std::int32_t anonymous_row_ = 0;
  nn::Embedding user_id_, item_id_, title_, category_, brand_, price_bucket_;
  // The user table of an int8 model file, held as its codes and scales until something needs the
  // floats (parameters(): training, saving): a quarter of the memory (the demo model's 4.2 MB
  // of floats were a page's largest allocation, and zeroing and filling them the slowest part
  // of loading it), and rows read through user_row() have the floats' bits. Shared by copies.
  // A serving file's table (docs/model-format.md, "Serving files") holds only some rows: slot[r]
  // is row r's place in codes (and scale), or -1 for a row the file left out, whose floats are
  // zeros.
  struct Int8Rows {
    std::vector<std::int8_t> codes;  // rows × cols, or held rows × cols with slot
    std::vector<float> scale;        // per row (by_row) or per column
    std::vector<std::int32_t> slot;  // empty: every row held, in order
    std::int32_t rows = 0;           // the table's rows
    int cols = 0;
    bool by_row = true;
    // The whole table's floats (rows × cols) into out.
    void dequantize(float* out) const;
  };
  std::shared_ptr<const Int8Rows> user_codes_;
  std::vector<nn::Dense> user_tower_, item_tower_;
  std::uint64_t weights_version_ = 0;
  // The attention encoder's position embeddings (history_length × d) and Wq, Wk, Wv (d × d).
  nn::Matrix pos_, wq_, wk_, wv_, grad_pos_, grad_wq_, grad_wk_, grad_wv_;
  TowerWork user_work_, item_work_;
};

// The model's own top-k (exact, no strategy) for a user id ("" = anonymous; an unknown id is an
// error) and recent item ids, oldest first: what Model.recommend() returns in JS.
std::vector<ScoredItem> top_items(const TwoTowerModel& model, const std::string& user_id,
                                  const std::vector<std::string>& history, int k);

}  // namespace recsys
