#include "data/interactions.h"

#include <algorithm>
#include <limits>
#include <numeric>

#include "common/check.h"
#include "common/sort.h"
#include "common/tiering.h"
#include "data/csv.h"
#include "data/json_options.h"
#include "data/parse.h"

namespace recsys {

const char* event_name(Event e) {
  switch (e) {
    case Event::View:
      return "view";
    case Event::Click:
      return "click";
    case Event::AddToCart:
      return "add_to_cart";
    case Event::Purchase:
      return "purchase";
  }
  return "unknown";
}

std::vector<std::string> event_names() {
  std::vector<std::string> out;
  for (int i = 0; i < kNumEventTypes; ++i) out.push_back(event_name(static_cast<Event>(i)));
  return out;
}

bool parse_event(std::string_view text, Event& out) {
  std::string t = trim(text);
  for (char& c : t)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  for (int i = 0; i < kNumEventTypes; ++i) {
    if (t == event_name(static_cast<Event>(i))) {
      out = static_cast<Event>(i);
      return true;
    }
  }
  return false;
}

namespace {
// The constructor's loops over every event and user, each in a function of its own
// (common/tiering.h).
RECSYS_LOOP void check_events(const std::vector<Interaction>& events, std::int32_t n_users,
                              std::int32_t num_items) {
  for (std::size_t i = 0; i < events.size(); ++i) {
    const auto& e = events[i];
    RECSYS_CHECK(e.user >= 0 && e.user < n_users, "interaction ", i, ": field 'user': index ",
                 e.user, " out of range [0, ", n_users, ")");
    RECSYS_CHECK(e.item >= 0 && e.item < num_items, "interaction ", i, ": field 'item': index ",
                 e.item, " out of range [0, ", num_items, ")");
    RECSYS_CHECK(e.quantity >= 1, "interaction ", i, ": field 'quantity': must be >= 1, got ",
                 e.quantity);
    RECSYS_CHECK(static_cast<int>(e.event) < kNumEventTypes, "interaction ", i,
                 ": field 'event': unknown code ", static_cast<int>(e.event));
  }
}

// Counting sort by user keeps input order: the offsets, then the events in user order.
RECSYS_LOOP void group_by_user(std::vector<Interaction>& events, std::int32_t n_users,
                               std::vector<std::int64_t>& offsets, std::vector<Interaction>& out) {
  offsets.assign(static_cast<std::size_t>(n_users) + 1, 0);
  for (const auto& e : events) ++offsets[static_cast<std::size_t>(e.user) + 1];
  std::partial_sum(offsets.begin(), offsets.end(), offsets.begin());
  const bool grouped = std::is_sorted(
      events.begin(), events.end(),
      [](const Interaction& x, const Interaction& y) { return x.user < y.user; });
  if (grouped) {
    // Already in user order (a shop file, a saved dataset): the counting sort would copy the
    // events to where they are.
    out = std::move(events);
    return;
  }
  out.resize(events.size());
  std::vector<std::int64_t> cursor(offsets.begin(), offsets.end() - 1);
  for (const auto& e : events) out[static_cast<std::size_t>(cursor[e.user]++)] = e;
}

// A stable sort by time within each user.
RECSYS_LOOP void sort_by_time(std::vector<Interaction>& events,
                              const std::vector<std::int64_t>& offsets) {
  const auto by_time = [](const Interaction& x, const Interaction& y) {
    return x.timestamp < y.timestamp;
  };
  for (std::size_t u = 0; u + 1 < offsets.size(); ++u) {
    auto b = events.begin() + offsets[u], e = events.begin() + offsets[u + 1];
    if (std::is_sorted(b, e, by_time)) continue;
    const auto order =
        stable_order(static_cast<std::size_t>(e - b), [b](std::size_t x, std::size_t y) {
          return b[static_cast<std::ptrdiff_t>(x)].timestamp <
                 b[static_cast<std::ptrdiff_t>(y)].timestamp;
        });
    const std::vector<Interaction> sorted = in_order(&*b, order);
    std::copy(sorted.begin(), sorted.end(), b);
  }
}
}  // namespace

Interactions::Interactions(Vocabulary users, std::int32_t num_items,
                           std::vector<Interaction> events)
    : users_(std::move(users)), num_items_(num_items) {
  RECSYS_CHECK(num_items >= 0, "interactions: num_items must not be negative, got ", num_items);
  const std::int32_t n_users = users_.size();
  check_events(events, n_users, num_items);
  group_by_user(events, n_users, offsets_, events_);
  sort_by_time(events_, offsets_);
}

Interactions::History Interactions::history(std::int32_t user) const {
  RECSYS_CHECK(user >= 0 && user < num_users(), "user index ", user, " out of range [0, ",
               num_users(), ")");
  const Interaction* base = events_.data();
  return History(base + offsets_[user], base + offsets_[user + 1]);
}

std::array<std::int64_t, kNumEventTypes> Interactions::event_counts() const {
  std::array<std::int64_t, kNumEventTypes> counts{};
  for (const auto& e : events_) ++counts[static_cast<int>(e.event)];
  return counts;
}

std::int64_t Interactions::min_timestamp() const {
  std::int64_t t = std::numeric_limits<std::int64_t>::max();
  for (const auto& e : events_) t = std::min(t, e.timestamp);
  return events_.empty() ? 0 : t;
}

std::int64_t Interactions::max_timestamp() const {
  std::int64_t t = std::numeric_limits<std::int64_t>::min();
  for (const auto& e : events_) t = std::max(t, e.timestamp);
  return events_.empty() ? 0 : t;
}

std::string Interactions::user_ids_json(std::int32_t offset, std::int32_t limit) const {
  RECSYS_CHECK(offset >= 0 && limit >= 0, "user ids: offset and limit must be >= 0");
  JsonArray out;
  for (std::int32_t u = offset; u < num_users() && u - offset < limit; ++u)
    out.add_string(users_.token(u));
  return out.text();
}

InteractionColumns Interactions::columns() const {
  InteractionColumns c;
  const std::size_t n = events_.size();
  c.user.reserve(n);
  c.item.reserve(n);
  c.quantity.reserve(n);
  c.timestamp.reserve(n);
  c.event.reserve(n);
  for (const auto& e : events_) {
    c.user.push_back(e.user);
    c.item.push_back(e.item);
    c.quantity.push_back(e.quantity);
    c.timestamp.push_back(static_cast<double>(e.timestamp));
    c.event.push_back(static_cast<std::uint8_t>(e.event));
  }
  return c;
}

std::int32_t Interactions::active_items() const {
  std::vector<char> seen(static_cast<std::size_t>(num_items_), 0);
  std::int32_t n = 0;
  for (const auto& e : events_)
    if (!seen[e.item]) {
      seen[e.item] = 1;
      ++n;
    }
  return n;
}

namespace {
std::int64_t require_any(const CsvHeader& h, std::initializer_list<const char*> names,
                         const std::string& source) {
  for (const char* n : names) {
    const std::int64_t i = h.find(n);
    if (i >= 0) return i;
  }
  h.require(*names.begin());  // throws, naming the first spelling
  return -1;
}

std::int32_t quantity_from(std::int64_t q, std::string_view text, std::string_view source,
                           std::int64_t line) {
  if (q < 1 || q > std::numeric_limits<std::int32_t>::max())
    fail_at(source, line, "quantity", text, "quantity must be a positive integer");
  return static_cast<std::int32_t>(q);
}
}  // namespace

Interactions Interactions::from_csv(std::string_view text, const Catalog& catalog,
                                    const std::string& source) {
  CsvReader reader(text, source);
  std::vector<std::string> row;
  if (!reader.next(row)) fail_at(source, 0, "", "", "empty file");
  const CsvHeader header(row, source);
  const auto c_user = static_cast<std::size_t>(require_any(header, {"user", "user_id"}, source));
  const auto c_item = static_cast<std::size_t>(require_any(header, {"item", "item_id"}, source));
  const std::size_t c_event = header.require("event");
  const std::size_t c_time = header.require("timestamp");
  const std::int64_t c_qty = header.find("quantity");
  Vocabulary users;
  std::vector<Interaction> events;
  while (reader.next(row)) {
    const std::int64_t line = reader.line();
    if (row.size() != header.names().size())
      fail_at(source, line, "", "",
              "expected " + std::to_string(header.names().size()) + " fields, found " +
                  std::to_string(row.size()));
    Interaction e;
    const std::string user = trim(row[c_user]);
    if (user.empty()) fail_at(source, line, "user", user, "empty user id");
    check_text(source, line, "user", user, kMaxIdBytes);
    const std::string item = trim(row[c_item]);
    e.item = catalog.find(item);
    if (e.item < 0) fail_at(source, line, "item", item, "item id not in the catalog");
    if (!parse_event(row[c_event], e.event))
      fail_at(source, line, "event", row[c_event],
              "unknown event (expected view, click, add_to_cart or purchase)");
    e.timestamp = parse_timestamp(row[c_time], source, line, "timestamp");
    if (c_qty >= 0 && !trim(row[static_cast<std::size_t>(c_qty)]).empty()) {
      const auto& q = row[static_cast<std::size_t>(c_qty)];
      e.quantity = quantity_from(parse_int64(q, source, line, "quantity"), q, source, line);
    }
    e.user = users.add(user);
    events.push_back(e);
  }
  if (events.empty()) fail_at(source, 0, "", "", "no interactions");
  return Interactions(std::move(users), catalog.size(), std::move(events));
}

Interactions Interactions::from_json(std::string_view text, const Catalog& catalog,
                                     const std::string& source) {
  if (trim(text).empty()) fail_at(source, 0, "", "", "empty file");
  Json doc;
  try {
    doc = parse_json_text(text);
  } catch (const JsonError& e) {  // parse_error, and out_of_range for a number that overflows
    fail_at(source, 0, "", "", std::string("invalid JSON: ") + e.what());
  }
  const Json* list = &doc;
  if (doc.is_object()) {
    if (!doc.contains("interactions")) fail_at(source, 0, "interactions", "", "missing key");
    list = &doc["interactions"];
  }
  if (!list->is_array()) fail_at(source, 0, "interactions", "", "expected an array");
  Vocabulary users;
  std::vector<Interaction> events;
  std::int64_t n = 0;
  for (const auto& o : *list) {
    ++n;
    const std::string where = source + " interaction " + std::to_string(n);
    if (!o.is_object()) fail_at(where, 0, "", json_text(o), "expected an object");
    auto text_of = [&](const char* f) -> std::string {
      if (!o.contains(f)) fail_at(where, 0, f, "", "missing field");
      const auto& v = o[f];
      if (v.is_string()) return v.get<std::string>();
      if (v.is_number_integer()) return json_text(v);
      fail_at(where, 0, f, json_text(v), "expected a string or an integer");
    };
    Interaction e;
    const std::string user = text_of("user");
    if (user.empty()) fail_at(where, 0, "user", user, "empty user id");
    check_text(where, 0, "user", user, kMaxIdBytes);
    const std::string item = text_of("item");
    e.item = catalog.find(item);
    if (e.item < 0) fail_at(where, 0, "item", item, "item id not in the catalog");
    const std::string ev = text_of("event");
    if (!parse_event(ev, e.event))
      fail_at(where, 0, "event", ev,
              "unknown event (expected view, click, add_to_cart or purchase)");
    const std::string ts = text_of("timestamp");
    e.timestamp = parse_timestamp(ts, where, 0, "timestamp");
    if (o.contains("quantity")) {
      const auto& q = o["quantity"];
      if (!q.is_number_integer()) fail_at(where, 0, "quantity", json_text(q), "not an integer");
      e.quantity = quantity_from(q.get<std::int64_t>(), json_text(q), where, 0);
    }
    e.user = users.add(user);
    events.push_back(e);
  }
  if (events.empty()) fail_at(source, 0, "", "", "no interactions");
  return Interactions(std::move(users), catalog.size(), std::move(events));
}

std::string Interactions::to_csv(const Catalog& catalog) const {
  RECSYS_CHECK(catalog.size() == num_items_, "interactions refer to ", num_items_,
               " items but the catalog has ", catalog.size());
  std::string out = "user,item,event,timestamp,quantity\n";
  for (const auto& e : events_) {
    append_csv_field(out, users_.token(e.user));
    out.push_back(',');
    append_csv_field(out, catalog.id(e.item));
    out.push_back(',');
    out += event_name(e.event);
    out.push_back(',');
    out += std::to_string(e.timestamp);
    out.push_back(',');
    out += std::to_string(e.quantity);
    out.push_back('\n');
  }
  return out;
}

std::string Interactions::to_json(const Catalog& catalog) const {
  RECSYS_CHECK(catalog.size() == num_items_, "interactions refer to ", num_items_,
               " items but the catalog has ", catalog.size());
  JsonArray list;
  for (const auto& e : events_)
    list.add(JsonObject()
                 .add("user", users_.token(e.user))
                 .add("item", catalog.id(e.item))
                 .add("event", event_name(e.event))
                 .add("timestamp", e.timestamp)
                 .add("quantity", e.quantity));
  return JsonObject().add_text("interactions", list.text()).text();
}

}  // namespace recsys
