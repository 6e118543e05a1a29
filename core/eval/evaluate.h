// The evaluation protocols: full ranking over the whole catalog (the default) or sampled (each
// held-out item ranked among 100 random negatives, as in NCF's HR@10), over any split (per-user
// leave-last-out or a global temporal cut). A user is evaluated when it has fit history and at
// least one relevant item: the distinct items of its held-out events, minus, when exclude_seen
// (the default), the items it already had in the fit data — those are not candidates either.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/catalog.h"
#include "data/interactions.h"
#include "data/synthetic.h"
#include "eval/scorers.h"

namespace recsys::eval {

struct EvalOptions {
  int k = 10;
  std::string protocol = "full";  // or "sampled"
  int negatives = 100;            // sampled protocol
  bool exclude_seen = true;
  std::int32_t max_users = 0;  // > 0: a seeded sample of the eligible users
  std::uint64_t seed = 1;
  // > 0, for pipelines: the recall of the held-out items among each candidate source's first
  // source_quota items (full protocol).
  int source_quota = 0;
  bool keep_lists = false;  // full protocol: the report keeps each user's top-K (ids)
};

struct EvalReport {
  std::string model, protocol;
  int k = 10;
  std::int32_t users = 0;  // users evaluated
  double hit = 0, ndcg = 0, recall = 0, precision = 0, mrr = 0, map = 0;
  // Over the top-K lists (full protocol only; -1 otherwise or when not available).
  double coverage = -1, novelty = -1, ild_category = -1, ild_embedding = -1, gini = -1;
  double truth_recall = -1;  // synthetic shop: share of each user's true top-K recommended
  // Pipelines with options.source_quota: (source, mean recall@quota of the held-out items).
  std::vector<std::pair<std::string, double>> source_recall;
  int source_quota = 0;
  // With options.keep_lists: (user id, item ids best first) per evaluated user.
  std::vector<std::pair<std::string, std::vector<std::string>>> lists;
  double seconds = 0;
};

// `fit` and `heldout` share users and items (the same split); catalog gives item categories.
EvalReport evaluate(const Scorer& scorer, const Interactions& fit, const Interactions& heldout,
                    const Catalog& catalog, const EvalOptions& options = EvalOptions(),
                    const SyntheticTruth* truth = nullptr);
std::string report_json(const EvalReport& report);

}  // namespace recsys::eval
