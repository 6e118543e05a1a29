// Scorers: anything that scores every catalog item for a user, from the user's history in the
// data it was fitted on. The baselines (random, popularity, personal top-frequency, item-kNN,
// EASE, implicit ALS) and the two-tower model all go through the same evaluation path
// (evaluate.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/interactions.h"
#include "nn/tensor.h"
#include "ranking/ranking_model.h"
#include "retrieval/two_tower.h"
#include "serving/candidate_ranker.h"
#include "serving/personalise.h"
#include "serving/recommender.h"

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
  // Scorers that serve ranked lists instead of scoring every item (the pipeline) return true, and
  // the evaluation calls top_k instead of score (full ranking only).
  virtual bool serves_lists() const { return false; }
  // The top k items for a fit user, best first, none of `exclude` (item indexes, sorted).
  virtual std::vector<std::int32_t> top_k(std::int32_t user, int k,
                                          const std::vector<std::int32_t>& exclude) const;
  // Pipelines: each candidate source's first `quota` items for a fit user (none of `exclude`),
  // by source name (the item-item sources only when the strategy builds them), and "all": the
  // scene's own sources at their own quotas (what the ranker gets).
  // Empty for other scorers.
  virtual std::vector<std::pair<std::string, std::vector<std::int32_t>>> source_candidates(
      std::int32_t user, int quota, const std::vector<std::int32_t>& exclude) const {
    (void)user, (void)quota, (void)exclude;
    return {};
  }
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

struct EaseOptions {
  double lambda = 500;  // L2 penalty on the item-item weights (Steck 2019), tuned on validation
};
// EASE: the closed-form linear item-item autoencoder (Steck, WWW 2019) on the binary user-item
// matrix, with a zero diagonal. O(items³) to fit, items² floats kept.
std::unique_ptr<Scorer> make_ease(const Interactions& fit, const EaseOptions& options = {});
// Personal top-frequency (`fit` must outlive the scorer): the user's own items, most frequent
// first (ties: the most recent first), then the other items by popularity. The repeat baseline.
std::unique_ptr<Scorer> make_personal_frequency(const Interactions& fit);

// A two-tower model (`fit` must outlive the scorer): user = the fit user's id (when the model knows
// it, else anonymous) and the user's last history_length fit items. Items map by id between the
// model and the fit data. With personalise, each user's on-device adapter is fitted on the same
// fit items first (serving/personalise.h) and the adapted vector scores.
std::unique_ptr<Scorer> make_two_tower(std::shared_ptr<const TwoTowerModel> model,
                                       const Interactions& fit, const Vocabulary& data_items,
                                       const PersonaliseOptions* personalise = nullptr);

// What Recommender::recommend serves (`fit` and `catalog` must outlive the scorer): a
// Recommender over the model (and its ranker, when given and options.use_ranker is set) with the
// fit logs as its histories, popularity and co-occurrence, asked for each user's top k in
// `scene`; the evaluation's exclusions become the request's filters.exclude. No scores: lists.
// candidate_ranker (optional): scores the candidates instead of `ranker`.
std::unique_ptr<Scorer> make_pipeline(std::shared_ptr<const TwoTowerModel> model,
                                      std::shared_ptr<const RankingModel> ranker,
                                      const Interactions& fit, const Catalog& catalog,
                                      const RecommenderOptions& options, std::string scene,
                                      std::shared_ptr<const CandidateRanker> candidate_ranker = nullptr);

}  // namespace recsys::eval
