#include "cli/request_json.h"

#include <cmath>

#include <nlohmann/json.hpp>

#include "common/check.h"
#include "data/json_options.h"

namespace recsys::cli {

RecommendRequest request_from_json(std::string_view text) {
  RecommendRequest r;
  for_each_json_field(text, "recommend", [&](const JsonField& f) {
    const std::string& k = f.key();
    if (k == "userId")
      r.user_id = f.string();
    else if (k == "scene")
      r.scene = f.string();
    else if (k == "itemId")
      r.item_id = f.string();
    else if (k == "k") {
      f.require(f.value().is_number(), "an integer");
      f.require_range(
          recsys::is_int32(f.value()),
          "an integer");
      r.k = f.value().get<int>();
    } else if (k == "diversity")
      r.diversity = f.number();
    else if (k == "filters") {
      f.require(f.value().is_object(), "an object");
      for (auto it = f.value().begin(); it != f.value().end(); ++it) {
        const JsonField g("recommend: filters", it.key(), it.value());
        if (g.key() == "categories")
          r.categories = g.strings();
        else if (g.key() == "brands")
          r.brands = g.strings();
        else if (g.key() == "exclude")
          r.exclude = g.strings();
        else if (g.key() == "priceMin")
          r.price_min = g.number();
        else if (g.key() == "priceMax")
          r.price_max = g.number();
        else
          g.unknown();
      }
    } else
      f.unknown();
  });
  return r;
}

void track_events_json(const Recommender& recommender, Session& session, std::string_view text) {
  const Json j = parse_json(text, "events");
  RECSYS_CHECK_TYPE(j.is_array(), "events: expected an array of {itemId, event, timestamp}, got ",
                    json_text(j).substr(0, 80));
  Session copy = session;  // all or nothing
  std::int64_t t = copy.events().empty() ? 0 : copy.events().back().timestamp;
  for (std::size_t i = 0; i < j.size(); ++i) {
    const std::string where = "events[" + std::to_string(i) + "]";
    RECSYS_CHECK_TYPE(j[i].is_object(), where, ": expected an object, got ", json_text(j[i]));
    std::string item, event;
    for (auto it = j[i].begin(); it != j[i].end(); ++it) {
      const JsonField f(where, it.key(), it.value());
      if (f.key() == "itemId")
        item = f.string();
      else if (f.key() == "event")
        event = f.string();
      else if (f.key() == "timestamp")
        t = f.time();
      else
        f.unknown();
    }
    RECSYS_CHECK_TYPE(!item.empty() && !event.empty(), where, ": needs itemId and event");
    recommender.track(copy, item, event, t);
  }
  session = std::move(copy);
}

std::string recommendations_json(const Recommender& rec, const std::vector<Recommendation>& list,
                                 int indent) {
  const Catalog& c = rec.catalog();
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : list) {
    const std::int32_t row = rec.catalog_row(r.item);
    const Explanation& e = r.explanation;
    nlohmann::json expl{{"source", e.sources.label()},
                        {"retrievalScore", e.retrieval_score},
                        {"relevance", e.relevance},
                        {"diversityAdjustment", e.diversity_adjustment},
                        {"finalScore", e.final_score}};
    if (e.p_click >= 0) {
      expl["pClick"] = e.p_click;
      expl["pPurchase"] = e.p_purchase;
    }
    out.push_back({{"id", c.id(row)},
                   {"title", c.title(row)},
                   {"category", c.categories().token(c.category(row))},
                   {"brand", c.brands().token(c.brand(row))},
                   {"price", c.price(row)},
                   {"rank", r.rank},
                   {"score", r.score()},
                   {"explanation", expl}});
  }
  return out.dump(indent);
}

}  // namespace recsys::cli
