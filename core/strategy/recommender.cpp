#include "strategy/recommender.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <nlohmann/json.hpp>

#include "common/check.h"
#include "data/json_options.h"
#include "data/parse.h"
#include "strategy/diversity.h"

namespace recsys {

RecommendRequest RecommendRequest::from_json(std::string_view text) {
  RecommendRequest r;
  for_each_json_field(text, "recommend", [&](const JsonField& f) {
    const std::string& k = f.key();
    if (k == "userId")
      r.user_id = f.string();
    else if (k == "scene")
      r.scene = f.string();
    else if (k == "itemId")
      r.item_id = f.string();
    else if (k == "k") {
      f.require(f.value().is_number_integer() && std::abs(f.value().get<long long>()) < (1LL << 31),
                "an integer");
      r.k = f.value().get<int>();
    } else if (k == "diversity")
      r.diversity = f.number();
    else if (k == "filters") {
      f.require(f.value().is_object(), "an object");
      for (auto it = f.value().begin(); it != f.value().end(); ++it) {
        const JsonField g("recommend", it.key(), it.value());
        if (g.key() == "categories")
          r.categories = g.strings();
        else if (g.key() == "brands")
          r.brands = g.strings();
        else if (g.key() == "exclude")
          r.exclude = g.strings();
        else if (g.key() == "priceMin")
          r.price_min = g.number();
        else if (g.key() == "priceMax")
          r.price_max = g.number();
        else
          RECSYS_FAIL("recommend: unknown filter '", g.key(), "'");
      }
    } else
      f.unknown();
  });
  return r;
}

RecommenderOptions RecommenderOptions::from_json(std::string_view text) {
  RecommenderOptions o;
  for_each_json_field(text, "recommender options", [&](const JsonField& f) {
    const std::string& k = f.key();
    if (k == "index")
      o.index = IndexOptions::from_json(f.value().dump());
    else if (k == "strategy")
      o.strategy = StrategyConfig::from_json(f.value().dump());
    else if (k == "cacheCapacity") {
      f.require(f.value().is_number_integer() && f.value().get<long long>() >= 0 &&
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

Session Recommender::create_session(const std::string& user_id) const {
  RECSYS_CHECK(user_id.empty() || knows_user(user_id), "session: unknown user '", user_id, "'");
  return Session(user_id);
}

void Recommender::track(Session& session, const std::string& item_id, const std::string& event,
                        std::int64_t timestamp) const {
  const std::int32_t item = item_index(item_id);
  RECSYS_CHECK(item >= 0, "track: unknown item '", item_id, "'");
  Event e;
  RECSYS_CHECK(parse_event(event, e), "track: unknown event '", event,
               "' (expected view, click, add_to_cart or purchase)");
  session.track(item, e, timestamp);
}

Recommender::Recommender(std::shared_ptr<const TwoTowerModel> model, const Dataset& data,
                         const IndexOptions& index, const StrategyConfig& strategy,
                         std::shared_ptr<const RankingModel> ranker, std::size_t cache_capacity)
    : model_(std::move(model)),
      ranker_(std::move(ranker)),
      data_(data),
      index_options_(index),
      strategy_(strategy),
      cache_(cache_capacity) {
  RECSYS_CHECK(model_, "recommender: no model");
  strategy_.validate();
  RECSYS_CHECK(!ranker_ || &ranker_->retrieval() == model_.get(),
               "recommender: the ranker belongs to another model");
  const std::int32_t n = model_->num_items();
  catalog_row_.resize(static_cast<std::size_t>(n));
  for (std::int32_t i = 0; i < n; ++i) {
    catalog_row_[i] = data_.catalog.find(model_->items().token(i));
    RECSYS_CHECK(catalog_row_[i] >= 0, "recommender: the model's item '", model_->items().token(i),
                 "' is not in the catalog");
  }
  data_to_model_.assign(static_cast<std::size_t>(data_.catalog.size()), -1);
  for (std::int32_t i = 0; i < n; ++i) data_to_model_[catalog_row_[i]] = i;
  out_of_stock_.assign(static_cast<std::size_t>(n), 0);
  for (std::int32_t i = 0; i < n; ++i) {
    const auto& attrs = data_.catalog.attributes(catalog_row_[i]);
    auto it = attrs.find("in_stock");
    if (it != attrs.end() && (it->second == "false" || it->second == "0" || it->second == "no"))
      out_of_stock_[i] = 1;
    it = attrs.find("stock");
    if (it != attrs.end() && trim(it->second) == "0") out_of_stock_[i] = 1;
  }
  const auto& x = data_.interactions;
  RECSYS_CHECK(x.num_items() == data_.catalog.size(),
               "recommender: the interactions do not match the catalog");
  user_items_.resize(static_cast<std::size_t>(x.num_users()));
  user_bought_.resize(static_cast<std::size_t>(x.num_users()));
  for (std::int32_t u = 0; u < x.num_users(); ++u)
    for (const auto& e : x.history(u)) {
      const std::int32_t m = data_to_model_[e.item];
      if (m < 0) continue;
      user_items_[u].push_back(m);
      if (e.event == Event::Purchase) user_bought_[u].push_back(m);
    }
  popularity_ = std::make_unique<PopularitySource>(x, strategy_.trending_half_life_days);
  cooccurrence_ = CoOccurrence(x);
  popular_.assign(static_cast<std::size_t>(n), 0);
  trending_.assign(static_cast<std::size_t>(n), 0);
  for (std::int32_t i = 0; i < n; ++i) {
    popular_[i] = popularity_->all_time()[catalog_row_[i]];
    trending_[i] = popularity_->trending()[catalog_row_[i]];
  }
  rebuild();
}

void Recommender::rebuild() {
  model_->item_embeddings(item_vectors_);
  auto index = make_index(index_options_);
  index->build(item_vectors_);
  index_ = std::move(index);
  cache_.clear();
  ++generation_;
}

void Recommender::reload(std::shared_ptr<const TwoTowerModel> model,
                         std::shared_ptr<const RankingModel> ranker) {
  RECSYS_CHECK(model, "recommender: no model");
  RECSYS_CHECK(model->num_items() == model_->num_items(), "recommender: the new model has ",
               model->num_items(), " items, the old one ", model_->num_items());
  for (std::int32_t i = 0; i < model->num_items(); ++i)
    RECSYS_CHECK(model->items().token(i) == model_->items().token(i),
                 "recommender: the new model's item ", i, " is '", model->items().token(i),
                 "', not '", model_->items().token(i), "'");
  RECSYS_CHECK(!ranker || &ranker->retrieval() == model.get(),
               "recommender: the ranker belongs to another model");
  nn::Matrix vectors;
  model->item_embeddings(vectors);
  auto index = make_index(index_options_);
  index->build(vectors);
  // Nothing above changed this object; commit.
  model_ = std::move(model);
  ranker_ = std::move(ranker);
  item_vectors_ = std::move(vectors);
  index_ = std::move(index);
  cache_.clear();
  ++generation_;
}

std::int32_t Recommender::item_index(std::string_view id) const {
  return model_->items().find(id);
}

bool Recommender::knows_user(std::string_view id) const {
  return model_->users().find(id) >= 0 || data_.interactions.users().find(id) >= 0;
}

void Recommender::user_embedding(const std::string& user_id, const Session* session,
                                 std::vector<float>& out) const {
  UserQuery q;
  if (!user_id.empty()) {
    q.user = model_->users().find(user_id);
    const std::int32_t du = data_.interactions.users().find(user_id);
    if (du >= 0) q.history = user_items_[du];
  }
  if (session)
    for (const auto& e : session->events()) q.history.push_back(e.item);
  nn::Matrix U;
  model_->user_embeddings({q}, U);
  out.assign(U.data(), U.data() + U.cols());
}

RecommenderStats Recommender::stats() const {
  RecommenderStats s;
  s.requests = requests_;
  s.cache_hits = cache_.hits();
  s.cache_size = cache_.size();
  s.cache_hit_ratio = cache_.hit_ratio();
  return s;
}

std::string Recommender::stats_json() const {
  const auto st = stats();
  return nlohmann::json{{"requests", st.requests},
                        {"cacheHits", st.cache_hits},
                        {"cacheSize", st.cache_size},
                        {"cacheHitRatio", st.cache_hit_ratio},
                        {"index", index_->name()}}
      .dump();
}

std::string Recommender::cache_key(const RecommendRequest& r, const Session* session) const {
  std::string key = std::to_string(generation_) + '|' + r.user_id + '|' + r.scene + '|' +
                    std::to_string(r.k) + '|' + format_double(r.diversity) + '|' + r.item_id + '|' +
                    format_double(r.price_min) + '|' + format_double(r.price_max);
  for (const auto* list : {&r.categories, &r.brands, &r.exclude}) {
    key += '|';
    for (const auto& s : *list) key += s + ',';
  }
  if (session)
    key += "|s" + std::to_string(session->id()) + ':' + std::to_string(session->version()) + ':' +
           session->user_id();
  return key;
}

std::vector<Recommendation> Recommender::recommend(const RecommendRequest& request,
                                                   const Session* session) {
  const std::string key = cache_key(request, session);
  ++requests_;
  if (const auto* hit = cache_.get(key)) return *hit;
  std::vector<Recommendation> out = compute(request, session);
  cache_.put(key, out);
  return out;
}

std::vector<Recommendation> Recommender::compute(const RecommendRequest& req,
                                                 const Session* session) const {
  // Validate everything first.
  const auto scene_it = strategy_.scenes.find(req.scene);
  if (scene_it == strategy_.scenes.end()) {
    std::string known;
    for (const auto& [name, s] : strategy_.scenes) known += (known.empty() ? "" : ", ") + name;
    RECSYS_FAIL("recommend: unknown scene '", req.scene, "' (known: ", known, ")");
  }
  const SceneConfig& scene = scene_it->second;
  RECSYS_CHECK(req.k >= 1 && req.k <= 1000, "recommend: k must be in [1, 1000], got ", req.k);
  RECSYS_CHECK(req.diversity == -1 || (req.diversity >= 0 && req.diversity <= 1),
               "recommend: diversity must be in [0, 1], got ", req.diversity);
  RECSYS_CHECK(req.price_min <= req.price_max, "recommend: priceMin ", req.price_min,
               " is above priceMax ", req.price_max);
  const std::string user = !req.user_id.empty() ? req.user_id : session ? session->user_id() : "";
  RECSYS_CHECK(user.empty() || knows_user(user), "recommend: unknown user '", user, "'");
  const std::int32_t n = model_->num_items();
  if (session)
    for (const auto& e : session->events())
      RECSYS_CHECK(e.item >= 0 && e.item < n, "recommend: the session holds item index ", e.item,
                   " out of range");
  std::int32_t anchor = -1;
  if (!req.item_id.empty()) {
    anchor = item_index(req.item_id);
    RECSYS_CHECK(anchor >= 0, "recommend: unknown item '", req.item_id, "'");
  } else if (session) {
    anchor = session->last_viewed();
  }
  ItemFilter filter(n);
  auto ids_of = [&](const std::vector<std::string>& names, const Vocabulary& vocab,
                    const char* what) {
    std::vector<std::int32_t> ids;
    for (const auto& name : names) {
      const std::int32_t i = vocab.find(name);
      RECSYS_CHECK(i >= 0, "recommend: unknown ", what, " '", name, "' in filters");
      ids.push_back(i);
    }
    return ids;
  };
  if (!req.categories.empty())
    filter.keep_only(model_->item_category(),
                     ids_of(req.categories, model_->categories(), "category"));
  if (!req.brands.empty())
    filter.keep_only(model_->item_brand(), ids_of(req.brands, model_->brands(), "brand"));
  if (req.price_min > 0 || std::isfinite(req.price_max))
    filter.keep_price(model_->item_price(), req.price_min, req.price_max);
  for (const auto& id : req.exclude) {
    const std::int32_t i = item_index(id);
    RECSYS_CHECK(i >= 0, "recommend: unknown item '", id, "' in filters.exclude");
    filter.exclude(i);
  }
  // Business rules.
  const std::int32_t data_user = user.empty() ? -1 : data_.interactions.users().find(user);
  if (strategy_.exclude_out_of_stock)
    for (std::int32_t i = 0; i < n; ++i)
      if (out_of_stock_[i]) filter.exclude(i);
  if (strategy_.exclude_purchased) {
    if (data_user >= 0)
      for (std::int32_t i : user_bought_[data_user]) filter.exclude(i);
    if (session)
      for (std::int32_t i : session->purchased()) filter.exclude(i);
  }
  if (strategy_.exclude_in_cart && session)
    for (std::int32_t i : session->cart()) filter.exclude(i);
  if (strategy_.exclude_seen) {
    if (data_user >= 0)
      for (std::int32_t i : user_items_[data_user]) filter.exclude(i);
    if (session)
      for (const auto& e : session->events()) filter.exclude(e.item);
  }
  if (anchor >= 0 && req.scene == "product_page") filter.exclude(anchor);

  // Candidates from the scene's sources.
  struct Cand {
    std::string source;
    float source_score = 0, norm = 0;
  };
  std::map<std::int32_t, Cand> cands;
  std::vector<std::int32_t> order;  // first-proposed order, for stable ties
  auto add = [&](const char* source, const std::vector<ScoredItem>& items) {
    if (items.empty()) return;
    float lo = items.back().score, hi = items.front().score;
    for (const auto& s : items) {
      lo = std::min(lo, s.score);
      hi = std::max(hi, s.score);
    }
    for (const auto& s : items) {
      const float norm = hi > lo ? (s.score - lo) / (hi - lo) : 1.0f;
      auto it = cands.find(s.item);
      if (it == cands.end()) {
        cands[s.item] = Cand{source, s.score, norm};
        order.push_back(s.item);
      } else {
        it->second.source += std::string("+") + source;
        if (norm > it->second.norm) {
          it->second.norm = norm;
          it->second.source_score = s.score;
        }
      }
    }
  };
  std::vector<float> u;
  user_embedding(user, session, u);
  const bool has_signal = (!user.empty() && (model_->users().find(user) >= 0 || data_user >= 0)) ||
                          (session && !session->events().empty());
  std::vector<char> excluded(static_cast<std::size_t>(n));
  for (std::int32_t i = 0; i < n; ++i) excluded[i] = !filter.allows(i);
  auto top_by = [&](const std::vector<double>& scores, int quota) {
    std::vector<float> s(scores.begin(), scores.end());
    return top_k_of_scores(s.data(), n, quota, excluded);
  };
  // Complementary anchors: the cart, else the product, else the most recent items.
  std::vector<std::int32_t> anchors;
  if (session) anchors = session->cart();
  if (anchors.empty() && anchor >= 0) anchors.push_back(anchor);
  if (anchors.empty()) {
    std::vector<std::int32_t> recent;
    if (data_user >= 0) recent = user_items_[data_user];
    if (session)
      for (const auto& e : session->events()) recent.push_back(e.item);
    for (std::size_t t = recent.size(); t-- > 0 && anchors.size() < 5;)
      if (std::find(anchors.begin(), anchors.end(), recent[t]) == anchors.end())
        anchors.push_back(recent[t]);
  }
  for (const auto& q : scene.sources) {
    switch (q.source) {
      case SourceKind::Personal:
        if (has_signal) add("personal", index_->search_one(u.data(), q.quota, &filter));
        break;
      case SourceKind::Popular:
        add("popular", top_by(popular_, q.quota));
        break;
      case SourceKind::Trending:
        add("trending", top_by(trending_, q.quota));
        break;
      case SourceKind::Complementary: {
        std::vector<double> lift(static_cast<std::size_t>(n), 0);
        bool any = false;
        for (std::int32_t a : anchors)
          for (const auto& [j, l] : cooccurrence_.neighbours(catalog_row_[a])) {
            const std::int32_t m = data_to_model_[j];
            if (m >= 0 && !excluded[m] &&
                std::find(anchors.begin(), anchors.end(), m) == anchors.end()) {
              lift[m] += l;
              any = true;
            }
          }
        if (any) {
          auto top = top_by(lift, q.quota);
          top.erase(std::remove_if(top.begin(), top.end(),
                                   [](const ScoredItem& s) { return s.score <= 0; }),
                    top.end());
          add("complementary", top);
        }
        break;
      }
      case SourceKind::Similar:
        if (anchor >= 0)
          add("similar", index_->search_one(item_vectors_.row(anchor).data(), q.quota, &filter));
        break;
    }
  }
  // Too few candidates (an empty cart, an unknown visitor): fill from trending.
  if (static_cast<int>(cands.size()) < req.k)
    add("trending", top_by(trending_, req.k + static_cast<int>(cands.size())));

  // Relevance: the ranker's objective, or the sources' normalised scores.
  std::vector<float> relevance(order.size()), click(order.size(), -1), purchase(order.size(), -1);
  if (ranker_ && scene.rank && !order.empty()) {
    Scene s = Scene::Default;
    parse_scene(req.scene, s);
    std::vector<RankingPrediction> p;
    ranker_->predict(u.data(), order, s, {}, p);
    for (std::size_t c = 0; c < order.size(); ++c) {
      click[c] = p[c].click;
      purchase[c] = p[c].purchase;
      relevance[c] = strategy_.objective == "clicks" ? p[c].click
                     : strategy_.objective == "purchases"
                         ? p[c].purchase
                         : p[c].purchase * static_cast<float>(model_->item_price()[order[c]]);
    }
  } else {
    for (std::size_t c = 0; c < order.size(); ++c) relevance[c] = cands[order[c]].norm;
  }
  for (const auto& b : strategy_.boosts)
    for (std::size_t c = 0; c < order.size(); ++c) {
      const std::int32_t i = order[c];
      const bool cat = b.category.empty() ||
                       model_->categories().token(model_->item_category()[i]) == b.category;
      const bool brand =
          b.brand.empty() || model_->brands().token(model_->item_brand()[i]) == b.brand;
      if (cat && brand) relevance[c] *= static_cast<float>(b.factor);
    }
  // Stable relevance order first, so that λ = 0 is exactly the relevance order.
  std::vector<std::size_t> by_rel(order.size());
  for (std::size_t c = 0; c < by_rel.size(); ++c) by_rel[c] = c;
  std::stable_sort(by_rel.begin(), by_rel.end(),
                   [&](std::size_t a, std::size_t b) { return relevance[a] > relevance[b]; });
  std::vector<std::int32_t> sorted_items;
  std::vector<float> sorted_rel;
  for (std::size_t c : by_rel) {
    sorted_items.push_back(order[c]);
    sorted_rel.push_back(relevance[c]);
  }
  const double lambda = req.diversity >= 0 ? req.diversity : scene.diversity;
  const auto picks = diversify(sorted_items, sorted_rel, item_vectors_, lambda, req.k,
                               model_->item_category(), scene.category_cap);
  std::vector<Recommendation> out;
  for (const auto& p : picks) {
    const std::size_t c = by_rel[p.candidate];
    const Cand& cand = cands.at(order[c]);
    Recommendation r;
    r.item = order[c];
    r.source = cand.source;
    r.retrieval_score = cand.source_score;
    r.click = click[c];
    r.purchase = purchase[c];
    r.relevance = p.relevance;
    r.final_score = p.final_score;
    r.diversity_adjustment = p.final_score - p.relevance;
    out.push_back(r);
  }
  return out;
}

std::string Recommender::recommend_json(const RecommendRequest& request, const Session* session) {
  const auto recs = recommend(request, session);
  nlohmann::json out = nlohmann::json::array();
  int rank = 0;
  for (const auto& r : recs) {
    const std::int32_t row = catalog_row_[r.item];
    nlohmann::json expl{{"source", r.source},
                        {"retrievalScore", r.retrieval_score},
                        {"relevance", r.relevance},
                        {"diversityAdjustment", r.diversity_adjustment},
                        {"finalScore", r.final_score}};
    if (r.click >= 0) {
      expl["pClick"] = r.click;
      expl["pPurchase"] = r.purchase;
    }
    out.push_back({{"id", data_.catalog.id(row)},
                   {"title", data_.catalog.title(row)},
                   {"category", data_.catalog.categories().token(data_.catalog.category(row))},
                   {"brand", data_.catalog.brands().token(data_.catalog.brand(row))},
                   {"price", data_.catalog.price(row)},
                   {"rank", ++rank},
                   {"score", r.final_score},
                   {"explanation", expl}});
  }
  return out.dump();
}

}  // namespace recsys
