#include "serving/recommender.h"

#include <atomic>
#include <cmath>

#include "common/check.h"
#include "common/tiering.h"
#include "data/json_options.h"
#include "data/parse.h"

namespace recsys {

RecommenderOptions RecommenderOptions::from_json(std::string_view text) {
  RecommenderOptions o;
  for_each_json_field(text, "recommender options", [&](const JsonField& f) {
    const std::string& k = f.key();
    if (k == "index")
      o.index = IndexOptions::from_json(json_text(f.value()));
    else if (k == "strategy")
      o.strategy = StrategyConfig::from_json(json_text(f.value()));
    else if (k == "cacheCapacity") {
      f.require(f.value().is_number(), "an integer in [0, 1e6]");
      f.require_range(f.value().is_number_integer() && f.value().get<long long>() >= 0 &&
                          f.value().get<long long>() <= 1000000,
                      "an integer in [0, 1e6]");
      o.cache_capacity = f.value().get<std::size_t>();
    } else if (k == "useRanker")
      o.use_ranker = f.boolean();
    else
      f.unknown();
  });
  return o;
}

namespace {
std::uint64_t next_recommender_id() {
  static std::atomic<std::uint64_t> counter{0};
  return ++counter;
}

bool out_of_stock(const std::map<std::string, std::string>& attrs) {
  auto it = attrs.find("in_stock");
  if (it != attrs.end() && (it->second == "false" || it->second == "0" || it->second == "no"))
    return true;
  it = attrs.find("stock");
  return it != attrs.end() && trim(it->second) == "0";
}
// The model's item vectors: the ranker's copy when it was taken from this model's current weights
// (a model loaded with its ranker: the item tower then runs once, not twice), else computed.
std::shared_ptr<const nn::Matrix> current_item_vectors(
    const TwoTowerModel& model, const std::shared_ptr<const RankingModel>& ranker) {
  if (ranker && &ranker->retrieval() == &model &&
      ranker->item_vectors_version() == model.weights_version())
    return std::shared_ptr<const nn::Matrix>(ranker, &ranker->item_vectors());  // no copy
  auto out = std::make_shared<nn::Matrix>();
  model.item_embeddings(*out);
  return out;
}
// The constructor's loops over every item and user, each in a function of its own
// (common/tiering.h).
// The model's items joined to the catalog's rows (every one must be there), and which are out
// of stock.
RECSYS_LOOP void join_catalog(ServingState& s, const std::string& dataset_name) {
  const std::int32_t n = s.model->num_items();
  s.catalog_row.resize(static_cast<std::size_t>(n));
  std::int32_t missing = 0, first_missing = -1;
  for (std::int32_t i = 0; i < n; ++i) {
    s.catalog_row[i] = s.catalog.find(s.model->items().token(i));
    if (s.catalog_row[i] < 0 && missing++ == 0) first_missing = i;
  }
  // A model is served only with a catalog that holds every item it knows (it may hold more).
  RECSYS_CHECK_FOUND(
      missing == 0, "recommender: the model's item vocabulary (", n,
      " items) does not match the catalog of dataset '", dataset_name, "' (", s.catalog.size(),
      " items): ", missing, " of the model's items are not in the catalog, the first '",
      first_missing < 0 ? std::string() : s.model->items().token(first_missing), "'");
  s.data_to_model.assign(static_cast<std::size_t>(s.catalog.size()), -1);
  for (std::int32_t i = 0; i < n; ++i) s.data_to_model[s.catalog_row[i]] = i;
  s.out_of_stock.assign(static_cast<std::size_t>(n), 0);
  for (std::int32_t i = 0; i < n; ++i)
    s.out_of_stock[i] = out_of_stock(s.catalog.attributes(s.catalog_row[i])) ? 1 : 0;
}

// Each logged user's history as model items, and what they bought.
RECSYS_LOOP void user_histories(ServingState& s, const Interactions& x) {
  s.user_items.resize(static_cast<std::size_t>(x.num_users()));
  s.user_bought.resize(static_cast<std::size_t>(x.num_users()));
  for (std::int32_t u = 0; u < x.num_users(); ++u) {
    const auto h = x.history(u);
    s.user_items[u].reserve(h.size());  // one allocation per user, not a doubling series
    for (const auto& e : h) {
      const std::int32_t m = s.data_to_model[e.item];
      if (m < 0) continue;
      s.user_items[u].push_back(m);
      if (e.event == Event::Purchase) s.user_bought[u].push_back(m);
    }
  }
}

RECSYS_LOOP void popular_columns(ServingState& s, const PopularitySource& popularity) {
  const std::int32_t n = s.num_items();
  s.popular.assign(static_cast<std::size_t>(n), 0);
  s.trending.assign(static_cast<std::size_t>(n), 0);
  for (std::int32_t i = 0; i < n; ++i) {
    s.popular[i] = static_cast<float>(popularity.all_time()[s.catalog_row[i]]);
    s.trending[i] = static_cast<float>(popularity.trending()[s.catalog_row[i]]);
  }
  const int best = std::min(n, ServingState::kBestPrefix);
  if (best > 0) {
    s.popular_best = top_k_of_scores(s.popular.data(), n, best);
    s.trending_best = top_k_of_scores(s.trending.data(), n, best);
  }
}
}  // namespace

Recommender::Recommender(std::shared_ptr<const TwoTowerModel> model, const Dataset& data,
                         const RecommenderOptions& options,
                         std::shared_ptr<const RankingModel> ranker)
    : index_options_(options.index),
      use_ranker_(options.use_ranker),
      cache_(options.cache_capacity),
      id_(next_recommender_id()) {
  RECSYS_CHECK(model, "recommender: no model");
  options.strategy.validate();
  if (!options.use_ranker) ranker = nullptr;
  RECSYS_CHECK(!ranker || &ranker->retrieval() == model.get(),
               "recommender: the ranker belongs to another model");
  ServingState& s = state_;
  s.model = std::move(model);
  s.ranker = std::move(ranker);
  s.strategy = options.strategy;
  s.catalog = data.catalog;
  s.users = data.interactions.users();
  join_catalog(s, data.name);
  const auto& x = data.interactions;
  RECSYS_CHECK(x.num_items() == s.catalog.size(),
               "recommender: the interactions do not match the catalog");
  user_histories(s, x);
  const PopularitySource popularity(x, s.strategy.trending_half_life_days);
  s.cooccurrence = std::make_shared<const LazyCoOccurrence>(Baskets(x, CoOccurrenceOptions()));
  bool neighbours = false, ease = false;
  for (const auto& [name, scene] : s.strategy.scenes)
    for (const auto& q : scene.sources) {
      neighbours = neighbours || q.source == SourceKind::Neighbours;
      ease = ease || q.source == SourceKind::Ease;
    }
  if (neighbours) s.item_neighbours = ItemNeighbours(x);
  if (ease) s.ease_neighbours = ease_neighbours(x, s.strategy.ease_lambda, 100);
  popular_columns(s, popularity);
  s.item_vectors = current_item_vectors(*s.model, s.ranker);
  s.index = make_index(index_options_);
  s.index->build(*s.item_vectors);
}

void Recommender::reload(std::shared_ptr<const TwoTowerModel> model,
                         std::shared_ptr<const RankingModel> ranker) {
  RECSYS_CHECK(model, "recommender: no model");
  const TwoTowerModel& old = *state_.model;
  RECSYS_CHECK(model->num_items() == old.num_items(), "recommender: the new model has ",
               model->num_items(), " items, the old one ", old.num_items());
  for (std::int32_t i = 0; i < model->num_items(); ++i)
    RECSYS_CHECK(model->items().token(i) == old.items().token(i),
                 "recommender: the new model's item ", i, " is '", model->items().token(i),
                 "', not '", old.items().token(i), "'");
  RECSYS_CHECK(!ranker || &ranker->retrieval() == model.get(),
               "recommender: the ranker belongs to another model");
  if (!use_ranker_) ranker = nullptr;  // created with use_ranker off: it stays off
  auto vectors = current_item_vectors(*model, ranker);
  auto index = make_index(index_options_);
  index->build(*vectors);
  // Nothing above changed this object; commit.
  state_.model = std::move(model);
  state_.ranker = std::move(ranker);
  state_.item_vectors = std::move(vectors);
  state_.index = std::move(index);
  cache_.clear();
  ++generation_;
}

void Recommender::prepare() const { state_.cooccurrence->get(); }

Session Recommender::create_session(const std::string& user_id) const {
  RECSYS_CHECK_FOUND(user_id.empty() || knows_user(user_id), "session: unknown user '", user_id,
                     "'");
  return Session(user_id, id_);
}

void Recommender::check_session(const Session* session, const char* what) const {
  RECSYS_CHECK_TYPE(!session || session->owner() == 0 || session->owner() == id_, what,
                    ": the session was created by another Recommender");
}

void Recommender::track(Session& session, const std::string& item_id, const std::string& event,
                        std::int64_t timestamp) const {
  check_session(&session, "track");
  const std::int32_t item = item_index(item_id);
  RECSYS_CHECK_FOUND(item >= 0, "track: unknown item '", item_id, "'");
  Event e;
  RECSYS_CHECK(parse_event(event, e), "track: unknown event '", event,
               "' (expected view, click, add_to_cart or purchase)");
  session.track(item, e, timestamp);
}

std::int32_t Recommender::item_index(std::string_view id) const {
  return state_.model->items().find(id);
}

std::int32_t Recommender::catalog_row(std::int32_t item) const {
  RECSYS_CHECK(item >= 0 && item < state_.num_items(), "recommender: item index ", item,
               " out of range [0, ", state_.num_items(), ")");
  return state_.catalog_row[static_cast<std::size_t>(item)];
}

bool Recommender::knows_user(std::string_view id) const {
  return state_.model->users().find(id) >= 0 || state_.users.find(id) >= 0;
}

std::vector<float> Recommender::user_embedding(const std::string& user_id,
                                               const Session* session) const {
  RecommendRequest req;
  req.user_id = user_id;
  return user_vector(state_, resolve_request(state_, req, session));
}

UserAdapter Recommender::personalise(Session& session, const PersonaliseOptions& options) const {
  check_session(&session, "personalise");
  options.validate();
  RecommendRequest req;
  const ResolvedRequest r = resolve_request(state_, req, &session);
  std::vector<std::int32_t> items;
  if (r.state.logged_items) items = *r.state.logged_items;
  items.insert(items.end(), r.state.session_items.begin(), r.state.session_items.end());
  const std::int32_t user = r.user.empty() ? -1 : model().users().find(r.user);
  UserAdapter a = personalise_user(model(), *state_.item_vectors, user, items, options);
  session.set_adapter(a.delta);
  return a;
}

RecommenderStats Recommender::stats() const {
  RecommenderStats s;
  s.requests = requests_;
  s.cache_hits = hits_;
  s.cache_size = cache_.size();
  s.cache_hit_ratio = requests_ ? static_cast<double>(hits_) / static_cast<double>(requests_) : 0;
  s.index = state_.index->name();
  return s;
}

std::string Recommender::cache_key(const RecommendRequest& r, const Session* session) const {
  std::string key;
  key.reserve(96);
  key += std::to_string(generation_);
  key += '|';
  key += r.user_id;
  key += '|';
  key += r.scene;
  key += '|';
  key += std::to_string(r.k);
  key += '|';
  key += r.diversity ? format_shortest(*r.diversity) : std::string("-");
  key += '|';
  key += r.item_id;
  key += '|';
  key += format_shortest(r.price_min);
  key += '|';
  key += format_shortest(r.price_max);
  for (const auto* list : {&r.categories, &r.brands, &r.exclude}) {
    key += '|';
    for (const auto& s : *list) {
      key += s;
      key += ',';
    }
  }
  if (session) {
    key += "|s";
    key += std::to_string(session->id());
    key += ':';
    key += std::to_string(session->version());
    key += ':';
    key += session->user_id();
  }
  return key;
}

void Recommender::set_candidate_ranker(std::shared_ptr<const CandidateRanker> ranker) {
  state_.candidate_ranker = std::move(ranker);
  cache_.clear();
  ++generation_;
}

std::vector<Recommendation> Recommender::recommend(const RecommendRequest& request,
                                                   const Session* session) {
  check_session(session, "recommend");
  const std::string key = cache_key(request, session);
  if (const auto* hit = cache_.get(key)) {
    ++requests_;
    ++hits_;
    return *hit;
  }
  std::vector<Recommendation> out = compute(request, session);  // throws before any change
  cache_.put(key, out);
  ++requests_;
  return out;
}

std::vector<Recommendation> Recommender::compute(const RecommendRequest& request,
                                                 const Session* session) const {
  check_session(session, "recommend");
  const ServingState& s = state_;
  const ResolvedRequest r = resolve_request(s, request, session);
  const ItemFilter eligible = eligible_items(s, request, r);
  const std::vector<float> user = user_vector(s, r);
  std::vector<Candidate> candidates = gather_candidates(s, r, eligible, user);
  score_candidates(s, r, user, candidates);
  boost_candidates(s, candidates);
  return explain(candidates, pick_diverse(s, r, candidates));
}

}  // namespace recsys
