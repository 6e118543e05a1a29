// The strategy layer's configuration: for each scene, candidate sources with quotas, whether the
// ranking model re-ranks, the diversity λ and a per-category cap; the ranking objective; business
// rules. Defaults (DESIGN.md): home_page → trending blended with personal for known users;
// cart_page → complementary to the cart; product_page → similar + complementary to the product;
// default → personal.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "features/scene.h"

namespace recsys {

enum class SourceKind : std::uint8_t {
  Personal,
  Popular,
  Trending,
  Complementary,
  Similar,
  Repeat,
  Neighbours,
  Ease
};
constexpr int kNumSources = 8;
// "personal", "popular", "trending", "complementary", "similar", "repeat" (the user's own items
// again, most frequent first, then most recent: for shops whose customers reorder; it needs
// exclude_purchased off to propose bought items), "neighbours" (item-kNN: the items most similar
// to everything the user had, by the cosine of the users who had both; built from the logs when a
// scene uses it), "ease" (the same sum over EASE's item-item weights, Steck 2019, each item's top
// 100 kept: O(items³) to build, when a scene uses it).
const char* source_name(SourceKind s);
// Every source name in enum order (the JS API's SourceKind type lists the same, a test checks it).
std::vector<std::string> source_names();

struct SourceQuota {
  SourceKind source = SourceKind::Personal;
  int quota = 100;  // candidates taken from this source
};

struct SceneConfig {
  // The page the scene is shown on: the ranker's context feature, and a product page excludes
  // its product. Default: the built-in page of the scene's name, else Scene::Default.
  Scene page = Scene::Default;
  std::vector<SourceQuota> sources;
  bool rank = true;        // re-rank with the ranking model when one is loaded
  double diversity = 0.1;  // λ of diversify()
  int category_cap = 0;    // 0: none
};

struct Boost {
  std::string category, brand;  // an empty field matches everything
  double factor = 1;
};

struct StrategyConfig {
  std::map<std::string, SceneConfig> scenes;
  std::string objective = "clicks";  // clicks | purchases | revenue (P(purchase) · price)
  bool exclude_purchased = true;     // items the user bought (logs and session)
  bool exclude_in_cart = true;
  bool exclude_out_of_stock = true;  // catalog attribute in_stock = false / 0 / no
  bool exclude_seen = false;         // every item the user interacted with
  std::vector<Boost> boosts;
  double trending_half_life_days = 7;
  double ease_lambda = 100;  // the ease source's L2 penalty (Steck 2019)
  // The click / purchase ranker's share of a ranked candidate's relevance: w · p / max(p) +
  // (1 - w) · the retrieval's normalised score (1: the ranker alone; 0: the retrieval order).
  double ranker_weight = 1;

  static StrategyConfig defaults();
  // Merges onto the defaults: {"objective", "exclude_purchased", "exclude_in_cart",
  // "exclude_out_of_stock", "exclude_seen", "trending_half_life_days", "ease_lambda", "ranker_weight", "boosts": [{category,
  // brand, factor}], "scenes": {name: {"page", "sources": [{"source", "quota"}], "rank",
  // "diversity", "category_cap"}}}. Unknown keys, sources and bad values are errors.
  static StrategyConfig from_json(std::string_view json);
  std::string to_json() const;
  void validate() const;
};

}  // namespace recsys
