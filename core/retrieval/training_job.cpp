#include "retrieval/training_job.h"

#include <nlohmann/json.hpp>

#include "common/check.h"
#include "data/json_options.h"
#include "data/split.h"

namespace recsys {

TrainingJobOptions TrainingJobOptions::from_json(std::string_view text) {
  TrainingJobOptions o;
  bool has_validation_start = false, has_test_start = false;
  for_each_json_field(text, "training options", [&](const JsonField& f) {
    const std::string& k = f.key();
    if (k == "split") {
      o.split.kind = f.string();
    } else if (k == "validation_start") {
      o.split.validation_start = f.time();
      has_validation_start = true;
    } else if (k == "test_start") {
      o.split.test_start = f.time();
      has_test_start = true;
    } else if (k == "test_end") {
      o.split.test_end = f.time();
    } else if (k == "new_items_only") {
      o.trainer.new_items_only = f.boolean();
    } else if (k == "first_interactions") {
      o.split.first_interactions = f.boolean();
    } else if (k == "validation_users")
      o.trainer.validation_users = f.integer(1);
    else if (k == "validation_k")
      o.trainer.validation_k = f.integer(1);
    else if (k == "early_stopping_patience")
      o.trainer.early_stopping_patience = f.integer(0);
    else if (k == "restore_best")
      o.trainer.restore_best = f.boolean();
    else if (k == "exclude_seen")
      o.trainer.exclude_seen = f.boolean();
    else
      f.unknown();
  });
  RECSYS_CHECK(o.split.kind != "temporal" || (has_validation_start && has_test_start),
               "training options: split 'temporal' needs validation_start and test_start");
  o.split.validate();
  return o;
}

TrainingJob::TrainingJob(const Dataset& data, const TwoTowerConfig& config,
                         const TrainingJobOptions& options)
    : dataset_name_(data.name) {
  Split split = make_split(data.interactions, options.split);
  model_ = std::make_shared<TwoTowerModel>(config, data.catalog, split.train.users());
  trainer_ = std::make_unique<Trainer>(*model_, std::move(split.train), std::move(split.validation),
                                       options.trainer);
  const auto pop = trainer_->popularity_validation_report();
  if (pop.users > 0) popularity_recall_ = pop.recall;
}

TrainingInfo TrainingJob::info() const {
  TrainingInfo i;
  i.dataset = dataset_name_;
  const auto& h = trainer_->history();
  i.epochs = static_cast<std::int32_t>(h.size());
  i.examples_per_epoch = trainer_->examples_per_epoch();
  for (const auto& e : h) i.seconds += e.seconds;
  if (!h.empty()) {
    const EpochReport& e = trainer_->current_epoch();  // the weights the model holds
    i.final_loss = e.mean_loss;
    i.best_epoch = e.epoch;
    i.validation_recall_at_10 = e.validation_recall;
  }
  i.popularity_recall_at_10 = popularity_recall_;
  return i;
}

std::string step_report_json(const StepReport& r) {
  nlohmann::json epochs = nlohmann::json::array();
  for (const auto& e : r.finished_epochs) {
    nlohmann::json je{{"epoch", e.epoch},
                      {"meanLoss", e.mean_loss},
                      {"seconds", e.seconds},
                      {"examples", e.examples}};
    if (e.validation_recall >= 0) je["validationRecall"] = e.validation_recall;
    epochs.push_back(je);
  }
  return nlohmann::json{{"steps", r.steps},
                        {"examples", r.examples},
                        {"meanLoss", r.mean_loss},
                        {"examplesPerSecond", r.examples_per_second},
                        {"seconds", r.seconds},
                        {"epoch", r.epoch},
                        {"stepInEpoch", r.step_in_epoch},
                        {"stepsPerEpoch", r.steps_per_epoch},
                        {"totalSteps", r.total_steps},
                        {"finishedEpochs", epochs},
                        {"done", r.done},
                        {"stoppedEarly", r.stopped_early}}
      .dump();
}

}  // namespace recsys
