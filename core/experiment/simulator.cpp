#include "experiment/simulator.h"

#include <algorithm>
#include <cmath>

#include "common/check.h"

namespace recsys::experiment {

void SimulatorConfig::validate() const {
  RECSYS_CHECK(slate_size >= 1 && slate_size <= 100,
               "simulator: slate_size must be in [1, 100], got ", slate_size);
  RECSYS_CHECK(max_slates >= 1 && max_slates <= 100,
               "simulator: max_slates must be in [1, 100], got ", max_slates);
  RECSYS_CHECK(position_bias >= 0 && position_bias <= 10,
               "simulator: position_bias must be in [0, 10], got ", position_bias);
  RECSYS_CHECK(continue_after_click >= 0 && continue_after_click <= 1,
               "simulator: continue_after_click must be in [0, 1], got ", continue_after_click);
  RECSYS_CHECK(continue_after_none >= 0 && continue_after_none <= 1,
               "simulator: continue_after_none must be in [0, 1], got ", continue_after_none);
}

Simulator::Simulator(const SyntheticTruth& truth, const Catalog& catalog, const Vocabulary& users,
                     SimulatorConfig config)
    : truth_(truth), catalog_(catalog), users_(users), config_(config) {
  config_.validate();
  RECSYS_CHECK(truth.num_items() == catalog.size() && truth.num_users() == users.size(),
               "simulator: the truth has ", truth.num_users(), " users and ", truth.num_items(),
               " items, the shop ", users.size(), " and ", catalog.size());
  for (int p = 1; p <= config_.slate_size; ++p)
    examine_.push_back(std::pow(1 / std::log2(p + 1.0), config_.position_bias));
}

std::vector<std::int32_t> Simulator::slate(const Arm& arm, std::int32_t user,
                                           const Session* session, Rng& rng,
                                           std::vector<std::int32_t>* items) const {
  std::vector<std::int32_t> rows;
  const int k = config_.slate_size;
  if (!arm.recommender) {  // k distinct random items
    const auto n = static_cast<std::uint32_t>(truth_.num_items());
    while (static_cast<int>(rows.size()) < std::min<int>(k, static_cast<int>(n))) {
      const auto r = static_cast<std::int32_t>(rng.below(n));
      if (std::find(rows.begin(), rows.end(), r) == rows.end()) rows.push_back(r);
    }
    return rows;
  }
  RecommendRequest req;
  req.user_id = users_.token(user);
  req.scene = arm.scene;
  req.k = k;
  req.diversity = arm.diversity;
  for (const auto& r : arm.recommender->compute(req, session)) {
    rows.push_back(arm.recommender->catalog_row(r.item));
    if (items) items->push_back(r.item);
  }
  return rows;
}

std::vector<std::int32_t> Simulator::first_slate(const Arm& arm, std::int32_t user,
                                                 Rng& rng) const {
  return slate(arm, user, nullptr, rng, nullptr);
}

double Simulator::expected_clicks(std::int32_t user, const std::vector<std::int32_t>& rows) const {
  double e = 0;
  for (std::size_t p = 0; p < rows.size() && p < examine_.size(); ++p)
    e += examine_[p] * truth_.click_probability(user, rows[p]);
  return e;
}

SessionResult Simulator::run(const Arm& arm, std::int32_t user, Rng& rng) const {
  RECSYS_CHECK(user >= 0 && user < truth_.num_users(), "simulator: user ", user,
               " out of range [0, ", truth_.num_users(), ")");
  SessionResult out;
  out.user = user;
  Session session(users_.token(user), arm.recommender ? arm.recommender->id() : 0);
  std::int64_t t = 0;
  std::vector<std::int32_t> items, rows;
  bool changed = true;  // whether the session gained events since the last slate
  for (int s = 0; s < config_.max_slates; ++s) {
    // A strategy's slate is a pure function of the user and the session's events: after a slate
    // without a click the same request is answered with the same list, so it is not recomputed.
    if (changed || !arm.recommender) {
      items.clear();
      rows = slate(arm, user, &session, rng, &items);
    }
    changed = false;
    if (s == 0) out.first_slate = rows;
    ++out.slates;
    bool clicked = false;
    for (std::size_t p = 0; p < rows.size(); ++p) {
      ++out.impressions;
      out.served.push_back(rows[p]);
      if (rng.uniform() >= examine_[p]) continue;
      if (rng.uniform() >= truth_.click_probability(user, rows[p])) continue;
      clicked = true;
      changed = true;
      ++out.clicks;
      if (s == 0) ++out.first_slate_clicks;
      const bool track = arm.recommender != nullptr;
      if (track) session.track(items[p], Event::Click, ++t);
      const double q = std::sqrt(truth_.purchase_probability(user, rows[p]));
      if (rng.uniform() >= q) continue;
      ++out.carts;
      if (track) session.track(items[p], Event::AddToCart, ++t);
      if (rng.uniform() >= q) continue;
      ++out.purchases;
      out.revenue += catalog_.price(rows[p]);
      if (track) session.track(items[p], Event::Purchase, ++t);
    }
    const double go_on = clicked ? config_.continue_after_click : config_.continue_after_none;
    if (rng.uniform() >= go_on) break;
  }
  return out;
}

}  // namespace recsys::experiment
