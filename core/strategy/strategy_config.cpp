#include "strategy/strategy_config.h"

#include <cmath>

#include <nlohmann/json.hpp>

#include "common/check.h"

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
  }
  return "personal";
}

namespace {
SourceKind parse_source(const std::string& name) {
  for (SourceKind s : {SourceKind::Personal, SourceKind::Popular, SourceKind::Trending,
                       SourceKind::Complementary, SourceKind::Similar})
    if (name == source_name(s)) return s;
  RECSYS_FAIL("strategy: unknown source '", name,
              "' (expected personal, popular, trending, complementary or similar)");
}
}  // namespace

StrategyConfig StrategyConfig::defaults() {
  StrategyConfig c;
  c.scenes["home_page"] =
      SceneConfig{{{SourceKind::Trending, 40}, {SourceKind::Personal, 60}}, true, 0.2, 3};
  c.scenes["cart_page"] = SceneConfig{{{SourceKind::Complementary, 100}}, true, 0.1, 0};
  c.scenes["product_page"] =
      SceneConfig{{{SourceKind::Similar, 60}, {SourceKind::Complementary, 40}}, true, 0.1, 0};
  c.scenes["default"] = SceneConfig{{{SourceKind::Personal, 100}}, true, 0.1, 0};
  return c;
}

void StrategyConfig::validate() const {
  RECSYS_CHECK(objective == "clicks" || objective == "purchases" || objective == "revenue",
               "strategy: 'objective' must be clicks, purchases or revenue, got '", objective, "'");
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
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error& e) {
    RECSYS_FAIL("strategy: invalid JSON: ", e.what());
  }
  RECSYS_CHECK(j.is_object(), "strategy: expected a JSON object, got ", j.dump());
  StrategyConfig c = defaults();
  auto boolean = [](const nlohmann::json& v, const std::string& k) {
    RECSYS_CHECK(v.is_boolean(), "strategy: '", k, "' must be true or false, got ", v.dump());
    return v.get<bool>();
  };
  auto number = [](const nlohmann::json& v, const std::string& k) {
    RECSYS_CHECK(v.is_number(), "strategy: '", k, "' must be a number, got ", v.dump());
    return v.get<double>();
  };
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    const auto& v = it.value();
    if (k == "objective") {
      RECSYS_CHECK(v.is_string(), "strategy: 'objective' must be a string, got ", v.dump());
      c.objective = v.get<std::string>();
    } else if (k == "exclude_purchased")
      c.exclude_purchased = boolean(v, k);
    else if (k == "exclude_in_cart")
      c.exclude_in_cart = boolean(v, k);
    else if (k == "exclude_out_of_stock")
      c.exclude_out_of_stock = boolean(v, k);
    else if (k == "exclude_seen")
      c.exclude_seen = boolean(v, k);
    else if (k == "trending_half_life_days")
      c.trending_half_life_days = number(v, k);
    else if (k == "boosts") {
      RECSYS_CHECK(v.is_array(), "strategy: 'boosts' must be an array, got ", v.dump());
      c.boosts.clear();
      for (const auto& b : v) {
        RECSYS_CHECK(b.is_object(), "strategy: a boost must be an object, got ", b.dump());
        Boost boost;
        for (auto bi = b.begin(); bi != b.end(); ++bi) {
          if (bi.key() == "category" || bi.key() == "brand") {
            RECSYS_CHECK(bi.value().is_string(), "strategy: boost '", bi.key(),
                         "' must be a string");
            (bi.key() == "category" ? boost.category : boost.brand) = bi.value().get<std::string>();
          } else if (bi.key() == "factor")
            boost.factor = number(bi.value(), "factor");
          else
            RECSYS_FAIL("strategy: unknown boost key '", bi.key(), "'");
        }
        c.boosts.push_back(boost);
      }
    } else if (k == "scenes") {
      RECSYS_CHECK(v.is_object(), "strategy: 'scenes' must be an object, got ", v.dump());
      for (auto si = v.begin(); si != v.end(); ++si) {
        const std::string& name = si.key();
        RECSYS_CHECK(si.value().is_object(), "strategy: scene '", name, "' must be an object");
        SceneConfig s = c.scenes.count(name) ? c.scenes[name] : SceneConfig{};
        for (auto fi = si.value().begin(); fi != si.value().end(); ++fi) {
          const std::string& f = fi.key();
          const auto& fv = fi.value();
          if (f == "sources") {
            RECSYS_CHECK(fv.is_array(), "strategy: scene '", name, "': 'sources' must be an array");
            s.sources.clear();
            for (const auto& q : fv) {
              RECSYS_CHECK(q.is_object() && q.contains("source") && q["source"].is_string(),
                           "strategy: scene '", name, "': each source needs a 'source' name, got ",
                           q.dump());
              SourceQuota sq;
              sq.source = parse_source(q["source"].get<std::string>());
              for (auto qi = q.begin(); qi != q.end(); ++qi) {
                if (qi.key() == "source") continue;
                RECSYS_CHECK(qi.key() == "quota", "strategy: scene '", name,
                             "': unknown source key '", qi.key(), "'");
                RECSYS_CHECK(qi.value().is_number_integer(),
                             "strategy: quota must be an integer, got ", qi.value().dump());
                sq.quota = qi.value().get<int>();
              }
              s.sources.push_back(sq);
            }
          } else if (f == "rank")
            s.rank = boolean(fv, f);
          else if (f == "diversity")
            s.diversity = number(fv, f);
          else if (f == "category_cap") {
            RECSYS_CHECK(fv.is_number_integer(),
                         "strategy: 'category_cap' must be an integer, got ", fv.dump());
            s.category_cap = fv.get<int>();
          } else
            RECSYS_FAIL("strategy: scene '", name, "': unknown key '", f, "'");
        }
        c.scenes[name] = s;
      }
    } else
      RECSYS_FAIL("strategy: unknown key '", k, "'");
  }
  c.validate();
  return c;
}

std::string StrategyConfig::to_json() const {
  nlohmann::json scenes_j = nlohmann::json::object();
  for (const auto& [name, s] : scenes) {
    nlohmann::json sources = nlohmann::json::array();
    for (const auto& q : s.sources)
      sources.push_back({{"source", source_name(q.source)}, {"quota", q.quota}});
    scenes_j[name] = {{"sources", sources},
                      {"rank", s.rank},
                      {"diversity", s.diversity},
                      {"category_cap", s.category_cap}};
  }
  nlohmann::json boosts_j = nlohmann::json::array();
  for (const auto& b : boosts)
    boosts_j.push_back({{"category", b.category}, {"brand", b.brand}, {"factor", b.factor}});
  return nlohmann::json{{"scenes", scenes_j},
                        {"objective", objective},
                        {"exclude_purchased", exclude_purchased},
                        {"exclude_in_cart", exclude_in_cart},
                        {"exclude_out_of_stock", exclude_out_of_stock},
                        {"exclude_seen", exclude_seen},
                        {"boosts", boosts_j},
                        {"trending_half_life_days", trending_half_life_days}}
      .dump();
}

}  // namespace recsys
