// The request path as one object: model + index + ranker + strategy + sessions + cache.
// recommend(user or session, scene, k, diversity, filters) -> items with scores and explanations.
// Every argument is checked before anything changes; a failed call changes nothing.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "data/dataset.h"
#include "features/session.h"
#include "ranking/ranking_model.h"
#include "retrieval/index.h"
#include "retrieval/two_tower.h"
#include "strategy/cache.h"
#include "strategy/sources.h"
#include "strategy/strategy_config.h"

namespace recsys {

struct RecommendRequest {
  std::string user_id;  // "" = anonymous (a session's user id is used when set)
  std::string scene = "default";
  int k = 10;
  double diversity = -1;  // λ in [0, 1]; -1 = the scene's default
  std::string item_id;    // product_page: the product (default: the session's last viewed)
  std::vector<std::string> categories, brands, exclude;  // allow-lists and excluded item ids
  double price_min = 0, price_max = std::numeric_limits<double>::infinity();
  // {"userId", "scene", "k", "diversity", "itemId", "filters": {"categories", "brands",
  //  "exclude", "priceMin", "priceMax"}}; unknown keys and wrong types are errors.
  static RecommendRequest from_json(std::string_view json);
};

struct RecommenderOptions {
  IndexOptions index;
  StrategyConfig strategy = StrategyConfig::defaults();
  std::size_t cache_capacity = 256;
  bool use_ranker = true;  // re-rank with the model's ranker when it has one
  // {"index": {...IndexOptions}, "strategy": {...StrategyConfig}, "cacheCapacity": n,
  //  "useRanker": bool}; unknown keys are errors.
  static RecommenderOptions from_json(std::string_view json);
};

struct Recommendation {
  std::int32_t item = 0;            // index in the model's items
  std::string source;               // the sources that proposed it, joined by '+'
  float retrieval_score = 0;        // the proposing source's own score
  float click = -1, purchase = -1;  // ranker probabilities (-1 without a ranker)
  float relevance = 0;              // objective score before diversity (normalised to [0, 1])
  float diversity_adjustment = 0;   // final - relevance
  float final_score = 0;
};

struct RecommenderStats {
  std::uint64_t requests = 0, cache_hits = 0;
  std::size_t cache_size = 0;
  double cache_hit_ratio = 0;
};

class Recommender {
 public:
  // data: the catalog (display fields, stock) and the logs (users' histories, popularity,
  // co-occurrence); every model item must be in the catalog.
  Recommender(std::shared_ptr<const TwoTowerModel> model, const Dataset& data,
              const IndexOptions& index, const StrategyConfig& strategy,
              std::shared_ptr<const RankingModel> ranker = nullptr,
              std::size_t cache_capacity = 256);

  std::vector<Recommendation> recommend(const RecommendRequest& request,
                                        const Session* session = nullptr);
  // The same, as JSON: [{id, title, category, brand, price, score, explanation: {...}}].
  std::string recommend_json(const RecommendRequest& request, const Session* session = nullptr);
  // A session for a user id ("" = anonymous); an unknown user id is an error.
  Session create_session(const std::string& user_id) const;
  // Records an event in a session: the item by id, the event by name ("view", "click",
  // "add_to_cart", "purchase"); errors name the bad value and leave the session as it was.
  void track(Session& session, const std::string& item_id, const std::string& event,
             std::int64_t timestamp) const;
  // Swaps in another model (and ranker): rebuilds the index, clears the cache.
  void reload(std::shared_ptr<const TwoTowerModel> model,
              std::shared_ptr<const RankingModel> ranker);

  std::int32_t item_index(std::string_view id) const;  // -1 when unknown
  const std::string& item_id(std::int32_t item) const { return model_->items().token(item); }
  bool knows_user(std::string_view id) const;
  const TwoTowerModel& model() const { return *model_; }
  const StrategyConfig& strategy() const { return strategy_; }
  const Index& index() const { return *index_; }
  RecommenderStats stats() const;
  // {"requests", "cacheHits", "cacheSize", "cacheHitRatio", "index"}
  std::string stats_json() const;
  // The user embedding a request would use (for tests and the session benchmark).
  void user_embedding(const std::string& user_id, const Session* session,
                      std::vector<float>& out) const;

 private:
  struct Built;  // per-model state
  std::vector<Recommendation> compute(const RecommendRequest& request,
                                      const Session* session) const;
  void rebuild();
  std::string cache_key(const RecommendRequest& request, const Session* session) const;

  std::shared_ptr<const TwoTowerModel> model_;
  std::shared_ptr<const RankingModel> ranker_;
  Dataset data_;
  IndexOptions index_options_;
  StrategyConfig strategy_;
  std::unique_ptr<Index> index_;
  nn::Matrix item_vectors_;
  std::vector<std::int32_t> catalog_row_;    // model item -> catalog row
  std::vector<std::int32_t> data_to_model_;  // catalog row -> model item (-1 when unknown)
  std::vector<char> out_of_stock_;
  std::vector<std::vector<std::int32_t>> user_items_;   // per data user: model items, time order
  std::vector<std::vector<std::int32_t>> user_bought_;  // per data user: purchased model items
  std::unique_ptr<PopularitySource> popularity_;
  CoOccurrence cooccurrence_;
  std::vector<double> popular_, trending_;  // per model item
  LruCache<std::vector<Recommendation>> cache_;
  std::uint64_t generation_ = 0, requests_ = 0;
};

}  // namespace recsys
