// Impressions for the ranking model: (user, item, scene, slot) shown, and whether it was clicked
// and purchased. Two sources:
//   simulate_impressions — the synthetic shop's truth model (data/synthetic.h) with a position
//     effect: an item in slot p (0-based) is examined with probability (1 + p)^-examination_decay,
//     then clicked with P(click | shown) and purchased with P(purchase | click);
//   impressions_from_logs — real logs: each logged event is a clicked (and, for purchases,
//     purchased) impression; `negatives` random items the user never had are shown-not-clicked.
#pragma once

#include <cstdint>
#include <vector>

#include "common/rng.h"
#include "data/interactions.h"
#include "data/synthetic.h"
#include "features/scene.h"

namespace recsys {

struct Impression {
  std::int32_t user = 0;
  std::int32_t item = 0;
  Scene scene = Scene::Default;
  std::int32_t position = 0;
  float clicked = 0, purchased = 0;
};

struct ImpressionOptions {
  std::int32_t users = 2000;  // users sampled
  int slates_per_user = 3;
  int slate_size = 10;
  double examination_decay = 0.5;  // P(examine slot p) = (1 + p)^-decay
  std::uint64_t seed = 7;
};

// Slates drawn from each user's candidate list (candidates[u], e.g. retrieval's top 100).
std::vector<Impression> simulate_impressions(
    const SyntheticTruth& truth, const std::vector<std::vector<std::int32_t>>& candidates,
    const ImpressionOptions& options);
// max_users > 0: a seeded sample of that many users.
std::vector<Impression> impressions_from_logs(const Interactions& logs, int negatives,
                                              std::uint64_t seed, std::int32_t max_users = 0);

}  // namespace recsys
