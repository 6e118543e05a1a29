// The request path as one object: model + index + ranker + strategy + sessions + result cache.
// recommend(request, session) runs the stages of serving/stages.h and returns plain structs
// (serving/request.h). What the JS API, the Recommend page and `recsys recommend` all call.
// Every argument is checked before anything changes; a failed call changes nothing.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "data/dataset.h"
#include "ranking/ranking_model.h"
#include "retrieval/index.h"
#include "retrieval/two_tower.h"
#include "serving/cache.h"
#include "serving/personalise.h"
#include "serving/request.h"
#include "serving/session.h"
#include "serving/stages.h"
#include "strategy/strategy_config.h"

namespace recsys {

struct RecommenderOptions {
  IndexOptions index;
  StrategyConfig strategy = StrategyConfig::defaults();
  std::size_t cache_capacity = 256;  // results kept (LRU); 0: no cache
  bool use_ranker = true;            // re-rank with the model's ranker when it has one
  // {"index": {...IndexOptions}, "strategy": {...StrategyConfig}, "cacheCapacity": n,
  //  "useRanker": bool}; unknown keys are errors.
  static RecommenderOptions from_json(std::string_view json);
};

struct RecommenderStats {
  std::uint64_t requests = 0, cache_hits = 0;  // requests answered (failed ones do not count)
  std::size_t cache_size = 0;
  double cache_hit_ratio = 0;
  std::string index;  // the index kind in use
};

class Recommender {
 public:
  // data: the catalog (display fields, stock) and the logs (users' histories, popularity,
  // co-occurrence); every model item must be in the catalog. The ranker (optional) must belong to
  // the model; it is used when options.use_ranker is set.
  Recommender(std::shared_ptr<const TwoTowerModel> model, const Dataset& data,
              const RecommenderOptions& options = RecommenderOptions(),
              std::shared_ptr<const RankingModel> ranker = nullptr);

  // The top k for a user, a session (whose user is used when the request names none) or an
  // anonymous visitor, in the request's scene. A result depends only on the request, the
  // session's events and the model: repeats come from the cache.
  std::vector<Recommendation> recommend(const RecommendRequest& request,
                                        const Session* session = nullptr);
  // The same list, computed without the cache or the statistics: const, so that simulations can
  // run it from several threads.
  std::vector<Recommendation> compute(const RecommendRequest& request,
                                      const Session* session = nullptr) const;
  // Computes now what is otherwise computed on first use (the logs' co-occurrence, which the
  // cart page's complementary source reads): the same results either way. A page calls it once
  // its first list is on screen, so that the first list does not wait for it.
  void prepare() const;
  // A session for a user id ("" = anonymous) that this recommender serves; an unknown user id
  // is an error.
  Session create_session(const std::string& user_id) const;
  // Records an event in a session: the item by id, the event by name (view, click, add_to_cart,
  // purchase); errors name the bad value and leave the session as it was.
  void track(Session& session, const std::string& item_id, const std::string& event,
             std::int64_t timestamp) const;
  // Swaps in another model (and ranker; ignored when created with use_ranker off) over the same
  // items: rebuilds the index, clears the cache. A failed reload leaves the recommender serving
  // the old model.
  void reload(std::shared_ptr<const TwoTowerModel> model,
              std::shared_ptr<const RankingModel> ranker);

  // Scores every re-ranking scene's candidates with this ranker (fit_candidate_ranker, for this
  // model's items) instead of the click / purchase ranker; null: back to that one. Clears the
  // cache.
  void set_candidate_ranker(std::shared_ptr<const CandidateRanker> ranker);
  bool has_candidate_ranker() const { return state_.candidate_ranker != nullptr; }

  std::int32_t item_index(std::string_view id) const;  // -1 when unknown
  const std::string& item_id(std::int32_t item) const { return model().items().token(item); }
  // The catalog row of a model item (display fields: catalog().title(row), ...).
  std::int32_t catalog_row(std::int32_t item) const;
  const Catalog& catalog() const { return state_.catalog; }
  bool knows_user(std::string_view id) const;
  const TwoTowerModel& model() const { return *state_.model; }
  bool has_ranker() const { return state_.ranker != nullptr; }
  const StrategyConfig& strategy() const { return state_.strategy; }
  const Index& index() const { return *state_.index; }
  // What the stages read, for tests that run a stage alone.
  const ServingState& state() const { return state_; }
  // A process-unique id: sessions remember the recommender that created them.
  std::uint64_t id() const { return id_; }
  RecommenderStats stats() const;
  // Fits the session's on-device adapter (serving/personalise.h) on its user's logged items and
  // the session's events, from zero, and sets it on the session; the model, the index and the
  // cache entries of other sessions are untouched. A failed call leaves the session as it was.
  UserAdapter personalise(Session& session, const PersonaliseOptions& options) const;
  // The user embedding a request would use (for tests and the session benchmark).
  std::vector<float> user_embedding(const std::string& user_id, const Session* session) const;

 private:
  void check_session(const Session* session, const char* what) const;
  std::string cache_key(const RecommendRequest& request, const Session* session) const;

  ServingState state_;
  IndexOptions index_options_;
  bool use_ranker_ = true;
  LruCache<std::vector<Recommendation>> cache_;
  std::uint64_t id_ = 0;
  std::uint64_t generation_ = 0;
  std::uint64_t requests_ = 0, hits_ = 0;  // successful requests, and those served by the cache
};

}  // namespace recsys
