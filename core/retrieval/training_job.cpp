#include "retrieval/training_job.h"

#include <nlohmann/json.hpp>

#include "common/check.h"
#include "data/split.h"

namespace recsys {

TrainingJobOptions TrainingJobOptions::from_json(std::string_view text) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error& e) {
    RECSYS_FAIL("training options: invalid JSON: ", e.what());
  }
  RECSYS_CHECK(j.is_object(), "training options: expected a JSON object, got ", j.dump());
  TrainingJobOptions o;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    const auto& v = it.value();
    auto integer = [&](int lo) {
      RECSYS_CHECK(
          v.is_number_integer() && v.get<long long>() >= lo && v.get<long long>() < (1LL << 31),
          "training options: '", k, "' must be an integer >= ", lo, ", got ", v.dump());
      return v.get<int>();
    };
    auto boolean = [&]() {
      RECSYS_CHECK(v.is_boolean(), "training options: '", k, "' must be true or false, got ",
                   v.dump());
      return v.get<bool>();
    };
    if (k == "split") {
      RECSYS_CHECK(v.is_string() && (v == "leave-last-out" || v == "none"),
                   "training options: 'split' must be \"leave-last-out\" or \"none\", got ",
                   v.dump());
      o.split = v.get<std::string>();
    } else if (k == "validation_users")
      o.trainer.validation_users = integer(1);
    else if (k == "validation_k")
      o.trainer.validation_k = integer(1);
    else if (k == "early_stopping_patience")
      o.trainer.early_stopping_patience = integer(0);
    else if (k == "restore_best")
      o.trainer.restore_best = boolean();
    else if (k == "exclude_seen")
      o.trainer.exclude_seen = boolean();
    else
      RECSYS_FAIL("training options: unknown key '", k, "'");
  }
  return o;
}

Split make_training_split(const Interactions& x, const std::string& split) {
  if (split == "none")
    return Split{x, Interactions(x.users(), x.num_items(), {}),
                 Interactions(x.users(), x.num_items(), {})};
  RECSYS_CHECK(split == "leave-last-out", "training: unknown split '", split, "'");
  return leave_last_out(first_interactions(x), 1, 1);
}

TrainingJob::TrainingJob(const Dataset& data, const TwoTowerConfig& config,
                         const TrainingJobOptions& options)
    : dataset_name_(data.name) {
  Split split = make_training_split(data.interactions, options.split);
  model_ = std::make_shared<TwoTowerModel>(config, data.catalog, split.train.users());
  trainer_ = std::make_unique<Trainer>(*model_, std::move(split.train), std::move(split.validation),
                                       options.trainer);
  const auto pop = trainer_->popularity_validation_recall();
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
