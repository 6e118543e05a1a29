// The request path: diversity, scene routing, filters and business rules, sessions, the cache and
// the Recommender's errors.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <set>

#include "common/check.h"
#include "data/split.h"
#include "data/synthetic.h"
#include "eval/metrics.h"
#include "retrieval/trainer.h"
#include "strategy/diversity.h"
#include "strategy/recommender.h"

using namespace recsys;

TEST_CASE("diversity: lambda 0 keeps the relevance order, larger lambda diversifies",
          "[serving][diversity]") {
  // Items 0-3 point the same way (category 0), 4-7 elsewhere (category 1).
  nn::Matrix E(8, 2);
  E << 1, 0, 1, 0.05f, 1, 0.1f, 1, -0.05f, 0, 1, 0.05f, 1, -0.05f, 1, 0.1f, 1;
  const std::vector<std::int32_t> cat{0, 0, 0, 0, 1, 1, 1, 1};
  const std::vector<std::int32_t> cands{0, 1, 2, 3, 4, 5, 6, 7};
  const std::vector<float> rel{8, 7, 6, 5, 4, 3, 2, 1};
  const auto plain = diversify(cands, rel, E, 0.0, 4);
  std::vector<std::size_t> got;
  for (const auto& p : plain) got.push_back(p.candidate);
  CHECK(got == std::vector<std::size_t>{0, 1, 2, 3});
  for (const auto& p : plain) CHECK(p.final_score == Approx(p.relevance));
  const auto mixed = diversify(cands, rel, E, 0.7, 4);
  std::set<std::int32_t> cats;
  for (const auto& p : mixed) cats.insert(cat[cands[p.candidate]]);
  CHECK(cats.size() == 2);
  CHECK(mixed[0].candidate == 0);  // the first pick is the most relevant
  // Category cap 1: one per category while possible, then relaxed to fill k.
  const auto capped = diversify(cands, rel, E, 0.0, 3, cat, 1);
  CHECK(capped[0].candidate == 0);
  CHECK(capped[1].candidate == 4);
  CHECK(capped[2].candidate == 1);
  CHECK_THROWS_WITH(diversify(cands, rel, E, 1.5, 3), Catch::Contains("lambda must be in [0, 1]"));
}

namespace {
struct World {
  Dataset data;
  std::shared_ptr<TwoTowerModel> model;
};

const World& world() {
  static const World w = [] {
    World x;
    SyntheticConfig sc;
    sc.users = 3000;
    sc.items = 1500;
    sc.interactions = 40000;
    x.data = generate_synthetic_dataset(sc);
    // Mark one item out of stock through the catalog attribute the rules read.
    Catalog cat;
    for (std::int32_t i = 0; i < x.data.catalog.size(); ++i) {
      ItemRecord r = x.data.catalog.record(i);
      if (r.id == "item_2") r.attributes["in_stock"] = "false";
      cat.add(r);
    }
    x.data.catalog = cat;
    TwoTowerConfig cfg = TwoTowerConfig::default_preset();
    cfg.epochs = 2;
    x.model = std::make_shared<TwoTowerModel>(cfg, x.data.catalog, x.data.interactions.users());
    TrainerOptions o;
    o.early_stopping_patience = 0;
    Trainer t(*x.model, x.data.interactions, Interactions(), o);
    while (!t.done()) t.train_steps(200);
    return x;
  }();
  return w;
}

Recommender make_recommender(std::shared_ptr<const RankingModel> ranker = nullptr) {
  return Recommender(world().model, world().data, IndexOptions{}, StrategyConfig::defaults(),
                     std::move(ranker));
}

std::vector<std::string> ids(const Recommender& r, const std::vector<Recommendation>& recs) {
  std::vector<std::string> out;
  for (const auto& x : recs) out.push_back(r.item_id(x.item));
  return out;
}
}  // namespace

TEST_CASE("scene routing uses the configured sources", "[serving][strategy]") {
  Recommender rec = make_recommender();
  RecommendRequest req;
  req.user_id = "user_10";
  req.scene = "default";
  auto recs = rec.recommend(req);
  REQUIRE(recs.size() == 10);
  for (const auto& r : recs) CHECK(r.source.find("personal") != std::string::npos);
  // Home page: trending and personal for a known user; trending alone for an unknown visitor.
  req.scene = "home_page";
  std::set<std::string> sources;
  for (const auto& r : rec.recommend(req)) sources.insert(r.source);
  CHECK(std::any_of(sources.begin(), sources.end(),
                    [](const std::string& s) { return s.find("personal") != std::string::npos; }));
  RecommendRequest anon;
  anon.scene = "home_page";
  for (const auto& r : rec.recommend(anon)) CHECK(r.source == "trending");
  // Product page: similar and complementary items of the product, never the product itself.
  RecommendRequest product;
  product.scene = "product_page";
  product.item_id = "item_5";
  const auto p = rec.recommend(product);
  REQUIRE(!p.empty());
  for (const auto& r : p) {
    CHECK(rec.item_id(r.item) != "item_5");
    CHECK((r.source.find("similar") != std::string::npos ||
           r.source.find("complementary") != std::string::npos));
  }
  // Cart page: complementary to what is in the cart, which is itself excluded.
  Session s;
  const std::int32_t in_cart = rec.item_index("item_7");
  s.track(in_cart, Event::AddToCart, 100);
  RecommendRequest cart;
  cart.scene = "cart_page";
  const auto c = rec.recommend(cart, &s);
  REQUIRE(!c.empty());
  CHECK(c[0].source.find("complementary") != std::string::npos);
  for (const auto& r : c) CHECK(r.item != in_cart);
  // Explanations add up.
  for (const auto& r : c) CHECK(r.final_score == Approx(r.relevance + r.diversity_adjustment));
}

TEST_CASE("filters and business rules", "[serving][rules]") {
  Recommender rec = make_recommender();
  const auto& m = rec.model();
  RecommendRequest req;
  req.user_id = "user_3";
  req.k = 20;
  req.categories = {m.categories().token(0), m.categories().token(1)};
  req.price_min = 20;
  req.price_max = 80;
  req.exclude = {"item_1"};
  const auto recs = rec.recommend(req);
  REQUIRE(recs.size() == 20);
  for (const auto& r : recs) {
    CHECK(m.item_category()[r.item] <= 1);
    CHECK(m.item_price()[r.item] >= 20);
    CHECK(m.item_price()[r.item] <= 80);
    CHECK(rec.item_id(r.item) != "item_1");
  }
  // Out of stock (catalog attribute), bought and carted items are never recommended.
  Session s("user_3");
  const auto first = rec.recommend(RecommendRequest{}, &s);  // default scene for user_3
  s.track(first[0].item, Event::Purchase, 10);
  s.track(first[1].item, Event::AddToCart, 20);
  RecommendRequest wide;
  wide.k = 200;
  const auto after = rec.recommend(wide, &s);
  for (const auto& r : after) {
    CHECK(r.item != first[0].item);
    CHECK(r.item != first[1].item);
    CHECK(rec.item_id(r.item) != "item_2");
  }
}

TEST_CASE("session events change the next recommendations at once", "[serving][session]") {
  Recommender rec = make_recommender();
  const auto& m = rec.model();
  for (const std::string user : {"", "user_42"}) {
    INFO("user '" << user << "'");
    Session s(user);
    RecommendRequest req;
    req.k = 10;
    req.diversity = 0;
    const auto before = rec.recommend(req, &s);
    // Pick a category that is rare in the first list and click five of its items.
    std::map<std::int32_t, int> count;
    for (const auto& r : before) ++count[m.item_category()[r.item]];
    std::int32_t target = -1;
    for (std::int32_t c = 0; c < m.categories().size() && target < 0; ++c)
      if (count[c] == 0) target = c;
    REQUIRE(target >= 0);
    // Click five of the category's most popular items.
    std::vector<std::pair<int, std::int32_t>> popular;
    std::vector<int> counts(static_cast<std::size_t>(m.num_items()), 0);
    for (const auto& e : world().data.interactions.events()) ++counts[e.item];
    for (std::int32_t i = 0; i < m.num_items(); ++i)
      if (m.item_category()[i] == target) popular.emplace_back(-counts[i], i);
    std::sort(popular.begin(), popular.end());
    for (int c = 0; c < 5; ++c) s.track(popular[c].second, Event::Click, 1000 + c);
    const auto after = rec.recommend(req, &s);
    int share = 0;
    for (const auto& r : after) share += m.item_category()[r.item] == target;
    INFO("category share in the top 10: 0 before, " << share << " after five clicks");
    CHECK(share >= 3);  // from none of the ten
  }
}

TEST_CASE("the cache hits on repeats and misses after events and reloads", "[serving][cache]") {
  Recommender rec = make_recommender();
  Session s("user_5");
  RecommendRequest req;
  const auto a = rec.recommend(req, &s);
  const auto b = rec.recommend(req, &s);
  CHECK(ids(rec, a) == ids(rec, b));
  CHECK(rec.stats().cache_hits == 1);
  s.track(rec.item_index("item_9"), Event::View, 5);
  rec.recommend(req, &s);
  CHECK(rec.stats().cache_hits == 1);  // the session's version changed
  rec.recommend(req, &s);
  CHECK(rec.stats().cache_hits == 2);
  rec.reload(world().model, nullptr);
  rec.recommend(req, &s);
  CHECK(rec.stats().cache_hits == 2);  // the reload cleared it
  CHECK(rec.stats().requests == 5);
  CHECK(rec.stats().cache_hit_ratio == Approx(2.0 / 5));
}

TEST_CASE("larger diversity raises intra-list diversity and category coverage",
          "[serving][diversity]") {
  Recommender rec = make_recommender();
  const auto& m = rec.model();
  nn::Matrix V;
  m.item_embeddings(V);
  double ild0 = 0, ild1 = 0;
  std::set<std::int32_t> cats0, cats1;
  for (int u = 1; u <= 40; ++u) {
    RecommendRequest req;
    req.user_id = "user_" + std::to_string(u);
    req.diversity = 0;
    std::vector<std::int32_t> l0, l1;
    for (const auto& r : rec.recommend(req)) l0.push_back(r.item);
    req.diversity = 0.6;
    for (const auto& r : rec.recommend(req)) l1.push_back(r.item);
    ild0 += eval::embedding_diversity({l0}, V);
    ild1 += eval::embedding_diversity({l1}, V);
    for (auto i : l0) cats0.insert(m.item_category()[i]);
    for (auto i : l1) cats1.insert(m.item_category()[i]);
  }
  INFO("ILD " << ild0 / 40 << " -> " << ild1 / 40 << ", categories " << cats0.size() << " -> "
              << cats1.size());
  CHECK(ild1 > ild0 * 1.1);
  CHECK(cats1.size() >= cats0.size());
}

TEST_CASE("bad requests are clear errors and change nothing", "[serving][errors]") {
  Recommender rec = make_recommender();
  RecommendRequest ok;
  ok.user_id = "user_1";
  const auto before = ids(rec, rec.recommend(ok));
  auto bad = [&](RecommendRequest r, const std::string& what) {
    INFO("expecting " << what);
    CHECK_THROWS_WITH(rec.recommend(r), Catch::Contains(what));
  };
  RecommendRequest r = ok;
  r.scene = "checkout";
  bad(r, "unknown scene 'checkout' (known: cart_page, default, home_page, product_page)");
  r = ok;
  r.k = 0;
  bad(r, "k must be in [1, 1000], got 0");
  r = ok;
  r.diversity = 1.5;
  bad(r, "diversity must be in [0, 1], got 1.5");
  r = ok;
  r.user_id = "nobody";
  bad(r, "unknown user 'nobody'");
  r = ok;
  r.categories = {"Spaceships"};
  bad(r, "unknown category 'Spaceships' in filters");
  r = ok;
  r.item_id = "item_999999";
  bad(r, "unknown item 'item_999999'");
  r = ok;
  r.price_min = 50;
  r.price_max = 10;
  bad(r, "priceMin 50 is above priceMax 10");
  CHECK(ids(rec, rec.recommend(ok)) == before);
  CHECK_THROWS_WITH(RecommendRequest::from_json(R"({"userid": "x"})"),
                    Catch::Contains("unknown key 'userid'"));
  CHECK_THROWS_WITH(RecommendRequest::from_json(R"({"k": "10"})"),
                    Catch::Contains("'k' must be an integer"));
  CHECK_THROWS_WITH(
      StrategyConfig::from_json(R"({"scenes": {"x": {"sources": [{"source": "magic"}]}}})"),
      Catch::Contains("unknown source 'magic'"));
  Session s;
  s.track(1, Event::View, 100);
  CHECK_THROWS_WITH(s.track(2, Event::View, 50), Catch::Contains("is before the previous event"));
  CHECK(s.events().size() == 1);
}
