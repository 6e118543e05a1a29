#include "eval/training_job.h"

#include <nlohmann/json.hpp>

#include "common/check.h"
#include "data/json_options.h"
#include "data/split.h"
#include "eval/evaluate.h"
#include "eval/scorers.h"

namespace recsys {

void ValidationOptions::validate() const {
  RECSYS_CHECK(k >= 1, "validation: k must be >= 1, got ", k);
  RECSYS_CHECK(users >= 0, "validation: users must be >= 0 (0: all), got ", users);
}

namespace {
eval::EvalOptions eval_options(const ValidationOptions& v, std::uint64_t seed) {
  eval::EvalOptions o;
  o.k = v.k;
  o.max_users = v.users;
  o.exclude_seen = v.exclude_seen;
  o.seed = seed;
  return o;
}

// The list metrics of the evaluation read categories from a catalog; recall needs none, so a
// catalog with the model's items and categories stands in for the data's.
Catalog catalog_of(const TwoTowerModel& m) {
  Catalog c;
  for (std::int32_t i = 0; i < m.num_items(); ++i)
    c.add(ItemRecord{m.items().token(i),
                     "",
                     m.categories().token(m.item_category()[i]),
                     m.brands().token(m.item_brand()[i]),
                     m.item_price()[i],
                     {}});
  return c;
}
}  // namespace

Validator recall_validator(Interactions validation, const ValidationOptions& options,
                           std::uint64_t seed) {
  options.validate();
  auto heldout = std::make_shared<const Interactions>(std::move(validation));
  auto catalog = std::make_shared<Catalog>();
  return [heldout, catalog, options, seed](const TwoTowerModel& model, const Interactions& train) {
    RECSYS_CHECK(
        heldout->num_users() == train.num_users() && heldout->num_items() == train.num_items(),
        "validation: the held-out data has ", heldout->num_users(), " users and ",
        heldout->num_items(), " items, the training data ", train.num_users(), " and ",
        train.num_items());
    if (catalog->size() != model.num_items()) *catalog = catalog_of(model);
    // A non-owning shared_ptr: the scorer only lives during this call.
    std::shared_ptr<const TwoTowerModel> m(&model, [](const TwoTowerModel*) {});
    const auto scorer = eval::make_two_tower(m, train, model.items());
    return eval::evaluate(*scorer, train, *heldout, *catalog, eval_options(options, seed)).recall;
  };
}

double popularity_recall(const Interactions& train, const Interactions& validation,
                         const Catalog& catalog, const ValidationOptions& options,
                         std::uint64_t seed) {
  const auto scorer = eval::make_popularity(train);
  const auto r = eval::evaluate(*scorer, train, validation, catalog, eval_options(options, seed));
  return r.users > 0 ? r.recall : -1;
}

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
      o.validation.users = f.integer(0);
    else if (k == "validation_k")
      o.validation.k = f.integer(1);
    else if (k == "early_stopping_patience")
      o.trainer.early_stopping_patience = f.integer(0);
    else if (k == "restore_best")
      o.trainer.restore_best = f.boolean();
    else if (k == "exclude_seen")
      o.validation.exclude_seen = f.boolean();
    else
      f.unknown();
  });
  RECSYS_CHECK(o.split.kind != "temporal" || (has_validation_start && has_test_start),
               "training options: split 'temporal' needs validation_start and test_start");
  o.split.validate();
  o.validation.validate();
  return o;
}

TrainingJob::TrainingJob(const Dataset& data, const TwoTowerConfig& config,
                         const TrainingJobOptions& options)
    : dataset_name_(data.name) {
  options.validation.validate();
  Split split = make_split(data.interactions, options.split);
  model_ = std::make_shared<TwoTowerModel>(config, data.catalog, split.train.users());
  const std::uint64_t seed = config.seed;
  Validator validator;
  if (!split.validation.empty()) {
    popularity_recall_ = recsys::popularity_recall(split.train, split.validation, data.catalog,
                                                   options.validation, seed);
    validator = recall_validator(std::move(split.validation), options.validation, seed);
  }
  trainer_ = std::make_unique<Trainer>(*model_, std::move(split.train), options.trainer,
                                       std::move(validator));
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
  JsonArray epochs;
  for (const auto& e : r.finished_epochs) {
    JsonObject je;
    je.add("epoch", e.epoch)
        .add("meanLoss", e.mean_loss)
        .add("seconds", e.seconds)
        .add("examples", e.examples);
    if (e.validation_recall >= 0) je.add("validationRecall", e.validation_recall);
    epochs.add(je);
  }
  return JsonObject()
      .add("steps", r.steps)
      .add("examples", r.examples)
      .add("meanLoss", r.mean_loss)
      .add("examplesPerSecond", r.examples_per_second)
      .add("seconds", r.seconds)
      .add("epoch", r.epoch)
      .add("stepInEpoch", r.step_in_epoch)
      .add("stepsPerEpoch", r.steps_per_epoch)
      .add("totalSteps", r.total_steps)
      .add_text("finishedEpochs", epochs.text())
      .add("done", r.done)
      .add("stoppedEarly", r.stopped_early)
      .text();
}

}  // namespace recsys
