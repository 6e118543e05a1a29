// The request path, stage by stage. Recommender::recommend runs them in this order; each is a
// function of the serving state and the previous stages' output, so that a test can run one
// alone:
//   resolve_request    the request checked against the state: scene, k, λ, user, product
//   eligible_items     the request's filters and the business rules' exclusions (strategy/rules.h)
//   user_vector        the user tower's embedding of the user id, logged history and session
//   gather_candidates  the scene's sources (personal, popular, trending, complementary, similar,
//                      repeat)
//   score_candidates   relevance: the ranker's objective, or the sources' normalised scores
//   apply_boosts       the business rules' boosts (strategy/rules.h)
//   pick_diverse       the final k by maximal marginal relevance (strategy/diversity.h)
//   explain            the picks as Recommendations with their explanations
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "data/catalog.h"
#include "data/interactions.h"
#include "data/vocabulary.h"
#include "ranking/ranking_model.h"
#include "retrieval/index.h"
#include "retrieval/two_tower.h"
#include "serving/request.h"
#include "serving/session.h"
#include "strategy/diversity.h"
#include "strategy/rules.h"
#include "strategy/sources.h"
#include "strategy/strategy_config.h"

namespace recsys {

class CandidateRanker;

// The logs' co-occurrence, counted on first use or by Recommender::prepare(): only the
// complementary source (the cart page) reads it, and a page's first list seldom does. The
// baskets are cut when the recommender is made (one pass over the logs, kept as CSR); the pairs,
// the costly half, are counted here. Thread-safe; a count that throws is tried again on the
// next use.
class LazyCoOccurrence {
 public:
  explicit LazyCoOccurrence(Baskets baskets) : baskets_(std::move(baskets)) {}
  const CoOccurrence& get() const {
    std::call_once(once_, [this] {
      value_ = CoOccurrence(baskets_);
      baskets_ = Baskets();
    });
    return value_;
  }

 private:
  mutable std::once_flag once_;
  mutable Baskets baskets_;
  mutable CoOccurrence value_;
};

// Everything the stages read: the model and its index, the catalog joined to the model's items,
// the users' logged histories, the sources' precomputed scores. Built by the Recommender; the
// model-dependent part (model, ranker, item_vectors, index) is replaced by a reload.
struct ServingState {
  std::shared_ptr<const TwoTowerModel> model;
  std::shared_ptr<const RankingModel> ranker;  // null: no re-ranking
  // Scores the candidates when set (serving/candidate_ranker.h), before the ranker above.
  std::shared_ptr<const CandidateRanker> candidate_ranker;
  StrategyConfig strategy;
  // The model's item embeddings (num_items × dim): the ranker's own, shared (it computes them
  // once per model load and never changes them), else computed for this recommender.
  std::shared_ptr<const nn::Matrix> item_vectors;
  std::unique_ptr<Index> index;
  Catalog catalog;                                    // display fields and attributes
  Vocabulary users;                                   // the logs' user ids
  std::vector<std::int32_t> catalog_row;              // model item -> catalog row
  std::vector<std::int32_t> data_to_model;            // catalog row -> model item (-1 when unknown)
  std::vector<char> out_of_stock;                     // per model item
  std::vector<std::vector<std::int32_t>> user_items;  // per logged user: model items, time order
  std::vector<std::vector<std::int32_t>> user_bought;  // per logged user: purchased model items
  std::shared_ptr<const LazyCoOccurrence> cooccurrence;  // over catalog rows
  ItemNeighbours item_neighbours;  // over catalog rows; built only when a scene uses them
  ItemNeighbours ease_neighbours;  // EASE's top weights, likewise
  std::vector<float> popular, trending;                // per model item
  // Each column's best items, best first (ties to the lower index), at most kBestPrefix of them:
  // top_allowed() takes the allowed ones from here, and scans the column only when they run short.
  static constexpr std::int32_t kBestPrefix = 1024;
  std::vector<ScoredItem> popular_best, trending_best;

  std::int32_t num_items() const { return model->num_items(); }
};

// Stage 1. Every argument checked (errors name the field and the value) before anything runs.
struct ResolvedRequest {
  const SceneConfig* scene = nullptr;
  std::string scene_name;
  int k = 10;
  double lambda = 0;            // the request's λ or the scene's
  std::string user;             // the request's user, else the session's ("" = anonymous)
  std::int32_t data_user = -1;  // the user's row in the logs (-1: none)
  std::int32_t anchor = -1;     // the product: the request's item, else the session's last viewed
  UserState state;              // what the rules and the user tower know of the user
  bool has_signal = false;      // a known user or session events: the personal source can run
  const std::vector<float>* adapter = nullptr;  // the session's on-device adapter (may be empty)
};
ResolvedRequest resolve_request(const ServingState& s, const RecommendRequest& request,
                                const Session* session);

// Stage 2. The items the request may return: its filters (categories, brands, price, exclude),
// the business rules, and a product page's own product.
ItemFilter eligible_items(const ServingState& s, const RecommendRequest& request,
                          const ResolvedRequest& r);

// Stage 3. The user tower's embedding (dim floats) of the user's id and history: the logged items
// followed by the session's.
std::vector<float> user_vector(const ServingState& s, const ResolvedRequest& r);

// The k best allowed items of a per-item score column (n items), best first, ties to the lower
// index, where `best` holds the column's best items in that order (ServingState::popular_best):
// taken from `best` while enough of them are allowed (a walk of a few hundred items where a scan
// heaps thousands), else from a scan of the column. The same list either way.
std::vector<ScoredItem> top_allowed(const float* scores, const std::vector<ScoredItem>& best,
                                    std::int32_t n, int k, const ItemFilter& filter);

// Stage 4. Candidates of the scene's sources in first-proposed order, each with the sources that
// proposed it and its best normalised source score; too few (an empty cart, an unknown visitor)
// are filled from trending.
struct Candidate {
  std::int32_t item = 0;
  SourceList sources;
  float source_score = 0;  // the score of the source whose normalised score is highest
  float norm = 0;          // that normalised score, in [0, 1]
  // Per source (SourceKind order): its normalised score and the 1-based rank in its list, 0 when
  // the source did not propose the item.
  std::array<float, kNumSources> source_norm{};
  std::array<std::int16_t, kNumSources> source_rank{};
  float relevance = 0, p_click = -1, p_purchase = -1;  // set by score_candidates
};
std::vector<Candidate> gather_candidates(const ServingState& s, const ResolvedRequest& r,
                                         const ItemFilter& eligible,
                                         const std::vector<float>& user);

// Stage 5. relevance = the ranker's objective (clicks, purchases or revenue) when the scene
// re-ranks and a ranker is loaded (p_click and p_purchase set), else the normalised source score.
void score_candidates(const ServingState& s, const ResolvedRequest& r,
                      const std::vector<float>& user, std::vector<Candidate>& candidates);

// Stage 6 is apply_boosts (strategy/rules.h) over the candidates' relevance.
void boost_candidates(const ServingState& s, std::vector<Candidate>& candidates);

// Stage 7. The candidates in stable relevance order (λ = 0 keeps exactly that order), then the
// final k by maximal marginal relevance with the scene's category cap. Picks index `candidates`.
struct Pick {
  std::size_t candidate;
  float relevance, final_score;
};
std::vector<Pick> pick_diverse(const ServingState& s, const ResolvedRequest& r,
                               const std::vector<Candidate>& candidates);

// Stage 8. The picks as the list the caller gets.
std::vector<Recommendation> explain(const std::vector<Candidate>& candidates,
                                    const std::vector<Pick>& picks);

}  // namespace recsys
