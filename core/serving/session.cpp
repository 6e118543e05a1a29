#include "serving/session.h"

#include <algorithm>
#include <atomic>
#include <cmath>

#include "common/check.h"
#include "data/parse.h"

namespace recsys {

namespace {
std::uint64_t next_session_id() {
  static std::atomic<std::uint64_t> counter{0};
  return ++counter;
}
}  // namespace

Session::Session(std::string user_id, std::uint64_t owner)
    : user_id_(std::move(user_id)), owner_(owner), id_(next_session_id()) {}

void Session::track(std::int32_t item, Event event, std::int64_t timestamp) {
  RECSYS_CHECK(item >= 0, "session: item index must be >= 0, got ", item);
  RECSYS_CHECK(static_cast<int>(event) < kNumEventTypes, "session: unknown event code ",
               static_cast<int>(event));
  RECSYS_CHECK(events_.empty() || timestamp >= events_.back().timestamp, "session: event time ",
               format_timestamp(timestamp), " is before the previous event's ",
               format_timestamp(events_.back().timestamp));
  events_.push_back(SessionEvent{item, event, timestamp});
  ++version_;
}

std::vector<std::int32_t> Session::cart() const {
  std::vector<std::int32_t> cart;
  for (const auto& e : events_) {
    if (e.event == Event::AddToCart && std::find(cart.begin(), cart.end(), e.item) == cart.end())
      cart.push_back(e.item);
    if (e.event == Event::Purchase)
      cart.erase(std::remove(cart.begin(), cart.end(), e.item), cart.end());
  }
  return cart;
}

std::vector<std::int32_t> Session::purchased() const {
  std::vector<std::int32_t> out;
  for (const auto& e : events_)
    if (e.event == Event::Purchase && std::find(out.begin(), out.end(), e.item) == out.end())
      out.push_back(e.item);
  return out;
}

std::int32_t Session::last_viewed() const {
  for (auto it = events_.rbegin(); it != events_.rend(); ++it)
    if (it->event == Event::View || it->event == Event::Click) return it->item;
  return -1;
}

void Session::set_adapter(std::vector<float> delta) {
  for (std::size_t k = 0; k < delta.size(); ++k)
    RECSYS_CHECK(std::isfinite(delta[k]), "session adapter: value ", k, " is ", delta[k],
                 ", not a finite number");
  adapter_ = std::move(delta);
  ++version_;  // the result cache keys on the version
}

void Session::clear() {
  events_.clear();
  adapter_.clear();
  ++version_;
}

}  // namespace recsys
