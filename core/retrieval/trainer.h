// Step-wise training of a two-tower model: seeded shuffling, epochs, Adam (dense for layers,
// lazy for embedding rows), a validation score after each epoch and early stopping. A page can
// call train_steps(n) in small slices, show progress and stop at any step. The validation itself
// is a callback (eval/training_job.h makes one from the offline evaluation), so that retrieval
// does not depend on eval.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "data/interactions.h"
#include "nn/adam.h"
#include "retrieval/two_tower.h"

namespace recsys {

// Scores the model on held-out data (higher is better, e.g. recall@10); `train` is the trainer's
// training data (the users' histories, items to exclude).
using Validator = std::function<double(const TwoTowerModel& model, const Interactions& train)>;

struct TrainerOptions {
  // Epochs, batch size, learning rate and seed come from the model's config.
  int early_stopping_patience = 2;  // epochs without a better validation score; 0 = never stop
  bool restore_best = true;         // on early stopping, go back to the best epoch's weights
  // Only events whose item is new to the user are training targets (histories still hold every
  // earlier event): matches an evaluation that does not recommend items already had.
  bool new_items_only = false;
};

struct EpochReport {
  int epoch = 0;  // 1-based
  double mean_loss = 0;
  double validation_recall = -1;  // the validator's score; -1 without a validator
  double seconds = 0;             // training time of the epoch, without validation
  std::int64_t examples = 0;
};

struct StepReport {
  std::int64_t steps = 0;          // steps run by this call
  std::int64_t examples = 0;       // examples seen by this call
  double mean_loss = 0;            // mean training loss over this call's steps
  double examples_per_second = 0;  // over this call's training time (validation excluded)
  double seconds = 0;
  int epoch = 0;  // epoch in progress after the call (1-based), or the last one
  std::int64_t step_in_epoch = 0;
  std::int64_t steps_per_epoch = 0;
  std::int64_t total_steps = 0;
  std::vector<EpochReport> finished_epochs;  // epochs that ended during this call
  bool done = false;
  bool stopped_early = false;
};

class Trainer {
 public:
  // Examples: every event of `train` with the user's earlier events as history. With a
  // validator, each epoch ends with a validation score (and early stopping on it).
  Trainer(TwoTowerModel& model, Interactions train, TrainerOptions options = TrainerOptions(),
          Validator validator = nullptr);

  // Runs up to n steps (fewer when training ends); validation runs at each epoch's end.
  StepReport train_steps(std::int64_t n);
  // Runs to the end of the current epoch.
  StepReport train_epoch();
  bool done() const { return done_; }
  std::int64_t steps_per_epoch() const;
  std::int64_t examples_per_epoch() const { return static_cast<std::int64_t>(examples_.size()); }
  const std::vector<EpochReport>& history() const { return history_; }
  // The epoch whose weights the model holds: the last one, or the best one after an early stop
  // that restored it.
  const EpochReport& current_epoch() const;
  bool stopped_early() const { return stopped_early_; }
  const std::vector<float>& item_log_q() const { return log_q_; }
  const Interactions& train_data() const { return train_; }
  bool has_validation() const { return static_cast<bool>(validator_); }
  // The validator's score of the model now (-1 without a validator).
  double validation_score() const { return validator_ ? validator_(model_, train_) : -1; }
  // The batch of the given examples, as the trainer builds it (for tests and benchmarks); with
  // negative_rng and config uniform_negatives > 0, also that many uniformly drawn negatives.
  TrainingBatch make_batch(const std::vector<std::int64_t>& example_ids, Rng* anonymous_rng,
                           Rng* negative_rng = nullptr) const;

 private:
  struct Example {
    std::int32_t user;
    std::int32_t item;
    std::int64_t event;  // index in train_.events()
  };
  void start_epoch();
  void finish_epoch(StepReport& report);
  void snapshot();
  void restore();
  void flush();

  TwoTowerModel& model_;
  Interactions train_;
  TrainerOptions options_;
  Validator validator_;
  nn::Adam adam_;
  std::vector<TwoTowerModel::Param> params_;
  std::vector<nn::AdamSlot> slots_;
  // A step's Adam updates as pieces: params_[param], its gradient rows [begin, end) (end -1: all).
  struct Piece {
    std::size_t param;
    std::int64_t begin, end;
  };
  std::vector<Piece> pieces_;
  std::vector<Example> examples_;
  std::vector<float> log_q_;  // per item
  std::vector<std::int64_t> order_;
  std::size_t cursor_ = 0;
  int epoch_ = 0;  // epochs started
  double epoch_loss_ = 0;
  std::int64_t epoch_steps_ = 0;
  double epoch_seconds_ = 0;
  std::int64_t total_steps_ = 0;
  Rng anon_rng_;
  Rng negative_rng_;
  bool done_ = false;
  bool stopped_early_ = false;
  std::vector<EpochReport> history_;
  double best_recall_ = -1;
  int best_epoch_ = 0;
  bool restored_ = false;
  int epochs_since_best_ = 0;
  std::vector<nn::Matrix> best_params_;
};

}  // namespace recsys
