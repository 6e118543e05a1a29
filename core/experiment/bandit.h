// Multi-armed bandits over strategies: epsilon-greedy, UCB1 and Thompson sampling (Beta-Bernoulli
// for 0/1 rewards such as "the session had a click"; a Gaussian model for real rewards such as
// revenue). choose() picks an arm, update() records its reward; the allocation over time and the
// cumulative reward are kept for the report.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/rng.h"

namespace recsys::experiment {

enum class BanditPolicy { EpsilonGreedy, Ucb1, Thompson };
// "epsilon_greedy", "ucb1", "thompson".
const char* bandit_policy_name(BanditPolicy p);
bool parse_bandit_policy(const std::string& name, BanditPolicy& out);

struct BanditConfig {
  BanditPolicy policy = BanditPolicy::Thompson;
  bool bernoulli = true;    // rewards in {0, 1} (Beta posterior); false: real (Gaussian)
  double epsilon = 0.1;     // epsilon-greedy's exploration share
  double reward_scale = 1;  // UCB1 divides real rewards by this (its bound assumes [0, 1])
  void validate() const;
};

class Bandit {
 public:
  Bandit(int arms, BanditConfig config);
  int choose(Rng& rng) const;
  void update(int arm, double reward);
  int arms() const { return static_cast<int>(pulls_.size()); }
  const std::vector<double>& pulls() const { return pulls_; }
  const std::vector<double>& sums() const { return sums_; }
  double mean(int arm) const;
  double total_reward() const { return total_; }
  double steps() const { return steps_; }
  const BanditConfig& config() const { return config_; }

 private:
  BanditConfig config_;
  std::vector<double> pulls_, sums_, squares_;
  double total_ = 0, steps_ = 0;
};

// Beta(a, b) from two gamma draws.
double beta_sample(Rng& rng, double a, double b);

}  // namespace recsys::experiment
