#include "serving/stages.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "common/check.h"
#include "common/sort.h"
#include "serving/candidate_ranker.h"
#include "serving/personalise.h"

namespace recsys {

std::vector<ScoredItem> top_allowed(const float* scores, const std::vector<ScoredItem>& best,
                                    std::int32_t n, int k, const ItemFilter& filter) {
  std::vector<ScoredItem> out;
  out.reserve(std::min(static_cast<std::size_t>(k), best.size()));
  for (const ScoredItem& x : best) {
    if (static_cast<int>(out.size()) == k) return out;
    if (filter.allows(x.item)) out.push_back(x);
  }
  if (static_cast<int>(out.size()) == k || static_cast<std::int32_t>(best.size()) == n) return out;
  TopK top(k);
  top.push_block(scores, n, 0, nullptr, filter.empty() ? nullptr : filter.mask().data());
  return top.sorted();
}

namespace {

std::vector<std::int32_t> indices_of(const std::vector<std::string>& names, const Vocabulary& vocab,
                                     const char* what) {
  std::vector<std::int32_t> ids;
  for (const auto& name : names) {
    const std::int32_t i = vocab.find(name);
    RECSYS_CHECK_FOUND(i >= 0, "recommend: unknown ", what, " '", name, "' in filters");
    ids.push_back(i);
  }
  return ids;
}
}  // namespace

ResolvedRequest resolve_request(const ServingState& s, const RecommendRequest& req,
                                const Session* session) {
  ResolvedRequest r;
  const auto scene_it = s.strategy.scenes.find(req.scene);
  if (scene_it == s.strategy.scenes.end()) {
    std::string known;
    for (const auto& [name, sc] : s.strategy.scenes) known += (known.empty() ? "" : ", ") + name;
    RECSYS_FAIL(Range, "recommend: unknown scene '", req.scene, "' (known: ", known, ")");
  }
  r.scene = &scene_it->second;
  r.scene_name = req.scene;
  RECSYS_CHECK(req.k >= 1 && req.k <= 1000, "recommend: k must be an integer in [1, 1000], got ",
               req.k);
  r.k = req.k;
  if (req.diversity) {
    const double d = *req.diversity;
    RECSYS_CHECK(d >= 0 && d <= 1, "recommend: diversity must be in [0, 1], got ", d);
    r.lambda = d;
  } else {
    r.lambda = r.scene->diversity;
  }
  RECSYS_CHECK_TYPE(!std::isnan(req.price_min) && !std::isnan(req.price_max),
                    "recommend: priceMin and priceMax must be numbers, got ", req.price_min,
                    " and ", req.price_max);
  RECSYS_CHECK(req.price_min <= req.price_max, "recommend: priceMin ", req.price_min,
               " is above priceMax ", req.price_max);
  r.user = !req.user_id.empty() ? req.user_id : session ? session->user_id() : "";
  const bool model_user = !r.user.empty() && s.model->users().find(r.user) >= 0;
  r.data_user = r.user.empty() ? -1 : s.users.find(r.user);
  RECSYS_CHECK_FOUND(r.user.empty() || model_user || r.data_user >= 0, "recommend: unknown user '",
                     r.user, "'");
  const std::int32_t n = s.num_items();
  if (session)
    for (const auto& e : session->events())
      RECSYS_CHECK_STATE(e.item >= 0 && e.item < n, "recommend: the session holds item index ",
                         e.item, " out of range");
  if (!req.item_id.empty()) {
    r.anchor = s.model->items().find(req.item_id);
    RECSYS_CHECK_FOUND(r.anchor >= 0, "recommend: unknown item '", req.item_id, "'");
  } else if (session) {
    r.anchor = session->last_viewed();
  }
  if (r.data_user >= 0) {
    r.state.logged_items = &s.user_items[static_cast<std::size_t>(r.data_user)];
    r.state.logged_purchases = &s.user_bought[static_cast<std::size_t>(r.data_user)];
  }
  if (session) {
    for (const auto& e : session->events()) r.state.session_items.push_back(e.item);
    r.state.session_purchases = session->purchased();
    r.state.cart = session->cart();
    r.adapter = &session->adapter();
    RECSYS_CHECK_STATE(r.adapter->empty() || static_cast<int>(r.adapter->size()) == s.model->dim(),
                       "recommend: the session's adapter has ", r.adapter->size(),
                       " values but the model's vectors have ", s.model->dim(),
                       " (a state saved for another model)");
  }
  r.has_signal =
      (!r.user.empty() && (model_user || r.data_user >= 0)) || !r.state.session_items.empty();
  return r;
}

ItemFilter eligible_items(const ServingState& s, const RecommendRequest& req,
                          const ResolvedRequest& r) {
  const TwoTowerModel& m = *s.model;
  ItemFilter filter(s.num_items());
  if (!req.categories.empty())
    filter.keep_only(m.item_category(), indices_of(req.categories, m.categories(), "category"));
  if (!req.brands.empty())
    filter.keep_only(m.item_brand(), indices_of(req.brands, m.brands(), "brand"));
  if (req.price_min > 0 || std::isfinite(req.price_max))
    filter.keep_price(m.item_price(), req.price_min, req.price_max);
  for (const auto& id : req.exclude) {
    const std::int32_t i = m.items().find(id);
    RECSYS_CHECK_FOUND(i >= 0, "recommend: unknown item '", id, "' in filters.exclude");
    filter.exclude(i);
  }
  apply_exclusion_rules(s.strategy, s.out_of_stock, r.state, filter);
  if (r.anchor >= 0 && r.scene->page == Scene::Product) filter.exclude(r.anchor);
  return filter;
}

std::vector<float> user_vector(const ServingState& s, const ResolvedRequest& r) {
  UserQuery q;
  if (!r.user.empty()) q.user = s.model->users().find(r.user);
  if (r.state.logged_items) q.history = *r.state.logged_items;
  q.history.insert(q.history.end(), r.state.session_items.begin(), r.state.session_items.end());
  nn::Matrix U;
  s.model->user_embeddings({q}, U);
  if (r.adapter && !r.adapter->empty())
    return adapt_user_vector(U.data(), *r.adapter, static_cast<int>(U.cols()),
                             s.model->config().l2_normalize);
  return std::vector<float>(U.data(), U.data() + U.cols());
}

std::vector<Candidate> gather_candidates(const ServingState& s, const ResolvedRequest& r,
                                         const ItemFilter& eligible,
                                         const std::vector<float>& user) {
  const std::int32_t n = s.num_items();
  std::vector<Candidate> cands;
  std::unordered_map<std::int32_t, std::size_t> where;  // item -> position in cands
  // Scores are min-max normalised within each source, so that sources of different scales mix.
  auto add = [&](SourceKind source, const std::vector<ScoredItem>& items) {
    if (items.empty()) return;
    float lo = items.back().score, hi = items.front().score;
    for (const auto& x : items) {
      lo = std::min(lo, x.score);
      hi = std::max(hi, x.score);
    }
    const auto k = static_cast<std::size_t>(source);
    std::int16_t rank = 0;
    for (const auto& x : items) {
      const float norm = hi > lo ? (x.score - lo) / (hi - lo) : 1.0f;
      ++rank;
      const auto it = where.find(x.item);
      if (it == where.end()) {
        where.emplace(x.item, cands.size());
        Candidate c;
        c.item = x.item;
        c.sources.add(source);
        c.source_score = x.score;
        c.norm = norm;
        c.source_norm[k] = norm;
        c.source_rank[k] = rank;
        cands.push_back(c);
      } else {
        Candidate& c = cands[it->second];
        c.sources.add(source);
        if (c.source_rank[k] == 0) {
          c.source_norm[k] = norm;
          c.source_rank[k] = rank;
        }
        if (norm > c.norm) {
          c.norm = norm;
          c.source_score = x.score;
        }
      }
    }
  };
  // Complementary anchors: the cart, else the product, else the most recent items.
  std::vector<std::int32_t> anchors = r.state.cart;
  if (anchors.empty() && r.anchor >= 0) anchors.push_back(r.anchor);
  if (anchors.empty()) {
    std::vector<std::int32_t> recent;
    if (r.state.logged_items) recent = *r.state.logged_items;
    recent.insert(recent.end(), r.state.session_items.begin(), r.state.session_items.end());
    for (std::size_t t = recent.size(); t-- > 0 && anchors.size() < 5;)
      if (std::find(anchors.begin(), anchors.end(), recent[t]) == anchors.end())
        anchors.push_back(recent[t]);
  }
  for (const auto& q : r.scene->sources) {
    switch (q.source) {
      case SourceKind::Personal:
        if (r.has_signal) add(q.source, s.index->search_one(user.data(), q.quota, &eligible));
        break;
      case SourceKind::Popular:
        add(q.source, top_allowed(s.popular.data(), s.popular_best, n, q.quota, eligible));
        break;
      case SourceKind::Trending:
        add(q.source, top_allowed(s.trending.data(), s.trending_best, n, q.quota, eligible));
        break;
      case SourceKind::Complementary: {
        std::unordered_map<std::int32_t, double> lift;
        for (std::int32_t a : anchors)
          for (const auto& [j, l] : s.cooccurrence->get().neighbours(s.catalog_row[a])) {
            const std::int32_t m = s.data_to_model[j];
            if (m >= 0 && eligible.allows(m) &&
                std::find(anchors.begin(), anchors.end(), m) == anchors.end())
              lift[m] += l;
          }
        TopK top(q.quota);
        for (const auto& [m, l] : lift)
          if (static_cast<float>(l) > 0) top.push(m, static_cast<float>(l));
        add(q.source, top.sorted());
        break;
      }
      case SourceKind::Repeat: {
        // The user's own items (logs, then the session): count + a recency share below 1.
        std::vector<std::int32_t> own;
        if (r.state.logged_items) own = *r.state.logged_items;
        own.insert(own.end(), r.state.session_items.begin(), r.state.session_items.end());
        TopK top(q.quota);
        for (const auto& [m, f] : frequency_recency(own))
          if (eligible.allows(m)) top.push(m, static_cast<float>(f));
        add(q.source, top.sorted());
        break;
      }
      case SourceKind::Neighbours:
      case SourceKind::Ease: {
        // Item-kNN (or EASE's weights) over the user's whole history (logs, then the session),
        // distinct items.
        const ItemNeighbours& table =
            q.source == SourceKind::Ease ? s.ease_neighbours : s.item_neighbours;
        std::vector<std::int32_t> own;
        if (r.state.logged_items) own = *r.state.logged_items;
        own.insert(own.end(), r.state.session_items.begin(), r.state.session_items.end());
        std::sort(own.begin(), own.end());
        own.erase(std::unique(own.begin(), own.end()), own.end());
        std::unordered_map<std::int32_t, double> sum;
        if (table.num_items() > 0)
          for (std::int32_t a : own)
            for (const auto& [sim, j] : table.of(s.catalog_row[a])) {
              const std::int32_t m = s.data_to_model[j];
              if (m >= 0 && eligible.allows(m)) sum[m] += sim;
            }
        TopK top(q.quota);
        for (const auto& [m, v] : sum)
          if (v > 0) top.push(m, static_cast<float>(v));
        add(q.source, top.sorted());
        break;
      }
      case SourceKind::Similar:
        if (r.anchor >= 0)
          add(q.source,
              s.index->search_one(s.item_vectors->row(r.anchor).data(), q.quota, &eligible));
        break;
    }
  }
  if (static_cast<int>(cands.size()) < r.k)
    add(SourceKind::Trending, top_allowed(s.trending.data(), s.trending_best, n,
                                          r.k + static_cast<int>(cands.size()), eligible));
  return cands;
}

void score_candidates(const ServingState& s, const ResolvedRequest& r,
                      const std::vector<float>& user, std::vector<Candidate>& cands) {
  if (s.candidate_ranker && r.scene->rank && !cands.empty()) {
    nn::Matrix X;
    CandidateRanker::features(s, r, user, cands, X);
    std::vector<float> p;
    s.candidate_ranker->predict(X, p);
    for (std::size_t c = 0; c < cands.size(); ++c) cands[c].relevance = p[c];
  } else if (s.ranker && r.scene->rank && !cands.empty()) {
    std::vector<std::int32_t> items;
    items.reserve(cands.size());
    for (const auto& c : cands) items.push_back(c.item);
    std::vector<RankingPrediction> p;
    s.ranker->predict(user.data(), items, r.scene->page, {}, p);
    const std::string& objective = s.strategy.objective;
    float top = 0;
    for (std::size_t c = 0; c < cands.size(); ++c) {
      cands[c].p_click = p[c].click;
      cands[c].p_purchase = p[c].purchase;
      cands[c].relevance =
          objective == "clicks" ? p[c].click
          : objective == "purchases"
              ? p[c].purchase
              : p[c].purchase * static_cast<float>(s.model->item_price()[items[c]]);
      top = std::max(top, cands[c].relevance);
    }
    const auto w = static_cast<float>(s.strategy.ranker_weight);
    if (w < 1 && top > 0)
      for (auto& c : cands) c.relevance = w * c.relevance / top + (1 - w) * c.norm;
  } else {
    for (auto& c : cands) c.relevance = c.norm;
  }
}

void boost_candidates(const ServingState& s, std::vector<Candidate>& cands) {
  if (s.strategy.boosts.empty()) return;
  std::vector<std::int32_t> items;
  std::vector<float> relevance;
  for (const auto& c : cands) {
    items.push_back(c.item);
    relevance.push_back(c.relevance);
  }
  apply_boosts(s.strategy, *s.model, items, relevance);
  for (std::size_t c = 0; c < cands.size(); ++c) cands[c].relevance = relevance[c];
}

std::vector<Pick> pick_diverse(const ServingState& s, const ResolvedRequest& r,
                               const std::vector<Candidate>& cands) {
  const std::vector<std::size_t> by_rel = stable_order(
      cands.size(),
      [&](std::size_t a, std::size_t b) { return cands[a].relevance > cands[b].relevance; });
  std::vector<std::int32_t> items;
  std::vector<float> relevance;
  for (std::size_t c : by_rel) {
    items.push_back(cands[c].item);
    relevance.push_back(cands[c].relevance);
  }
  const auto picks = diversify(items, relevance, *s.item_vectors, r.lambda, r.k,
                               s.model->item_category(), r.scene->category_cap);
  std::vector<Pick> out;
  out.reserve(picks.size());
  for (const auto& p : picks) out.push_back(Pick{by_rel[p.candidate], p.relevance, p.final_score});
  return out;
}

std::vector<Recommendation> explain(const std::vector<Candidate>& cands,
                                    const std::vector<Pick>& picks) {
  std::vector<Recommendation> out;
  out.reserve(picks.size());
  for (const auto& p : picks) {
    const Candidate& c = cands[p.candidate];
    Recommendation r;
    r.item = c.item;
    r.rank = static_cast<std::int32_t>(out.size()) + 1;
    Explanation& e = r.explanation;
    e.sources = c.sources;
    e.retrieval_score = c.source_score;
    e.p_click = c.p_click;
    e.p_purchase = c.p_purchase;
    e.relevance = p.relevance;
    e.final_score = p.final_score;
    e.diversity_adjustment = p.final_score - p.relevance;
    out.push_back(r);
  }
  return out;
}

}  // namespace recsys
