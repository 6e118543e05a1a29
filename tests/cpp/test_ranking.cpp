// The ranking model: AUC by hand, gradient checks through the cross layer and the MLP, training on
// simulated impressions, and re-ranking retrieval's top 100 by true relevance.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <thread>

#include "common/check.h"
#include "data/split.h"
#include "data/synthetic.h"
#include "eval/metrics.h"
#include "fixture.h"
#include "ranking/impressions.h"
#include "ranking/ranking_model.h"
#include "retrieval/index.h"
#include "retrieval/trainer.h"

using namespace recsys;

TEST_CASE("ROC AUC equals hand-computed values, ties counting half", "[ranking]") {
  CHECK(roc_auc({0.1f, 0.4f, 0.35f, 0.8f}, {0, 0, 1, 1}) == Approx(0.75));
  CHECK(roc_auc({0.5f, 0.5f}, {0, 1}) == Approx(0.5));
  CHECK(roc_auc({0.9f, 0.1f}, {1, 0}) == Approx(1));
  CHECK(roc_auc({0.9f, 0.1f}, {1, 1}) == Approx(0.5));  // one class only
}

namespace {
// The shared fixture's shop and model, with what the ranker reads: each user's embedding and
// retrieval's top 100, and the items' training counts.
struct Fixture {
  const SyntheticShop& shop;
  const Split& split;
  std::shared_ptr<TwoTowerModel> model;
  nn::Matrix users;                                   // one embedding per user
  std::vector<std::vector<std::int32_t>> candidates;  // retrieval's top 100 per user
  std::vector<double> counts;
};

const Fixture& fixture() {
  static const Fixture f = [] {
    const auto& d = test::default_fixture();
    Fixture x{d.shop, d.split, d.model, {}, {}, {}};
    std::vector<UserQuery> q;
    for (std::int32_t u = 0; u < x.split.train.num_users(); ++u) {
      UserQuery uq;
      uq.user = u;
      for (const auto& e : x.split.train.history(u)) uq.history.push_back(e.item);
      q.push_back(std::move(uq));
    }
    x.model->user_embeddings(q, x.users);
    nn::Matrix V;
    x.model->item_embeddings(V);
    auto index = make_index(IndexOptions{});
    index->build(V);
    std::vector<std::vector<ScoredItem>> top;
    index->search(x.users.data(), static_cast<std::int32_t>(x.users.rows()), 100, nullptr, top);
    for (const auto& t : top) {
      std::vector<std::int32_t> ids;
      for (const auto& s : t) ids.push_back(s.item);
      x.candidates.push_back(std::move(ids));
    }
    x.counts.assign(static_cast<std::size_t>(x.shop.data.catalog.size()), 0);
    for (const auto& e : x.split.train.events()) x.counts[e.item] += 1;
    return x;
  }();
  return f;
}
}  // namespace

TEST_CASE("ranking gradients match finite differences, through the cross layer",
          "[ranking][gradcheck]") {
  const Fixture& f = fixture();
  RankingConfig rc;
  rc.hidden = {8};
  RankingModel m(rc, f.model, f.counts);
  ImpressionOptions io;
  io.users = 6;
  io.slates_per_user = 1;
  const auto imps = simulate_impressions(f.shop.truth, f.candidates, io);
  REQUIRE(imps.size() == 60);
  const std::vector<Impression> batch(imps.begin(), imps.begin() + 24);
  // Scale the weights up a little so ReLUs sit away from zero.
  m.loss(batch, f.users, false);
  auto tensors = m.tensors();
  Rng rng(3);
  for (std::size_t t = 0; t < tensors.size(); ++t) {
    nn::Matrix& w = *tensors[t].second;
    int bad = 0, checked = 0;
    for (int s = 0; s < 8; ++s) {
      const auto idx = static_cast<Eigen::Index>(rng.below(static_cast<std::uint32_t>(w.size())));
      const Eigen::Index r = idx / w.cols(), c = idx % w.cols();
      const double ana = m.gradient_at(t, r, c);
      const float saved = w(r, c);
      auto diff = [&](double h) {
        w(r, c) = static_cast<float>(saved + h);
        const double up = m.loss(batch, f.users, true);
        w(r, c) = static_cast<float>(saved - h);
        const double down = m.loss(batch, f.users, true);
        w(r, c) = saved;
        return (up - down) / (2 * h);
      };
      const double num = diff(1e-3), twice = diff(2e-3);
      if (std::fabs(num - twice) > 3e-4 + 0.03 * std::fabs(num)) continue;  // a ReLU kink
      ++checked;
      if (std::fabs(num - ana) > 3e-4 + 0.03 * (std::fabs(num) + std::fabs(ana))) {
        ++bad;
        UNSCOPED_INFO(tensors[t].first << " [" << r << "," << c << "] numeric " << num
                                       << " analytic " << ana);
      }
    }
    INFO(tensors[t].first << ": " << checked << " checked");
    CHECK(checked >= 5);
    CHECK(bad == 0);
  }
}

TEST_CASE("the ranker learns clicks and re-ranking raises NDCG@10 over retrieval order",
          "[ranking][train]") {
  const Fixture& f = fixture();
  ImpressionOptions io;
  io.users = 3000;
  io.slates_per_user = 4;
  const auto imps = simulate_impressions(f.shop.truth, f.candidates, io);
  RankingModel m(RankingConfig{}, f.model, f.counts);
  const RankingReport rep = m.fit(imps, f.users, 0.2);
  INFO("click AUC " << rep.click_auc << ", purchase AUC " << rep.purchase_auc << ", losses "
                    << rep.epoch_losses.front() << " -> " << rep.epoch_losses.back());
  CHECK(rep.click_auc > 0.65);
  CHECK(rep.purchase_auc > 0.6);
  CHECK(rep.epoch_losses.back() < rep.epoch_losses.front());
  // NDCG@10 of the top 100 with the true click probability as graded relevance.
  double ndcg_retrieval = 0, ndcg_ranked = 0;
  int users = 0;
  std::vector<RankingPrediction> p;
  for (std::int32_t u = 0; u < 3000; u += 10) {
    const auto& cand = f.candidates[u];
    std::vector<double> gain(cand.size());
    for (std::size_t j = 0; j < cand.size(); ++j)
      gain[j] = f.shop.truth.click_probability(u, cand[j]);
    std::vector<double> ideal = gain;
    std::sort(ideal.rbegin(), ideal.rend());
    auto dcg = [&](const std::vector<std::size_t>& order) {
      double s = 0;
      for (std::size_t r = 0; r < 10; ++r) s += gain[order[r]] / std::log2(r + 2.0);
      return s;
    };
    double idcg = 0;
    for (std::size_t r = 0; r < 10; ++r) idcg += ideal[r] / std::log2(r + 2.0);
    std::vector<std::size_t> retrieval_order(cand.size());
    for (std::size_t j = 0; j < cand.size(); ++j) retrieval_order[j] = j;
    m.predict(f.users.row(u).data(), cand, Scene::Default, {}, p);
    std::vector<std::size_t> ranked = retrieval_order;
    std::stable_sort(ranked.begin(), ranked.end(),
                     [&](std::size_t a, std::size_t b) { return p[a].click > p[b].click; });
    ndcg_retrieval += dcg(retrieval_order) / idcg;
    ndcg_ranked += dcg(ranked) / idcg;
    ++users;
  }
  INFO("NDCG@10 retrieval order " << ndcg_retrieval / users << ", re-ranked "
                                  << ndcg_ranked / users);
  CHECK(ndcg_ranked > ndcg_retrieval * 1.02);
}

TEST_CASE("predict's precomputed cross layer equals the full forward pass", "[ranking]") {
  const Fixture& f = fixture();
  RankingModel m(RankingConfig{}, f.model, f.counts);
  ImpressionOptions io;
  io.users = 300;
  const auto imps = simulate_impressions(f.shop.truth, f.candidates, io);
  m.fit(imps, f.users, 0.2);  // trained weights, prepared by fit()
  std::vector<RankingPrediction> fast, full;
  for (std::int32_t u : {0, 17, 123}) {
    for (Scene scene : {Scene::Default, Scene::Product}) {
      m.predict(f.users.row(u).data(), f.candidates[u], scene, {}, fast);
      m.predict_full(f.users.row(u).data(), f.candidates[u], scene, {}, full);
      REQUIRE(fast.size() == full.size());
      for (std::size_t j = 0; j < fast.size(); ++j) {
        CHECK(fast[j].click == Approx(full[j].click).margin(1e-5));
        CHECK(fast[j].purchase == Approx(full[j].purchase).margin(1e-5));
      }
    }
  }
  // One slot for every item takes the precomputed path too; slots that differ take the full one.
  const std::vector<std::int32_t> items(f.candidates[5].begin(), f.candidates[5].begin() + 4);
  m.predict(f.users.row(5).data(), items, Scene::Home, {3, 3, 3, 3}, fast);
  m.predict_full(f.users.row(5).data(), items, Scene::Home, {3, 3, 3, 3}, full);
  for (std::size_t j = 0; j < items.size(); ++j)
    CHECK(fast[j].click == Approx(full[j].click).margin(1e-5));
}

TEST_CASE("each item's share of the cross layer has the same bits in any order, on any thread",
          "[ranking][threads]") {
  const Fixture& f = fixture();
  RankingModel trained(RankingConfig{}, f.model, f.counts);
  ImpressionOptions io;
  io.users = 200;
  trained.fit(simulate_impressions(f.shop.truth, f.candidates, io), f.users, 0.2);
  const std::vector<std::int32_t> users = {3, 40, 77, 150};
  // Reference: a fresh copy ranks the users in one order...
  const auto predictions = [&](const RankingModel& m, const std::vector<std::int32_t>& order) {
    std::vector<std::vector<RankingPrediction>> out(users.size());
    for (std::size_t k : std::vector<std::size_t>{0, 1, 2, 3}) {
      const std::size_t i = static_cast<std::size_t>(order[k]);
      m.predict(f.users.row(users[i]).data(), f.candidates[users[i]], Scene::Default, {}, out[i]);
    }
    return out;
  };
  const auto same = [](const std::vector<std::vector<RankingPrediction>>& a,
                       const std::vector<std::vector<RankingPrediction>>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t u = 0; u < a.size(); ++u) {
      if (a[u].size() != b[u].size()) return false;
      for (std::size_t j = 0; j < a[u].size(); ++j)
        if (std::memcmp(&a[u][j], &b[u][j], sizeof a[u][j]) != 0) return false;
    }
    return true;
  };
  RankingModel first = trained;
  first.prepare();  // every row computed again, on first use
  const auto reference = predictions(first, {0, 1, 2, 3});
  // ...another in the reverse order (other rows are computed first, others reused)...
  RankingModel second = trained;
  second.prepare();
  CHECK(same(predictions(second, {3, 2, 1, 0}), reference));
  // ...and again, every row now computed: the stored rows give the same bits.
  CHECK(same(predictions(second, {0, 1, 2, 3}), reference));
#if !defined(__EMSCRIPTEN__) || defined(__EMSCRIPTEN_PTHREADS__)
  // Four threads on a fresh copy, all rows computed concurrently (races read or recompute).
  RankingModel shared = trained;
  shared.prepare();
  std::vector<std::vector<std::vector<RankingPrediction>>> got(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      got[t] = predictions(shared, t % 2 ? std::vector<std::int32_t>{3, 2, 1, 0}
                                         : std::vector<std::int32_t>{0, 1, 2, 3});
    });
  for (auto& t : threads) t.join();
  for (const auto& g : got) CHECK(same(g, reference));
#endif
}

TEST_CASE("impressions from logs and ranking config errors", "[ranking][errors]") {
  Vocabulary users({"a", "b"});
  const Interactions logs(
      users, 10,
      {Interaction{0, 1, 1, 1, Event::Click}, Interaction{0, 2, 2, 1, Event::Purchase},
       Interaction{1, 3, 1, 1, Event::Click}});
  const auto imps = impressions_from_logs(logs, 2, 1);
  CHECK(imps.size() == 9);
  int clicked = 0, purchased = 0;
  for (const auto& im : imps) {
    clicked += im.clicked > 0;
    purchased += im.purchased > 0;
    if (im.clicked == 0) CHECK((im.user != 0 || (im.item != 1 && im.item != 2)));
  }
  CHECK(clicked == 3);
  CHECK(purchased == 1);
  CHECK_THROWS_WITH(RankingConfig::from_json(R"({"hiden": [3]})"),
                    Catch::Contains("unknown key 'hiden'"));
  CHECK_THROWS_WITH(RankingConfig::from_json(R"({"learning_rate": 0})"),
                    Catch::Contains("'learning_rate'"));
  Scene s;
  CHECK(parse_scene("cart_page", s));
  CHECK(s == Scene::Cart);
  CHECK_FALSE(parse_scene("checkout", s));
}
