// A training run as one object: the dataset split, a model it owns (shared, so a caller may keep
// the model after the job), its Trainer, and the validation that drives early stopping: recall@K
// on the split's validation part through the offline evaluation (eval::evaluate). What the CLI,
// the JS API and the pages drive. It lives in eval/ because it joins training (retrieval/) with
// the evaluation protocol; retrieval/ sees only the Validator callback.
#pragma once

#include <memory>
#include <string>

#include "data/dataset.h"
#include "data/split.h"
#include "retrieval/trainer.h"
#include "retrieval/training_info.h"
#include "retrieval/two_tower.h"

namespace recsys {

struct ValidationOptions {
  int k = 10;                 // recall@k
  std::int32_t users = 2000;  // at most this many validation users (a seeded sample; 0: all)
  bool exclude_seen = true;   // training items are not candidates
  void validate() const;
};

// Recall@K of a model on `validation` (one held-out event per user, the same users and items as
// the training data), full ranking; the trainer's data is the fit history.
Validator recall_validator(Interactions validation, const ValidationOptions& options,
                           std::uint64_t seed);
// The same measure for the most popular items of `train` (-1 when no user can be evaluated).
double popularity_recall(const Interactions& train, const Interactions& validation,
                         const Catalog& catalog, const ValidationOptions& options,
                         std::uint64_t seed);

struct TrainingJobOptions {
  // Training uses the split's train part and validates on its validation part (see SplitSpec).
  SplitSpec split;
  TrainerOptions trainer;
  ValidationOptions validation;
  // Parses {"split": "none"|"leave-last-out"|"temporal", "validation_start", "test_start",
  // "test_end" (dates or seconds), "validation_users": n, "validation_k": k,
  // "early_stopping_patience": n, "restore_best": bool, "exclude_seen": bool}; unknown keys are
  // errors.
  static TrainingJobOptions from_json(std::string_view json);
};

class TrainingJob {
 public:
  TrainingJob(const Dataset& data, const TwoTowerConfig& config, const TrainingJobOptions& options);
  StepReport train_steps(std::int64_t n) { return trainer_->train_steps(n); }
  bool done() const { return trainer_->done(); }
  const Trainer& trainer() const { return *trainer_; }
  std::shared_ptr<TwoTowerModel> model() const { return model_; }
  // Popularity's validation recall@K, computed once (-1 without validation data).
  double popularity_recall() const { return popularity_recall_; }
  // The model's validation recall@K now (-1 without validation data).
  double validation_recall() const { return trainer_->validation_score(); }
  TrainingInfo info() const;
  const std::string& dataset_name() const { return dataset_name_; }

 private:
  std::shared_ptr<TwoTowerModel> model_;
  std::unique_ptr<Trainer> trainer_;
  std::string dataset_name_;
  double popularity_recall_ = -1;
};

std::string step_report_json(const StepReport& r);

}  // namespace recsys
