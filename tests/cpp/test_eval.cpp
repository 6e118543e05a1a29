// Offline evaluation: every metric against hand-computed values (ties, users without held-out
// items, K longer than the list), the protocols, and the baselines.
#include <catch2/catch.hpp>

#include <climits>
#include <cmath>
#include <map>
#include <set>

#include <Eigen/LU>

#include "common/check.h"
#include "data/split.h"
#include "data/synthetic.h"
#include "eval/evaluate.h"
#include "eval/metrics.h"
#include "eval/scorers.h"
#include "retrieval/topk.h"
#include "strategy/sources.h"

using namespace recsys;
using namespace recsys::eval;

TEST_CASE("ranking metrics equal hand-computed values", "[eval][metrics]") {
  // ranked 5 3 8 1 9, relevant {1, 3, 7}: hits at ranks 2 and 4.
  const RankingMetrics m = ranking_metrics({5, 3, 8, 1, 9}, {1, 3, 7}, 5);
  CHECK(m.hit == 1);
  CHECK(m.precision == Approx(0.4));
  CHECK(m.recall == Approx(2.0 / 3));
  CHECK(m.ndcg ==
        Approx((1 / std::log2(3.0) + 1 / std::log2(5.0)) / (1 + 1 / std::log2(3.0) + 0.5)));
  CHECK(m.mrr == Approx(0.5));
  CHECK(m.ap == Approx((0.5 + 0.5) / 3));
  // K = 2 cuts the list after the first hit.
  const RankingMetrics m2 = ranking_metrics({5, 3, 8, 1, 9}, {1, 3, 7}, 2);
  CHECK(m2.precision == Approx(0.5));
  CHECK(m2.recall == Approx(1.0 / 3));
  CHECK(m2.ndcg == Approx((1 / std::log2(3.0)) / (1 + 1 / std::log2(3.0))));
  CHECK(m2.ap == Approx(0.5 / 2));
  // K longer than the list: precision still divides by K.
  const RankingMetrics m3 = ranking_metrics({2}, {2}, 10);
  CHECK(m3.hit == 1);
  CHECK(m3.precision == Approx(0.1));
  CHECK(m3.recall == 1);
  CHECK(m3.ndcg == Approx(1));
  CHECK(m3.mrr == 1);
  CHECK(m3.ap == 1);
  // No hit, and no relevant items at all.
  const RankingMetrics none = ranking_metrics({4, 5}, {1}, 2);
  CHECK(none.hit == 0);
  CHECK(none.ndcg == 0);
  CHECK(none.mrr == 0);
  const RankingMetrics empty = ranking_metrics({4, 5}, {}, 2);
  CHECK(empty.hit == 0);
  CHECK(empty.recall == 0);
  CHECK_THROWS_WITH(ranking_metrics({1}, {1}, 0), Catch::Contains("k must be >= 1"));
}

TEST_CASE("ties in scores go to the lower item index", "[eval][metrics]") {
  const float scores[5] = {1, 3, 3, 0, 3};
  const auto top = top_k_of_scores(scores, 5, 2);
  CHECK(top[0].item == 1);
  CHECK(top[1].item == 2);  // item 4 ties but comes later
  const RankingMetrics m = ranking_metrics({top[0].item, top[1].item}, {4}, 2);
  CHECK(m.hit == 0);
}

TEST_CASE("list-level metrics equal hand-computed values", "[eval][metrics]") {
  CHECK(catalog_coverage({{0, 1}, {1, 2}}, 5) == Approx(0.6));
  // -log2 of the share of users: item 0 had all 4 users, item 3 none (counted as 1 of 4).
  CHECK(novelty({{0, 3}}, {4, 2, 1, 0}, 4) == Approx((0 + 2) / 2.0));
  CHECK(category_diversity({{0, 1, 2}}, {0, 0, 1}) == Approx(2.0 / 3));
  CHECK(category_diversity({{0}}, {0}) == 0);  // lists shorter than 2 are skipped
  nn::Matrix E(3, 2);
  E << 1, 0, 0, 1, 1, 1;
  CHECK(embedding_diversity({{0, 1}, {0, 2}}, E) == Approx((1 + (1 - 1 / std::sqrt(2.0))) / 2));
  CHECK(gini({0, 0, 0, 10}) == Approx(0.75));
  CHECK(gini({2, 2, 2}) == Approx(0));
  CHECK(gini({}) == 0);
  CHECK(exposure_gini({{0}, {0}, {0}}, 4) == Approx(0.75));
}

namespace {
// Users u0..u3, items i0..i3: fit u0 {0}, u1 {0, 1}, u2 {1, 2}, u3 {3}; held out u0 {1}, u1 {3},
// u2 {0, 1}; u3 has nothing held out.
struct Tiny {
  Catalog catalog;
  Interactions fit, heldout;
};
Tiny tiny() {
  Tiny t;
  for (int i = 0; i < 4; ++i)
    t.catalog.add(ItemRecord{"i" + std::to_string(i), "", i < 2 ? "a" : "b", "x", 1, {}});
  Vocabulary users({"u0", "u1", "u2", "u3"});
  auto ev = [](std::int32_t u, std::int32_t i, std::int64_t t) {
    return Interaction{u, i, t, 1, Event::Purchase};
  };
  t.fit = Interactions(
      users, 4, {ev(0, 0, 1), ev(1, 0, 1), ev(1, 1, 2), ev(2, 1, 1), ev(2, 2, 2), ev(3, 3, 1)});
  t.heldout = Interactions(users, 4, {ev(0, 1, 9), ev(1, 3, 9), ev(2, 0, 9), ev(2, 1, 9)});
  return t;
}
}  // namespace

TEST_CASE("full-ranking evaluation of popularity equals a hand computation", "[eval][protocol]") {
  const Tiny t = tiny();
  const auto pop = make_popularity(t.fit);  // counts: i0 2, i1 2, i2 1, i3 1
  EvalOptions o;
  o.k = 2;
  const EvalReport r = evaluate(*pop, t.fit, t.heldout, t.catalog, o);
  // u0 (seen {0}): top [1, 2], relevant {1}: rank 1.
  // u1 (seen {0, 1}): top [2, 3], relevant {3}: rank 2.
  // u2 (seen {1, 2}): top [0, 3], relevant {0} (1 was seen): rank 1. u3: nothing held out.
  CHECK(r.users == 3);
  CHECK(r.hit == Approx(1));
  CHECK(r.ndcg == Approx((1 + 1 / std::log2(3.0) + 1) / 3));
  CHECK(r.mrr == Approx((1 + 0.5 + 1) / 3));
  CHECK(r.recall == Approx(1));
  CHECK(r.precision == Approx(0.5));
  CHECK(r.coverage == Approx(1));
  CHECK(r.ild_category == Approx((1 + 0 + 1) / 3.0));
  // Without excluding seen items, u2's relevant set is {0, 1} and seen items compete.
  o.exclude_seen = false;
  const EvalReport all = evaluate(*pop, t.fit, t.heldout, t.catalog, o);
  CHECK(all.users == 3);
  // u0: top [0, 1] -> 1 at rank 2; u1: [0, 1] -> 3 missing; u2: [0, 1] both relevant.
  CHECK(all.hit == Approx(2.0 / 3));
  CHECK(all.recall == Approx((1 + 0 + 1) / 3.0));
}

TEST_CASE("sampled protocol: a perfect and a reversed scorer", "[eval][protocol]") {
  SyntheticConfig sc;
  sc.users = 200;
  sc.items = 400;
  sc.interactions = 2000;
  const auto shop = generate_synthetic_shop(sc);
  const Split s = leave_last_out(first_interactions(shop.data.interactions), 0, 1);
  // An oracle that knows the held-out items, and its negation.
  struct Oracle : Scorer {
    const Interactions& held;
    float sign;
    Oracle(const Interactions& h, float s) : held(h), sign(s) {}
    std::string name() const override { return "oracle"; }
    std::int32_t num_items() const override { return held.num_items(); }
    void score(const std::vector<std::int32_t>& users, nn::Matrix& out) const override {
      out.setZero(static_cast<Eigen::Index>(users.size()), held.num_items());
      for (std::size_t r = 0; r < users.size(); ++r)
        for (const auto& e : held.history(users[r]))
          out(static_cast<Eigen::Index>(r), e.item) = sign;
    }
  };
  EvalOptions o;
  o.protocol = "sampled";
  const EvalReport best = evaluate(Oracle(s.test, 1), s.train, s.test, shop.data.catalog, o);
  CHECK(best.users > 150);
  CHECK(best.hit == Approx(1));
  CHECK(best.ndcg == Approx(1));
  const EvalReport worst = evaluate(Oracle(s.test, -1), s.train, s.test, shop.data.catalog, o);
  CHECK(worst.hit == 0);
  CHECK(worst.coverage == -1);  // list metrics belong to the full protocol
}

TEST_CASE("the random baseline's hit rate is its expectation, within what its variance allows",
          "[eval][baselines]") {
  SyntheticConfig sc;
  sc.users = 3000;
  sc.items = 400;
  sc.interactions = 15000;
  const auto shop = generate_synthetic_shop(sc);
  const Split s = leave_last_out(first_interactions(shop.data.interactions), 0, 1);
  const auto rnd = make_random(shop.data.catalog.size(), 3);
  // Full protocol: user u's held-out item competes with the N - n_u items not in its history
  // (n_u distinct fit items), so it is in a random top 10 with p_u = 10 / (N - n_u), exactly.
  EvalOptions o;
  const EvalReport full = evaluate(*rnd, s.train, s.test, shop.data.catalog, o);
  double expect = 0, var = 0;
  int users = 0;
  for (std::int32_t u = 0; u < s.test.num_users(); ++u) {
    if (s.test.history(u).empty() || s.train.history(u).empty()) continue;
    std::set<std::int32_t> had;
    for (const auto& e : s.train.history(u)) had.insert(e.item);
    const double p = std::min(1.0, 10.0 / (sc.items - static_cast<double>(had.size())));
    expect += p;
    var += p * (1 - p);
    ++users;
  }
  REQUIRE(users == full.users);
  REQUIRE(users > 2500);
  expect /= users;
  const double sd = std::sqrt(var) / users;
  INFO("full: HR@10 " << full.hit << ", expected " << expect << " +- " << sd << " over " << users
                      << " users");
  CHECK(std::abs(full.hit - expect) < 4.5 * sd);  // about 0.02 here
  // Sampled protocol: 100 negatives drawn with replacement (a repeat shares its random score),
  // so the rank is nearly uniform over 101: HR@10 = 10 / 101 plus under 0.002, same spread.
  o.protocol = "sampled";
  const EvalReport sampled = evaluate(*rnd, s.train, s.test, shop.data.catalog, o);
  const double p = 10.0 / 101;
  const double sd_sampled = std::sqrt(p * (1 - p) / sampled.users);
  INFO("sampled: HR@10 " << sampled.hit << ", expected about " << p << " +- " << sd_sampled);
  CHECK(std::abs(sampled.hit - p) < 4.5 * sd_sampled + 0.002);
}

TEST_CASE("item-kNN similarities and scores equal a hand computation", "[eval][baselines]") {
  // Users a {0, 1}, b {0, 1}, c {1, 2}: n0 = 2, n1 = 3, n2 = 1; co(0,1) = 2, co(1,2) = 1.
  Vocabulary users({"a", "b", "c"});
  auto ev = [](std::int32_t u, std::int32_t i) { return Interaction{u, i, 1, 1, Event::Click}; };
  const Interactions fit2(users, 3, {ev(0, 0), ev(0, 1), ev(1, 0), ev(1, 1), ev(2, 1), ev(2, 2)});
  const auto knn = make_item_knn(fit2);
  nn::Matrix s;
  knn->score({0, 2}, s);
  // user a = {0, 1}: item 2 gets sim(1, 2) = 1 / sqrt(3 * 1).
  CHECK(s(0, 2) == Approx(1 / std::sqrt(3.0)));
  // user c = {1, 2}: item 0 gets sim(1, 0) = 2 / sqrt(2 * 3); sim(2, 0) = 0.
  CHECK(s(1, 0) == Approx(2 / std::sqrt(6.0)));
  ItemKnnOptions one;
  one.neighbours = 1;
  nn::Matrix s1;
  make_item_knn(fit2, one)->score({2}, s1);
  // With one neighbour, item 2 keeps only item 1, item 1 keeps item 0 (sim 0.816 > 0.577).
  CHECK(s1(0, 0) == Approx(2 / std::sqrt(6.0)));
}

TEST_CASE("EASE equals its closed form computed directly", "[eval][baselines]") {
  // Users a {0, 1}, b {0, 1, 3}, c {1, 2}, d {2, 3}; λ = 0.5.
  Vocabulary users({"a", "b", "c", "d"});
  auto ev = [](std::int32_t u, std::int32_t i) { return Interaction{u, i, 1, 1, Event::Click}; };
  const Interactions fit(users, 4,
                         {ev(0, 0), ev(0, 1), ev(0, 1), ev(1, 0), ev(1, 1), ev(1, 3), ev(2, 1),
                          ev(2, 2), ev(3, 2), ev(3, 3)});
  Eigen::MatrixXd X = Eigen::MatrixXd::Zero(4, 4);  // binary: a's repeated item 1 counts once
  for (auto [u, i] : std::vector<std::pair<int, int>>{
           {0, 0}, {0, 1}, {1, 0}, {1, 1}, {1, 3}, {2, 1}, {2, 2}, {3, 2}, {3, 3}})
    X(u, i) = 1;
  Eigen::MatrixXd G = X.transpose() * X;
  G.diagonal().array() += 0.5;
  const Eigen::MatrixXd P = G.inverse();
  Eigen::MatrixXd B(4, 4);
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) B(i, j) = i == j ? 0 : -P(i, j) / P(j, j);
  const Eigen::MatrixXd expected = X * B;
  EaseOptions o;
  o.lambda = 0.5;
  nn::Matrix s;
  make_ease(fit, o)->score({0, 1, 2, 3}, s);
  for (int u = 0; u < 4; ++u)
    for (int j = 0; j < 4; ++j) CHECK(s(u, j) == Approx(expected(u, j)).margin(1e-5));
  o.lambda = 0;
  CHECK_THROWS_WITH(make_ease(fit, o), "EASE: lambda must be > 0, got 0");
}

TEST_CASE("item neighbours from weights keep each row's largest off-diagonal weights",
          "[eval][baselines]") {
  nn::Matrix W(3, 3);
  W << 9, 0.5f, -1,  //
      0.2f, 9, 0.2f,  //
      -3, -2, 9;
  const ItemNeighbours n = ItemNeighbours::from_weights(W, 1);
  REQUIRE(n.num_items() == 3);
  CHECK(n.of(0) == std::vector<std::pair<float, std::int32_t>>{{0.5f, 1}});
  CHECK(n.of(1) == std::vector<std::pair<float, std::int32_t>>{{0.2f, 0}});  // tie: lower index
  CHECK(n.of(2) == std::vector<std::pair<float, std::int32_t>>{{-2.0f, 1}});
  CHECK(ItemNeighbours::from_weights(W, 5).of(0).size() == 2);  // never the item itself
}

// A small synthetic shop with real baskets (300 users, 200 items, 6,000 events), for the
// pair-counting sources' tests.
static SyntheticShop small_basket_shop() {
  SyntheticConfig sc;
  sc.users = 300;
  sc.items = 200;
  sc.interactions = 6000;
  return generate_synthetic_shop(sc);
}

// The pairs counted the plain way (a map of pairs over each basket), for the co-occurrence test.
static std::map<std::pair<std::int32_t, std::int32_t>, int> basket_pairs(
    const Interactions& logs, std::int64_t gap, std::vector<std::int64_t>& count,
    std::int64_t& baskets) {
  std::map<std::pair<std::int32_t, std::int32_t>, int> pairs;
  count.assign(static_cast<std::size_t>(logs.num_items()), 0);
  baskets = 0;
  for (std::int32_t u = 0; u < logs.num_users(); ++u) {
    std::vector<std::vector<std::int32_t>> sessions;
    std::int64_t last = INT64_MIN / 2;
    for (const auto& e : logs.history(u)) {
      if (e.timestamp - last > gap || sessions.empty()) sessions.emplace_back();
      sessions.back().push_back(e.item);
      last = e.timestamp;
    }
    for (auto& b : sessions) {
      const std::set<std::int32_t> distinct(b.begin(), b.end());
      ++baskets;
      for (std::int32_t i : distinct) ++count[i];
      if (distinct.size() > 200) continue;
      for (std::int32_t i : distinct)
        for (std::int32_t j : distinct)
          if (i != j) ++pairs[{i, j}];
    }
  }
  return pairs;
}

TEST_CASE("co-occurrence: lift of the pairs in a basket, best first, as counted the plain way",
          "[eval][baselines]") {
  // By hand: user a has baskets {0, 1, 2} and {0, 1} (an hour apart), b has {0, 1, 3}.
  Vocabulary users({"a", "b"});
  auto ev = [](std::int32_t u, std::int32_t i, std::int64_t t) {
    return Interaction{u, i, t, 1, Event::Click};
  };
  const Interactions tiny(users, 4,
                          {ev(0, 0, 0), ev(0, 1, 10), ev(0, 2, 20), ev(0, 0, 3600), ev(0, 1, 3610),
                           ev(1, 0, 0), ev(1, 3, 5), ev(1, 1, 9)});
  CoOccurrenceOptions o;
  o.min_count = 1;
  const CoOccurrence c(tiny, o);
  CHECK(c.baskets() == 3);
  // lift(0, 1) = 3 · 3 / (3 · 3) = 1; lift(0, 2) = lift(0, 3) = 1 · 3 / (3 · 1) = 1: ties by index.
  using N = std::vector<std::pair<std::int32_t, float>>;
  CHECK(c.neighbours(0) == N{{1, 1.0f}, {2, 1.0f}, {3, 1.0f}});
  CHECK(c.neighbours(2) == N{{0, 1.0f}, {1, 1.0f}});
  o.min_count = 2;
  CHECK(CoOccurrence(tiny, o).neighbours(0) == N{{1, 1.0f}});
  CHECK(CoOccurrence(tiny, o).neighbours(2).empty());
  CHECK_THROWS_WITH(c.neighbours(4), "co-occurrence: item index 4 out of range");

  // On a synthetic shop, every item's list equals the pairs counted with a map, ranked by lift.
  const auto shop = small_basket_shop();
  const Interactions& logs = shop.data.interactions;
  std::vector<std::int64_t> count;
  std::int64_t baskets = 0;
  const auto pairs = basket_pairs(logs, 1800, count, baskets);
  const CoOccurrence fast(logs);
  REQUIRE(fast.baskets() == baskets);
  std::size_t listed = 0;
  for (std::int32_t i = 0; i < logs.num_items(); ++i) {
    N want;
    for (auto it = pairs.lower_bound({i, INT32_MIN}); it != pairs.end() && it->first.first == i;
         ++it)
      if (it->second >= 2)
        want.emplace_back(
            it->first.second,
            static_cast<float>(
                static_cast<double>(it->second) * static_cast<double>(baskets) /
                (static_cast<double>(count[i]) * static_cast<double>(count[it->first.second]))));
    std::sort(want.begin(), want.end(), [](const auto& a, const auto& b) {
      return a.second > b.second || (a.second == b.second && a.first < b.first);
    });
    if (want.size() > 50) want.resize(50);
    CHECK(fast.neighbours(i) == want);
    listed += want.size();
  }
  CHECK(listed > 1000);  // the shop has real baskets, so the comparison is not of empty lists
}

TEST_CASE(
    "item-kNN: each item's neighbours are the users' co-counts over sqrt(n_i n_j) + shrink, as "
    "counted the plain way",
    "[eval][baselines]") {
  const auto shop = small_basket_shop();
  const Interactions& logs = shop.data.interactions;
  std::map<std::pair<std::int32_t, std::int32_t>, int> both;
  std::vector<int> users_of(static_cast<std::size_t>(logs.num_items()), 0);
  for (std::int32_t u = 0; u < logs.num_users(); ++u) {
    std::set<std::int32_t> items;
    for (const auto& e : logs.history(u)) items.insert(e.item);
    for (std::int32_t i : items) {
      ++users_of[i];
      for (std::int32_t j : items)
        if (i != j) ++both[{i, j}];
    }
  }
  ItemNeighboursOptions o;
  o.neighbours = 20;
  o.shrink = 3;
  const ItemNeighbours knn(logs, o);
  REQUIRE(knn.num_items() == logs.num_items());
  for (std::int32_t i = 0; i < logs.num_items(); ++i) {
    std::vector<std::pair<float, std::int32_t>> want;
    for (auto it = both.lower_bound({i, INT32_MIN}); it != both.end() && it->first.first == i;
         ++it) {
      const std::int32_t j = it->first.second;
      want.emplace_back(
          static_cast<float>(it->second) /
              (std::sqrt(static_cast<float>(users_of[i]) * static_cast<float>(users_of[j])) +
               o.shrink),
          j);
    }
    std::sort(want.begin(), want.end(), [](const auto& a, const auto& b) {
      return a.first > b.first || (a.first == b.first && a.second < b.second);
    });
    if (want.size() > 20) want.resize(20);
    CHECK(knn.of(i) == want);
  }
}

TEST_CASE("personal top-frequency: own items by count, then recency, then popularity",
          "[eval][baselines]") {
  // a: 2, 0, 2, 1 (time order) -> 2 (twice), then 1 (more recent than 0), then 0; then the
  // others by popularity: 3 (b twice) before 4 (c once).
  Vocabulary users({"a", "b", "c"});
  auto ev = [](std::int32_t u, std::int32_t i, std::int64_t t) {
    return Interaction{u, i, t, 1, Event::Purchase};
  };
  const Interactions fit(users, 6,
                         {ev(0, 2, 1), ev(0, 0, 2), ev(0, 2, 3), ev(0, 1, 4), ev(1, 3, 1),
                          ev(1, 3, 2), ev(2, 4, 1)});
  nn::Matrix s;
  make_personal_frequency(fit)->score({0}, s);
  const auto top = top_k_of_scores(s.row(0).data(), 6, 6, {});
  std::vector<std::int32_t> order;
  for (const auto& t : top) order.push_back(t.item);
  CHECK(order == std::vector<std::int32_t>{2, 1, 0, 3, 4, 5});
}

TEST_CASE("baselines rank on the synthetic shop: MF and item-kNN beat popularity beats random",
          "[eval][baselines]") {
  SyntheticConfig sc;
  sc.users = 1500;
  sc.items = 600;
  sc.interactions = 20000;
  const auto shop = generate_synthetic_shop(sc);
  const Split s = leave_last_out(first_interactions(shop.data.interactions), 0, 1);
  EvalOptions o;
  auto run = [&](const Scorer& m) {
    return evaluate(m, s.train, s.test, shop.data.catalog, o, &shop.truth);
  };
  const auto random = run(*make_random(600));
  const auto pop = run(*make_popularity(s.train));
  const auto knn = run(*make_item_knn(s.train));
  AlsOptions ao;
  ao.factors = 32;
  ao.iterations = 8;
  const auto mf = run(*make_als(s.train, ao));
  EaseOptions eo;
  eo.lambda = 100;
  const auto ease = run(*make_ease(s.train, eo));
  INFO("ndcg random " << random.ndcg << ", popularity " << pop.ndcg << ", item-kNN " << knn.ndcg
                      << ", MF " << mf.ndcg << ", EASE " << ease.ndcg);
  CHECK(pop.ndcg > 2 * random.ndcg);
  CHECK(knn.ndcg > pop.ndcg);
  CHECK(mf.ndcg > pop.ndcg);
  CHECK(ease.ndcg > knn.ndcg);
  CHECK(random.coverage > 0.9);  // random lists touch nearly everything
  CHECK(pop.coverage < 0.1);     // popularity recommends the same few items
  CHECK(pop.gini > random.gini);
  CHECK(mf.truth_recall > random.truth_recall);
  CHECK(mf.ild_embedding >= 0);
  // The same fit gives the same factors.
  CHECK(run(*make_als(s.train, ao)).ndcg == mf.ndcg);
}
