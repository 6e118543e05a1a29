// Business rules of the strategy layer: which items a user may not be shown (out of stock,
// already bought, in the cart, already seen — each rule switched in StrategyConfig), and the
// boosts that multiply the relevance of a category or brand. Exclusions apply before the
// candidate sources run, so that no source spends its quota on items the rules would drop.
#pragma once

#include <cstdint>
#include <vector>

#include "retrieval/index.h"
#include "retrieval/two_tower.h"
#include "strategy/strategy_config.h"

namespace recsys {

// What the rules know of one user: the logged items and purchases (model item indices, time
// order; null for an anonymous visitor) and the session's items, purchases and cart.
struct UserState {
  const std::vector<std::int32_t>* logged_items = nullptr;
  const std::vector<std::int32_t>* logged_purchases = nullptr;
  std::vector<std::int32_t> session_items, session_purchases, cart;
};

// Removes from `filter` what the configured rules exclude for this user; out_of_stock has one
// flag per model item.
void apply_exclusion_rules(const StrategyConfig& strategy, const std::vector<char>& out_of_stock,
                           const UserState& user, ItemFilter& filter);

// Multiplies relevance[c] of items[c] by every boost whose category and brand match.
void apply_boosts(const StrategyConfig& strategy, const TwoTowerModel& model,
                  const std::vector<std::int32_t>& items, std::vector<float>& relevance);

}  // namespace recsys
