// The user-response simulator: a visitor of the synthetic shop arrives, the strategy under test
// serves slates of k items through the real Recommender (or at random), and the shop's hidden
// truth decides what the visitor does with them:
//   - slot p (1-based) is examined with probability (1 / log2(p + 1))^position_bias;
//   - an examined item is clicked with the truth's P(click | user, item);
//   - a clicked item goes to the cart, and a carted item is bought, each with probability
//     sqrt(P(purchase | click)), so that P(purchase | click) is the truth's (which carries the
//     user's price sensitivity); a purchase earns the item's price;
//   - clicks, carts and purchases become session events, so the next slate is personalised at
//     once; after a slate with a click the visitor asks for another with probability
//     continue_after_click, after one without with continue_after_none, at most max_slates.
// Every random draw comes from the Rng the caller passes (one stream per session), so a session
// gives the same result wherever and in whatever order it runs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/rng.h"
#include "data/synthetic.h"
#include "serving/recommender.h"

namespace recsys::experiment {

struct SimulatorConfig {
  int slate_size = 10;
  int max_slates = 5;
  double position_bias = 1;  // exponent of 1 / log2(p + 1); 0: every slot is examined
  double continue_after_click = 0.7;
  double continue_after_none = 0.2;
  void validate() const;
};

// One strategy under test: a scene of a Recommender (with its strategy, ranker and λ), or
// uniformly random items (the floor every strategy must beat).
struct Arm {
  std::string name;
  const Recommender* recommender = nullptr;  // null: random items
  std::string scene = "default";
  std::optional<double> diversity;
};

struct SessionResult {
  std::int32_t user = 0;  // index in the truth's (and the logs') users
  int slates = 0, impressions = 0, clicks = 0, carts = 0, purchases = 0;
  double revenue = 0;
  int first_slate_clicks = 0;             // the reward of the session's first decision (OPE)
  std::vector<std::int32_t> first_slate;  // its items (catalog rows)
  std::vector<std::int32_t> served;       // every item shown (catalog rows)
};

class Simulator {
 public:
  // The synthetic shop: its truth (user u is the logs' user u, item i the catalog's row i), its
  // catalog (prices) and its users' ids.
  Simulator(const SyntheticTruth& truth, const Catalog& catalog, const Vocabulary& users,
            SimulatorConfig config);
  const SimulatorConfig& config() const { return config_; }
  // P(examine slot p), p = 1..slate_size.
  double examine(int position) const { return examine_[static_cast<std::size_t>(position - 1)]; }
  // One session of `user` under `arm`. The arm's recommender must serve the truth's catalog.
  SessionResult run(const Arm& arm, std::int32_t user, Rng& rng) const;
  // The slate (catalog rows) an arm serves a user at the start of a session: deterministic for a
  // strategy arm, drawn from rng for the random one.
  std::vector<std::int32_t> first_slate(const Arm& arm, std::int32_t user, Rng& rng) const;
  // The expected clicks of a slate (catalog rows) for a user under the truth:
  // sum_p examine(p) P(click | user, item p).
  double expected_clicks(std::int32_t user, const std::vector<std::int32_t>& slate) const;
  std::int32_t num_users() const { return truth_.num_users(); }

 private:
  // Catalog rows, best first; model items in `items` when the arm has a recommender.
  std::vector<std::int32_t> slate(const Arm& arm, std::int32_t user, const Session* session,
                                  Rng& rng, std::vector<std::int32_t>* items) const;

  const SyntheticTruth& truth_;
  const Catalog& catalog_;
  const Vocabulary& users_;
  SimulatorConfig config_;
  std::vector<double> examine_;
};

}  // namespace recsys::experiment
