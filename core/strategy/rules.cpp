#include "strategy/rules.h"

namespace recsys {

void apply_exclusion_rules(const StrategyConfig& s, const std::vector<char>& out_of_stock,
                           const UserState& user, ItemFilter& filter) {
  if (s.exclude_out_of_stock)
    for (std::size_t i = 0; i < out_of_stock.size(); ++i)
      if (out_of_stock[i]) filter.exclude(static_cast<std::int32_t>(i));
  if (s.exclude_purchased) {
    if (user.logged_purchases)
      for (std::int32_t i : *user.logged_purchases) filter.exclude(i);
    for (std::int32_t i : user.session_purchases) filter.exclude(i);
  }
  if (s.exclude_in_cart)
    for (std::int32_t i : user.cart) filter.exclude(i);
  if (s.exclude_seen) {
    if (user.logged_items)
      for (std::int32_t i : *user.logged_items) filter.exclude(i);
    for (std::int32_t i : user.session_items) filter.exclude(i);
  }
}

void apply_boosts(const StrategyConfig& s, const TwoTowerModel& model,
                  const std::vector<std::int32_t>& items, std::vector<float>& relevance) {
  for (const auto& b : s.boosts)
    for (std::size_t c = 0; c < items.size(); ++c) {
      const std::int32_t i = items[c];
      const bool cat =
          b.category.empty() || model.categories().token(model.item_category()[i]) == b.category;
      const bool brand = b.brand.empty() || model.brands().token(model.item_brand()[i]) == b.brand;
      if (cat && brand) relevance[c] *= static_cast<float>(b.factor);
    }
}

}  // namespace recsys
