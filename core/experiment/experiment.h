// An experiment over recommendation strategies on the synthetic shop, run step by step:
//   - an A/B test: each session's user is drawn at random and assigned to an arm by a salted
//     hash of the user id (the same user always gets the same arm); per arm the business metrics
//     with intervals (CTR and average order value by the delta method, conversion and add-to-cart
//     rates, revenue per user, coverage); each arm against the first (the control) with Welch's
//     t-test or a z test, CUPED on revenue and clicks per user with the user's revenue and clicks
//     in a simulated pre-period (under the control) as the covariate, the mixture SPRT's
//     always-valid p-value and
//     confidence sequence, the users each arm would need for 80 % power, and the SRM check;
//   - a bandit over the same arms (its own sessions): epsilon-greedy, UCB1 or Thompson sampling
//     on clicks (a session with a click) or revenue, with its allocation over time and its regret
//     against the best arm of the A/B test;
//   - off-policy evaluation: sessions logged under an epsilon-greedy policy around a logging
//     arm, with every first slate's propensity; IPS, self-normalised IPS and doubly robust
//     estimates (the ranker as the reward model) of a target arm's expected first-slate clicks,
//     against the truth's value of that arm on the same users.
// step(n) runs n more sessions of each part that is not done; report() reads the state.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "data/dataset.h"
#include "experiment/bandit.h"
#include "experiment/simulator.h"
#include "experiment/stats.h"
#include "ranking/ranking_model.h"
#include "retrieval/two_tower.h"
#include "serving/recommender.h"

namespace recsys::experiment {

struct ArmConfig {
  std::string name;
  bool random = false;  // uniformly random items; else a strategy of the Recommender
  std::string scene = "default";
  std::optional<double> diversity;  // λ (unset: the scene's)
  bool use_ranker = true;
  StrategyConfig strategy = StrategyConfig::defaults();
  double weight = 1;  // share of the A/B split (relative)
};

struct BanditPartConfig {
  bool enabled = true;
  BanditConfig bandit;
  bool revenue = false;  // the reward: revenue of the session; else 1 if it had a click
  std::int64_t sessions = 2000;
};

struct OpePartConfig {
  bool enabled = true;
  std::string logging = "popularity";  // the arm the logging policy serves with 1 - epsilon
  std::string target = "model";        // the arm whose value is estimated
  double epsilon = 0.3;                // the share of sessions given to a uniformly random arm
  std::int64_t sessions = 2000;
};

struct ExperimentConfig {
  std::vector<ArmConfig> arms = default_arms();
  // Sessions of each user simulated under the control arm before the experiment (CUPED's
  // pre-period covariate: the user's revenue and clicks then); 0: the logged history instead.
  int pre_sessions = 1;
  std::string salt = "experiment";
  std::int64_t sessions = 4000;  // planned A/B sessions
  double alpha = 0.05;
  std::uint64_t seed = 7;
  SimulatorConfig simulator;
  BanditPartConfig bandit;
  OpePartConfig ope;

  // model (two-tower + ranker), popularity, diversified (λ = 0.3), random.
  static std::vector<ArmConfig> default_arms();
  // {"arms": [{"name", "random", "scene", "diversity", "use_ranker", "strategy": {...}, "weight"}],
  //  "salt", "sessions", "alpha", "seed", "simulator": {...}, "bandit": {"policy", "reward":
  //  "clicks" | "revenue", "epsilon", "sessions"} or false, "ope": {"logging", "target",
  //  "epsilon", "sessions"} or false, "pre_sessions"}; unknown keys and bad values are errors.
  static ExperimentConfig from_json(std::string_view json);
  void validate() const;
};

// A user's totals in the A/B test.
struct UserTotals {
  int arm = -1;  // -1: not seen yet
  double sessions = 0, impressions = 0, clicks = 0, carts = 0, purchases = 0, revenue = 0;
};

// The arm of a user id under a salt and split weights: an FNV-1a hash of "salt:user" mapped to
// [0, 1) and cut by the cumulative weights.
int assign_arm(std::string_view salt, std::string_view user_id, const std::vector<double>& weights);

class Experiment {
 public:
  // data: the synthetic shop (it must carry its truth); the model (and its ranker, optional)
  // serve every strategy arm.
  Experiment(std::shared_ptr<const TwoTowerModel> model, std::shared_ptr<const RankingModel> ranker,
             const Dataset& data, ExperimentConfig config);
  ~Experiment();

  // Runs up to n more sessions of each part (A/B, bandit, OPE) not yet done.
  void step(std::int64_t n);
  bool done() const;
  std::int64_t ab_sessions() const { return ab_done_; }
  const ExperimentConfig& config() const { return config_; }
  // The state as JSON (arms, comparisons, SRM, warnings, history, bandit, OPE): what the CLI
  // prints and the page shows.
  std::string report_json() const;
  // Per-arm users' totals (tests).
  const std::vector<UserTotals>& users() const { return users_; }

 private:
  struct Impl;
  void run_ab(std::int64_t n);
  void run_bandit(std::int64_t n);
  void run_ope(std::int64_t n);
  void snapshot();

  ExperimentConfig config_;
  std::shared_ptr<const SyntheticTruth> truth_;
  std::unique_ptr<Impl> impl_;
  std::vector<UserTotals> users_;
  std::int64_t ab_done_ = 0, bandit_done_ = 0, ope_done_ = 0;
};

}  // namespace recsys::experiment
