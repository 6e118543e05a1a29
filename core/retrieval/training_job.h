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
  // Training uses the split's train part and validates on its validation part (see SplitSpec).
  SplitSpec split;
  TrainerOptions trainer;
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
