// recsys: the native command line. Subcommands: generate, stats, online-retail, version.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/args.h"
#include "cli/data_source.h"
#include "common/check.h"
#include "data/online_retail.h"
#include "data/parse.h"
#include "data/split.h"
#include "data/synthetic.h"
#include "io/two_tower_file.h"
#include "retrieval/topk.h"
#include "retrieval/trainer.h"
#include "retrieval/training_job.h"
#include "retrieval/two_tower.h"

namespace recsys::cli {
namespace {

const char* kUsage = R"(recsys — e-commerce recommendation engine (native CLI)

usage:
  recsys generate [--seed N] [--users N] [--items N] [--interactions N] [--config FILE|JSON]
                  [--out DIR] [--format csv|json]
      Generate the seeded synthetic shop; print its statistics and checksum; with --out, write
      DIR/catalog.<fmt>, DIR/interactions.<fmt> and DIR/config.json.
  recsys stats --data synthetic|online-retail|DIR|FILE [--json]
      Load a dataset and print its statistics and checksum.
  recsys online-retail --raw FILE[.gz] [--out DIR]
      Load the raw UCI Online Retail CSV, print the cleaning report, and with --out write the
      compact extract (items.csv, baskets.csv) that data/online_retail/ holds.
  recsys train [--data synthetic|online-retail|DIR|FILE] [--preset seed|default] [--config JSON|FILE]
               [--epochs N] [--batch-size N] [--lr X] [--seed N] [--split leave-last-out|none]
               [--validation-users N] [--patience N] [--out DIR] [--quiet]
      Train a two-tower model with a live progress line; with --out, write DIR/model.safetensors
      and DIR/manifest.json.
  recsys recommend --model DIR [--user ID] [--history ITEM,ITEM,...] [--k N] [--json]
      Top-K items of a trained model for a known user and/or a history (anonymous without --user).
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
  const Args a(argv, {"seed", "users", "items", "interactions", "config", "out", "format"},
               {"json"});
  const SyntheticConfig cfg = synthetic_config(a);
  const std::string format = a.get("format", "csv");
  RECSYS_CHECK(format == "csv" || format == "json",
               "option '--format': expected csv or json, got '", format, "'");
  const auto t0 = std::chrono::steady_clock::now();
  const SyntheticShop shop = generate_synthetic_shop(cfg);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  print_stats(shop.data, a.has("json"), &cfg);
  if (!a.has("json")) std::printf("generated in %.2f s\n", secs);
  if (a.has("out")) {
    const std::string dir = a.get("out");
    make_dirs(dir);
    const auto& d = shop.data;
    write_file(dir + "/catalog." + format,
               format == "csv" ? d.catalog.to_csv() : d.catalog.to_json());
    write_file(dir + "/interactions." + format, format == "csv"
                                                    ? d.interactions.to_csv(d.catalog)
                                                    : d.interactions.to_json(d.catalog));
    write_file(dir + "/config.json", nlohmann::json::parse(cfg.to_json()).dump(2) + "\n");
    if (!a.has("json"))
      std::printf("wrote %s/catalog.%s, interactions.%s, config.json\n", dir.c_str(),
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

std::string clock_text(double seconds) {
  const long s = static_cast<long>(seconds + 0.5);
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  return buf;
}

int cmd_train(const std::vector<std::string>& argv) {
  const Args a(argv,
               {"data", "preset", "config", "epochs", "batch-size", "lr", "seed", "out",
                "validation-users", "patience", "split"},
               {"quiet", "json"});
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
  opts.validation_users =
      static_cast<std::int32_t>(a.get_int("validation-users", opts.validation_users));
  opts.early_stopping_patience =
      static_cast<int>(a.get_int("patience", opts.early_stopping_patience));
  const bool json = a.has("json");
  const bool quiet = a.has("quiet") || json;
  // With --json, the human-readable lines go to stderr and one JSON summary to stdout.
  FILE* out = json ? stderr : stdout;

  const Dataset data = load_dataset(spec);
  TrainingJobOptions jo;
  jo.split = a.get("split", "leave-last-out");
  RECSYS_CHECK(jo.split == "leave-last-out" || jo.split == "none",
               "option '--split': expected leave-last-out or none, got '", jo.split, "'");
  jo.trainer = opts;
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
  if (a.has("out")) {
    const std::string dir = a.get("out");
    make_dirs(dir);
    const ModelFiles files = TwoTowerFile::save(model, info);
    write_file(dir + "/model.safetensors", files.weights);
    write_file(dir + "/manifest.json", files.manifest);
    std::fprintf(out, "wrote %s/model.safetensors (%zu bytes) and %s/manifest.json\n", dir.c_str(),
                 files.weights.size(), dir.c_str());
  }
  return 0;
}

int cmd_recommend(const std::vector<std::string>& argv) {
  const Args a(argv, {"model", "user", "history", "k"}, {"json"});
  RECSYS_CHECK(a.has("model"), "recommend: --model DIR is required");
  const std::string dir = a.get("model");
  const TwoTowerModel model = TwoTowerFile::load(read_file(dir + "/model.safetensors"),
                                                 read_file(dir + "/manifest.json"), dir);
  const int k = static_cast<int>(a.get_int("k", 10));
  RECSYS_CHECK(k >= 1, "option '--k': must be >= 1, got ", k);
  UserQuery q;
  if (a.has("user")) {
    q.user = model.users().find(a.get("user"));
    RECSYS_CHECK(q.user >= 0, "option '--user': unknown user '", a.get("user"), "'");
  }
  // --history: comma-separated item ids, oldest first.
  const std::string hist = a.get("history");
  for (std::size_t b = 0; b < hist.size();) {
    std::size_t e = hist.find(',', b);
    if (e == std::string::npos) e = hist.size();
    const std::string id = hist.substr(b, e - b);
    const std::int32_t i = model.items().find(id);
    RECSYS_CHECK(i >= 0, "option '--history': unknown item '", id, "'");
    q.history.push_back(i);
    b = e + 1;
  }
  nn::Matrix U, V;
  model.user_embeddings({q}, U);
  model.item_embeddings(V);
  const auto top = top_k_exact(V, U.row(0).data(), k);
  if (a.has("json")) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& s : top)
      out.push_back({{"item", model.items().token(s.item)}, {"score", s.score}});
    std::cout << out.dump(1) << "\n";
  } else {
    for (const auto& s : top)
      std::printf("%-12s %.6f\n", model.items().token(s.item).c_str(), s.score);
  }
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
