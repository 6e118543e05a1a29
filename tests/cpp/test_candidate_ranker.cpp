// The candidate ranker: its features of known candidates, that fitting on a cut inside the fit
// logs learns (the loss falls) and is deterministic, and that the Recommender serves with it.
#include <catch2/catch.hpp>

#include <cmath>
#include <set>

#include "eval/run.h"
#include "eval/scorers.h"
#include "fixture.h"
#include "io/safetensors.h"
#include "io/two_tower_file.h"
#include "ranking/fit.h"
#include "serving/candidate_ranker.h"

#include <nlohmann/json.hpp>
#include "serving/recommender.h"

using namespace recsys;

namespace {
Dataset fit_data(const test::ShopFixture& f) {
  Dataset d;
  d.name = "fit";
  d.catalog = f.shop.data.catalog;
  d.interactions = f.split.train;
  return d;
}
// A scene of 50 personal and 20 popular candidates, ranked.
RecommenderOptions mix_options() {
  RecommenderOptions o;
  o.strategy.scenes["mix"] = SceneConfig{
      Scene::Default, {{SourceKind::Personal, 50}, {SourceKind::Popular, 20}}, true, 0, 0};
  return o;
}
}  // namespace

TEST_CASE("candidate ranker features describe the candidate and the user", "[serving][ranker]") {
  CHECK(CandidateRanker::feature_names().size() == CandidateRanker::kFeatures);
  const auto& f = test::default_fixture();
  const Dataset data = fit_data(f);
  RecommenderOptions o;
  o.strategy.exclude_purchased = false;
  o.strategy.scenes["mix"] = SceneConfig{Scene::Default,
                                         {{SourceKind::Repeat, 20}, {SourceKind::Personal, 20}},
                                         true, 0, 0};
  const Recommender rec(f.model, data, o);
  const ServingState& s = rec.state();
  // A user with a history: the repeat source proposes its own items.
  std::int32_t user = 0;
  while (s.user_items[static_cast<std::size_t>(user)].size() < 5) ++user;
  RecommendRequest req;
  req.user_id = data.interactions.users().token(user);
  req.scene = "mix";
  const ResolvedRequest r = resolve_request(s, req, nullptr);
  const ItemFilter eligible = eligible_items(s, req, r);
  const std::vector<float> u = user_vector(s, r);
  const auto cands = gather_candidates(s, r, eligible, u);
  nn::Matrix X;
  CandidateRanker::features(s, r, u, cands, X);
  REQUIRE(X.rows() == static_cast<Eigen::Index>(cands.size()));
  const auto names = CandidateRanker::feature_names();
  auto col = [&](const std::string& n) {
    return static_cast<Eigen::Index>(std::find(names.begin(), names.end(), n) - names.begin());
  };
  const auto& own = s.user_items[static_cast<std::size_t>(user)];
  for (std::size_t c = 0; c < cands.size(); ++c) {
    const auto row = static_cast<Eigen::Index>(c);
    const auto count = std::count(own.begin(), own.end(), cands[c].item);
    CHECK(X(row, col("had_item")) == (count > 0 ? 1.0f : 0.0f));
    CHECK(X(row, col("log_repeat_count")) == Approx(std::log1p(static_cast<float>(count))));
    CHECK(X(row, col("repeat_present")) == (cands[c].sources.contains(SourceKind::Repeat) ? 1 : 0));
    CHECK(X(row, col("two_tower_score")) ==
          Approx(s.item_vectors->row(cands[c].item).dot(
                     Eigen::Map<const nn::RowVector>(u.data(), 1, static_cast<Eigen::Index>(u.size()))))
              .margin(1e-5));
  }
  // The first candidate is the repeat source's first item: reciprocal rank 1.
  CHECK(X(0, col("repeat_reciprocal_rank")) == 1.0f);
  CHECK(X(0, col("personal_present")) + X(0, col("repeat_present")) >= 1.0f);
}

TEST_CASE("the candidate ranker learns from a cut inside the fit logs and serves",
          "[serving][ranker]") {
  const auto& f = test::default_fixture();
  const Dataset data = fit_data(f);
  const RecommenderOptions o = mix_options();
  CandidateRankerConfig c;
  c.epochs = 3;
  c.window_days = 30;
  const CandidateRankerFit fit = fit_candidate_ranker(f.model, data, o, "mix", c);
  INFO("examples " << fit.examples << ", positives " << fit.positives << ", users " << fit.users);
  CHECK(fit.positives > 50);
  CHECK(fit.examples > 20 * fit.positives);
  REQUIRE(fit.epoch_losses.size() == 3);
  CHECK(fit.epoch_losses.back() < fit.epoch_losses.front());
  // The same seed gives the same ranker.
  const CandidateRankerFit again = fit_candidate_ranker(f.model, data, o, "mix", c);
  CHECK(again.epoch_losses == fit.epoch_losses);
  Recommender rec(f.model, data, o);
  RecommendRequest req;
  req.user_id = data.interactions.users().token(3);
  req.scene = "mix";
  req.k = 10;
  req.exclude = {f.model->items().token(0)};
  const auto before = rec.recommend(req);
  rec.set_candidate_ranker(fit.ranker);
  const auto with = rec.recommend(req);
  REQUIRE(with.size() == 10);
  std::set<std::int32_t> items;
  for (std::size_t i = 0; i < with.size(); ++i) {
    items.insert(with[i].item);
    CHECK(with[i].item != 0);
    CHECK(with[i].explanation.relevance >= 0);
    CHECK(with[i].explanation.relevance <= 1);
    if (i) CHECK(with[i - 1].explanation.relevance >= with[i].explanation.relevance);
  }
  CHECK(items.size() == 10);
  CHECK(rec.stats().cache_hits == 0);  // setting the ranker cleared the cache
  rec.set_candidate_ranker(nullptr);
  CHECK(rec.recommend(req).size() == before.size());
  c.window_days = 0;
  CHECK_THROWS_WITH(fit_candidate_ranker(f.model, data, o, "mix", c),
                    "candidate ranker: window_days must be in (0, 3650], got 0");
  c.window_days = 30;
  CHECK_THROWS_WITH(fit_candidate_ranker(f.model, data, o, "attic", c),
                    "candidate ranker: unknown scene 'attic'");
}

TEST_CASE("the neighbours and repeat sources rank as the item-kNN and top-frequency baselines",
          "[serving][ranker]") {
  const auto& f = test::default_fixture();
  const Dataset data = fit_data(f);
  RecommenderOptions o;
  o.strategy.exclude_purchased = false;
  o.strategy.scenes["knn"] = SceneConfig{Scene::Default, {{SourceKind::Neighbours, 10}}, false, 0, 0};
  o.strategy.scenes["again"] = SceneConfig{Scene::Default, {{SourceKind::Repeat, 5}}, false, 0, 0};
  const Recommender rec(f.model, data, o);
  const ServingState& s = rec.state();
  const auto knn = eval::make_item_knn(data.interactions, eval::ItemKnnOptions{50, 0});
  const auto freq = eval::make_personal_frequency(data.interactions);
  for (std::int32_t user : {1, 7, 42}) {
    RecommendRequest req;
    req.user_id = data.interactions.users().token(user);
    req.k = 1;
    nn::Matrix sk, sf;
    knn->score({user}, sk);
    freq->score({user}, sf);
    for (const char* scene : {"knn", "again"}) {
      req.scene = scene;
      const ResolvedRequest r = resolve_request(s, req, nullptr);
      const auto cands = gather_candidates(s, r, eligible_items(s, req, r), user_vector(s, r));
      const bool is_knn = std::string(scene) == "knn";
      const nn::Matrix& oracle = is_knn ? sk : sf;
      // The baseline's best items, its own items excluded for item-kNN (the source may return
      // them only when a neighbour of another), best first.
      std::vector<std::int32_t> mine;
      for (const auto& c : cands) mine.push_back(s.catalog_row[c.item]);
      REQUIRE(!mine.empty());
      for (std::size_t i = 1; i < mine.size(); ++i)
        CHECK(oracle(0, mine[i - 1]) >= oracle(0, mine[i]) - 1e-5f);
      // Nothing the source left out scores above its last pick (among positive scores).
      const float last = oracle(0, mine.back());
      std::int32_t better = 0;
      for (Eigen::Index j = 0; j < oracle.cols(); ++j)
        better += oracle(0, j) > last + 1e-5f &&
                  std::find(mine.begin(), mine.end(), static_cast<std::int32_t>(j)) == mine.end();
      CHECK(better == 0);
    }
  }
}

TEST_CASE("evaluation requests keep pipeline fields to the pipeline and check the ranker's",
          "[eval][ranker]") {
  using eval::EvalRequest;
  CHECK_THROWS_WITH(EvalRequest::from_json(R"({"model":"ease","scene":"home_page"})"),
                    "evaluation request: scene needs model 'pipeline', got 'ease'");
  CHECK_THROWS_WITH(EvalRequest::from_json(R"({"model":"mf","candidate_ranker":{}})"),
                    "evaluation request: candidate_ranker needs model 'pipeline', got 'mf'");
  CHECK_THROWS_WITH(
      EvalRequest::from_json(R"({"model":"pipeline","candidate_ranker":{"epochs":0}})"),
      Catch::Contains("epochs"));
  CHECK_THROWS_WITH(
      EvalRequest::from_json(R"({"model":"pipeline","candidate_ranker":{"depth":3}})"),
      Catch::Contains("depth"));
  const auto ok = EvalRequest::from_json(
      R"({"model":"pipeline","scene":"home_page","candidate_ranker":{"objective":"pointwise"}})");
  CHECK(CandidateRankerConfig::from_json(ok.candidate_ranker_json).objective == "pointwise");
}

TEST_CASE("a candidate ranker saved with its model loads back identically, and bad files are refused",
          "[serving][ranker][io]") {
  const auto& f = test::default_fixture();
  const Dataset data = fit_data(f);
  const RecommenderOptions o = mix_options();
  CandidateRankerConfig c;
  c.epochs = 2;
  c.hidden = {8};
  const CandidateRankerFit fit = fit_candidate_ranker(f.model, data, o, "mix", c);
  const ModelFiles files = TwoTowerFile::save(*f.model, TrainingInfo(), nullptr, fit.ranker.get());
  auto back = TwoTowerFile::load_candidate_ranker(files.weights, files.manifest);
  REQUIRE(back);
  CHECK(back->fitted().scene == "mix");
  CHECK(back->fitted().cut == fit.cut);
  CHECK(back->fitted().examples == fit.examples);
  CHECK(back->config().hidden == std::vector<int>{8});
  // The stored strategy defines the scene it was fitted for.
  CHECK(StrategyConfig::from_json(back->fitted().strategy_json).scenes.count("mix") == 1);
  // The model loads as before; the same requests get the same lists and scores.
  auto model = std::make_shared<TwoTowerModel>(TwoTowerFile::load(files.weights, files.manifest));
  Recommender a(f.model, data, o), b(model, data, o);
  a.set_candidate_ranker(fit.ranker);
  b.set_candidate_ranker(back);
  for (std::int32_t user = 0; user < 20; ++user) {
    RecommendRequest req;
    req.user_id = data.interactions.users().token(user);
    req.scene = "mix";
    req.k = 10;
    const auto la = a.recommend(req), lb = b.recommend(req);
    REQUIRE(la.size() == lb.size());
    for (std::size_t i = 0; i < la.size(); ++i) {
      CHECK(la[i].item == lb[i].item);
      CHECK(la[i].score() == lb[i].score());
    }
  }
  // Files without one have none.
  const ModelFiles plain = TwoTowerFile::save(*f.model);
  CHECK(TwoTowerFile::load_candidate_ranker(plain.weights, plain.manifest) == nullptr);
  // Bad files: each refused with a message naming what is wrong.
  auto manifest = nlohmann::json::parse(files.manifest);
  auto with = [&](auto change) {
    auto j = manifest;
    change(j["candidate_ranker"]);
    return j.dump();
  };
  CHECK_THROWS_WITH(TwoTowerFile::load_candidate_ranker(files.weights, with([](auto& cr) {
                      cr["features"][0] = "shoe_size";
                    })),
                    Catch::Contains("the candidate ranker reads the features [shoe_size") &&
                        Catch::Contains("this version computes [personal_score"));
  CHECK_THROWS_WITH(TwoTowerFile::load_candidate_ranker(files.weights, with([](auto& cr) {
                      cr["config"]["hidden"] = {9};
                    })),
                    Catch::Contains("tensor 'candidate_ranker/dense_0/kernel' does not have the "
                                    "shape of the candidate ranker's config"));
  CHECK_THROWS_WITH(TwoTowerFile::load_candidate_ranker(files.weights, with([](auto& cr) {
                      cr["config"]["hidden"] = {8, 4};
                    })),
                    Catch::Contains("6 candidate_ranker tensors, its config has 8"));
  CHECK_THROWS_WITH(TwoTowerFile::load_candidate_ranker(files.weights, with([](auto& cr) {
                      cr["config"]["objective"] = "vibes";
                    })),
                    Catch::Contains("objective must be listwise or pointwise, got 'vibes'"));
  CHECK_THROWS_WITH(TwoTowerFile::load_candidate_ranker(files.weights, with([](auto& cr) {
                      cr["strategy"] = {{"scenes", {{"mix", {{"sources", {{{"source", "tarot"}}}}}}}}};
                    })),
                    Catch::Contains("its strategy") && Catch::Contains("tarot"));
  CHECK_THROWS_WITH(TwoTowerFile::load_candidate_ranker(files.weights, with([](auto& cr) {
                      cr.erase("scene");
                    })),
                    Catch::Contains("'scene' must be a string, missing"));
  // Its tensors without the manifest's entry: the model itself is refused.
  auto j = manifest;
  j.erase("candidate_ranker");
  CHECK_THROWS_WITH(TwoTowerFile::load(files.weights, j.dump()),
                    Catch::Contains("candidate_ranker tensors without a 'candidate_ranker' entry"));
  // A non-finite weight.
  io::Safetensors st = io::read_safetensors(files.weights, "model");
  for (auto& t : st.tensors)
    if (t.name == "candidate_ranker/dense_1/bias") t.data[0] = std::nanf("");
  CHECK_THROWS_WITH(
      TwoTowerFile::load_candidate_ranker(io::write_safetensors(st.tensors), files.manifest),
      Catch::Contains("tensor 'candidate_ranker/dense_1/bias' holds a non-finite value (nan)"));
}

TEST_CASE("ranker_weight blends the ranker's probability with the retrieval's score",
          "[serving][ranker]") {
  const auto& f = test::default_fixture();
  const Dataset data = fit_data(f);
  ImpressionOptions io;
  io.users = 200;
  RankingConfig rc;
  rc.epochs = 1;
  const auto ranker = fit_ranker(f.model, data, data.interactions, rc, io).ranker;
  auto list = [&](double w) {
    RecommenderOptions o;
    o.strategy.ranker_weight = w;
    o.strategy.scenes["default"].diversity = 0;
    Recommender rec(f.model, data, o, ranker);
    RecommendRequest req;
    req.user_id = data.interactions.users().token(5);
    req.k = 10;
    return rec.recommend(req);
  };
  const auto alone = list(1), none = list(0), half = list(0.5);
  // 0: the retrieval's order (relevance = its normalised score); 1: the ranker's probability.
  REQUIRE(alone.size() == 10);
  REQUIRE(none.size() == 10);
  for (std::size_t i = 1; i < alone.size(); ++i) {
    CHECK(alone[i - 1].explanation.p_click >= alone[i].explanation.p_click);
    CHECK(none[i - 1].explanation.retrieval_score >= none[i].explanation.retrieval_score);
  }
  auto ids = [](const std::vector<Recommendation>& l) {
    std::vector<std::int32_t> v;
    for (const auto& r : l) v.push_back(r.item);
    return v;
  };
  CHECK(ids(alone) != ids(none));
  CHECK(half.size() == 10);
  CHECK_THROWS_WITH(StrategyConfig::from_json(R"({"ranker_weight": 1.5})"),
                    "strategy: 'ranker_weight' must be in [0, 1], got 1.5");
}

TEST_CASE("the candidate ranker's holdout 'last' labels each user's last event",
          "[serving][ranker]") {
  const auto& f = test::default_fixture();
  const Dataset data = fit_data(f);
  const RecommenderOptions o = mix_options();
  CandidateRankerConfig c;
  c.epochs = 1;
  c.holdout = "last";
  const Interactions past = candidate_ranker_history(data.interactions, c);
  std::int32_t with_history = 0;
  for (std::int32_t u = 0; u < data.interactions.num_users(); ++u) {
    const auto n = data.interactions.history(u).size();
    CHECK(past.history(u).size() == (n > 0 ? n - 1 : 0));
    with_history += n >= 2;
  }
  const CandidateRankerFit fit = fit_candidate_ranker(f.model, data, o, "mix", c);
  CHECK(fit.users > 0);
  CHECK(fit.users <= with_history);
  CHECK(fit.positives == fit.users);  // one label per user, among its candidates
  CHECK_THROWS_WITH(CandidateRankerConfig::from_json(R"({"holdout": "random"})"),
                    "candidate ranker: holdout must be window or last, got 'random'");
}
