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
#include "fixture.h"
#include "ranking/ranking_model.h"
#include "retrieval/trainer.h"
#include "serving/recommender.h"
#include "serving/stages.h"
#include "strategy/diversity.h"

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
// The shared fixture's shop and model, with one item marked out of stock through the catalog
// attribute the rules read.
const Dataset& shop_data() {
  static const Dataset d = [] {
    Dataset x = test::default_fixture().shop.data;
    Catalog cat;
    for (std::int32_t i = 0; i < x.catalog.size(); ++i) {
      ItemRecord r = x.catalog.record(i);
      if (r.id == "item_2") r.attributes["in_stock"] = "false";
      cat.add(r);
    }
    x.catalog = cat;
    return x;
  }();
  return d;
}

std::shared_ptr<const TwoTowerModel> model() {
  return test::default_fixture().model;
}

Recommender make_recommender(std::shared_ptr<const RankingModel> ranker = nullptr) {
  return Recommender(model(), shop_data(), RecommenderOptions(), std::move(ranker));
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
  for (const auto& r : recs) CHECK(r.explanation.sources.contains(SourceKind::Personal));
  // Home page: trending and personal for a known user; trending alone for an unknown visitor.
  req.scene = "home_page";
  const auto home = rec.recommend(req);
  CHECK(std::any_of(home.begin(), home.end(), [](const Recommendation& r) {
    return r.explanation.sources.contains(SourceKind::Personal);
  }));
  RecommendRequest anon;
  anon.scene = "home_page";
  for (const auto& r : rec.recommend(anon)) CHECK(r.explanation.sources.label() == "trending");
  // Product page: similar and complementary items of the product, never the product itself.
  RecommendRequest product;
  product.scene = "product_page";
  product.item_id = "item_5";
  const auto p = rec.recommend(product);
  REQUIRE(!p.empty());
  for (const auto& r : p) {
    CHECK(rec.item_id(r.item) != "item_5");
    CHECK((r.explanation.sources.contains(SourceKind::Similar) ||
           r.explanation.sources.contains(SourceKind::Complementary)));
  }
  // Cart page: complementary to what is in the cart, which is itself excluded.
  Session s;
  const std::int32_t in_cart = rec.item_index("item_7");
  s.track(in_cart, Event::AddToCart, 100);
  RecommendRequest cart;
  cart.scene = "cart_page";
  const auto c = rec.recommend(cart, &s);
  REQUIRE(!c.empty());
  CHECK(c[0].explanation.sources.contains(SourceKind::Complementary));
  for (const auto& r : c) CHECK(r.item != in_cart);
  // Explanations add up.
  for (const auto& r : c)
    CHECK(r.explanation.final_score ==
          Approx(r.explanation.relevance + r.explanation.diversity_adjustment));
}

TEST_CASE("co-occurrence counted on first use or by prepare(): the same as counted at once",
          "[serving][strategy]") {
  // The recommender cuts the baskets when made and counts the pairs later: its neighbours are
  // those of a count over the logs at once, for every item.
  const Recommender lazy = make_recommender();
  lazy.prepare();
  lazy.prepare();  // again: nothing changes
  const CoOccurrence eager(shop_data().interactions);
  const CoOccurrence& counted = lazy.state().cooccurrence->get();
  CHECK(counted.baskets() == eager.baskets());
  for (std::int32_t i = 0; i < shop_data().catalog.size(); ++i) {
    INFO("item " << i);
    REQUIRE(counted.neighbours(i) == eager.neighbours(i));
  }
  // Cart-page lists are the same whether prepare() ran first or the request counted.
  Recommender a = make_recommender(), b = make_recommender();
  a.prepare();
  for (const char* item : {"item_7", "item_30", "item_123"}) {
    Session s;
    s.track(a.item_index(item), Event::AddToCart, 100);
    RecommendRequest cart;
    cart.scene = "cart_page";
    CHECK(ids(a, a.recommend(cart, &s)) == ids(b, b.recommend(cart, &s)));
  }
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
    for (const auto& e : shop_data().interactions.events()) ++counts[e.item];
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
  rec.reload(model(), nullptr);
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

using test::kind_of;

TEST_CASE("bad requests are clear errors of their kind and change nothing", "[serving][errors]") {
  Recommender rec = make_recommender();
  RecommendRequest ok;
  ok.user_id = "user_1";
  const auto before = ids(rec, rec.recommend(ok));
  const auto stats = rec.stats();
  auto bad = [&](RecommendRequest r, const std::string& what, ErrorKind kind) {
    INFO("expecting " << what);
    CHECK_THROWS_WITH(rec.recommend(r), Catch::Contains(what));
    CHECK(kind_of([&] { rec.recommend(r); }) == kind);
  };
  RecommendRequest r = ok;
  r.scene = "checkout";
  bad(r, "unknown scene 'checkout' (known: cart_page, default, home_page, product_page)",
      ErrorKind::Range);
  r = ok;
  r.k = 0;
  bad(r, "k must be an integer in [1, 1000], got 0", ErrorKind::Range);
  r = ok;
  r.diversity = 1.5;
  bad(r, "diversity must be in [0, 1], got 1.5", ErrorKind::Range);
  r = ok;
  r.diversity = std::nan("");
  bad(r, "diversity must be in [0, 1], got nan", ErrorKind::Range);
  r = ok;
  r.user_id = "nobody";
  bad(r, "unknown user 'nobody'", ErrorKind::NotFound);
  r = ok;
  r.categories = {"Spaceships"};
  bad(r, "unknown category 'Spaceships' in filters", ErrorKind::NotFound);
  r = ok;
  r.item_id = "item_999999";
  bad(r, "unknown item 'item_999999'", ErrorKind::NotFound);
  r = ok;
  r.exclude = {"item_1", "nope"};
  bad(r, "unknown item 'nope' in filters.exclude", ErrorKind::NotFound);
  r = ok;
  r.price_min = 50;
  r.price_max = 10;
  bad(r, "priceMin 50 is above priceMax 10", ErrorKind::Range);
  // A session of another recommender is refused, and tracking into it too.
  Recommender other = make_recommender();
  Session foreign = other.create_session("");
  CHECK_THROWS_WITH(rec.recommend(ok, &foreign),
                    Catch::Contains("the session was created by another Recommender"));
  CHECK(kind_of([&] { rec.recommend(ok, &foreign); }) == ErrorKind::Type);
  CHECK(kind_of([&] { rec.track(foreign, "item_1", "view", 1); }) == ErrorKind::Type);
  Session mine = rec.create_session("user_1");
  CHECK(kind_of([&] { rec.track(mine, "item_1", "like", 1); }) == ErrorKind::Range);
  CHECK(kind_of([&] { rec.track(mine, "nope", "view", 1); }) == ErrorKind::NotFound);
  CHECK(kind_of([&] { rec.create_session("nobody"); }) == ErrorKind::NotFound);
  CHECK(mine.events().empty());
  // Nothing changed: the same list, and failed calls are not counted as requests.
  CHECK(ids(rec, rec.recommend(ok)) == before);
  CHECK(rec.stats().requests == stats.requests + 1);
  CHECK(rec.stats().cache_hits == stats.cache_hits + 1);
  CHECK_THROWS_WITH(
      StrategyConfig::from_json(R"({"scenes": {"x": {"sources": [{"source": "magic"}]}}})"),
      Catch::Contains("unknown source 'magic'"));
  CHECK(kind_of([] { StrategyConfig::from_json(R"({"objectiv": "clicks"})"); }) == ErrorKind::Type);
  CHECK(kind_of([] { StrategyConfig::from_json("{\"objective\": "); }) == ErrorKind::Format);
  Session s;
  s.track(1, Event::View, 100);
  CHECK_THROWS_WITH(s.track(2, Event::View, 50), Catch::Contains("is before the previous event"));
  CHECK(s.events().size() == 1);
}

TEST_CASE("the stages run alone: eligibility, candidates, scores, picks, explanations",
          "[serving][stages]") {
  const Recommender rec = make_recommender();
  const ServingState& st = rec.state();
  // A product page: the product itself and the out-of-stock item are not eligible.
  RecommendRequest req;
  req.scene = "product_page";
  req.item_id = "item_5";
  req.k = 8;
  const ResolvedRequest r = resolve_request(st, req, nullptr);
  CHECK(r.scene->page == Scene::Product);
  CHECK(r.anchor == rec.item_index("item_5"));
  CHECK_FALSE(r.has_signal);  // an anonymous visitor without events
  const ItemFilter eligible = eligible_items(st, req, r);
  CHECK_FALSE(eligible.allows(r.anchor));
  CHECK_FALSE(eligible.allows(rec.item_index("item_2")));
  CHECK(eligible.allowed_count() == rec.model().num_items() - 2);
  // Candidates: similar (by the item vector) and complementary (by co-occurrence), each once.
  const auto user = user_vector(st, r);
  CHECK(static_cast<int>(user.size()) == rec.model().dim());
  auto cands = gather_candidates(st, r, eligible, user);
  REQUIRE(cands.size() >= 8);
  std::set<std::int32_t> seen;
  for (const auto& c : cands) {
    CHECK(seen.insert(c.item).second);
    CHECK(eligible.allows(c.item));
    CHECK(c.norm >= 0);
    CHECK(c.norm <= 1);
    CHECK(c.sources.size() >= 1);
  }
  // The first similar candidate is the exact index's nearest eligible item to the product.
  const auto nearest = st.index->search_one(st.item_vectors->row(r.anchor).data(), 1, &eligible);
  CHECK(cands[0].item == nearest[0].item);
  CHECK(cands[0].sources[0] == SourceKind::Similar);
  // Without a ranker, relevance is the normalised source score; picks follow it at λ = 0.
  score_candidates(st, r, user, cands);
  for (const auto& c : cands) CHECK(c.relevance == c.norm);
  ResolvedRequest plain = r;
  plain.lambda = 0;
  const auto picks = pick_diverse(st, plain, cands);
  REQUIRE(picks.size() == 8);
  for (std::size_t p = 1; p < picks.size(); ++p)
    CHECK(cands[picks[p - 1].candidate].relevance >= cands[picks[p].candidate].relevance);
  const auto list = explain(cands, picks);
  for (std::size_t p = 0; p < list.size(); ++p) {
    CHECK(list[p].rank == static_cast<int>(p) + 1);
    CHECK(list[p].item == cands[picks[p].candidate].item);
    CHECK(list[p].explanation.sources == cands[picks[p].candidate].sources);
  }
}

TEST_CASE("source lists keep proposal order, each source once, and encode for JS",
          "[serving][stages]") {
  SourceList s;
  s.add(SourceKind::Trending);
  s.add(SourceKind::Similar);
  s.add(SourceKind::Trending);  // the trending fill proposing an item again
  CHECK(s.size() == 2);
  CHECK(s.label() == "trending+similar");
  // count 2 | trending (2) << 4 | similar (4) << 7
  CHECK(s.code() == (2u | (2u << 4) | (4u << 7)));
  SourceList all;
  for (int k : {3, 1, 4, 0, 2}) all.add(static_cast<SourceKind>(k));
  CHECK(all.label() == "complementary+popular+similar+personal+trending");
  // Decoded as the JS wrapper does: the count, then 3 bits per source in order.
  const std::uint32_t code = all.code();
  CHECK((code & 15u) == 5u);
  std::vector<int> decoded;
  for (int i = 0; i < 5; ++i) decoded.push_back(static_cast<int>((code >> (4 + 3 * i)) & 7u));
  CHECK(decoded == std::vector<int>{3, 1, 4, 0, 2});
}

TEST_CASE("a custom scene names its page: a product page excludes its product",
          "[serving][strategy]") {
  RecommenderOptions o;
  o.strategy = StrategyConfig::from_json(
      R"({"scenes": {"pdp_v2": {"page": "product_page", "sources": [{"source": "similar", "quota": 50}]},
                     "plain": {"sources": [{"source": "similar", "quota": 50}]}}})");
  CHECK(o.strategy.scenes.at("pdp_v2").page == Scene::Product);
  CHECK(o.strategy.scenes.at("plain").page == Scene::Default);
  CHECK(o.strategy.scenes.at("cart_page").page == Scene::Cart);
  Recommender rec(model(), shop_data(), o);
  RecommendRequest req;
  req.item_id = "item_5";
  req.k = 20;
  req.scene = "pdp_v2";
  for (const auto& r : rec.recommend(req)) CHECK(rec.item_id(r.item) != "item_5");
  req.scene = "plain";  // not a product page: the product is its own nearest neighbour
  CHECK(rec.item_id(rec.recommend(req)[0].item) == "item_5");
  CHECK_THROWS_WITH(StrategyConfig::from_json(R"({"scenes": {"x": {"page": "checkout"}}})"),
                    Catch::Contains("unknown page 'checkout'"));
}

TEST_CASE(
    "the recommender takes its ranker's item vectors only while the model's weights are those",
    "[serving][ranker]") {
  const auto& f = test::default_fixture();
  auto m = std::make_shared<TwoTowerModel>(*f.model);  // a copy this test may train further
  const std::vector<double> counts(static_cast<std::size_t>(m->num_items()), 1.0);
  auto ranker = std::make_shared<const RankingModel>(RankingConfig{}, m, counts);
  nn::Matrix fresh;
  m->item_embeddings(fresh);
  Recommender before(m, shop_data(), RecommenderOptions(), ranker);
  CHECK(*before.state().item_vectors == fresh);
  CHECK(ranker->item_vectors() == fresh);

  // Training the model on: the ranker's copy is stale, and neither a new recommender nor a reload
  // may serve it.
  Trainer t(*m, f.split.train);
  t.train_steps(3);
  m->item_embeddings(fresh);
  REQUIRE(!(ranker->item_vectors() == fresh));
  Recommender after(m, shop_data(), RecommenderOptions(), ranker);
  CHECK(*after.state().item_vectors == fresh);
  before.reload(m, ranker);
  CHECK(*before.state().item_vectors == fresh);
}

TEST_CASE(
    "top_allowed: the best allowed items from the column's best prefix or from a scan, the same",
    "[serving][topk]") {
  Rng rng(12);
  const std::int32_t n = 3000;
  // Few distinct values: many ties, which go to the lower index.
  std::vector<float> scores(static_cast<std::size_t>(n));
  for (auto& v : scores) v = static_cast<float>(rng.below(200));
  for (const int prefix : {0, 10, 1024, 3000}) {
    const auto best =
        prefix ? top_k_of_scores(scores.data(), n, prefix) : std::vector<ScoredItem>();
    for (const double density : {1.0, 0.5, 0.02, 0.0}) {
      ItemFilter filter(n);
      std::vector<char> excluded(static_cast<std::size_t>(n), 0);
      for (std::int32_t i = 0; i < n; ++i)
        if (rng.uniform() >= density) {
          filter.exclude(i);
          excluded[static_cast<std::size_t>(i)] = 1;
        }
      for (const int k : {1, 10, 100, 1024, 2000}) {
        INFO("prefix " << prefix << ", density " << density << ", k " << k);
        const auto got = top_allowed(scores.data(), best, n, k, filter);
        // Independently of any heap: every allowed item sorted by score, then the lower index.
        std::vector<ScoredItem> want;
        for (std::int32_t i = 0; i < n; ++i)
          if (!excluded[static_cast<std::size_t>(i)])
            want.push_back({i, scores[static_cast<std::size_t>(i)]});
        std::sort(want.begin(), want.end(), [](const ScoredItem& a, const ScoredItem& b) {
          return a.score > b.score || (a.score == b.score && a.item < b.item);
        });
        if (static_cast<int>(want.size()) > k) want.resize(static_cast<std::size_t>(k));
        REQUIRE(got.size() == want.size());
        for (std::size_t i = 0; i < got.size(); ++i) {
          CHECK(got[i].item == want[i].item);
          CHECK(got[i].score == want[i].score);
        }
      }
    }
  }
  // No filter at all (an empty ItemFilter allows everything).
  const auto best = top_k_of_scores(scores.data(), n, 1024);
  const auto got = top_allowed(scores.data(), best, n, 50, ItemFilter());
  const auto want = top_k_of_scores(scores.data(), n, 50);  // checked against a sort above
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i].item == want[i].item);
}
