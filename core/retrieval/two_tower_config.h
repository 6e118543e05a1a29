// Configuration of the two-tower retrieval model, with the two presets of DESIGN.md:
//   seed    — the tutorial's towers exactly: user-id embedding 64 → Dense 128 ReLU;
//             [category embedding 16, brand embedding 16, price as is] → Dense 128 ReLU;
//             score = dot product; plain in-batch softmax; Adam 0.001; batch 128.
//   default — what a practitioner ships: hashed user-id embedding + recency-weighted mean of the
//             user's last N item embeddings (shared with the item tower) → Dense ReLU → Dense →
//             L2 norm; item-id embedding (hashed for large catalogs) + category + brand + price
//             (log-standardised value and a bucket embedding) → Dense ReLU → Dense → L2 norm;
//             temperature 0.05, log-Q correction, accidental hits masked. An anonymous user is
//             served from its history alone (trained by dropping the id for some examples).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace recsys {

struct TwoTowerConfig {
  std::string preset = "default";
  // User tower.
  int user_id_dim = 32;
  // -1: hashed into the next power of two >= 2 x users (at least 1024); 0: one row per known
  // user (a vocabulary); > 0: hashed into this many buckets.
  int user_buckets = -1;
  int user_hashes = 2;            // hash functions per id when hashed (their rows are summed)
  int history_length = 20;        // last N items pooled into the user (0: no history feature)
  float history_decay = 0.8f;     // weight of the k-th most recent item: decay^k (then normalised)
  bool history_distinct = false;  // pool the last N distinct items (repeats count once)
  // How the user tower reads the history: "pooled" (the decay-weighted mean of the items'
  // embeddings) or "attention" (SASRec-style, Kang & McAuley 2018: the items' embeddings plus
  // learnt position embeddings, one causal self-attention head read at the most recent position,
  // with a residual: z = x_0 + softmax(x_0 Wq (X Wk)^T / sqrt(d)) X Wv; history_decay unused).
  std::string history_encoder = "pooled";
  float anonymous_rate = 0.1f;    // share of training examples whose user id is hidden
  // Item tower.
  int item_id_dim = 32;  // 0: no item-id embedding (the seed preset)
  // -1: one row per item up to 200,000 items, else hashed into 2^17; 0: one row per item;
  // > 0: hashed into this many buckets.
  int item_buckets = -1;
  int item_hashes = 2;
  // Bag of title words: the mean of the hashed words' embeddings (0: none).
  int title_dim = 0;
  int title_buckets = 8192;
  int category_dim = 8;
  int brand_dim = 8;
  int price_buckets = 10;  // quantile buckets of the price (0: none)
  int price_bucket_dim = 4;
  std::string price_feature = "log_standardized";  // or "raw" (the seed preset) or "none"
  // Both towers: hidden ReLU layers, then the output layer.
  std::vector<int> hidden = {128};
  int output_dim = 64;
  bool output_relu = false;
  bool l2_normalize = true;
  // Loss.
  float temperature = 0.05f;
  bool log_q_correction = true;
  bool mask_accidental_hits = true;
  // Mixed negative sampling (Yang et al. 2020): this many items drawn uniformly from the catalog
  // join each batch's candidates as extra negatives for every row (0: in-batch negatives only).
  int uniform_negatives = 0;
  // Training.
  // "lazy_adam": only the embedding rows of a batch move (TensorFlow's LazyAdam); "adam": every
  // row's moments decay and every row moves each step, as Keras' Adam does (the seed preset) —
  // computed lazily, in O(rows of the batch) per step (nn::Adam::update_rows_catch_up).
  std::string embedding_optimizer = "lazy_adam";
  int batch_size = 128;
  float learning_rate = 1e-3f;
  int epochs = 10;
  std::uint64_t seed = 42;

  static TwoTowerConfig seed_preset();
  static TwoTowerConfig default_preset();
  // Named preset ("seed" or "default"); anything else is an error.
  static TwoTowerConfig preset_named(std::string_view name);
  // Starts from the preset named by the "preset" key (default "default") and overrides the other
  // keys; an unknown key, a wrong type or an out-of-range value is an error naming it.
  static TwoTowerConfig from_json(std::string_view json);
  std::string to_json() const;
  void validate() const;
  bool has_history() const { return history_length > 0; }
};

}  // namespace recsys
