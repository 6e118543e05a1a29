// One evaluation as a request: which model (a baseline by name with its parameters, or a given
// two-tower model), which split and part, and the protocol. Shared by `recsys eval` and the JS API.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "data/dataset.h"
#include "data/split.h"
#include "data/synthetic.h"
#include "eval/evaluate.h"
#include "retrieval/two_tower.h"
#include "serving/candidate_ranker.h"

namespace recsys::eval {

struct EvalRequest {
  // random | popularity | personal-frequency | itemknn | ease | mf | two-tower | pipeline
  std::string model = "popularity";
  std::string params_json = "{}";  // itemknn {neighbours, shrink}; ease {lambda}; mf {factors,
                                   // iterations, regularization, alpha, seed}; random {seed}
  // pipeline: what Recommender::recommend serves in this scene, with these RecommenderOptions
  // (JSON: strategy, useRanker, index); the model (and its ranker) come with the request.
  std::string scene = "default";
  std::string recommender_json = "{}";
  // pipeline: fit a candidate ranker on the fit logs first (serving/candidate_ranker.h), with
  // this configuration (JSON: hidden, epochs, batch_size, learning_rate, window_days, seed,
  // exclude_seen — by default the protocol's); empty: none.
  std::string candidate_ranker_json;
  SplitSpec split;                   // default: leave-last-out
  std::string on = "test";           // "test": fit on train + validation; "validation": on train
  EvalOptions options;
  // {"model", "params", "split", "validation_start", "test_start", "test_end",
  //  "first_interactions", "on", "k", "protocol", "negatives", "exclude_seen", "max_users",
  //  "seed", "scene", "recommender", "source_quota",
  //  "lists", "candidate_ranker"}; unknown keys and bad values are errors.
  static EvalRequest from_json(std::string_view json);
};

struct EvalRun {
  EvalReport report;
  double fit_seconds = 0;
  std::string candidate_ranker_json;  // the fitted candidate ranker's summary, when one was fitted
};

// Splits the data, fits the baseline (or wraps `model` when request.model is "two-tower", or a
// Recommender over `model` and `ranker` fed with the fit logs when it is "pipeline"), and
// evaluates. `truth` adds the synthetic shop's true top-K recall.
// features_model: the two-tower the candidate ranker's training features come from (one trained
// before its cut), else `model`. candidate_ranker: a fitted one (from the model's files) that the
// pipeline serves with; not with request.candidate_ranker_json, which fits one.
EvalRun run_evaluation(const Dataset& data, const EvalRequest& request,
                       std::shared_ptr<const TwoTowerModel> model = nullptr,
                       const SyntheticTruth* truth = nullptr,
                       std::shared_ptr<const RankingModel> ranker = nullptr,
                       std::shared_ptr<const TwoTowerModel> features_model = nullptr,
                       std::shared_ptr<const CandidateRanker> candidate_ranker = nullptr);

}  // namespace recsys::eval
