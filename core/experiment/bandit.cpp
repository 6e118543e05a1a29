#include "experiment/bandit.h"

#include <cmath>

#include "common/check.h"

namespace recsys::experiment {

const char* bandit_policy_name(BanditPolicy p) {
  switch (p) {
    case BanditPolicy::EpsilonGreedy:
      return "epsilon_greedy";
    case BanditPolicy::Ucb1:
      return "ucb1";
    case BanditPolicy::Thompson:
      return "thompson";
  }
  return "thompson";
}

bool parse_bandit_policy(const std::string& name, BanditPolicy& out) {
  for (BanditPolicy p : {BanditPolicy::EpsilonGreedy, BanditPolicy::Ucb1, BanditPolicy::Thompson})
    if (name == bandit_policy_name(p)) {
      out = p;
      return true;
    }
  return false;
}

void BanditConfig::validate() const {
  RECSYS_CHECK(epsilon >= 0 && epsilon <= 1, "bandit: epsilon must be in [0, 1], got ", epsilon);
  RECSYS_CHECK(reward_scale > 0 && std::isfinite(reward_scale),
               "bandit: reward_scale must be > 0, got ", reward_scale);
}

Bandit::Bandit(int arms, BanditConfig config) : config_(config) {
  config_.validate();
  RECSYS_CHECK(arms >= 2, "bandit: needs at least 2 arms, got ", arms);
  pulls_.assign(static_cast<std::size_t>(arms), 0);
  sums_.assign(static_cast<std::size_t>(arms), 0);
  squares_.assign(static_cast<std::size_t>(arms), 0);
}

double Bandit::mean(int a) const {
  const auto i = static_cast<std::size_t>(a);
  return pulls_[i] > 0 ? sums_[i] / pulls_[i] : 0;
}

double beta_sample(Rng& rng, double a, double b) {
  const double x = rng.gamma(a), y = rng.gamma(b);
  return x + y > 0 ? x / (x + y) : 0.5;
}

int Bandit::choose(Rng& rng) const {
  const int n = arms();
  // Every arm once first (UCB1 and epsilon-greedy need a mean; Thompson's prior covers it).
  if (config_.policy != BanditPolicy::Thompson)
    for (int a = 0; a < n; ++a)
      if (pulls_[static_cast<std::size_t>(a)] == 0) return a;
  int best = 0;
  double best_value = -1e300;
  switch (config_.policy) {
    case BanditPolicy::EpsilonGreedy:
      if (rng.uniform() < config_.epsilon)
        return static_cast<int>(rng.below(static_cast<std::uint32_t>(n)));
      for (int a = 0; a < n; ++a)
        if (mean(a) > best_value) {
          best_value = mean(a);
          best = a;
        }
      return best;
    case BanditPolicy::Ucb1:
      for (int a = 0; a < n; ++a) {
        const double m = mean(a) / (config_.bernoulli ? 1 : config_.reward_scale);
        const double v = m + std::sqrt(2 * std::log(steps_) / pulls_[static_cast<std::size_t>(a)]);
        if (v > best_value) {
          best_value = v;
          best = a;
        }
      }
      return best;
    case BanditPolicy::Thompson:
      for (int a = 0; a < n; ++a) {
        const auto i = static_cast<std::size_t>(a);
        double draw;
        if (config_.bernoulli) {
          draw = beta_sample(rng, 1 + sums_[i], 1 + pulls_[i] - sums_[i]);
        } else {
          // Normal posterior of the mean with the sample variance (a unit-variance prior
          // pseudo-observation at 0 keeps it proper before two pulls).
          const double k = pulls_[i] + 1;
          const double m = sums_[i] / k;
          const double var =
              pulls_[i] > 1
                  ? std::max((squares_[i] - sums_[i] * sums_[i] / pulls_[i]) / (pulls_[i] - 1),
                             1e-12)
                  : config_.reward_scale * config_.reward_scale;
          draw = m + std::sqrt(var / k) * rng.normal();
        }
        if (draw > best_value) {
          best_value = draw;
          best = a;
        }
      }
      return best;
  }
  return best;
}

void Bandit::update(int a, double reward) {
  RECSYS_CHECK(a >= 0 && a < arms(), "bandit: arm ", a, " out of range [0, ", arms(), ")");
  RECSYS_CHECK(std::isfinite(reward), "bandit: reward must be finite, got ", reward);
  RECSYS_CHECK(!config_.bernoulli || reward == 0 || reward == 1,
               "bandit: a Bernoulli bandit's reward must be 0 or 1, got ", reward);
  const auto i = static_cast<std::size_t>(a);
  pulls_[i] += 1;
  sums_[i] += reward;
  squares_[i] += reward * reward;
  total_ += reward;
  steps_ += 1;
}

}  // namespace recsys::experiment
