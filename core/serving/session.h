// Real-time session state: the events of one visit (view, click, add to cart, purchase, with
// timestamps), for a known user or an anonymous one. The recommender recomputes the user
// embedding from the user's logged history followed by these events, at once, without retraining
// (the page's real-time features). Items are indices in the recommender's item space.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/interactions.h"

namespace recsys {

struct SessionEvent {
  std::int32_t item = 0;  // index in the recommender's item space
  Event event = Event::View;
  std::int64_t timestamp = 0;
};

class Session {
 public:
  // user_id: empty for an anonymous visitor. owner: the id of the Recommender that created it
  // (Recommender::create_session), or 0 for a session any recommender may serve.
  explicit Session(std::string user_id = "", std::uint64_t owner = 0);
  const std::string& user_id() const { return user_id_; }
  std::uint64_t owner() const { return owner_; }
  // Process-unique id and a version that every event bumps (the result cache keys on both).
  std::uint64_t id() const { return id_; }
  std::uint64_t version() const { return version_; }
  // Adds an event; timestamps must not go backwards (an error names the two times).
  void track(std::int32_t item, Event event, std::int64_t timestamp);
  const std::vector<SessionEvent>& events() const { return events_; }
  // Items in the cart now (added and not bought since), and items bought in this session.
  std::vector<std::int32_t> cart() const;
  std::vector<std::int32_t> purchased() const;
  // The most recent item viewed or clicked, or -1.
  std::int32_t last_viewed() const;
  // Forgets the events and the adapter.
  void clear();
  // The on-device adapter of the user tower's output (serving/personalise.h): empty = none. Its
  // size is checked against the model when a recommender serves the session.
  const std::vector<float>& adapter() const { return adapter_; }
  void set_adapter(std::vector<float> delta);

 private:
  std::string user_id_;
  std::uint64_t owner_ = 0;
  std::uint64_t id_;
  std::uint64_t version_ = 0;
  std::vector<SessionEvent> events_;
  std::vector<float> adapter_;
};

}  // namespace recsys
