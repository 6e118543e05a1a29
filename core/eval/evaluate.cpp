#include "eval/evaluate.h"

#include <algorithm>
#include <limits>

#include <nlohmann/json.hpp>

#include "common/check.h"
#include "common/clock.h"
#include "common/rng.h"
#include "data/json_text.h"
#include "eval/metrics.h"
#include "retrieval/topk.h"
#include "strategy/strategy_config.h"

namespace recsys::eval {

EvalReport evaluate(const Scorer& scorer, const Interactions& fit, const Interactions& heldout,
                    const Catalog& catalog, const EvalOptions& o, const SyntheticTruth* truth) {
  const double t0 = monotonic_seconds();
  RECSYS_CHECK(o.k >= 1, "evaluate: k must be >= 1, got ", o.k);
  RECSYS_CHECK(o.protocol == "full" || o.protocol == "sampled",
               "evaluate: protocol must be full or sampled, got '", o.protocol, "'");
  RECSYS_CHECK(o.negatives >= 1, "evaluate: negatives must be >= 1, got ", o.negatives);
  RECSYS_CHECK(fit.num_users() == heldout.num_users() && fit.num_items() == heldout.num_items(),
               "evaluate: the fit and held-out data come from different splits (", fit.num_users(),
               " vs ", heldout.num_users(), " users)");
  const std::int32_t n_items = fit.num_items();
  RECSYS_CHECK(scorer.num_items() == n_items, "evaluate: the scorer has ", scorer.num_items(),
               " items, the data ", n_items);
  RECSYS_CHECK(catalog.size() == n_items, "evaluate: the catalog has ", catalog.size(),
               " items, the data ", n_items);
  RECSYS_CHECK(!truth || (truth->num_users() == fit.num_users() && truth->num_items() == n_items),
               "evaluate: the synthetic truth does not match the data");

  // Eligible users and their relevant items.
  std::vector<std::int32_t> users;
  std::vector<std::vector<std::int32_t>> relevant;
  std::vector<char> seen(static_cast<std::size_t>(n_items), 0);
  for (std::int32_t u = 0; u < fit.num_users(); ++u) {
    const auto h = fit.history(u), t = heldout.history(u);
    if (h.empty() || t.empty()) continue;
    for (const auto& e : h) seen[e.item] = 1;
    std::vector<std::int32_t> rel;
    for (const auto& e : t)
      if (!o.exclude_seen || !seen[e.item]) rel.push_back(e.item);
    for (const auto& e : h) seen[e.item] = 0;
    std::sort(rel.begin(), rel.end());
    rel.erase(std::unique(rel.begin(), rel.end()), rel.end());
    if (rel.empty()) continue;
    users.push_back(u);
    relevant.push_back(std::move(rel));
  }
  if (o.max_users > 0 && static_cast<std::int32_t>(users.size()) > o.max_users) {
    std::vector<std::size_t> idx(users.size());
    for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = i;
    Rng rng(o.seed, 41);
    rng.shuffle(idx);
    idx.resize(static_cast<std::size_t>(o.max_users));
    std::sort(idx.begin(), idx.end());
    std::vector<std::int32_t> u2;
    std::vector<std::vector<std::int32_t>> r2;
    for (std::size_t i : idx) {
      u2.push_back(users[i]);
      r2.push_back(std::move(relevant[i]));
    }
    users.swap(u2);
    relevant.swap(r2);
  }

  EvalReport rep;
  rep.model = scorer.name();
  rep.protocol = o.protocol;
  rep.k = o.k;
  rep.users = static_cast<std::int32_t>(users.size());
  if (users.empty()) return rep;
  const bool full = o.protocol == "full";
  const bool lists_only = scorer.serves_lists();
  RECSYS_CHECK(full || !lists_only, "evaluate: ", scorer.name(),
               " serves lists, not scores: the sampled protocol needs scores; use the full one");
  std::vector<std::vector<std::int32_t>> lists;
  if (full) lists.reserve(users.size());
  RankingMetrics sum;
  double truth_sum = 0;
  std::vector<std::pair<std::string, double>> source_sum;
  Rng neg_rng(o.seed, 43);
  constexpr std::size_t kChunk = 256;
  nn::Matrix scores;
  std::vector<char> excluded(static_cast<std::size_t>(n_items), 0);
  for (std::size_t b = 0; b < users.size(); b += kChunk) {
    const std::size_t e = std::min(users.size(), b + kChunk);
    if (!lists_only)
      scorer.score(std::vector<std::int32_t>(users.begin() + static_cast<std::ptrdiff_t>(b),
                                             users.begin() + static_cast<std::ptrdiff_t>(e)),
                   scores);
    for (std::size_t j = b; j < e; ++j) {
      const std::int32_t u = users[j];
      const float* s = lists_only ? nullptr : scores.row(static_cast<Eigen::Index>(j - b)).data();
      const auto& rel = relevant[j];
      if (full) {
        std::vector<std::int32_t> ranked, had;  // had: the excluded items, sorted, for lists
        if (lists_only) {
          if (o.exclude_seen) {
            for (const auto& ev : fit.history(u)) had.push_back(ev.item);
            std::sort(had.begin(), had.end());
            had.erase(std::unique(had.begin(), had.end()), had.end());
          }
          ranked = scorer.top_k(u, o.k, had);
          RECSYS_CHECK_STATE(static_cast<int>(ranked.size()) <= o.k, "evaluate: ",
                             scorer.name(), " served ", ranked.size(), " items for k = ", o.k);
        } else {
          if (o.exclude_seen)
            for (const auto& ev : fit.history(u)) excluded[ev.item] = 1;
          const auto top =
              top_k_of_scores(s, n_items, o.k, o.exclude_seen ? excluded : std::vector<char>{});
          if (o.exclude_seen)
            for (const auto& ev : fit.history(u)) excluded[ev.item] = 0;
          for (const auto& t : top) ranked.push_back(t.item);
        }
        const RankingMetrics m = ranking_metrics(ranked, rel, o.k);
        sum.hit += m.hit;
        sum.ndcg += m.ndcg;
        sum.recall += m.recall;
        sum.precision += m.precision;
        sum.mrr += m.mrr;
        sum.ap += m.ap;
        if (truth) {
          const auto best = truth->top_k(u, o.k);
          std::int32_t hits = 0;
          for (std::int32_t i : best)
            hits += std::find(ranked.begin(), ranked.end(), i) != ranked.end();
          truth_sum += static_cast<double>(hits) / static_cast<double>(best.size());
        }
        if (o.source_quota > 0 && lists_only) {
          const auto per = scorer.source_candidates(u, o.source_quota, had);
          if (source_sum.empty())
            for (const auto& [name, list] : per) source_sum.emplace_back(name, 0.0);
          for (std::size_t q = 0; q < per.size() && q < source_sum.size(); ++q) {
            std::int32_t hits = 0;
            for (std::int32_t i : per[q].second)
              hits += std::binary_search(rel.begin(), rel.end(), i);
            source_sum[q].second += static_cast<double>(hits) / static_cast<double>(rel.size());
          }
        }
        if (o.keep_lists) {
          std::vector<std::string> ids;
          for (std::int32_t i : ranked) ids.push_back(catalog.item_ids().token(i));
          rep.lists.emplace_back(fit.users().token(u), std::move(ids));
        }
        lists.push_back(std::move(ranked));
      } else {
        // Sampled: each relevant item against `negatives` items the user never had.
        for (const auto& ev : fit.history(u)) excluded[ev.item] = 1;
        for (std::int32_t r : rel) excluded[r] = 1;
        std::int32_t available = 0;
        for (std::int32_t i = 0; i < n_items; ++i) available += !excluded[i];
        RECSYS_CHECK(available >= o.negatives, "evaluate: user ", fit.users().token(u),
                     " leaves only ", available, " negatives to sample, fewer than ", o.negatives);
        RankingMetrics user_sum;
        for (std::int32_t r : rel) {
          std::int32_t rank = 0;
          for (int k = 0; k < o.negatives;) {
            const auto cand =
                static_cast<std::int32_t>(neg_rng.below(static_cast<std::uint32_t>(n_items)));
            if (excluded[cand]) continue;
            rank += s[cand] > s[r] || (s[cand] == s[r] && cand < r);
            ++k;
          }
          if (rank < o.k) {
            user_sum.hit += 1;
            user_sum.recall += 1;
            user_sum.precision += 1.0 / o.k;
            user_sum.ndcg += 1.0 / std::log2(rank + 2.0);
            user_sum.mrr += 1.0 / (rank + 1);
            user_sum.ap += 1.0 / (rank + 1);
          }
        }
        const double n = static_cast<double>(rel.size());
        sum.hit += user_sum.hit / n;
        sum.recall += user_sum.recall / n;
        sum.precision += user_sum.precision / n;
        sum.ndcg += user_sum.ndcg / n;
        sum.mrr += user_sum.mrr / n;
        sum.ap += user_sum.ap / n;
        for (const auto& ev : fit.history(u)) excluded[ev.item] = 0;
        for (std::int32_t r : rel) excluded[r] = 0;
      }
    }
  }
  const double n = static_cast<double>(users.size());
  rep.hit = sum.hit / n;
  rep.ndcg = sum.ndcg / n;
  rep.recall = sum.recall / n;
  rep.precision = sum.precision / n;
  rep.mrr = sum.mrr / n;
  rep.map = sum.ap / n;
  if (full) {
    std::vector<std::int32_t> user_counts(static_cast<std::size_t>(n_items), 0);
    std::int32_t fit_users = 0;
    for (std::int32_t u = 0; u < fit.num_users(); ++u) {
      const auto h = fit.history(u);
      if (h.empty()) continue;
      ++fit_users;
      for (const auto& ev : h) {
        if (!seen[ev.item]) ++user_counts[ev.item];
        seen[ev.item] = 1;
      }
      for (const auto& ev : h) seen[ev.item] = 0;
    }
    rep.coverage = catalog_coverage(lists, n_items);
    rep.novelty = novelty(lists, user_counts, std::max(fit_users, 1));
    rep.ild_category = category_diversity(lists, catalog.category_column());
    if (const nn::Matrix* emb = scorer.item_embeddings())
      rep.ild_embedding = embedding_diversity(lists, *emb);
    rep.gini = exposure_gini(lists, n_items);
    if (truth) rep.truth_recall = truth_sum / n;
    for (auto& [name, v] : source_sum) rep.source_recall.emplace_back(name, v / n);
    if (!source_sum.empty()) rep.source_quota = o.source_quota;
  }
  rep.seconds = monotonic_seconds() - t0;
  return rep;
}

std::string report_json(const EvalReport& r) {
  JsonObject j;
  j.add("model", r.model)
      .add("protocol", r.protocol)
      .add("k", r.k)
      .add("users", r.users)
      .add("hit_rate", r.hit)
      .add("ndcg", r.ndcg)
      .add("recall", r.recall)
      .add("precision", r.precision)
      .add("mrr", r.mrr)
      .add("map", r.map)
      .add("seconds", r.seconds);
  auto opt = [&](const char* key, double v) {
    if (v >= 0) j.add(key, v);
  };
  opt("coverage", r.coverage);
  opt("novelty", r.novelty);
  opt("ild_category", r.ild_category);
  opt("ild_embedding", r.ild_embedding);
  opt("gini", r.gini);
  opt("truth_recall", r.truth_recall);
  if (!r.source_recall.empty()) {
    JsonObject sr;
    for (const auto& [name, v] : r.source_recall) sr.add(name, v);
    j.add("source_recall", sr);
    j.add("source_quota", r.source_quota);
  }
  if (!r.lists.empty()) {
    JsonObject l;
    for (const auto& [user, items] : r.lists) l.add(user, items);
    j.add("lists", l);
  }
  return j.text();
}

}  // namespace recsys::eval
