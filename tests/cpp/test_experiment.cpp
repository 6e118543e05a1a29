// Experiments on the synthetic shop: hash assignment, the simulator's determinism (the same
// figures natively and in wasm), bandit regret, off-policy estimates against the truth, and the
// model arm beating random and popularity at the default size.
#include <catch2/catch.hpp>

#include <cmath>
#include <set>

#include <nlohmann/json.hpp>

#include "experiment/bandit.h"
#include "experiment/experiment.h"
#include "fixture.h"
#include "ranking/fit.h"

using namespace recsys;
using namespace recsys::experiment;
using nlohmann::json;
using test::kind_of;

namespace {
std::shared_ptr<const TwoTowerModel> model() {
  return test::default_fixture().model;
}
const Dataset& shop() {
  static const Dataset d = generate_synthetic_dataset(SyntheticConfig());  // carries the truth
  return d;
}
json run(const std::string& config, std::shared_ptr<const RankingModel> ranker = nullptr) {
  Experiment e(model(), ranker, shop(), ExperimentConfig::from_json(config));
  while (!e.done()) e.step(500);
  return json::parse(e.report_json());
}
}  // namespace

TEST_CASE("assignment: a salted hash, the same arm for the same user, the planned split",
          "[experiment]") {
  const std::vector<double> even{1, 1}, skewed{1, 3};
  std::vector<double> counts(2, 0), counts_skewed(2, 0);
  int moved = 0;
  for (int u = 0; u < 20000; ++u) {
    const std::string id = "user_" + std::to_string(u);
    const int a = assign_arm("exp-1", id, even);
    CHECK(a == assign_arm("exp-1", id, even));
    counts[static_cast<std::size_t>(a)] += 1;
    counts_skewed[static_cast<std::size_t>(assign_arm("exp-1", id, skewed))] += 1;
    moved += a != assign_arm("exp-2", id, even);
  }
  CHECK_FALSE(srm_check(counts, even).mismatch);
  CHECK_FALSE(srm_check(counts_skewed, skewed).mismatch);
  CHECK(counts_skewed[1] / 20000 == Approx(0.75).margin(0.015));
  CHECK(moved == Approx(10000).margin(400));  // another salt reshuffles half the users
}

TEST_CASE("the simulator is deterministic: same seed, same figures, on every target",
          "[experiment][simulator]") {
  // Popularity and random arms rank by integer counts and seeded draws: the figures below were
  // recorded natively and must come out of the wasm build too.
  const std::string config = R"({"sessions": 600, "seed": 11, "bandit": {"sessions": 300},
    "ope": {"logging": "popularity", "target": "random", "sessions": 300},
    "arms": [{"name": "popularity", "use_ranker": false,
              "strategy": {"scenes": {"default": {"sources": [{"source": "popular", "quota": 100}], "rank": false, "diversity": 0}}}},
             {"name": "random", "random": true}]})";
  const json a = run(config), b = run(config);
  CHECK(a.dump() == b.dump());
  const auto& pop = a["arms"][0];
  const auto& rnd = a["arms"][1];
  INFO(a["arms"].dump() << "\n" << a["bandit"]["pulls"].dump());
  CHECK(pop["users"] == 299);
  CHECK(pop["clicks"] == 576);
  CHECK(pop["purchases"] == 140);
  CHECK(pop["revenue"].get<double>() == Approx(2348.35).margin(1e-9));
  CHECK(rnd["users"] == 284);
  CHECK(rnd["clicks"] == 277);
  CHECK(rnd["revenue"].get<double>() == Approx(1891.04).margin(1e-9));
  CHECK(a["bandit"]["pulls"] == json::parse("[284.0, 16.0]"));
  // Another seed gives other figures.
  const json c = run(R"({"sessions": 600, "seed": 12, "bandit": false, "ope": false,
    "arms": [{"name": "popularity", "use_ranker": false}, {"name": "random", "random": true}]})");
  CHECK(c["arms"][1]["clicks"] != rnd["clicks"]);
}

TEST_CASE("bandits: Thompson sampling and UCB1 have sub-linear regret, far below uniform",
          "[experiment][bandit]") {
  // P(a session has a click) of four strategies, about as far apart as the default arms'.
  const std::vector<double> rates{0.6, 0.5, 0.45, 0.3};
  const double best = 0.6;
  auto regret_of = [&](BanditPolicy policy, int steps, std::uint64_t seed) {
    BanditConfig cfg;
    cfg.policy = policy;
    Bandit b(static_cast<int>(rates.size()), cfg);
    Rng rng(seed, 3);
    double regret = 0;
    for (int t = 0; t < steps; ++t) {
      const int a = b.choose(rng);
      regret += best - rates[static_cast<std::size_t>(a)];
      b.update(a, rng.bernoulli(rates[static_cast<std::size_t>(a)]) ? 1 : 0);
    }
    return regret;
  };
  const double uniform = 20000 * (best - (0.6 + 0.5 + 0.45 + 0.3) / 4);  // 2,750
  for (BanditPolicy p : {BanditPolicy::Thompson, BanditPolicy::Ucb1}) {
    double early = 0, late = 0;
    for (std::uint64_t seed = 1; seed <= 5; ++seed) {
      early += regret_of(p, 5000, seed) / 5;
      late += regret_of(p, 20000, seed) / 5;
    }
    INFO(bandit_policy_name(p) << ": regret " << early << " after 5,000 pulls, " << late
                               << " after 20,000; uniform " << uniform);
    CHECK(late < 0.2 * uniform);
    CHECK(late < 2.5 * early);  // linear growth would be 4x
  }
  // Thompson sampling with the Gaussian model, on revenue-like rewards (a purchase of about 20
  // with probability 0.3, 0.25 or 0.2): most pulls go to the best arm.
  BanditConfig gauss;
  gauss.bernoulli = false;
  gauss.reward_scale = 20;
  Bandit g(3, gauss);
  Rng rng(5, 9);
  const std::vector<double> buy{0.3, 0.25, 0.2};
  for (int t = 0; t < 6000; ++t) {
    const int a = g.choose(rng);
    g.update(a, rng.bernoulli(buy[static_cast<std::size_t>(a)]) ? rng.exponential(20) : 0.0);
  }
  INFO("Gaussian Thompson pulls " << g.pulls()[0] << " / " << g.pulls()[1] << " / " << g.pulls()[2]);
  CHECK(g.pulls()[0] > 0.6 * 6000);
  // Epsilon-greedy explores a fixed share: linear regret, but still below uniform.
  CHECK(regret_of(BanditPolicy::EpsilonGreedy, 20000, 1) < uniform);
  CHECK_THROWS_WITH(Bandit(1, BanditConfig{}), Catch::Contains("at least 2 arms"));
}

TEST_CASE("off-policy estimates bracket the target's true value; DR has lower variance than IPS",
          "[experiment][ope]") {
  // A ranker for the reward model, fitted on a small sample of the fixture's shop.
  static const std::shared_ptr<const RankingModel> ranker = [] {
    ImpressionOptions io;
    io.users = 400;
    RankingConfig rc;
    rc.epochs = 2;
    return fit_ranker(test::default_fixture().model, shop(), shop().interactions, rc, io).ranker;
  }();
  // Logged mostly with random slates; the target is the popularity strategy. 40 seeds of 500
  // logged sessions: enough for the variance over seeds to tell DR from IPS.
  const int seeds = 40;
  double ips_sum = 0, ips_sq = 0, dr_sum = 0, dr_sq = 0;
  int bracketed = 0, runs = 0;
  for (int seed = 1; seed <= seeds; ++seed) {
    const json r = run(
        R"({"sessions": 10, "alpha": 0.01, "bandit": false, "seed": )" + std::to_string(seed) + R"(,
      "ope": {"logging": "random", "target": "popularity", "epsilon": 0.5, "sessions": 500},
      "arms": [{"name": "popularity", "use_ranker": false,
                "strategy": {"scenes": {"default": {"sources": [{"source": "popular", "quota": 100}], "rank": false, "diversity": 0}}}},
               {"name": "random", "random": true}, {"name": "other", "random": true}]})",
        ranker);
    const auto& o = r["ope"];
    const double truth = o["truth"]["value"];
    for (const char* key : {"ips", "snips", "dr"}) {
      ++runs;
      bracketed +=
          o[key]["ciLow"].get<double>() <= truth && truth <= o[key]["ciHigh"].get<double>();
    }
    const double ips = o["ips"]["value"], dr = o["dr"]["value"];
    ips_sum += ips;
    ips_sq += ips * ips;
    dr_sum += dr;
    dr_sq += dr * dr;
    const auto width = [&](const char* k) {
      return o[k]["ciHigh"].get<double>() - o[k]["ciLow"].get<double>();
    };
    INFO(o.dump());
    CHECK(width("dr") < width("ips"));  // within a run too
  }
  const double var_ips = (ips_sq - ips_sum * ips_sum / seeds) / (seeds - 1);
  const double var_dr = (dr_sq - dr_sum * dr_sum / seeds) / (seeds - 1);
  INFO("99 % intervals holding the truth: " << bracketed << " of " << runs
                                            << "; variance over seeds: IPS " << var_ips << ", DR "
                                            << var_dr);
  CHECK(bracketed >= runs * 0.95);  // 99 % intervals: about 1 miss in 100
  CHECK(var_dr < var_ips);
}

TEST_CASE("the model arm beats random and popularity on CTR and revenue at the default size",
          "[experiment][ab]") {
  // The default arms and size (4,000 sessions), the fixture's two-tower model without a ranker.
  const json r = run(R"({"bandit": false, "ope": false})");
  REQUIRE(r["comparisons"].size() == 3);
  for (const auto& c : r["comparisons"]) {
    if (c["arm"] == "diversified") continue;
    INFO(c["arm"] << ": CTR " << c["ctr"].dump() << "\nrevenue " << c["revenuePerUser"].dump());
    CHECK(c["ctr"]["difference"].get<double>() < 0);
    CHECK(c["ctr"]["pValue"].get<double>() < 0.01);
    CHECK(c["revenuePerUser"]["difference"].get<double>() < 0);
    CHECK(c["revenuePerUser"]["pValue"].get<double>() < 0.01);
  }
  CHECK_FALSE(r["srm"]["mismatch"].get<bool>());
  CHECK(r["warnings"].empty());  // read at the planned size, no SRM
}

TEST_CASE("experiment configs and data are checked", "[experiment][errors]") {
  CHECK_THROWS_WITH(ExperimentConfig::from_json(R"({"arms": [{"name": "a"}]})"),
                    Catch::Contains("needs 2 to 8 arms"));
  CHECK(kind_of([] { ExperimentConfig::from_json(R"({"sesions": 5})"); }) == ErrorKind::Type);
  CHECK_THROWS_WITH(ExperimentConfig::from_json(R"({"bandit": {"policy": "greedy"}})"),
                    Catch::Contains("unknown policy 'greedy'"));
  CHECK_THROWS_WITH(ExperimentConfig::from_json(R"({"ope": {"target": "nope"}})"),
                    Catch::Contains("ope target arm 'nope' is not an arm"));
  CHECK_THROWS_WITH(
      ExperimentConfig::from_json(R"({"arms": [{"name": "a"}, {"name": "a", "random": true}]})"),
      Catch::Contains("two arms are named 'a'"));
  Dataset no_truth = shop();
  no_truth.truth = nullptr;
  CHECK(kind_of([&] { Experiment(model(), nullptr, no_truth, ExperimentConfig()); }) ==
        ErrorKind::State);
  Experiment e(model(), nullptr, shop(), ExperimentConfig::from_json(R"({"sessions": 10})"));
  CHECK_THROWS_WITH(e.step(0), Catch::Contains("n >= 1"));
}
