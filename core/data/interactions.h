// Interactions: (user, item, event, timestamp, quantity) grouped by user in time order, with
// CSR-style offsets so that a user's history is one contiguous range.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "data/catalog.h"
#include "data/vocabulary.h"

namespace recsys {

enum class Event : std::uint8_t { View = 0, Click = 1, AddToCart = 2, Purchase = 3 };
constexpr int kNumEventTypes = 4;

// "view", "click", "add_to_cart", "purchase".
const char* event_name(Event e);
// Accepts the names above (any case); false when unknown.
bool parse_event(std::string_view text, Event& out);
// Every event name in enum order (the JS API's EventKind type lists the same, a test checks it).
std::vector<std::string> event_names();

struct Interaction {
  std::int32_t user = 0;
  std::int32_t item = 0;
  std::int64_t timestamp = 0;  // seconds since 1970-01-01 UTC
  std::int32_t quantity = 1;
  Event event = Event::Click;
};

// Interactions as parallel columns (for typed arrays in JS and for other frameworks).
struct InteractionColumns {
  std::vector<std::int32_t> user, item, quantity;
  std::vector<double> timestamp;
  std::vector<std::uint8_t> event;
};

class Interactions {
 public:
  // A user's events: a contiguous, time-ordered range.
  class History {
   public:
    History(const Interaction* b, const Interaction* e) : begin_(b), end_(e) {}
    const Interaction* begin() const { return begin_; }
    const Interaction* end() const { return end_; }
    std::size_t size() const { return static_cast<std::size_t>(end_ - begin_); }
    bool empty() const { return begin_ == end_; }
    const Interaction& operator[](std::size_t i) const { return begin_[i]; }
    const Interaction& back() const { return end_[-1]; }

   private:
    const Interaction* begin_;
    const Interaction* end_;
  };

  Interactions() = default;
  // Validates every event (user and item in range, quantity >= 1), then orders them by user and,
  // within a user, by timestamp (ties keep input order).
  Interactions(Vocabulary users, std::int32_t num_items, std::vector<Interaction> events);

  std::int32_t num_users() const { return users_.size(); }
  std::int32_t num_items() const { return num_items_; }
  std::int64_t size() const { return static_cast<std::int64_t>(events_.size()); }
  bool empty() const { return events_.empty(); }
  const Vocabulary& users() const { return users_; }
  const std::vector<Interaction>& events() const { return events_; }
  // offsets()[u] .. offsets()[u + 1] index user u's events; size num_users() + 1.
  const std::vector<std::int64_t>& offsets() const { return offsets_; }
  History history(std::int32_t user) const;
  // Events of each type, indexed by Event.
  std::array<std::int64_t, kNumEventTypes> event_counts() const;
  std::int64_t min_timestamp() const;
  std::int64_t max_timestamp() const;
  InteractionColumns columns() const;
  // User ids [offset, offset + limit) as a JSON array.
  std::string user_ids_json(std::int32_t offset, std::int32_t limit) const;
  // Number of distinct items with at least one event.
  std::int32_t active_items() const;
  // Same users and items, only the events for which keep(event) is true.
  template <class Pred>
  Interactions filter(Pred keep) const {
    std::vector<Interaction> kept;
    for (const auto& e : events_)
      if (keep(e)) kept.push_back(e);
    return Interactions(users_, num_items_, std::move(kept));
  }

  // CSV header: user (or user_id), item (or item_id), event, timestamp, optional quantity.
  // JSON: {"interactions": [{"user", "item", "event", "timestamp", "quantity"?}]} or a bare array.
  // Items must exist in the catalog; users are added in first-seen order.
  static Interactions from_csv(std::string_view text, const Catalog& catalog,
                               const std::string& source = "interactions.csv");
  static Interactions from_json(std::string_view text, const Catalog& catalog,
                                const std::string& source = "interactions.json");
  std::string to_csv(const Catalog& catalog) const;
  std::string to_json(const Catalog& catalog) const;

 private:
  Vocabulary users_;
  std::int32_t num_items_ = 0;
  std::vector<Interaction> events_;
  std::vector<std::int64_t> offsets_{0};
};

}  // namespace recsys
