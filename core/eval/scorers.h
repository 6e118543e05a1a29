// Scorers: anything that scores every catalog item for a user, from the user's history in the
// data it was fitted on. The baselines (random, popularity, item-kNN, implicit ALS) and the
// two-tower model all go through the same evaluation path (evaluate.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/interactions.h"
#include "nn/tensor.h"
#include "retrieval/two_tower.h"

namespace recsys::eval {

class Scorer {
 public:
  virtual ~Scorer() = default;
  virtual std::string name() const = 0;
  virtual std::int32_t num_items() const = 0;
  // scores (users.size() × num_items()): row r scores every item for users[r], a user index of the
  // fit data. Higher is better.
  virtual void score(const std::vector<std::int32_t>& users, nn::Matrix& scores) const = 0;
  // Item embeddings for the embedding-based diversity, or null.
  virtual const nn::Matrix* item_embeddings() const { return nullptr; }
};

// Uniform random scores, fixed per (seed, user, item).
std::unique_ptr<Scorer> make_random(std::int32_t num_items, std::uint64_t seed = 1);
// The number of fit events of each item, the same for every user.
std::unique_ptr<Scorer> make_popularity(const Interactions& fit);

struct ItemKnnOptions {
  int neighbours = 100;  // top-M most similar items kept per item
  float shrink = 0;      // sim(i, j) = co(i, j) / (sqrt(n_i n_j) + shrink)
};
// Item-based kNN on the binary user-item matrix: cosine similarity of co-occurrence;
// score(u, j) = Σ over the user's distinct items i of sim(i, j) when j is among i's neighbours.
std::unique_ptr<Scorer> make_item_knn(const Interactions& fit, const ItemKnnOptions& options = {});

struct AlsOptions {
  int factors = 64;
  int iterations = 15;
  float regularization = 0.1f;
  float alpha = 10;  // confidence 1 + alpha · (number of events of the pair)
  std::uint64_t seed = 1;
};
// Implicit-feedback matrix factorisation by alternating least squares (Hu, Koren, Volinsky 2008).
std::unique_ptr<Scorer> make_als(const Interactions& fit, const AlsOptions& options = {});

// A two-tower model (`fit` must outlive the scorer): user = the fit user's id (when the model knows
// it, else anonymous) and the user's last history_length fit items. Items map by id between the
// model and the fit data.
std::unique_ptr<Scorer> make_two_tower(std::shared_ptr<const TwoTowerModel> model,
                                       const Interactions& fit, const Vocabulary& data_items);

}  // namespace recsys::eval
