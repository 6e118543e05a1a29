#include "data/dataset.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <vector>

#include "common/check.h"
#include "common/sort.h"
#include "data/json_text.h"
#include "data/parse.h"

namespace recsys {

std::uint64_t checksum(const Catalog& c) {
  Fnv1a h;
  h.i64(c.size());
  for (std::int32_t i = 0; i < c.size(); ++i) {
    h.str(c.id(i));
    h.str(c.title(i));
    h.str(c.categories().token(c.category(i)));
    h.str(c.brands().token(c.brand(i)));
    h.f64(c.price(i));
    for (const auto& [k, v] : c.attributes(i)) {
      h.str(k);
      h.str(v);
    }
  }
  return h.value();
}

std::uint64_t checksum(const Interactions& x) {
  Fnv1a h;
  h.i64(x.num_users());
  for (const auto& u : x.users().tokens()) h.str(u);
  h.i64(x.size());
  for (const auto& e : x.events()) {
    h.i64(e.user);
    h.i64(e.item);
    h.i64(e.timestamp);
    h.i64(e.quantity);
    h.i64(static_cast<int>(e.event));
  }
  return h.value();
}

std::uint64_t checksum(const Dataset& d) {
  Fnv1a h;
  h.u64(checksum(d.catalog));
  h.u64(checksum(d.interactions));
  return h.value();
}

std::string checksum_hex(std::uint64_t c) {
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, c >>= 4)
    out[static_cast<std::size_t>(i)] = "0123456789abcdef"[c & 15];
  return out;
}

DatasetStats compute_stats(const Dataset& d) {
  DatasetStats s;
  const auto& cat = d.catalog;
  const auto& x = d.interactions;
  s.users = x.num_users();
  s.items = cat.size();
  s.interactions = x.size();
  s.categories = cat.categories().size();
  s.brands = cat.brands().size();
  s.active_items = x.active_items();
  const auto counts = x.event_counts();
  s.views = counts[0];
  s.clicks = counts[1];
  s.add_to_carts = counts[2];
  s.purchases = counts[3];
  if (cat.size() > 0) {
    const auto& p = cat.price_column();
    double sum = 0;
    for (double v : p) sum += v;
    s.price_mean = sum / static_cast<double>(p.size());
    s.price_min = *std::min_element(p.begin(), p.end());
    s.price_max = *std::max_element(p.begin(), p.end());
  }
  s.first_timestamp = x.min_timestamp();
  s.last_timestamp = x.max_timestamp();
  if (s.users > 0 && s.items > 0)
    s.density = static_cast<double>(s.interactions) / (static_cast<double>(s.users) * s.items);
  if (s.users > 0) s.mean_events_per_user = static_cast<double>(s.interactions) / s.users;
  if (s.interactions > 0 && s.items > 0) {
    std::vector<std::int64_t> per_item(static_cast<std::size_t>(s.items), 0);
    for (const auto& e : x.events()) ++per_item[e.item];
    const std::size_t top = std::max<std::size_t>(1, per_item.size() / 100);
    std::int64_t in_top = 0;
    for (std::size_t i : best_indices(per_item.size(), top, [&](std::size_t a, std::size_t b) {
           return per_item[a] > per_item[b];
         }))
      in_top += per_item[i];
    s.top1pct_item_share = static_cast<double>(in_top) / static_cast<double>(s.interactions);
  }
  return s;
}

Catalog parse_catalog(std::string_view text, std::string_view format, const std::string& source) {
  if (format == "csv") return Catalog::from_csv(text, source);
  if (format == "json") return Catalog::from_json(text, source);
  RECSYS_FAIL(Range, source, ": format must be csv or json, got '", format, "'");
}

Dataset parse_dataset(std::string_view catalog_text, std::string_view catalog_format,
                      const std::string& catalog_source, std::string_view events_text,
                      std::string_view events_format, const std::string& events_source) {
  Dataset d;
  d.name = events_source;
  d.catalog = parse_catalog(catalog_text, catalog_format, catalog_source);
  if (events_format == "csv")
    d.interactions = Interactions::from_csv(events_text, d.catalog, events_source);
  else if (events_format == "json")
    d.interactions = Interactions::from_json(events_text, d.catalog, events_source);
  else
    RECSYS_FAIL(Range, events_source, ": format must be csv or json, got '", events_format, "'");
  return d;
}

namespace {
JsonObject stats_object(const DatasetStats& s) {
  JsonObject j;
  j.add("users", s.users)
      .add("items", s.items)
      .add("interactions", s.interactions)
      .add("categories", s.categories)
      .add("brands", s.brands)
      .add("activeItems", s.active_items)
      .add("views", s.views)
      .add("clicks", s.clicks)
      .add("addToCarts", s.add_to_carts)
      .add("purchases", s.purchases)
      .add("priceMean", s.price_mean)
      .add("priceMin", s.price_min)
      .add("priceMax", s.price_max)
      .add("firstTimestamp", format_timestamp(s.first_timestamp))
      .add("lastTimestamp", format_timestamp(s.last_timestamp))
      .add("density", s.density)
      .add("meanEventsPerUser", s.mean_events_per_user)
      .add("top1pctItemShare", s.top1pct_item_share);
  return j;
}
}  // namespace

std::string stats_to_json(const DatasetStats& s) {
  return stats_object(s).text();
}

std::string summary_json(const Dataset& d) {
  JsonObject j = stats_object(compute_stats(d));
  // Items and events per category, most events first.
  const auto& cat = d.catalog;
  const auto n_cat = static_cast<std::size_t>(cat.categories().size());
  std::vector<std::int64_t> items(n_cat, 0), events(n_cat, 0);
  for (std::int32_t i = 0; i < cat.size(); ++i) ++items[cat.category(i)];
  for (const auto& e : d.interactions.events()) ++events[cat.category(e.item)];
  const std::vector<std::size_t> order =
      stable_order(n_cat, [&](std::size_t a, std::size_t b) { return events[a] > events[b]; });
  JsonArray breakdown;
  for (std::size_t c : order)
    breakdown.add(JsonObject()
                      .add("category", cat.categories().token(static_cast<std::int32_t>(c)))
                      .add("items", items[c])
                      .add("interactions", events[c]));
  j.add_text("categoryBreakdown", breakdown.text());
  j.add("name", d.name);
  j.add("checksum", checksum_hex(checksum(d)));
  return j.text();
}

}  // namespace recsys
