// recsys: the native command line. Subcommands: generate, stats, online-retail, version.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <cstdio>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/args.h"
#include "cli/data_source.h"
#include "cli/request_json.h"
#include "common/check.h"
#include "common/parallel.h"
#include "common/rng.h"
#include "data/online_retail.h"
#include "data/parse.h"
#include "data/split.h"
#include "data/shop_file.h"
#include "data/synthetic.h"
#include "eval/evaluate.h"
#include "eval/run.h"
#include "eval/training_job.h"
#include "experiment/experiment.h"
#include "experiment/simulator.h"
#include "io/two_tower_file.h"
#include "ranking/fit.h"
#include "retrieval/index.h"
#include "retrieval/topk.h"
#include "retrieval/trainer.h"
#include "retrieval/two_tower.h"
#include "serving/recommender.h"

namespace recsys::cli {
namespace {

const char* kUsage = R"(recsys — e-commerce recommendation engine (native CLI)

usage:
  recsys generate [--seed N] [--users N] [--items N] [--interactions N] [--config FILE|JSON]
                  [--out DIR] [--format csv|json] [--shop-version 1|2]
      Generate the seeded synthetic shop; print its statistics and checksum; with --out, write
      DIR/catalog.<fmt>, DIR/interactions.<fmt>, DIR/shop.bin (the same data in binary form,
      docs/shop-format.md; version 2, or 1 for builds that predate it) and DIR/config.json.
  recsys stats --data synthetic|online-retail|DIR|FILE [--json]
      Load a dataset and print its statistics and checksum.
  recsys online-retail --raw FILE[.gz] [--out DIR]
      Load the raw UCI Online Retail CSV, print the cleaning report, and with --out write the
      compact extract (items.csv, baskets.csv) that data/online_retail/ holds.
  recsys train [--data synthetic|online-retail|DIR|FILE] [--preset seed|default] [--config JSON|FILE]
               [--epochs N] [--batch-size N] [--lr X] [--seed N] [--split leave-last-out|temporal|none]
               [--validation-start DATE --test-start DATE] [--before DATE]
               [--validation-users N] [--patience N] [--out DIR] [--quiet] [--ranker]
               [--candidate-ranker JSON|FILE [--scene NAME] [--strategy JSON|FILE]] [--threads N|auto]
               [--precision f32|f16|int8]
      Train a two-tower model with a live progress line (--threads: the kernels' threads, default
      1; the weights are the same on any count); with --out, write DIR/model.safetensors
      and DIR/manifest.json (--precision: the two-tower weights as float32, the default, float16,
      or int8 with per-row / per-channel scales; docs/model-format.md). --ranker adds a click /
      purchase ranker; --candidate-ranker '{...}' a candidate ranker for the scene (default: default) of the strategy, fitted on a cut
      window_days before the end of the training logs with features from a second two-tower
      trained before the cut; it is stored with the model with its scene and strategy.
  recsys convert --model DIR --precision f32|f16|int8 --out DIR [--prune-user-rows]
      Write a model's files again at another precision (its ranker and candidate ranker with it)
      and print both sizes. --prune-user-rows: a file for serving, whose hashed user table keeps
      only the rows the model's users and the anonymous row reach (format version 3; the same
      vectors and lists for every user).
  recsys recommend --model DIR [--data synthetic|online-retail|DIR] [--user ID] [--scene S]
                   [--item ID] [--k N] [--diversity X] [--history ITEM,ITEM,...] [--events JSON|FILE]
                   [--request JSON|FILE] [--index exact|int8|ivf] [--strategy JSON|FILE]
                   [--no-ranker] [--no-candidate-ranker] [--json]
      The Recommender the page uses (sources, ranker, diversity, rules) over the model and the
      data's catalog and logs (a model's candidate ranker serves, with its strategy and scene as
      the defaults): --history and --events are session events (views; or
      [{"itemId", "event", "timestamp"}]); --request is a request as the JS API takes it
      ({"userId", "scene", "k", "diversity", "itemId", "filters"}), which the flags override.
  recsys eval [--data synthetic|online-retail|DIR]
              --model DIR|random|popularity|personal-frequency|itemknn|ease|mf|pipeline
              [--k N] [--protocol full|sampled] [--negatives N] [--split leave-last-out|temporal]
              [--validation-start DATE --test-start DATE [--test-end DATE]] [--on test|validation]
              [--params JSON] [--max-users N] [--include-seen] [--json]
              [--model-dir DIR] [--scene NAME] [--strategy JSON|FILE] [--no-ranker]
              [--source-recall N] [--candidate-ranker JSON] [--features-model DIR]
              [--no-candidate-ranker]
      Offline evaluation: HR, NDCG, recall, precision, MRR, MAP at K, coverage, novelty, intra-list
      diversity, Gini (and, on the synthetic shop, the recall of each user's true top-K). Fits on
      train (+ validation when --on test) and evaluates on the held-out part; training items are
      not candidates unless --include-seen (the repeat protocol). --params: itemknn {neighbours,
      shrink}, ease {lambda}, mf {factors, iterations, regularization, alpha, seed}.
      --model pipeline evaluates what `recommend` serves: a Recommender over the model in
      --model-dir (with its ranker unless --no-ranker, and --strategy) fed with the fit logs, for
      each user in --scene (default: default); --source-recall N adds the recall of the held-out
      items among each candidate source's first N items; --candidate-ranker '{...}' first fits a
      candidate ranker on the fit logs (a cut window_days before their end; --features-model: a
      two-tower trained before that cut) and serves with it; otherwise the model's own candidate
      ranker serves (with its scene and strategy as the defaults) unless --no-candidate-ranker.
  recsys experiment [--config JSON|FILE] [--model DIR] [--sessions N] [--seed N] [--json]
      An A/B test of recommendation strategies on the synthetic shop (arms, split, sessions,
      alpha, seed, simulator, bandit, ope: core/experiment/experiment.h), with a model (default
      data/demo/model): per-arm business metrics with intervals, tests against the first arm
      (Welch, z, delta method, CUPED, always-valid p-values), the sample-ratio check, a bandit
      over the arms and off-policy estimates of a target arm.
  recsys bench-simulator [--model DIR] [--sessions N] [--json]
      Simulated sessions per second of each default experiment arm on the default shop (exact
      index), on one thread and on every core.
  recsys bench-index [--n N] [--d D] [--queries Q] [--k K] [--threads N|auto] [--json]
      Build and query the exact, int8 and IVF indexes on clustered unit vectors: build time,
      single-query latency, a 128-query batch, recall@K against exact (npm run bench -- retrieval).
  recsys bench-bandwidth [--mib M] [--passes P] [--json]
      This machine's single-thread memory read bandwidth: the best of P passes (7) summing an M MiB
      buffer (default 256) as 32-bit integers (vectorised: bound by memory, not by arithmetic).
      The bound that the exact scan is held to (npm run bench -- retrieval).
  recsys version
)";

SyntheticConfig synthetic_config(const Args& a) {
  SyntheticConfig c;
  if (a.has("config")) {
    const std::string v = a.get("config");
    c = SyntheticConfig::from_json(!v.empty() && v[0] == '{' ? v : read_file(v));
  }
  if (a.has("seed")) {
    const long long s = a.get_int("seed", 0);
    RECSYS_CHECK(s >= 0, "option '--seed': must be >= 0, got ", s);
    c.seed = static_cast<std::uint64_t>(s);
  }
  c.users = static_cast<std::int32_t>(a.get_int("users", c.users));
  c.items = static_cast<std::int32_t>(a.get_int("items", c.items));
  c.interactions = a.get_int("interactions", c.interactions);
  c.validate();
  return c;
}

void print_stats(const Dataset& d, bool json, const SyntheticConfig* config = nullptr) {
  if (json) {
    auto j = nlohmann::json::parse(summary_json(d));
    if (config) j["config"] = nlohmann::json::parse(config->to_json());
    std::cout << j.dump(2) << "\n";
    return;
  }
  const auto s = compute_stats(d);
  const std::string sum = checksum_hex(checksum(d));
  std::printf("dataset      %s\n", d.name.c_str());
  std::printf("users        %d\nitems        %d (%d with events)\ninteractions %lld\n", s.users,
              s.items, s.active_items, static_cast<long long>(s.interactions));
  std::printf("categories   %d\nbrands       %d\n", s.categories, s.brands);
  std::printf("events       view %lld, click %lld, add_to_cart %lld, purchase %lld\n",
              static_cast<long long>(s.views), static_cast<long long>(s.clicks),
              static_cast<long long>(s.add_to_carts), static_cast<long long>(s.purchases));
  std::printf("price        mean %.2f, min %.2f, max %.2f\n", s.price_mean, s.price_min,
              s.price_max);
  std::printf("time         %s .. %s\n", format_timestamp(s.first_timestamp).c_str(),
              format_timestamp(s.last_timestamp).c_str());
  std::printf("density      %.5f, %.2f events per user, top 1%% of items hold %.1f%% of events\n",
              s.density, s.mean_events_per_user, 100 * s.top1pct_item_share);
  std::printf("checksum     %s\n", sum.c_str());
}

int cmd_generate(const std::vector<std::string>& argv) {
  const Args a(
      argv, {"seed", "users", "items", "interactions", "config", "out", "format", "shop-version"},
      {"json"});
  const SyntheticConfig cfg = synthetic_config(a);
  const std::string format = a.get("format", "csv");
  RECSYS_CHECK(format == "csv" || format == "json",
               "option '--format': expected csv or json, got '", format, "'");
  const std::string shop_version = a.get("shop-version", std::to_string(kShopVersion));
  RECSYS_CHECK(shop_version == "1" || shop_version == "2",
               "option '--shop-version': expected 1 or 2, got '", shop_version, "'");
  const auto t0 = std::chrono::steady_clock::now();
  const SyntheticShop shop = generate_synthetic_shop(cfg);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  print_stats(shop.data, a.has("json"), &cfg);
  if (!a.has("json")) std::printf("generated in %.2f s\n", secs);
  if (a.has("out")) {
    const std::string dir = a.get("out");
    make_dirs(dir);
    const auto& d = shop.data;
    const std::string catalog_text = format == "csv" ? d.catalog.to_csv() : d.catalog.to_json();
    const std::string events_text = format == "csv" ? d.interactions.to_csv(d.catalog)
                                                    : d.interactions.to_json(d.catalog);
    write_file(dir + "/catalog." + format, catalog_text);
    write_file(dir + "/interactions." + format, events_text);
    // The binary form (docs/shop-format.md) of exactly what the text files load as.
    Dataset loaded = parse_dataset(catalog_text, format, "catalog." + format, events_text, format,
                                   "interactions." + format);
    loaded.name = d.name;
    write_file(dir + "/shop.bin", write_shop(loaded, shop_version == "1" ? 1 : 2));
    write_file(dir + "/config.json", nlohmann::json::parse(cfg.to_json()).dump(2) + "\n");
    if (!a.has("json"))
      std::printf("wrote %s/catalog.%s, interactions.%s, shop.bin, config.json\n", dir.c_str(),
                  format.c_str(), format.c_str());
  }
  return 0;
}

int cmd_stats(const std::vector<std::string>& argv) {
  const Args a(argv, {"data", "seed"}, {"json"});
  RECSYS_CHECK(a.has("data"), "stats: --data is required");
  SyntheticConfig cfg;
  if (a.has("seed")) cfg.seed = static_cast<std::uint64_t>(a.get_int("seed", 42));
  print_stats(load_dataset(a.get("data"), cfg), a.has("json"));
  return 0;
}

long long peak_rss_bytes() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<long long>(ru.ru_maxrss) * 1024;  // Linux reports KiB
}

// --split none|leave-last-out|temporal with --validation-start / --test-start / --test-end.
SplitSpec split_from_args(const Args& a) {
  SplitSpec s;
  s.kind = a.get("split", "leave-last-out");
  auto date = [&](const char* name, std::int64_t fallback) {
    if (!a.has(name)) return fallback;
    return parse_timestamp(a.get(name), "command line", 0, std::string("--") + name);
  };
  if (s.kind == "temporal") {
    RECSYS_CHECK(a.has("validation-start") && a.has("test-start"),
                 "--split temporal needs --validation-start and --test-start");
  }
  s.validation_start = date("validation-start", 0);
  s.test_start = date("test-start", 0);
  s.test_end = date("test-end", INT64_MAX);
  s.first_interactions = a.has("first-interactions");
  s.validate();
  return s;
}

// load_dataset, then with --before DATE only the events before that date.
Dataset load_dataset_before(const std::string& spec, const Args& a) {
  Dataset d = load_dataset(spec);
  if (a.has("before")) {
    const std::int64_t t = parse_timestamp(a.get("before"), "command line", 0, "--before");
    d.interactions = d.interactions.filter([t](const Interaction& e) { return e.timestamp < t; });
    RECSYS_CHECK(!d.interactions.empty(), "--before ", a.get("before"), ": no events are left");
  }
  return d;
}

std::string clock_text(double seconds) {
  const long s = static_cast<long>(seconds + 0.5);
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  return buf;
}

std::string json_arg(const Args& a, const char* name);

// --threads N|auto: the threads of the numeric kernels (results are the same on any count);
// auto = the machine's cores, up to parallel::kMaxThreads.
void set_threads_arg(const Args& a) {
  const std::string v = a.get("threads", "1");
  if (v == "auto") {
    const unsigned hc = std::thread::hardware_concurrency();
    parallel::set_threads(std::clamp(static_cast<int>(hc), 1, parallel::max_threads()));
    return;
  }
  parallel::set_threads(static_cast<int>(a.get_int("threads", 1)));
}

int cmd_train(const std::vector<std::string>& argv) {
  const Args a(
      argv,
      {"data", "preset", "config", "epochs", "batch-size", "lr", "seed", "out", "validation-users",
       "patience", "split", "validation-start", "test-start", "test-end", "before",
       "candidate-ranker", "scene", "strategy", "threads", "precision"},
      {"quiet", "json", "first-interactions", "new-items-only", "ranker"});
  set_threads_arg(a);
  const std::string precision = a.get("precision", "f32");
  RECSYS_CHECK(precision == "f32" || precision == "f16" || precision == "int8",
               "option '--precision': must be f32, f16 or int8, got '", precision, "'");
  RECSYS_CHECK(a.has("candidate-ranker") || (!a.has("scene") && !a.has("strategy")),
               "options --scene and --strategy are the candidate ranker's: they need "
               "--candidate-ranker");
  // Checked before any training: a bad option costs nothing.
  CandidateRankerConfig cr_config;
  RecommenderOptions cr_options;
  if (a.has("candidate-ranker")) {
    cr_config = CandidateRankerConfig::from_json(json_arg(a, "candidate-ranker"), cr_config);
    if (a.has("strategy")) cr_options.strategy = StrategyConfig::from_json(json_arg(a, "strategy"));
    cr_options.use_ranker = false;
    const std::string scene = a.get("scene", "default");
    RECSYS_CHECK(cr_options.strategy.scenes.count(scene) > 0, "option '--scene': unknown scene '",
                 scene, "'");
  }
  const std::string spec = a.get("data", "synthetic");
  TwoTowerConfig cfg = TwoTowerConfig::preset_named(a.get("preset", "default"));
  if (a.has("config")) {
    const std::string v = a.get("config");
    auto j = nlohmann::json::parse(!v.empty() && v[0] == '{' ? v : read_file(v));
    if (!j.contains("preset")) j["preset"] = cfg.preset;
    cfg = TwoTowerConfig::from_json(j.dump());
  }
  cfg.epochs = static_cast<int>(a.get_int("epochs", cfg.epochs));
  cfg.batch_size = static_cast<int>(a.get_int("batch-size", cfg.batch_size));
  cfg.learning_rate = static_cast<float>(a.get_double("lr", cfg.learning_rate));
  if (a.has("seed")) cfg.seed = static_cast<std::uint64_t>(a.get_int("seed", 42));
  cfg.validate();
  TrainerOptions opts;
  ValidationOptions validation;
  validation.users = static_cast<std::int32_t>(a.get_int("validation-users", validation.users));
  opts.early_stopping_patience =
      static_cast<int>(a.get_int("patience", opts.early_stopping_patience));
  opts.new_items_only = a.has("new-items-only");
  const bool json = a.has("json");
  const bool quiet = a.has("quiet") || json;
  // With --json, the human-readable lines go to stderr and one JSON summary to stdout.
  FILE* out = json ? stderr : stdout;

  const Dataset data = load_dataset_before(spec, a);
  TrainingJobOptions jo;
  jo.split = split_from_args(a);
  jo.trainer = opts;
  jo.validation = validation;
  TrainingJob job(data, cfg, jo);
  const Trainer& trainer = job.trainer();
  const TwoTowerModel& model = *job.model();
  std::fprintf(
      out, "train %s preset on %s: %lld examples per epoch, %lld steps of %d, %d epochs max\n",
      cfg.preset.c_str(), data.name.c_str(), static_cast<long long>(trainer.examples_per_epoch()),
      static_cast<long long>(trainer.steps_per_epoch()), cfg.batch_size, cfg.epochs);
  if (job.popularity_recall() >= 0)
    std::fprintf(out, "popularity: validation recall@10 %.4f\n", job.popularity_recall());
  double seconds = 0, examples = 0;
  const double total_steps = static_cast<double>(trainer.steps_per_epoch()) * cfg.epochs;
  while (!trainer.done()) {
    const StepReport r = job.train_steps(25);
    seconds += r.seconds;
    examples += static_cast<double>(r.examples);
    const double rate = seconds > 0 ? examples / seconds : 0;
    const double left = (total_steps - static_cast<double>(r.total_steps)) * cfg.batch_size;
    if (!quiet)
      std::fprintf(stderr, "\repoch %d/%d  step %lld/%lld  loss %.4f  %.0f examples/s  ETA %s   ",
                   r.epoch, cfg.epochs, static_cast<long long>(r.step_in_epoch),
                   static_cast<long long>(r.steps_per_epoch), r.mean_loss, rate,
                   clock_text(rate > 0 ? left / rate : 0).c_str());
    for (const auto& e : r.finished_epochs) {
      if (!quiet) std::fprintf(stderr, "\r%*s\r", 90, "");
      if (e.validation_recall >= 0)
        std::fprintf(out,
                     "epoch %d: loss %.4f, validation recall@10 %.4f, %.1f s (%.0f examples/s)\n",
                     e.epoch, e.mean_loss, e.validation_recall, e.seconds, e.examples / e.seconds);
      else
        std::fprintf(out, "epoch %d: loss %.4f, %.1f s (%.0f examples/s)\n", e.epoch, e.mean_loss,
                     e.seconds, e.examples / e.seconds);
    }
    if (r.stopped_early)
      std::fprintf(out,
                   "early stop: no better validation recall for %d epochs; keeping the weights of "
                   "epoch %d\n",
                   opts.early_stopping_patience, trainer.current_epoch().epoch);
  }
  const auto& h = trainer.history();
  const TrainingInfo info = job.info();
  if (info.popularity_recall_at_10 >= 0)
    std::fprintf(out,
                 "done: %zu epochs; the model (epoch %d): loss %.4f, validation recall@10 %.4f "
                 "(popularity %.4f), %.0f examples/s\n",
                 h.size(), trainer.current_epoch().epoch, info.final_loss,
                 info.validation_recall_at_10, info.popularity_recall_at_10,
                 seconds > 0 ? examples / seconds : 0);
  else
    std::fprintf(out, "done: %zu epochs, final loss %.4f, %.0f examples/s\n", h.size(),
                 info.final_loss, seconds > 0 ? examples / seconds : 0);
  if (json) {
    nlohmann::json epochs = nlohmann::json::array();
    for (const auto& e : h) {
      nlohmann::json je{{"epoch", e.epoch},
                        {"mean_loss", e.mean_loss},
                        {"seconds", e.seconds},
                        {"examples", e.examples},
                        {"examples_per_second", e.examples / e.seconds}};
      if (e.validation_recall >= 0) je["validation_recall_at_10"] = e.validation_recall;
      epochs.push_back(je);
    }
    std::cout << nlohmann::json{{"preset", cfg.preset},
                                {"dataset", data.name},
                                {"epochs", epochs},
                                {"training", nlohmann::json::parse(training_info_json(info))},
                                {"peak_rss_bytes", peak_rss_bytes()}}
                     .dump(1)
              << "\n";
  }
  std::shared_ptr<RankingModel> ranker;
  if (a.has("ranker")) {
    const RankerFit fit = fit_ranker(job.model(), data, trainer.train_data());
    ranker = fit.ranker;
    std::fprintf(
        out,
        "ranker: %lld impressions (%s), held-out click AUC %.4f, log-loss %.4f; purchase AUC %.4f, "
        "log-loss %.4f\n",
        static_cast<long long>(fit.report.train_impressions + fit.report.test_impressions),
        fit.impressions_source.c_str(), fit.report.click_auc, fit.report.click_logloss,
        fit.report.purchase_auc, fit.report.purchase_logloss);
  }
  std::shared_ptr<CandidateRanker> candidate;
  if (a.has("candidate-ranker")) {
    // Fitted on the logs the model was trained on; its training features come from a second
    // two-tower trained (same config and epochs) on the logs before its cut only, so that the
    // personal scores of the examples do not already know the window they are labelled from.
    Dataset fit_data;
    fit_data.name = data.name;
    fit_data.catalog = data.catalog;
    fit_data.interactions = trainer.train_data();
    Dataset past = fit_data;
    past.interactions = candidate_ranker_history(fit_data.interactions, cr_config);
    TwoTowerConfig fc = cfg;
    fc.epochs = std::max(1, trainer.current_epoch().epoch);
    TrainingJobOptions fjo;
    fjo.split.kind = "none";
    TrainingJob features_job(past, fc, fjo);
    std::fprintf(out, "candidate ranker: features model on the %lld events before the cut, %d epochs\n",
                 static_cast<long long>(past.interactions.size()), fc.epochs);
    while (!features_job.done()) features_job.train_steps(1 << 20);
    const std::string scene = a.get("scene", "default");
    const CandidateRankerFit fit = fit_candidate_ranker(job.model(), fit_data, cr_options, scene,
                                                        cr_config, features_job.model());
    candidate = fit.ranker;
    std::fprintf(out,
                 "candidate ranker (%s, scene %s): %lld examples, %lld positives, %d users; loss "
                 "%.4f -> %.4f\n",
                 cr_config.objective.c_str(), scene.c_str(), static_cast<long long>(fit.examples),
                 static_cast<long long>(fit.positives), fit.users, fit.epoch_losses.front(),
                 fit.epoch_losses.back());
  }
  if (a.has("out")) {
    const std::string dir = a.get("out");
    make_dirs(dir);
    const ModelFiles files =
        TwoTowerFile::save(model, info, ranker.get(), candidate.get(), precision);
    write_file(dir + "/model.safetensors", files.weights);
    write_file(dir + "/manifest.json", files.manifest);
    std::fprintf(out, "wrote %s/model.safetensors (%zu bytes) and %s/manifest.json\n", dir.c_str(),
                 files.weights.size(), dir.c_str());
  }
  return 0;
}

int cmd_convert(const std::vector<std::string>& argv) {
  const Args a(argv, {"model", "precision", "out"}, {"prune-user-rows"});
  RECSYS_CHECK(a.has("model") && a.has("precision") && a.has("out"),
               "convert needs --model DIR --precision f32|f16|int8 --out DIR [--prune-user-rows]");
  const std::string dir = a.get("model"), out = a.get("out");
  const std::string weights = read_file(dir + "/model.safetensors");
  const std::string manifest = read_file(dir + "/manifest.json");
  const auto all = TwoTowerFile::load_all(weights, manifest, dir);
  const ModelFiles files =
      TwoTowerFile::save(*all.model, TwoTowerFile::training_info(manifest), all.ranker.get(),
                         all.candidate.get(), a.get("precision"), a.has("prune-user-rows"));
  make_dirs(out);
  write_file(out + "/model.safetensors", files.weights);
  write_file(out + "/manifest.json", files.manifest);
  std::printf("%s/model.safetensors: %zu bytes (was %zu), %s/manifest.json: %zu bytes\n",
              out.c_str(), files.weights.size(), weights.size(), out.c_str(),
              files.manifest.size());
  return 0;
}

// A JSON argument given inline or as a file name.
std::string json_arg(const Args& a, const char* name) {
  const std::string v = a.get(name);
  const std::size_t b = v.find_first_not_of(" \t\r\n");
  return b != std::string::npos && (v[b] == '{' || v[b] == '[') ? v : read_file(v);
}

int cmd_eval(const std::vector<std::string>& argv) {
  const Args a(argv,
               {"data", "model", "k", "protocol", "negatives", "split", "validation-start",
                "test-start", "test-end", "on", "params", "max-users", "seed", "before",
                "model-dir", "scene", "strategy", "source-recall", "candidate-ranker",
                "features-model"},
               {"json", "include-seen", "first-interactions", "no-ranker", "no-candidate-ranker"});
  const std::string spec = a.get("data", "synthetic");
  const std::string which = a.get("model", "popularity");
  // The synthetic shop keeps its hidden truth, for the recall of each user's true top-K.
  std::unique_ptr<SyntheticShop> shop;
  Dataset data;
  if (spec == "synthetic") {
    SyntheticConfig sc;
    if (a.has("seed")) sc.seed = static_cast<std::uint64_t>(a.get_int("seed", 42));
    shop = std::make_unique<SyntheticShop>(generate_synthetic_shop(sc));
    data = shop->data;
  } else {
    data = load_dataset_before(spec, a);
  }
  eval::EvalRequest req;
  req.split = split_from_args(a);
  req.on = a.get("on", "test");
  RECSYS_CHECK(req.on == "test" || req.on == "validation",
               "option '--on': expected test or validation, got '", req.on, "'");
  req.options.k = static_cast<int>(a.get_int("k", 10));
  req.options.protocol = a.get("protocol", "full");
  req.options.negatives = static_cast<int>(a.get_int("negatives", 100));
  req.options.exclude_seen = !a.has("include-seen");
  req.options.max_users = static_cast<std::int32_t>(a.get_int("max-users", 0));
  if (a.has("params")) req.params_json = a.get("params");
  std::shared_ptr<TwoTowerModel> model, features_model;
  std::shared_ptr<RankingModel> ranker;
  std::shared_ptr<CandidateRanker> stored_candidate;
  const bool baseline = which == "random" || which == "popularity" ||
                        which == "personal-frequency" || which == "itemknn" || which == "ease" ||
                        which == "mf";
  RECSYS_CHECK(which == "pipeline" ||
                   (!a.has("model-dir") && !a.has("scene") && !a.has("strategy") &&
                    !a.has("no-ranker") && !a.has("source-recall") &&
                    !a.has("candidate-ranker") && !a.has("features-model") &&
                    !a.has("no-candidate-ranker")),
               "options --model-dir, --scene, --strategy, --no-ranker, --source-recall, "
               "--candidate-ranker, --no-candidate-ranker and --features-model need --model "
               "pipeline");
  if (baseline) {
    req.model = which;
  } else if (which == "pipeline") {
    req.model = "pipeline";
    const std::string dir = a.get("model-dir", data_dir() + "/demo/model");
    const std::string weights = read_file(dir + "/model.safetensors");
    const std::string manifest = read_file(dir + "/manifest.json");
    model = std::make_shared<TwoTowerModel>(TwoTowerFile::load(weights, manifest, dir));
    if (!a.has("no-ranker")) ranker = TwoTowerFile::load_ranker(weights, manifest, model, dir);
    // The model's own candidate ranker serves unless one is fitted here or it is turned off;
    // its strategy (which defines the scene it was fitted for) is the default one.
    if (!a.has("candidate-ranker") && !a.has("no-candidate-ranker"))
      stored_candidate = TwoTowerFile::load_candidate_ranker(weights, manifest, dir);
    req.scene = a.get("scene", stored_candidate ? stored_candidate->fitted().scene : "default");
    nlohmann::json options{{"useRanker", !a.has("no-ranker")}};
    if (a.has("strategy"))
      options["strategy"] = nlohmann::json::parse(json_arg(a, "strategy"));
    else if (stored_candidate && !stored_candidate->fitted().strategy_json.empty())
      options["strategy"] = nlohmann::json::parse(stored_candidate->fitted().strategy_json);
    req.recommender_json = options.dump();
    req.options.source_quota = static_cast<int>(a.get_int("source-recall", 0));
    if (a.has("candidate-ranker")) req.candidate_ranker_json = json_arg(a, "candidate-ranker");
    if (a.has("features-model")) {
      const std::string fdir = a.get("features-model");
      features_model = std::make_shared<TwoTowerModel>(TwoTowerFile::load(
          read_file(fdir + "/model.safetensors"), read_file(fdir + "/manifest.json"), fdir));
    }
  } else {
    req.model = "two-tower";
    model = std::make_shared<TwoTowerModel>(TwoTowerFile::load(
        read_file(which + "/model.safetensors"), read_file(which + "/manifest.json"), which));
  }
  const eval::EvalRun run =
      eval::run_evaluation(data, req, model, shop ? &shop->truth : nullptr, ranker, features_model,
                           stored_candidate);
  eval::EvalReport r = run.report;
  if (model && which != "pipeline") r.model = which + " (" + r.model + ")";
  if (a.has("json")) {
    auto j = nlohmann::json::parse(eval::report_json(r));
    j["dataset"] = data.name;
    j["split"] = req.split.kind;
    j["on"] = req.on;
    j["fit_seconds"] = run.fit_seconds;
    if (!run.candidate_ranker_json.empty())
      j["candidate_ranker"] = nlohmann::json::parse(run.candidate_ranker_json);
    const auto params = nlohmann::json::parse(req.params_json);
    if (!params.empty()) j["params"] = params;
    std::cout << j.dump(1) << "\n";
    return 0;
  }
  std::printf("%s on %s (%s split, %s), %s protocol, K = %d, %d users%s\n", r.model.c_str(),
              data.name.c_str(), req.split.kind.c_str(), req.on.c_str(), r.protocol.c_str(), r.k,
              r.users, req.options.exclude_seen ? ", training items excluded" : "");
  std::printf("  HR %.4f  NDCG %.4f  Recall %.4f  Precision %.4f  MRR %.4f  MAP %.4f\n", r.hit,
              r.ndcg, r.recall, r.precision, r.mrr, r.map);
  if (r.coverage >= 0)
    std::printf("  coverage %.4f  novelty %.3f  ILD(category) %.4f  ILD(embedding) %s  Gini %.4f\n",
                r.coverage, r.novelty, r.ild_category,
                r.ild_embedding >= 0 ? std::to_string(r.ild_embedding).c_str() : "-", r.gini);
  if (r.truth_recall >= 0)
    std::printf("  recall of the users' true top-%d: %.4f\n", r.k, r.truth_recall);
  if (!r.source_recall.empty()) {
    std::printf("  recall@%d of each candidate source:", r.source_quota);
    for (const auto& [name, v] : r.source_recall) std::printf("  %s %.4f", name.c_str(), v);
    std::printf("\n");
  }
  std::printf("  fit %.2f s, evaluation %.2f s\n", run.fit_seconds, r.seconds);
  return 0;
}

// Clustered unit vectors: `clusters` centres ~ N(0, I) (fixed), points = centre + 0.7 · N(0, I),
// normalised — structured like trained item embeddings. Items and queries share the centres and
// differ by `seed` (the same recipe as bench/retrieval/page.mjs).
nn::Matrix clustered_vectors(std::int64_t n, int d, int clusters, std::uint64_t seed) {
  Rng centre_rng(12345, 80);
  nn::Matrix centres(clusters, d);
  for (Eigen::Index i = 0; i < centres.size(); ++i)
    centres.data()[i] = static_cast<float>(centre_rng.normal());
  Rng rng(seed, 81);
  nn::Matrix out(n, d);
  for (std::int64_t r = 0; r < n; ++r) {
    const auto c = static_cast<Eigen::Index>(rng.below(static_cast<std::uint32_t>(clusters)));
    for (int j = 0; j < d; ++j) out(r, j) = centres(c, j) + 0.7f * static_cast<float>(rng.normal());
    out.row(r).normalize();
  }
  return out;
}

int cmd_bench_index(const std::vector<std::string>& argv) {
  const Args a(argv, {"n", "d", "queries", "k", "kinds", "threads"}, {"json"});
  set_threads_arg(a);
  const auto n = static_cast<std::int32_t>(a.get_int("n", 100000));
  const int d = static_cast<int>(a.get_int("d", 64));
  const int nq = static_cast<int>(a.get_int("queries", 100));
  const int k = static_cast<int>(a.get_int("k", 10));
  RECSYS_CHECK(n >= 1 && d >= 1 && nq >= 1 && k >= 1,
               "bench-index: --n, --d, --queries and --k must be >= 1");
  const nn::Matrix items = clustered_vectors(n, d, 1000, 1);
  const nn::Matrix queries = clustered_vectors(std::max(nq, 128), d, 1000, 2);
  auto now = [] { return std::chrono::steady_clock::now(); };
  auto ms = [](auto t0, auto t1) {
    return std::chrono::duration<double, std::milli>(t1 - t0).count();
  };
  nlohmann::json results = nlohmann::json::array();
  std::unique_ptr<Index> exact;
  // "exact" is the default exact index (at this size, through its int8 bound); "exact-floats"
  // the same index scanning the floats (prune off).
  for (const std::string kind : {"exact", "exact-floats", "int8", "ivf"}) {
    IndexOptions o;
    o.kind = kind == "exact-floats" ? "exact" : kind;
    if (kind == "exact-floats") o.prune = false;
    auto index = make_index(o);
    auto t0 = now();
    index->build(items);
    const double build_ms = ms(t0, now());
    for (int q = 0; q < 20; ++q) index->search_one(queries.row(q % nq).data(), k);  // warm-up
    std::vector<double> lat;
    for (int q = 0; q < nq; ++q) {
      const auto s0 = now();
      index->search_one(queries.row(q).data(), k);
      lat.push_back(ms(s0, now()));
    }
    std::sort(lat.begin(), lat.end());
    std::vector<std::vector<ScoredItem>> out;
    std::vector<double> batch;
    for (int rep = 0; rep < 3; ++rep) {
      const auto b0 = now();
      index->search(queries.data(), 128, k, nullptr, out);
      batch.push_back(ms(b0, now()));
    }
    std::sort(batch.begin(), batch.end());
    const double batch_ms = batch[1];  // median of 3
    const double recall =
        kind == "exact" ? 1.0 : recall_against(*exact, *index, queries.topRows(nq), k);
    results.push_back({{"kind", kind},
                       {"build_ms", build_ms},
                       {"single_p50_ms", lat[lat.size() / 2]},
                       {"single_p95_ms", lat[lat.size() * 95 / 100]},
                       {"batch128_ms", batch_ms},
                       {"recall_at_k", recall},
                       {"memory_bytes", index->memory_bytes()}});
    if (kind == "exact") exact = std::move(index);
    if (!a.has("json"))
      std::printf(
          "%-12s n=%d d=%d build %.0f ms, single p50 %.3f ms, batch-128 %.1f ms, recall@%d %.4f\n",
          kind.c_str(), n, d, build_ms, lat[lat.size() / 2], batch_ms, k, recall);
  }
  if (a.has("json"))
    std::cout << nlohmann::json{{"n", n},
                                {"d", d},
                                {"k", k},
                                {"queries", nq},
                                {"threads", parallel::threads()},
                                {"results", results}}
                     .dump(1)
              << "\n";
  return 0;
}

// One sequential read stream, summed as integers (compilers vectorise integer sums: they
// reassociate freely). Out of line: inlined into main() the plain loop was not vectorised
// (measured: 4 GB/s).
__attribute__((noinline)) std::uint32_t sum_u32(const std::uint32_t* p, std::size_t n) {
  std::uint32_t s = 0;
  std::size_t i = 0;
#ifdef __SSE2__
  // Four independent 16-byte accumulators: the fastest read loop measured here (8.6-8.9 GB/s
  // against 7.5 for the compiler's vectorisation of the plain loop).
  __m128i a = _mm_setzero_si128(), b = a, c = a, d = a;
  const auto* v = reinterpret_cast<const __m128i*>(p);
  for (; i + 16 <= n; i += 16, v += 4) {
    a = _mm_add_epi32(a, _mm_loadu_si128(v));
    b = _mm_add_epi32(b, _mm_loadu_si128(v + 1));
    c = _mm_add_epi32(c, _mm_loadu_si128(v + 2));
    d = _mm_add_epi32(d, _mm_loadu_si128(v + 3));
  }
  alignas(16) std::uint32_t lanes[4];
  _mm_store_si128(reinterpret_cast<__m128i*>(lanes), _mm_add_epi32(_mm_add_epi32(a, b), _mm_add_epi32(c, d)));
  s = lanes[0] + lanes[1] + lanes[2] + lanes[3];
#endif
  for (; i < n; ++i) s += p[i];
  return s;
}

int cmd_bench_bandwidth(const std::vector<std::string>& argv) {
  const Args a(argv, {"mib", "passes"}, {"json"});
  const auto mib = a.get_int("mib", 256);
  const auto passes = a.get_int("passes", 7);
  RECSYS_CHECK(mib >= 1 && mib <= 16384, "bench-bandwidth: --mib must be in [1, 16384], got ", mib);
  RECSYS_CHECK(passes >= 1 && passes <= 1000, "bench-bandwidth: --passes must be in [1, 1000], got ",
               passes);
  std::vector<std::uint32_t> buf(static_cast<std::size_t>(mib) << 18);
  for (std::size_t i = 0; i < buf.size(); ++i) buf[i] = static_cast<std::uint32_t>(i);
  double best = 1e300;
  std::uint32_t sink = 0;
  for (long long pass = 0; pass < passes; ++pass) {
    const auto t0 = std::chrono::steady_clock::now();
    const std::uint32_t s = sum_u32(buf.data(), buf.size());
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    sink ^= s;
  }
  const double bytes = static_cast<double>(buf.size()) * sizeof(std::uint32_t);
  const double gbs = bytes / best / 1e9;
  if (a.has("json"))
    std::cout << nlohmann::json{{"bytes", bytes}, {"best_seconds", best}, {"read_gb_per_s", gbs},
                                {"method", "best of " + std::to_string(passes) + " single-thread passes summing " +
                                               std::to_string(mib) + " MiB as uint32"},
                                {"checksum", sink}}
                     .dump(1)
              << "\n";
  else
    std::printf("read %lld MiB: best %.2f ms = %.2f GB/s (checksum %u)\n",
                static_cast<long long>(mib), best * 1e3, gbs, sink);
  return 0;
}

// The same Recommender (serving/recommender.h) that the JS API and the Recommend page call.
int cmd_recommend(const std::vector<std::string>& argv) {
  const Args a(argv,
               {"model", "data", "user", "history", "events", "scene", "item", "k", "diversity",
                "request", "index", "strategy", "before"},
               {"json", "no-ranker", "no-candidate-ranker"});
  RECSYS_CHECK(a.has("model"), "recommend: --model DIR is required");
  const std::string dir = a.get("model");
  const std::string weights = read_file(dir + "/model.safetensors");
  const std::string manifest = read_file(dir + "/manifest.json");
  auto model = std::make_shared<TwoTowerModel>(TwoTowerFile::load(weights, manifest, dir));
  std::shared_ptr<RankingModel> ranker = TwoTowerFile::load_ranker(weights, manifest, model, dir);
  const Dataset data = load_dataset_before(a.get("data", "synthetic"), a);
  RecommenderOptions options;
  if (a.has("index")) options.index.kind = a.get("index");
  std::shared_ptr<CandidateRanker> candidate;
  if (!a.has("no-candidate-ranker"))
    candidate = TwoTowerFile::load_candidate_ranker(weights, manifest, dir);
  // A candidate ranker's strategy (defining the scene it was fitted for) is the default one.
  if (a.has("strategy"))
    options.strategy = StrategyConfig::from_json(json_arg(a, "strategy"));
  else if (candidate && !candidate->fitted().strategy_json.empty())
    options.strategy = StrategyConfig::from_json(candidate->fitted().strategy_json);
  options.use_ranker = !a.has("no-ranker");
  options.cache_capacity = 0;
  Recommender rec(model, data, options, ranker);
  if (candidate) rec.set_candidate_ranker(candidate);

  RecommendRequest req;
  if (a.has("request")) req = request_from_json(json_arg(a, "request"));
  if (a.has("user")) req.user_id = a.get("user");
  if (a.has("scene"))
    req.scene = a.get("scene");
  else if (candidate && !a.has("request"))
    req.scene = candidate->fitted().scene;
  if (a.has("item")) req.item_id = a.get("item");
  if (a.has("k")) {
    const long long k = a.get_int("k", 10);
    RECSYS_CHECK(k >= 1 && k <= 1000, "option '--k': must be in [1, 1000], got ", k);
    req.k = static_cast<int>(k);
  }
  if (a.has("diversity")) req.diversity = a.get_double("diversity", 0);
  // Session events: --history ITEM,ITEM (views, oldest first) and --events JSON|FILE.
  std::unique_ptr<Session> session;
  if (a.has("history") || a.has("events")) {
    session = std::make_unique<Session>(rec.create_session(req.user_id));
    const std::string hist = a.get("history");
    std::int64_t t = 0;
    for (std::size_t b = 0; b < hist.size();) {
      std::size_t e = hist.find(',', b);
      if (e == std::string::npos) e = hist.size();
      rec.track(*session, hist.substr(b, e - b), "view", ++t);
      b = e + 1;
    }
    if (a.has("events")) track_events_json(rec, *session, json_arg(a, "events"));
  }
  const auto list = rec.recommend(req, session.get());
  if (a.has("json")) {
    std::cout << recommendations_json(rec, list, 1) << "\n";
    return 0;
  }
  for (const auto& r : list) {
    const std::int32_t row = rec.catalog_row(r.item);
    std::printf("%3d  %-12s %9.6f  %-22s %s\n", r.rank, rec.item_id(r.item).c_str(), r.score(),
                r.explanation.sources.label().c_str(), rec.catalog().title(row).c_str());
  }
  return 0;
}

// `recsys experiment`: the A/B test, the bandit and the off-policy estimates of
// experiment/experiment.h on the synthetic shop, with a model (default: data/demo/model, which
// npm start trains on the default shop).
int cmd_experiment(const std::vector<std::string>& argv) {
  const Args a(argv, {"config", "model", "sessions", "seed", "shop"}, {"json", "quiet"});
  nlohmann::json cfg = nlohmann::json::object();
  if (a.has("config")) cfg = nlohmann::json::parse(json_arg(a, "config"));
  RECSYS_CHECK_TYPE(cfg.is_object(), "experiment: --config must be a JSON object");
  // CLI keys beside the experiment's own: the model folder and the shop's settings.
  std::string model_dir = a.get("model", cfg.value("model", data_dir() + "/demo/model"));
  cfg.erase("model");
  SyntheticConfig shop_cfg;
  if (cfg.contains("shop")) {
    shop_cfg = SyntheticConfig::from_json(cfg["shop"].dump());
    cfg.erase("shop");
  }
  if (a.has("shop")) shop_cfg = SyntheticConfig::from_json(json_arg(a, "shop"));
  if (a.has("sessions")) cfg["sessions"] = a.get_int("sessions", 8000);
  if (a.has("seed")) cfg["seed"] = a.get_int("seed", 7);
  const experiment::ExperimentConfig config = experiment::ExperimentConfig::from_json(cfg.dump());
  const std::string weights = read_file(model_dir + "/model.safetensors");
  const std::string manifest = read_file(model_dir + "/manifest.json");
  auto model = std::make_shared<TwoTowerModel>(TwoTowerFile::load(weights, manifest, model_dir));
  auto ranker = TwoTowerFile::load_ranker(weights, manifest, model, model_dir);
  const Dataset data = generate_synthetic_dataset(shop_cfg);
  experiment::Experiment exp(model, ranker, data, config);
  const auto t0 = std::chrono::steady_clock::now();
  while (!exp.done()) {
    exp.step(1000);
    if (!a.has("json") && !a.has("quiet"))
      std::fprintf(stderr, "\r%lld of %lld A/B sessions", static_cast<long long>(exp.ab_sessions()),
                   static_cast<long long>(config.sessions));
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  auto report = nlohmann::json::parse(exp.report_json());
  report["seconds"] = secs;
  if (a.has("json")) {
    std::cout << report.dump(1) << "\n";
    return 0;
  }
  std::fprintf(stderr, "\r%*s\r", 40, "");
  std::printf("A/B test: %lld sessions, %s, alpha %.3g (%.1f s)\n",
              static_cast<long long>(exp.ab_sessions()), data.name.c_str(), config.alpha, secs);
  auto ci = [](const nlohmann::json& m, const char* fmt) {
    char buf[96];
    std::snprintf(buf, sizeof buf, fmt, m["value"].get<double>(), m["ciLow"].get<double>(),
                  m["ciHigh"].get<double>());
    return std::string(buf);
  };
  std::printf("  %-12s %6s %8s  %-24s %-8s %-8s %-26s %-8s %s\n", "arm", "users", "sessions",
              "CTR [95% CI]", "convert", "to cart", "revenue / user [95% CI]", "AOV", "coverage");
  for (const auto& arm : report["arms"])
    std::printf("  %-12s %6.0f %8.0f  %-24s %-8.4f %-8.4f %-26s %-8.2f %.4f\n",
                arm["name"].get<std::string>().c_str(), arm["users"].get<double>(),
                arm["sessions"].get<double>(), ci(arm["ctr"], "%.4f [%.4f, %.4f]").c_str(),
                arm["conversion"]["value"].get<double>(), arm["cartRate"]["value"].get<double>(),
                ci(arm["revenuePerUser"], "%.2f [%.2f, %.2f]").c_str(),
                arm["aov"]["value"].get<double>(), arm["coverage"].get<double>());
  for (const auto& c : report["comparisons"]) {
    std::printf("  %s vs %s:\n", c["arm"].get<std::string>().c_str(),
                c["control"].get<std::string>().c_str());
    for (const char* key : {"ctr", "conversion", "cartRate", "revenuePerUser", "aov"}) {
      if (c[key].is_null()) continue;
      const auto& t = c[key];
      std::printf("    %-15s %+9.4f (%+6.1f %%) CI [%+.4f, %+.4f]  p %.3g", key,
                  t["difference"].get<double>(), 100 * t["relative"].get<double>(),
                  t["ciLow"].get<double>(), t["ciHigh"].get<double>(), t["pValue"].get<double>());
      if (t.contains("sequentialP"))
        std::printf("  always-valid p %.3g", t["sequentialP"].get<double>());
      if (t.contains("cuped"))
        std::printf("  CUPED p %.3g (variance -%.1f %%)", t["cuped"]["pValue"].get<double>(),
                    100 * t["cuped"]["varianceReduction"].get<double>());
      std::printf("\n");
    }
  }
  if (report.contains("srm"))
    std::printf("  sample-ratio check: chi-square %.2f, p %.3g%s\n",
                report["srm"]["chiSquare"].get<double>(), report["srm"]["pValue"].get<double>(),
                report["srm"]["mismatch"].get<bool>() ? "  MISMATCH: do not read the results" : "");
  for (const auto& w : report["warnings"])
    std::printf("  warning: %s\n", w.get<std::string>().c_str());
  if (report.contains("bandit")) {
    const auto& b = report["bandit"];
    std::printf("bandit (%s on %s): %lld sessions, reward %.1f, regret %.1f; pulls",
                b["policy"].get<std::string>().c_str(), b["reward"].get<std::string>().c_str(),
                b["sessions"].get<long long>(), b["totalReward"].get<double>(),
                b["regret"].get<double>());
    std::size_t k = 0;
    for (const auto& p : b["pulls"])
      std::printf(" %s %.0f", report["arms"][k++]["name"].get<std::string>().c_str(),
                  p.get<double>());
    std::printf("\n");
  }
  if (report.contains("ope") && report["ope"].contains("truth")) {
    const auto& o = report["ope"];
    std::printf(
        "off-policy (%lld sessions logged around %s, epsilon %.2f): %s's first-slate clicks\n",
        o["sessions"].get<long long>(), o["logging"].get<std::string>().c_str(),
        o["epsilon"].get<double>(), o["target"].get<std::string>().c_str());
    for (const char* key : {"truth", "ips", "snips", "dr"})
      if (o.contains(key)) std::printf("  %-6s %s\n", key, ci(o[key], "%.4f [%.4f, %.4f]").c_str());
  }
  return 0;
}

// `recsys bench-simulator`: simulated sessions per second of each default arm on the default
// shop with the exact index, on one thread and on every core (sessions are independent).
int cmd_bench_simulator(const std::vector<std::string>& argv) {
  const Args a(argv, {"model", "sessions"}, {"json"});
  const std::string model_dir = a.get("model", data_dir() + "/demo/model");
  const auto n = a.get_int("sessions", 2000);
  RECSYS_CHECK(n >= 10, "bench-simulator: --sessions must be >= 10, got ", n);
  const std::string weights = read_file(model_dir + "/model.safetensors");
  const std::string manifest = read_file(model_dir + "/manifest.json");
  auto model = std::make_shared<TwoTowerModel>(TwoTowerFile::load(weights, manifest, model_dir));
  auto ranker = TwoTowerFile::load_ranker(weights, manifest, model, model_dir);
  const Dataset data = generate_synthetic_dataset(SyntheticConfig());
  const experiment::Simulator sim(*data.truth, data.catalog, data.interactions.users(), {});
  nlohmann::json results = nlohmann::json::array();
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  for (const auto& arm_cfg : experiment::ExperimentConfig::default_arms()) {
    std::unique_ptr<Recommender> rec;
    experiment::Arm arm;
    arm.name = arm_cfg.name;
    arm.diversity = arm_cfg.diversity;
    if (!arm_cfg.random) {
      RecommenderOptions o;
      o.strategy = arm_cfg.strategy;
      o.use_ranker = arm_cfg.use_ranker;
      o.cache_capacity = 0;
      rec = std::make_unique<Recommender>(model, data, o, ranker);
      arm.recommender = rec.get();
    }
    nlohmann::json row{{"arm", arm.name}};
    for (unsigned threads : {1u, cores}) {
      double slates = 0;
      std::vector<double> per(threads, 0);
      const auto t0 = std::chrono::steady_clock::now();
      std::vector<std::thread> pool;
      for (unsigned t = 0; t < threads; ++t)
        pool.emplace_back([&, t] {
          for (long long s = t; s < n; s += threads) {
            Rng rng(7, static_cast<std::uint64_t>(s));
            const auto user =
                static_cast<std::int32_t>(rng.below(static_cast<std::uint32_t>(sim.num_users())));
            per[t] += sim.run(arm, user, rng).slates;
          }
        });
      for (auto& t : pool) t.join();
      const double secs =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      for (double p : per) slates += p;
      row[threads == 1 ? "sessions_per_second_1_thread" : "sessions_per_second_all_cores"] =
          n / secs;
      row["slates_per_session"] = slates / static_cast<double>(n);
      if (threads == cores) row["cores"] = cores;
      if (cores == 1) row["sessions_per_second_all_cores"] = n / secs;
      if (cores == 1) break;
    }
    if (!a.has("json"))
      std::printf(
          "%-12s %8.0f sessions/s on 1 thread, %8.0f on %u cores (%.2f slates per session)\n",
          arm.name.c_str(), row["sessions_per_second_1_thread"].get<double>(),
          row["sessions_per_second_all_cores"].get<double>(), cores,
          row["slates_per_session"].get<double>());
    results.push_back(row);
  }
  if (a.has("json"))
    std::cout << nlohmann::json{{"sessions", n},
                                {"items", data.catalog.size()},
                                {"index", "exact"},
                                {"results", results}}
                     .dump(1)
              << "\n";
  return 0;
}

int cmd_online_retail(const std::vector<std::string>& argv) {
  const Args a(argv, {"raw", "out"}, {});
  RECSYS_CHECK(a.has("raw"), "online-retail: --raw FILE is required");
  const std::string path = a.get("raw");
  const auto loaded = load_online_retail_csv(read_file(path), path);
  const auto& r = loaded.report;
  std::printf(
      "rows %lld: no CustomerID %lld, cancelled %lld, quantity <= 0 %lld, price <= 0 %lld\n",
      static_cast<long long>(r.rows), static_cast<long long>(r.no_customer),
      static_cast<long long>(r.cancelled), static_cast<long long>(r.non_positive_quantity),
      static_cast<long long>(r.non_positive_price));
  std::printf("purchase rows %lld, users %d, items %d (before dropping non-product codes)\n",
              static_cast<long long>(r.purchase_rows), r.purchase_users, r.purchase_items);
  std::printf("dropped %zu non-product codes (%lld rows):", r.dropped_codes.size(),
              static_cast<long long>(r.dropped_rows));
  for (const auto& [code, n] : r.dropped_codes)
    std::printf(" %s (%lld)", code.c_str(), static_cast<long long>(n));
  std::printf("\n");
  print_stats(loaded.data, false);
  if (a.has("out")) {
    const std::string dir = a.get("out");
    make_dirs(dir);
    const auto ex = write_online_retail_extract(loaded.data);
    write_file(dir + "/items.csv", ex.items_csv);
    write_file(dir + "/baskets.csv", ex.baskets_csv);
    std::printf("wrote %s/items.csv (%zu bytes), %s/baskets.csv (%zu bytes)\n", dir.c_str(),
                ex.items_csv.size(), dir.c_str(), ex.baskets_csv.size());
  }
  return 0;
}

}  // namespace
}  // namespace recsys::cli

int main(int argc, char** argv) {
  using namespace recsys::cli;
  if (argc < 2 || std::string(argv[1]) == "help" || std::string(argv[1]) == "--help") {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const std::string cmd = argv[1];
  const std::vector<std::string> rest(argv + 2, argv + argc);
  try {
    if (cmd == "generate") return cmd_generate(rest);
    if (cmd == "stats") return cmd_stats(rest);
    if (cmd == "online-retail") return cmd_online_retail(rest);
    if (cmd == "train") return cmd_train(rest);
    if (cmd == "recommend") return cmd_recommend(rest);
    if (cmd == "convert") return cmd_convert(rest);
    if (cmd == "eval") return cmd_eval(rest);
    if (cmd == "experiment") return cmd_experiment(rest);
    if (cmd == "bench-simulator") return cmd_bench_simulator(rest);
    if (cmd == "bench-index") return cmd_bench_index(rest);
    if (cmd == "bench-bandwidth") return cmd_bench_bandwidth(rest);
    if (cmd == "version") {
      std::printf("recsys %s\n", RECSYS_VERSION);
      return 0;
    }
    std::fprintf(stderr, "recsys: unknown command '%s'\n\n%s", cmd.c_str(), kUsage);
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "recsys %s: error: %s\n", cmd.c_str(), e.what());
    return 1;
  }
}
