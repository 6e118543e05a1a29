// The synthetic shop: sizes, distributions, the hidden truth, determinism and the golden checksum
// shared by the native and the wasm build.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "common/check.h"
#include "data/dataset.h"
#include "data/synthetic.h"

using namespace recsys;

namespace {
const SyntheticShop& default_shop() {
  static const SyntheticShop shop = generate_synthetic_shop();
  return shop;
}
}  // namespace

TEST_CASE("the default synthetic shop has the tutorial's sizes", "[synthetic]") {
  const auto& d = default_shop().data;
  const auto s = compute_stats(d);
  CHECK(s.users == 10000);
  CHECK(s.items == 5000);
  CHECK(s.interactions == 100000);
  CHECK(s.categories == 20);
  CHECK(s.brands == 15);
  CHECK(s.price_min >= 10);
  CHECK(s.price_max <= 200);
  CHECK(s.price_mean == Approx(52).margin(3));  // Normal(50, 30) clipped below at 10
  const double purchase_share = double(s.purchases) / double(s.interactions);
  CHECK(purchase_share > 0.15);
  CHECK(purchase_share < 0.25);
  CHECK(s.clicks + s.purchases == s.interactions);
  CHECK(s.first_timestamp >= 1609459200);  // 2021-01-01
  CHECK(s.last_timestamp < 1672531200);    // 2023-01-01
  // Long tail: the most popular 1 % of items hold far more than 1 % of events.
  CHECK(s.top1pct_item_share > 0.10);
  for (std::int32_t u = 0; u < s.users; ++u) CHECK(d.interactions.history(u).size() >= 2);
}

TEST_CASE("the hidden truth explains the logged behaviour", "[synthetic]") {
  const auto& shop = default_shop();
  const auto& x = shop.data.interactions;
  const auto& t = shop.truth;
  // Users click what they truly like: clicked items score well above random items.
  double clicked = 0, random = 0;
  std::int64_t n = 0;
  std::uint64_t s = 1;
  for (const auto& e : x.events()) {
    if (e.event != Event::Click) continue;
    clicked += t.score(e.user, e.item);
    s = s * 6364136223846793005ULL + 1;
    random += t.score(e.user, static_cast<std::int32_t>((s >> 33) % 5000));
    ++n;
  }
  CHECK(clicked / n - random / n > 2.0);
  // Purchases follow a click of the same item by the same user.
  std::int64_t purchases = 0, after_click = 0;
  for (std::int32_t u = 0; u < x.num_users(); ++u) {
    const auto h = x.history(u);
    for (std::size_t i = 0; i < h.size(); ++i) {
      if (h[i].event != Event::Purchase) continue;
      ++purchases;
      if (i > 0 && h[i - 1].event == Event::Click && h[i - 1].item == h[i].item) ++after_click;
    }
  }
  CHECK(after_click == purchases);
  // Consecutive clicks are coherent: mostly the same category, far above chance.
  const auto& cat = shop.data.catalog;
  std::vector<double> share(static_cast<std::size_t>(cat.categories().size()), 0);
  for (const auto& e : x.events()) share[cat.category(e.item)] += 1.0 / double(x.size());
  double chance = 0;
  for (double p : share) chance += p * p;
  std::int64_t pairs = 0, same = 0;
  for (std::int32_t u = 0; u < x.num_users(); ++u) {
    const auto h = x.history(u);
    std::int32_t prev = -1;
    for (const auto& e : h) {
      if (e.event != Event::Click) continue;
      if (prev >= 0) {
        ++pairs;
        same += cat.category(prev) == cat.category(e.item);
      }
      prev = e.item;
    }
  }
  CHECK(double(same) / double(pairs) > 0.5);
  CHECK(double(same) / double(pairs) > 5 * chance);
  // Probabilities follow the documented logistic model.
  const auto& c = t.config();
  const double sc = t.score(3, 17);
  CHECK(t.click_probability(3, 17) ==
        Approx(1 / (1 + std::exp(-(c.click_bias + c.click_slope * sc)))));
  CHECK(t.purchase_probability(3, 17) ==
        Approx(1 / (1 + std::exp(-(c.purchase_bias + c.purchase_slope * sc)))));
  // top_k is the argsort of the true score.
  const auto top = t.top_k(5, 10);
  REQUIRE(top.size() == 10);
  double worst_in_top = 1e9, best_outside = -1e9;
  const std::set<std::int32_t> in_top(top.begin(), top.end());
  for (std::int32_t i = 0; i < 5000; ++i) {
    if (in_top.count(i))
      worst_in_top = std::min(worst_in_top, t.score(5, i));
    else
      best_outside = std::max(best_outside, t.score(5, i));
  }
  CHECK(worst_in_top >= best_outside);
  for (std::size_t j = 1; j < top.size(); ++j) CHECK(t.score(5, top[j - 1]) >= t.score(5, top[j]));
  CHECK_THROWS_WITH(t.score(10000, 0), Catch::Contains("user index 10000"));
}

TEST_CASE("the same seed gives a bit-identical shop with the golden checksum on every target",
          "[synthetic][checksum]") {
  // These constants are the contract between the native and the WebAssembly build: the same
  // test runs under node (ctest in build-wasm) and must print the same numbers.
  constexpr std::uint64_t kGoldenDataset = 0xf67dee66175a1651ULL;
  constexpr std::uint64_t kGoldenTruth = 0xe4040bbc7af28458ULL;
  const auto& a = default_shop();
  const std::uint64_t sum = checksum(a.data);
  INFO("dataset checksum " << checksum_hex(sum) << ", truth checksum "
                           << checksum_hex(a.truth.checksum()));
  CHECK(sum == kGoldenDataset);
  CHECK(a.truth.checksum() == kGoldenTruth);
  const auto b = generate_synthetic_shop();
  CHECK(checksum(b.data) == sum);
  SyntheticConfig other;
  other.seed = 43;
  CHECK(checksum(generate_synthetic_shop(other).data) != sum);
}

TEST_CASE("synthetic configs: small shops, JSON overrides and errors", "[synthetic][errors]") {
  const auto cfg = SyntheticConfig::from_json(
      R"({"seed": 3, "users": 50, "items": 40, "interactions": 300, "categories": 4, "brands": 3,
          "start": "2022-01-01", "end": "2022-02-01"})");
  const auto shop = generate_synthetic_shop(cfg);
  const auto s = compute_stats(shop.data);
  CHECK(s.users == 50);
  CHECK(s.items == 40);
  CHECK(s.interactions == 300);
  CHECK(s.categories == 4);
  CHECK(s.first_timestamp >= 1640995200);
  CHECK(s.last_timestamp < 1643673600);
  // Fewer interactions than 2 per user still works.
  SyntheticConfig tiny;
  tiny.users = 10;
  tiny.items = 5;
  tiny.categories = 2;
  tiny.interactions = 7;
  CHECK(generate_synthetic_shop(tiny).data.interactions.size() == 7);
  CHECK_THROWS_WITH(SyntheticConfig::from_json(R"({"userz": 3})"),
                    Catch::Contains("unknown key 'userz'"));
  CHECK_THROWS_WITH(SyntheticConfig::from_json(R"({"users": "many"})"),
                    Catch::Contains("'users' must be a number"));
  CHECK_THROWS_WITH(SyntheticConfig::from_json(R"({"users": 0})"), Catch::Contains("'users'"));
  CHECK_THROWS_WITH(SyntheticConfig::from_json(R"({"items": 2.5})"),
                    Catch::Contains("'items' must be an integer"));
  CHECK_THROWS_WITH(SyntheticConfig::from_json(R"({"price_min": 300})"),
                    Catch::Contains("price_min"));
  CHECK_THROWS_WITH(SyntheticConfig::from_json("[1]"), Catch::Contains("expected a JSON object"));
  const auto round = SyntheticConfig::from_json(cfg.to_json());
  CHECK(round.to_json() == cfg.to_json());
}
