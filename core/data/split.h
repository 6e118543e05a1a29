// Train / validation / test splits that never let the future leak into training:
// per-user leave-last-out and a global temporal cut.
#pragma once

#include <cstdint>
#include <string>

#include "data/interactions.h"

namespace recsys {

struct Split {
  Interactions train, validation, test;  // same users and items as the input
};

// Keeps each (user, item) pair's first event only: the implicit-feedback view in which a held-out
// item is one the user had not interacted with before.
Interactions first_interactions(const Interactions& data);

// For each user with at least n_validation + n_test + 1 events: the last n_test events go to test,
// the n_validation before them to validation, the rest to train. Users with fewer events keep
// them all in train. Within a user, train <= validation <= test in time.
Split leave_last_out(const Interactions& data, int n_validation = 1, int n_test = 1);

// Global cut: train = t < validation_start, validation = validation_start <= t < test_start,
// test = test_start <= t < test_end. Requires validation_start <= test_start < test_end.
Split temporal_split(const Interactions& data, std::int64_t validation_start,
                     std::int64_t test_start, std::int64_t test_end = INT64_MAX);

// How a dataset is split, as the CLI, the trainer and the evaluator name it:
//   "none"            everything is training data (no validation, no test);
//   "leave-last-out"  first (user, item) events only; per user the last is test, the one before
//                     it validation (users with fewer than 3 such events keep them in train);
//   "temporal"        train < validation_start <= validation < test_start <= test < test_end.
struct SplitSpec {
  std::string kind = "leave-last-out";
  std::int64_t validation_start = 0, test_start = 0, test_end = INT64_MAX;
  // Keep only each (user, item) pair's first event before splitting (leave-last-out always does).
  bool first_interactions = false;
  void validate() const;
};
Split make_split(const Interactions& data, const SplitSpec& spec);

// The events of a and b together (same users and items).
Interactions merge(const Interactions& a, const Interactions& b);

}  // namespace recsys
