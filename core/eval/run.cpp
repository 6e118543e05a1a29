#include "eval/run.h"

#include <nlohmann/json.hpp>

#include "common/check.h"
#include "common/clock.h"
#include "data/json_options.h"

namespace recsys::eval {

EvalRequest EvalRequest::from_json(std::string_view text) {
  EvalRequest r;
  bool has_validation_start = false, has_test_start = false;
  for_each_json_field(text, "evaluation request", [&](const JsonField& f) {
    const std::string& k = f.key();
    if (k == "model") {
      r.model = f.string();
    } else if (k == "params") {
      f.require(f.value().is_object(), "an object");
      r.params_json = json_text(f.value());
    } else if (k == "split") {
      r.split.kind = f.string();
    } else if (k == "validation_start") {
      r.split.validation_start = f.time();
      has_validation_start = true;
    } else if (k == "test_start") {
      r.split.test_start = f.time();
      has_test_start = true;
    } else if (k == "test_end") {
      r.split.test_end = f.time();
    } else if (k == "first_interactions") {
      r.split.first_interactions = f.boolean();
    } else if (k == "on") {
      r.on = f.string();
    } else if (k == "k") {
      r.options.k = f.integer(1);
    } else if (k == "protocol") {
      r.options.protocol = f.string();
    } else if (k == "negatives") {
      r.options.negatives = f.integer(1);
    } else if (k == "exclude_seen") {
      r.options.exclude_seen = f.boolean();
    } else if (k == "max_users") {
      r.options.max_users = f.integer(0);
    } else if (k == "seed") {
      r.options.seed = static_cast<std::uint64_t>(f.integer(0));
    } else if (k == "candidate_ranker") {
      f.require(f.value().is_object(), "an object");
      r.candidate_ranker_json = json_text(f.value());
      CandidateRankerConfig::from_json(r.candidate_ranker_json);  // checked before any work
    } else if (k == "lists") {
      r.options.keep_lists = f.boolean();
    } else if (k == "source_quota") {
      r.options.source_quota = f.integer(0);
    } else if (k == "scene") {
      r.scene = f.string();
    } else if (k == "recommender") {
      f.require(f.value().is_object(), "an object");
      RecommenderOptions::from_json(json_text(f.value()));  // checked here, before any work
      r.recommender_json = json_text(f.value());
    } else {
      f.unknown();
    }
  });
  RECSYS_CHECK(r.split.kind != "temporal" || (has_validation_start && has_test_start),
               "evaluation request: split 'temporal' needs validation_start and test_start");
  r.split.validate();
  for (const auto& [set, key] :
       {std::pair<bool, const char*>{r.options.source_quota != 0, "source_quota"},
        {r.scene != "default", "scene"},
        {r.recommender_json != "{}", "recommender"},
        {!r.candidate_ranker_json.empty(), "candidate_ranker"}})
    RECSYS_CHECK(!set || r.model == "pipeline", "evaluation request: ", key,
                 " needs model 'pipeline', got '", r.model, "'");
  RECSYS_CHECK(r.on == "test" || r.on == "validation",
               "evaluation request: 'on' must be test or validation, got '", r.on, "'");
  RECSYS_CHECK(r.options.protocol == "full" || r.options.protocol == "sampled",
               "evaluation request: 'protocol' must be full or sampled, got '", r.options.protocol,
               "'");
  return r;
}

EvalRun run_evaluation(const Dataset& data, const EvalRequest& req,
                       std::shared_ptr<const TwoTowerModel> model, const SyntheticTruth* truth,
                       std::shared_ptr<const RankingModel> ranker,
                       std::shared_ptr<const TwoTowerModel> features_model,
                       std::shared_ptr<const CandidateRanker> candidate_ranker) {
  RECSYS_CHECK(!features_model || !req.candidate_ranker_json.empty(),
               "evaluate: a features model is for the candidate ranker; the request fits none");
  RECSYS_CHECK(!candidate_ranker || req.candidate_ranker_json.empty(),
               "evaluate: the request fits a candidate ranker and one is given; choose one");
  RECSYS_CHECK(!candidate_ranker || req.model == "pipeline",
               "evaluate: a candidate ranker needs model 'pipeline', got '", req.model, "'");
  const Split split = make_split(data.interactions, req.split);
  const Interactions fit = req.on == "test" ? merge(split.train, split.validation) : split.train;
  const Interactions& heldout = req.on == "test" ? split.test : split.validation;
  RECSYS_CHECK(!heldout.empty(), "evaluate: the ", req.on, " part of the ", req.split.kind,
               " split is empty");
  const auto params = parse_json_text(req.params_json);
  auto check_params = [&](std::initializer_list<const char*> known) {
    for (auto it = params.begin(); it != params.end(); ++it) {
      bool ok = false;
      for (const char* k : known) ok = ok || it.key() == k;
      RECSYS_CHECK_TYPE(ok, "evaluate: unknown parameter '", it.key(), "' for model ", req.model);
      RECSYS_CHECK_TYPE(it.value().is_number(), "evaluate: parameter '", it.key(),
                        "' must be a number, got ", json_text(it.value()));
    }
  };
  auto param = [&](const char* key, auto fallback) {
    using T = decltype(fallback);
    return params.contains(key) ? params[key].get<T>() : fallback;
  };
  const double t0 = monotonic_seconds();
  std::unique_ptr<Scorer> scorer;
  std::string candidate_summary;
  if (req.model == "random") {
    check_params({"seed"});
    scorer = make_random(data.catalog.size(), param("seed", std::uint64_t{1}));
  } else if (req.model == "popularity") {
    check_params({});
    scorer = make_popularity(fit);
  } else if (req.model == "itemknn") {
    check_params({"neighbours", "shrink"});
    ItemKnnOptions o;
    o.neighbours = param("neighbours", o.neighbours);
    o.shrink = param("shrink", o.shrink);
    scorer = make_item_knn(fit, o);
  } else if (req.model == "ease") {
    check_params({"lambda"});
    EaseOptions o;
    o.lambda = param("lambda", o.lambda);
    scorer = make_ease(fit, o);
  } else if (req.model == "personal-frequency") {
    check_params({});
    scorer = make_personal_frequency(fit);
  } else if (req.model == "mf") {
    check_params({"factors", "iterations", "regularization", "alpha", "seed"});
    AlsOptions o;
    o.factors = param("factors", o.factors);
    o.iterations = param("iterations", o.iterations);
    o.regularization = param("regularization", o.regularization);
    o.alpha = param("alpha", o.alpha);
    o.seed = param("seed", o.seed);
    scorer = make_als(fit, o);
  } else if (req.model == "two-tower") {
    // personalise_steps > 0: each user's on-device adapter (serving/personalise.h) is fitted on
    // the user's fit history before scoring, as session.personalise() does in the page.
    check_params({"personalise_steps", "personalise_learning_rate", "personalise_l2"});
    RECSYS_CHECK(model, "evaluate: model 'two-tower' needs a trained model");
    PersonaliseOptions po;
    po.steps = param("personalise_steps", 0);
    po.learning_rate = param("personalise_learning_rate", po.learning_rate);
    po.l2 = param("personalise_l2", po.l2);
    scorer = make_two_tower(std::move(model), fit, data.catalog.item_ids(),
                            po.steps > 0 ? &po : nullptr);
  } else if (req.model == "pipeline") {
    check_params({});
    RECSYS_CHECK(model, "evaluate: model 'pipeline' needs a trained model");
    const RecommenderOptions ro = RecommenderOptions::from_json(req.recommender_json);
    std::shared_ptr<const CandidateRanker> cr = std::move(candidate_ranker);
    if (!req.candidate_ranker_json.empty()) {
      CandidateRankerConfig base;
      base.exclude_seen = req.options.exclude_seen;
      const CandidateRankerConfig c =
          CandidateRankerConfig::from_json(req.candidate_ranker_json, base);
      Dataset fit_data;
      fit_data.name = data.name;
      fit_data.catalog = data.catalog;
      fit_data.interactions = fit;
      const CandidateRankerFit crf =
          fit_candidate_ranker(model, fit_data, ro, req.scene, c, features_model);
      cr = crf.ranker;
      candidate_summary = JsonObject()
                              .add("examples", crf.examples)
                              .add("positives", crf.positives)
                              .add("users", crf.users)
                              .add("cut", crf.cut)
                              .add("epoch_losses", crf.epoch_losses)
                              .text();
    }
    scorer = make_pipeline(std::move(model), std::move(ranker), fit, data.catalog, ro, req.scene,
                           std::move(cr));
  } else {
    RECSYS_FAIL(Range, "evaluate: unknown model '", req.model,
                "' (expected random, popularity, personal-frequency, itemknn, ease, mf, two-tower "
                "or pipeline)");
  }
  EvalRun run;
  run.candidate_ranker_json = candidate_summary;
  run.fit_seconds = monotonic_seconds() - t0;
  run.report = evaluate(*scorer, fit, heldout, data.catalog, req.options, truth);
  return run;
}

}  // namespace recsys::eval
