#include "eval/run.h"

#include <chrono>

#include <nlohmann/json.hpp>

#include "common/check.h"
#include "data/parse.h"

namespace recsys::eval {

EvalRequest EvalRequest::from_json(std::string_view text) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error& e) {
    RECSYS_FAIL("evaluation request: invalid JSON: ", e.what());
  }
  RECSYS_CHECK(j.is_object(), "evaluation request: expected a JSON object, got ", j.dump());
  EvalRequest r;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    const auto& v = it.value();
    auto str = [&]() {
      RECSYS_CHECK(v.is_string(), "evaluation request: '", k, "' must be a string, got ", v.dump());
      return v.get<std::string>();
    };
    auto integer = [&](long long lo) {
      RECSYS_CHECK(
          v.is_number_integer() && v.get<long long>() >= lo && v.get<long long>() < (1LL << 31),
          "evaluation request: '", k, "' must be an integer >= ", lo, ", got ", v.dump());
      return v.get<int>();
    };
    auto time = [&]() -> std::int64_t {
      std::int64_t t = 0;
      if (v.is_number_integer()) return v.get<std::int64_t>();
      RECSYS_CHECK(v.is_string() && try_parse_timestamp(v.get<std::string>(), t),
                   "evaluation request: '", k, "' must be a date (YYYY-MM-DD) or seconds, got ",
                   v.dump());
      return t;
    };
    if (k == "model") {
      r.model = str();
    } else if (k == "params") {
      RECSYS_CHECK(v.is_object(), "evaluation request: 'params' must be an object, got ", v.dump());
      r.params_json = v.dump();
    } else if (k == "split") {
      r.split.kind = str();
    } else if (k == "validation_start") {
      r.split.validation_start = time();
    } else if (k == "test_start") {
      r.split.test_start = time();
    } else if (k == "test_end") {
      r.split.test_end = time();
    } else if (k == "first_interactions") {
      RECSYS_CHECK(v.is_boolean(),
                   "evaluation request: 'first_interactions' must be true or false");
      r.split.first_interactions = v.get<bool>();
    } else if (k == "on") {
      r.on = str();
    } else if (k == "k") {
      r.options.k = integer(1);
    } else if (k == "protocol") {
      r.options.protocol = str();
    } else if (k == "negatives") {
      r.options.negatives = integer(1);
    } else if (k == "exclude_seen") {
      RECSYS_CHECK(v.is_boolean(), "evaluation request: 'exclude_seen' must be true or false");
      r.options.exclude_seen = v.get<bool>();
    } else if (k == "max_users") {
      r.options.max_users = integer(0);
    } else if (k == "seed") {
      r.options.seed = static_cast<std::uint64_t>(integer(0));
    } else {
      RECSYS_FAIL("evaluation request: unknown key '", k, "'");
    }
  }
  RECSYS_CHECK(
      r.split.kind != "temporal" || (j.contains("validation_start") && j.contains("test_start")),
      "evaluation request: split 'temporal' needs validation_start and test_start");
  r.split.validate();
  RECSYS_CHECK(r.on == "test" || r.on == "validation",
               "evaluation request: 'on' must be test or validation, got '", r.on, "'");
  RECSYS_CHECK(r.options.protocol == "full" || r.options.protocol == "sampled",
               "evaluation request: 'protocol' must be full or sampled, got '", r.options.protocol,
               "'");
  return r;
}

EvalRun run_evaluation(const Dataset& data, const EvalRequest& req,
                       std::shared_ptr<const TwoTowerModel> model, const SyntheticTruth* truth) {
  const Split split = make_split(data.interactions, req.split);
  const Interactions fit = req.on == "test" ? merge(split.train, split.validation) : split.train;
  const Interactions& heldout = req.on == "test" ? split.test : split.validation;
  RECSYS_CHECK(!heldout.empty(), "evaluate: the ", req.on, " part of the ", req.split.kind,
               " split is empty");
  const auto params = nlohmann::json::parse(req.params_json);
  auto check_params = [&](std::initializer_list<const char*> known) {
    for (auto it = params.begin(); it != params.end(); ++it) {
      bool ok = false;
      for (const char* k : known) ok = ok || it.key() == k;
      RECSYS_CHECK(ok, "evaluate: unknown parameter '", it.key(), "' for model ", req.model);
      RECSYS_CHECK(it.value().is_number(), "evaluate: parameter '", it.key(),
                   "' must be a number, got ", it.value().dump());
    }
  };
  auto param = [&](const char* key, auto fallback) {
    using T = decltype(fallback);
    return params.contains(key) ? params[key].get<T>() : fallback;
  };
  const auto t0 = std::chrono::steady_clock::now();
  std::unique_ptr<Scorer> scorer;
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
    check_params({});
    RECSYS_CHECK(model, "evaluate: model 'two-tower' needs a trained model");
    scorer = make_two_tower(std::move(model), fit, data.catalog.item_ids());
  } else {
    RECSYS_FAIL("evaluate: unknown model '", req.model,
                "' (expected random, popularity, itemknn, mf or two-tower)");
  }
  EvalRun run;
  run.fit_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  run.report = evaluate(*scorer, fit, heldout, data.catalog, req.options, truth);
  return run;
}

}  // namespace recsys::eval
