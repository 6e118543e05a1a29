// A training run as one object: the dataset split, a model it owns (shared, so a caller may keep
// the model after the job), and its Trainer. What the CLI, the JS API and the pages drive.
#pragma once

#include <memory>
#include <string>

#include "data/dataset.h"
#include "data/split.h"
#include "io/two_tower_file.h"
#include "retrieval/trainer.h"
#include "retrieval/two_tower.h"

namespace recsys {

struct TrainingJobOptions {
  // "leave-last-out": each (user, item) pair's first event; per user the last one is the test
  // item and the one before it the validation item. "none": every event trains, no validation.
  std::string split = "leave-last-out";
  TrainerOptions trainer;
  // Parses {"split": ..., "validation_users": n, "validation_k": k, "early_stopping_patience": n,
  // "restore_best": bool, "exclude_seen": bool}; unknown keys are errors.
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
  TrainingInfo info() const;
  const std::string& dataset_name() const { return dataset_name_; }

 private:
  std::shared_ptr<TwoTowerModel> model_;
  std::unique_ptr<Trainer> trainer_;
  std::string dataset_name_;
  double popularity_recall_ = -1;
};

// The split of `options.split` over a dataset's interactions (train, validation, test).
Split make_training_split(const Interactions& interactions, const std::string& split);
std::string step_report_json(const StepReport& r);

}  // namespace recsys
