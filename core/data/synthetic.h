// A seeded synthetic shop whose users have hidden true preferences that a model can learn.
//
// Truth model (all draws from recsys::Rng, so a seed gives the same shop natively and in wasm):
//   item i:  category c_i, brand b_i, price p_i ~ Normal(price_mean, price_std) clipped to
//            [price_min, price_max], quality q_i ~ N(0, 1), latent y_i ~ N(0, I_d), and a
//            popularity rank r_i (a random permutation) giving exposure e_i = (r_i +
//            1)^-popularity_exponent.
//   user u:  category affinity a_u ~ Dirichlet(category_concentration · C · w_c), brand affinity
//            β_u ~ Dirichlet(brand_concentration · B · v_b), where w and v are the normalised
//            category and brand sizes (Gamma(3) and Gamma(1.5) weights), so big categories and
//            brands attract more users; price sensitivity γ_u ~ Gamma(2) / 2,
//            latent x_u ~ N(0, I_d), activity ~ LogNormal(0, 1).
//   true score  s(u, i) = w_category · ln max(C·a_u[c_i], 1e-3) + w_brand · ln max(B·β_u[b_i],
//   1e-3)
//                         − w_price · γ_u · ln(p_i / price_mean) + w_latent · <x_u, y_i> / √d
//                         + w_quality · q_i
//   P(click | shown)       = σ(click_bias + click_slope · s(u, i))
//   P(purchase | click)    = σ(purchase_bias + purchase_slope · s(u, i))
// Logged behaviour: each user gets max(2, ...) events, in proportion to activity, in sessions
// (length 1 + Geometric, mean mean_session_length) at uniform random times in [start, end).
// A session focuses on one category (drawn from a_u with probability session_focus, else uniform);
// each step the user clicks item i of that category with probability ∝ e_i · exp(s(u, i)) — what
// is popular is seen more, what is liked is chosen more — and then buys it with
// P(purchase | click) (quantity 1, sometimes 2–4). So events are coherent within a session,
// popularity is long-tailed, and about 20 % of events are purchases with the defaults.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "data/dataset.h"

namespace recsys {

struct SyntheticConfig {
  std::uint64_t seed = 42;
  std::int32_t users = 10000;
  std::int32_t items = 5000;
  std::int64_t interactions = 100000;
  std::int32_t categories = 20;
  std::int32_t brands = 15;
  double price_mean = 50, price_std = 30, price_min = 10, price_max = 200;
  std::int64_t start = 1609459200;  // 2021-01-01T00:00:00Z
  std::int64_t end = 1672531200;    // 2023-01-01T00:00:00Z (exclusive)
  std::int32_t latent_dim = 8;
  double popularity_exponent = 0.8;
  double category_concentration = 0.3;
  double brand_concentration = 0.5;
  double session_focus = 0.85;
  double mean_session_length = 4;
  double w_category = 1.0, w_brand = 0.6, w_price = 1.0, w_latent = 1.0, w_quality = 0.4;
  double click_bias = -2.0, click_slope = 0.6;
  double purchase_bias = -2.6, purchase_slope = 0.5;

  // Throws an Error naming the field and value when a setting is out of range.
  void validate() const;
  // Overrides fields from a JSON object; an unknown key or a wrong type is an error.
  static SyntheticConfig from_json(std::string_view json);
  std::string to_json() const;
};

// The hidden truth behind a synthetic shop, for tests and the experiment simulator.
class SyntheticTruth {
 public:
  double score(std::int32_t user, std::int32_t item) const;
  double click_probability(std::int32_t user, std::int32_t item) const;
  double purchase_probability(std::int32_t user, std::int32_t item) const;
  // The k items with the highest true score for user, best first (ties by index).
  std::vector<std::int32_t> top_k(std::int32_t user, std::int32_t k) const;
  double exposure(std::int32_t item) const;
  std::int32_t num_users() const { return n_users_; }
  std::int32_t num_items() const { return n_items_; }
  const SyntheticConfig& config() const { return config_; }
  // FNV-1a over every hidden parameter, bit for bit.
  std::uint64_t checksum() const;

 private:
  friend struct SyntheticBuilder;
  void check(std::int32_t user, std::int32_t item) const;

  SyntheticConfig config_;
  std::int32_t n_users_ = 0, n_items_ = 0;
  std::vector<std::int32_t> item_category_, item_brand_;
  std::vector<double> item_log_rel_price_, item_quality_, item_latent_, item_exposure_;
  std::vector<double> user_log_category_, user_log_brand_;  // ln max(C·a, 1e-3), ln max(B·β, 1e-3)
  std::vector<double> user_price_sens_, user_latent_;
};

struct SyntheticShop {
  Dataset data;
  SyntheticTruth truth;
};

SyntheticShop generate_synthetic_shop(const SyntheticConfig& config = SyntheticConfig());
// The shop as a Dataset that carries its truth (Dataset::truth).
Dataset generate_synthetic_dataset(const SyntheticConfig& config = SyntheticConfig());

}  // namespace recsys
