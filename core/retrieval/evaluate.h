// Validation of retrieval during training: recall@K of each user's held-out item over the full
// catalog (the user's training items excluded by default), for the model and for popularity.
#pragma once

#include <cstdint>

#include "data/interactions.h"
#include "retrieval/two_tower.h"

namespace recsys {

struct RecallOptions {
  int k = 10;
  std::int32_t max_users = 2000;  // users sampled (seeded) when more have held-out items
  std::uint64_t seed = 1;
  bool exclude_seen = true;  // a user's training items are not candidates
};

struct RecallResult {
  double recall = 0;       // share of evaluated users whose held-out item is in the top K
  std::int32_t users = 0;  // users evaluated
};

// Held-out item per user = the user's first event in `heldout`; history = the user's last
// history_length events in `train`.
RecallResult model_recall(const TwoTowerModel& model, const Interactions& train,
                          const Interactions& heldout, const RecallOptions& options);
// The same protocol for the most popular training items.
RecallResult popularity_recall(const Interactions& train, const Interactions& heldout,
                               const RecallOptions& options);

}  // namespace recsys
