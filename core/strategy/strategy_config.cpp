#include "strategy/strategy_config.h"

#include <cmath>

#include "common/check.h"
#include "data/json_options.h"

namespace recsys {

const char* source_name(SourceKind s) {
  switch (s) {
    case SourceKind::Personal:
      return "personal";
    case SourceKind::Popular:
      return "popular";
    case SourceKind::Trending:
      return "trending";
    case SourceKind::Complementary:
      return "complementary";
    case SourceKind::Similar:
      return "similar";
    case SourceKind::Repeat:
      return "repeat";
    case SourceKind::Neighbours:
      return "neighbours";
    case SourceKind::Ease:
      return "ease";
  }
  return "personal";
}

std::vector<std::string> source_names() {
  std::vector<std::string> out;
  for (int i = 0; i < kNumSources; ++i) out.push_back(source_name(static_cast<SourceKind>(i)));
  return out;
}

namespace {
SourceKind parse_source(const std::string& name) {
  for (SourceKind s :
       {SourceKind::Personal, SourceKind::Popular, SourceKind::Trending, SourceKind::Complementary,
        SourceKind::Similar, SourceKind::Repeat, SourceKind::Neighbours, SourceKind::Ease})
    if (name == source_name(s)) return s;
  RECSYS_FAIL(Range, "strategy: unknown source '", name,
              "' (expected personal, popular, trending, complementary, similar, repeat, neighbours "
              "or ease)");
}
}  // namespace

StrategyConfig StrategyConfig::defaults() {
  StrategyConfig c;
  c.scenes["home_page"] = SceneConfig{
      Scene::Home, {{SourceKind::Trending, 40}, {SourceKind::Personal, 60}}, true, 0.2, 3};
  c.scenes["cart_page"] =
      SceneConfig{Scene::Cart, {{SourceKind::Complementary, 100}}, true, 0.1, 0};
  c.scenes["product_page"] = SceneConfig{
      Scene::Product, {{SourceKind::Similar, 60}, {SourceKind::Complementary, 40}}, true, 0.1, 0};
  c.scenes["default"] = SceneConfig{Scene::Default, {{SourceKind::Personal, 100}}, true, 0.1, 0};
  return c;
}

void StrategyConfig::validate() const {
  RECSYS_CHECK(objective == "clicks" || objective == "purchases" || objective == "revenue",
               "strategy: 'objective' must be clicks, purchases or revenue, got '", objective, "'");
  RECSYS_CHECK(std::isfinite(ease_lambda) && ease_lambda > 0,
               "strategy: 'ease_lambda' must be > 0, got ", ease_lambda);
  RECSYS_CHECK(ranker_weight >= 0 && ranker_weight <= 1,
               "strategy: 'ranker_weight' must be in [0, 1], got ", ranker_weight);
  RECSYS_CHECK(std::isfinite(trending_half_life_days) && trending_half_life_days > 0,
               "strategy: 'trending_half_life_days' must be > 0, got ", trending_half_life_days);
  RECSYS_CHECK(scenes.count("default"), "strategy: the 'default' scene is required");
  for (const auto& [name, s] : scenes) {
    RECSYS_CHECK(!s.sources.empty(), "strategy: scene '", name, "' has no sources");
    for (const auto& q : s.sources)
      RECSYS_CHECK(q.quota >= 1 && q.quota <= 10000, "strategy: scene '", name,
                   "': quota must be in [1, 10000], got ", q.quota);
    RECSYS_CHECK(s.diversity >= 0 && s.diversity <= 1, "strategy: scene '", name,
                 "': diversity must be in [0, 1], got ", s.diversity);
    RECSYS_CHECK(s.category_cap >= 0, "strategy: scene '", name,
                 "': category_cap must be >= 0, got ", s.category_cap);
  }
  for (const auto& b : boosts)
    RECSYS_CHECK(std::isfinite(b.factor) && b.factor > 0,
                 "strategy: boost factor must be > 0, got ", b.factor);
}

StrategyConfig StrategyConfig::from_json(std::string_view text) {
  StrategyConfig c = defaults();
  for_each_json_field(text, "strategy", [&](const JsonField& f) {
    const std::string& k = f.key();
    const auto& v = f.value();
    if (k == "objective")
      c.objective = f.string();
    else if (k == "exclude_purchased")
      c.exclude_purchased = f.boolean();
    else if (k == "exclude_in_cart")
      c.exclude_in_cart = f.boolean();
    else if (k == "exclude_out_of_stock")
      c.exclude_out_of_stock = f.boolean();
    else if (k == "exclude_seen")
      c.exclude_seen = f.boolean();
    else if (k == "trending_half_life_days")
      c.trending_half_life_days = f.number();
    else if (k == "ease_lambda")
      c.ease_lambda = f.number();
    else if (k == "ranker_weight")
      c.ranker_weight = f.number();
    else if (k == "boosts") {
      f.require(v.is_array(), "an array");
      c.boosts.clear();
      for (const auto& b : v) {
        RECSYS_CHECK_TYPE(b.is_object(), "strategy: a boost must be an object, got ", json_text(b));
        Boost boost;
        for (auto bi = b.begin(); bi != b.end(); ++bi) {
          const JsonField g("strategy: boost", bi.key(), bi.value());
          if (g.key() == "category")
            boost.category = g.string();
          else if (g.key() == "brand")
            boost.brand = g.string();
          else if (g.key() == "factor")
            boost.factor = g.number();
          else
            g.unknown();
        }
        c.boosts.push_back(boost);
      }
    } else if (k == "scenes") {
      f.require(v.is_object(), "an object");
      for (auto si = v.begin(); si != v.end(); ++si) {
        const std::string& name = si.key();
        RECSYS_CHECK_TYPE(si.value().is_object(), "strategy: scene '", name, "' must be an object");
        SceneConfig s = c.scenes.count(name) ? c.scenes[name] : SceneConfig{};
        if (!c.scenes.count(name)) parse_scene(name, s.page);  // a built-in page's own name
        const std::string where = "strategy: scene '" + name + "'";
        for (auto fi = si.value().begin(); fi != si.value().end(); ++fi) {
          const JsonField g(where, fi.key(), fi.value());
          if (g.key() == "page") {
            const std::string page = g.string();
            RECSYS_CHECK(parse_scene(page, s.page), where, ": unknown page '", page,
                         "' (expected home_page, cart_page, product_page or default)");
          } else if (g.key() == "sources") {
            g.require(g.value().is_array(), "an array");
            s.sources.clear();
            for (const auto& q : g.value()) {
              RECSYS_CHECK_TYPE(q.is_object() && q.contains("source") && q["source"].is_string(),
                                where, ": each source needs a 'source' name, got ", json_text(q));
              SourceQuota sq;
              sq.source = parse_source(q["source"].get<std::string>());
              for (auto qi = q.begin(); qi != q.end(); ++qi) {
                if (qi.key() == "source") continue;
                const JsonField h(where, qi.key(), qi.value());
                if (h.key() != "quota") h.unknown();
                sq.quota = h.integer(0);
              }
              s.sources.push_back(sq);
            }
          } else if (g.key() == "rank")
            s.rank = g.boolean();
          else if (g.key() == "diversity")
            s.diversity = g.number();
          else if (g.key() == "category_cap")
            s.category_cap = g.integer(0);
          else
            g.unknown();
        }
        c.scenes[name] = s;
      }
    } else
      f.unknown();
  });
  c.validate();
  return c;
}

std::string StrategyConfig::to_json() const {
  JsonObject scenes_j;
  for (const auto& [name, s] : scenes) {
    JsonArray sources;
    for (const auto& q : s.sources)
      sources.add(JsonObject().add("source", source_name(q.source)).add("quota", q.quota));
    scenes_j.add(name, JsonObject()
                           .add("page", scene_name(s.page))
                           .add_text("sources", sources.text())
                           .add("rank", s.rank)
                           .add("diversity", s.diversity)
                           .add("category_cap", s.category_cap));
  }
  JsonArray boosts_j;
  for (const auto& b : boosts)
    boosts_j.add(
        JsonObject().add("category", b.category).add("brand", b.brand).add("factor", b.factor));
  return JsonObject()
      .add("scenes", scenes_j)
      .add("objective", objective)
      .add("exclude_purchased", exclude_purchased)
      .add("exclude_in_cart", exclude_in_cart)
      .add("exclude_out_of_stock", exclude_out_of_stock)
      .add("exclude_seen", exclude_seen)
      .add_text("boosts", boosts_j.text())
      .add("trending_half_life_days", trending_half_life_days)
      .add("ease_lambda", ease_lambda)
      .add("ranker_weight", ranker_weight)
      .text();
}

}  // namespace recsys
