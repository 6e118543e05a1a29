// On-device personalisation: the per-user adapter's loss and gradient, its determinism, and the
// session that carries it through the Recommender (errors change nothing).
#include <catch2/catch.hpp>

#include <cmath>

#include "fixture.h"
#include "serving/personalise.h"
#include "serving/recommender.h"

using namespace recsys;

TEST_CASE("personalise: the adapter lowers its loss, follows its gradient and is deterministic",
          "[serving][personalise]") {
  const auto& fx = test::default_fixture();
  const TwoTowerModel& m = *fx.model;
  nn::Matrix V;
  m.item_embeddings(V);
  const std::vector<std::int32_t> items{5, 17, 42, 42, 300, 1234, 77, 9, 2500, 31};
  PersonaliseOptions o;
  o.steps = 15;
  o.learning_rate = 0.02f;
  const UserAdapter a = personalise_user(m, V, 3, items, o);
  REQUIRE(a.losses.size() == 16);
  REQUIRE(a.delta.size() == static_cast<std::size_t>(m.dim()));
  CHECK(a.losses.back() < a.losses.front() - 0.05f);
  const UserAdapter b = personalise_user(m, V, 3, items, o);
  CHECK(a.delta == b.delta);  // bit for bit
  CHECK(a.losses == b.losses);
  // Adam's first step moves each coordinate by -lr · sign(gradient): compare with central
  // differences of the loss.
  std::vector<UserQuery> prefixes;
  std::vector<std::int32_t> pos;
  for (std::size_t t = 0; t < items.size(); ++t) {
    prefixes.push_back(UserQuery{3, std::vector<std::int32_t>(items.begin(), items.begin() + t)});
    pos.push_back(items[t]);
  }
  nn::Matrix U;
  m.user_embeddings(prefixes, U);
  PersonaliseOptions one = o;
  one.steps = 1;
  const UserAdapter step =
      fit_user_adapter(V, U, pos, {}, one, m.config().temperature, m.config().l2_normalize);
  // The gradient against central differences of the loss, at a δ away from zero and with the
  // l2 term on; and Adam's first step moves each coordinate by -lr · sign(gradient).
  std::vector<float> at(static_cast<std::size_t>(m.dim()));
  for (int k = 0; k < m.dim(); ++k) at[k] = 0.05f * std::sin(0.7f * static_cast<float>(k));
  const float l2 = 1.0f, T = m.config().temperature;
  const bool norm = m.config().l2_normalize;
  std::vector<float> grad, zero_grad;
  const float l0 = adapter_loss(V, U, pos, at, l2, T, norm, &grad);
  CHECK(l0 == adapter_loss(V, U, pos, at, l2, T, norm));  // the same loss without the gradient
  REQUIRE(grad.size() == static_cast<std::size_t>(m.dim()));
  adapter_loss(V, U, pos, {}, 0.0f, T, norm, &zero_grad);
  double worst = 0, scale = 0, data_scale = 0;
  int signs = 0;
  for (int k = 0; k < m.dim(); ++k) {
    std::vector<float> plus = at, minus = at;
    plus[k] += 1e-3f;
    minus[k] -= 1e-3f;
    const double fd = (static_cast<double>(adapter_loss(V, U, pos, plus, l2, T, norm)) -
                       adapter_loss(V, U, pos, minus, l2, T, norm)) /
                      2e-3;
    worst = std::max(worst, std::fabs(fd - grad[k]));
    CHECK(std::fabs(fd - grad[k]) <= 2e-3 + 0.01 * std::fabs(fd));
    scale = std::max(scale, std::fabs(fd));
    data_scale = std::max(data_scale, static_cast<double>(std::fabs(zero_grad[k])));
    if (std::fabs(zero_grad[k]) > 1e-3f) {
      ++signs;
      CHECK((step.delta[k] < 0) == (zero_grad[k] > 0));
      CHECK(std::fabs(step.delta[k]) == Approx(one.learning_rate).epsilon(0.01));
    }
  }
  INFO("largest |gradient - central difference| " << worst << ", largest |gradient| " << scale);
  CHECK(data_scale > 0.05);  // the loss's own gradient (at δ = 0, no l2 term) is not flat
  CHECK(signs >= m.dim() / 2);
  CHECK(worst < 0.02 * scale);
  CHECK(step.losses.front() == adapter_loss(V, U, pos, {}, o.l2, T, norm));
  // No adapter: the tower's own vector; an adapter: normalised again.
  const std::vector<float> u{0.6f, 0.8f};
  CHECK(adapt_user_vector(u.data(), {}, 2, true) == u);
  const auto x = adapt_user_vector(u.data(), {0.4f, -0.8f}, 2, true);
  CHECK(x[0] == Approx(1.0f));
  CHECK(x[1] == Approx(0.0f).margin(1e-6));
  CHECK_THROWS_WITH(adapt_user_vector(u.data(), {1.0f}, 2, true),
                    Catch::Contains("the adapter has 1 values"));
  PersonaliseOptions bad;
  bad.steps = 0;
  CHECK_THROWS_WITH(bad.validate(),
                    Catch::Contains("steps must be an integer in [1, 10000], got 0"));
  bad = PersonaliseOptions();
  bad.learning_rate = -1;
  CHECK_THROWS_WITH(bad.validate(), Catch::Contains("learningRate must be in (0, 10], got -1"));
}

TEST_CASE("personalise: a session carries its adapter; failures and other models change nothing",
          "[serving][personalise]") {
  const auto& fx = test::default_fixture();
  Recommender rec(fx.model, fx.shop.data);
  Session s = rec.create_session("");
  CHECK_THROWS_WITH(rec.personalise(s, PersonaliseOptions()), Catch::Contains("no events"));
  CHECK(s.adapter().empty());
  for (const char* id : {"item_10", "item_11", "item_400", "item_12"})
    rec.track(s, id, "view", 100);
  RecommendRequest req;
  req.k = 10;
  const auto before = rec.recommend(req, &s);
  const auto pooled = rec.user_embedding("", &s);
  const std::uint64_t version = s.version();
  PersonaliseOptions o;
  o.steps = 20;
  o.learning_rate = 0.05f;
  const UserAdapter a = rec.personalise(s, o);
  CHECK(s.adapter() == a.delta);
  CHECK(s.version() > version);  // the cache keys on it: the next list is computed afresh
  const auto adapted = rec.user_embedding("", &s);
  CHECK(adapted == adapt_user_vector(pooled.data(), a.delta, rec.model().dim(), true));
  CHECK(adapted != pooled);
  const auto after = rec.recommend(req, &s);
  REQUIRE(after.size() == before.size());
  // A bad option leaves the adapter as it was.
  PersonaliseOptions bad = o;
  bad.steps = -2;
  CHECK_THROWS(rec.personalise(s, bad));
  CHECK(s.adapter() == a.delta);
  // A state restored for a model of another size is refused when served, naming both sizes.
  Session other = rec.create_session("");
  rec.track(other, "item_10", "view", 100);
  other.set_adapter(std::vector<float>(7, 0.1f));
  CHECK_THROWS_WITH(
      rec.recommend(req, &other),
      Catch::Contains("the session's adapter has 7 values but the model's vectors have"));
  CHECK_THROWS_WITH(other.set_adapter({0.0f, std::nanf("")}),
                    Catch::Contains("not a finite number"));
  CHECK(other.adapter().size() == 7);
  // Forgetting the session forgets its adapter: back to the anonymous list.
  s.clear();
  CHECK(s.adapter().empty());
  CHECK(rec.recommend(req, &s).size() == 10);
}
