#include "retrieval/two_tower_config.h"

#include <cmath>

#include "common/check.h"
#include "data/json_options.h"
#include "data/parse.h"

namespace recsys {

TwoTowerConfig TwoTowerConfig::seed_preset() {
  TwoTowerConfig c;
  c.preset = "seed";
  c.user_id_dim = 64;
  c.user_buckets = 0;
  c.user_hashes = 1;
  c.history_length = 0;
  c.anonymous_rate = 0;
  c.item_id_dim = 0;
  c.title_dim = 0;
  c.category_dim = 16;
  c.brand_dim = 16;
  c.price_buckets = 0;
  c.price_bucket_dim = 0;
  c.price_feature = "raw";
  c.hidden = {};
  c.output_dim = 128;
  c.output_relu = true;
  c.l2_normalize = false;
  c.temperature = 1;
  c.log_q_correction = false;
  c.mask_accidental_hits = false;
  c.embedding_optimizer = "adam";
  c.epochs = 3;
  return c;
}

TwoTowerConfig TwoTowerConfig::default_preset() {
  return TwoTowerConfig();
}

TwoTowerConfig TwoTowerConfig::preset_named(std::string_view name) {
  if (name == "seed") return seed_preset();
  if (name == "default") return default_preset();
  RECSYS_FAIL(Range, "two-tower config: unknown preset '", name, "' (expected seed or default)");
}

void TwoTowerConfig::validate() const {
  auto in = [](double v, double lo, double hi) { return std::isfinite(v) && v >= lo && v <= hi; };
  RECSYS_CHECK(preset == "seed" || preset == "default",
               "two-tower config: 'preset' must be seed or default, got '", preset, "'");
  RECSYS_CHECK(in(user_id_dim, 1, 4096),
               "two-tower config: 'user_id_dim' must be in [1, 4096], got ", user_id_dim);
  RECSYS_CHECK(in(user_buckets, -1, 1 << 26),
               "two-tower config: 'user_buckets' must be -1 (auto), 0 (vocabulary) or a count up "
               "to 2^26, got ",
               user_buckets);
  RECSYS_CHECK(in(user_hashes, 1, 4), "two-tower config: 'user_hashes' must be in [1, 4], got ",
               user_hashes);
  RECSYS_CHECK(in(history_length, 0, 1000),
               "two-tower config: 'history_length' must be in [0, 1000], got ", history_length);
  RECSYS_CHECK(in(history_decay, 0, 1) && history_decay > 0,
               "two-tower config: 'history_decay' must be in (0, 1], got ", history_decay);
  RECSYS_CHECK(history_encoder == "pooled" || history_encoder == "attention",
               "two-tower config: 'history_encoder' must be pooled or attention, got '",
               history_encoder, "'");
  RECSYS_CHECK(history_encoder == "pooled" || (history_length > 0 && item_id_dim > 0),
               "two-tower config: 'history_encoder' attention needs history_length > 0 and "
               "item_id_dim > 0, got ",
               history_length, " and ", item_id_dim);
  RECSYS_CHECK(in(anonymous_rate, 0, 1),
               "two-tower config: 'anonymous_rate' must be in [0, 1], got ", anonymous_rate);
  RECSYS_CHECK(in(item_id_dim, 0, 4096),
               "two-tower config: 'item_id_dim' must be in [0, 4096], got ", item_id_dim);
  RECSYS_CHECK(in(item_buckets, -1, 1 << 26),
               "two-tower config: 'item_buckets' must be -1 (auto), 0 (one row per item) or a "
               "count up to 2^26, got ",
               item_buckets);
  RECSYS_CHECK(in(item_hashes, 1, 4), "two-tower config: 'item_hashes' must be in [1, 4], got ",
               item_hashes);
  RECSYS_CHECK(!has_history() || item_id_dim > 0,
               "two-tower config: the history feature needs item_id_dim > 0");
  RECSYS_CHECK(in(title_dim, 0, 4096), "two-tower config: 'title_dim' must be in [0, 4096], got ",
               title_dim);
  RECSYS_CHECK(in(title_buckets, 1, 1 << 24),
               "two-tower config: 'title_buckets' must be in [1, 2^24], got ", title_buckets);
  RECSYS_CHECK(in(category_dim, 0, 4096),
               "two-tower config: 'category_dim' must be in [0, 4096], got ", category_dim);
  RECSYS_CHECK(in(brand_dim, 0, 4096), "two-tower config: 'brand_dim' must be in [0, 4096], got ",
               brand_dim);
  RECSYS_CHECK(in(price_buckets, 0, 1000) && price_buckets != 1,
               "two-tower config: 'price_buckets' must be 0 or in [2, 1000], got ", price_buckets);
  RECSYS_CHECK(in(price_bucket_dim, 0, 4096),
               "two-tower config: 'price_bucket_dim' must be in [0, 4096], got ", price_bucket_dim);
  RECSYS_CHECK(price_buckets == 0 || price_bucket_dim > 0,
               "two-tower config: price buckets need price_bucket_dim > 0");
  RECSYS_CHECK(
      price_feature == "raw" || price_feature == "log_standardized" || price_feature == "none",
      "two-tower config: 'price_feature' must be raw, log_standardized or none, got '",
      price_feature, "'");
  RECSYS_CHECK(hidden.size() <= 8, "two-tower config: at most 8 hidden layers, got ",
               hidden.size());
  for (int h : hidden)
    RECSYS_CHECK(in(h, 1, 8192), "two-tower config: hidden sizes must be in [1, 8192], got ", h);
  RECSYS_CHECK(in(output_dim, 1, 8192), "two-tower config: 'output_dim' must be in [1, 8192], got ",
               output_dim);
  RECSYS_CHECK(in(temperature, 1e-4, 1e4),
               "two-tower config: 'temperature' must be in [1e-4, 1e4], got ", temperature);
  RECSYS_CHECK(in(uniform_negatives, 0, 65536),
               "two-tower config: 'uniform_negatives' must be in [0, 65536], got ",
               uniform_negatives);
  RECSYS_CHECK(embedding_optimizer == "lazy_adam" || embedding_optimizer == "adam",
               "two-tower config: 'embedding_optimizer' must be lazy_adam or adam, got '",
               embedding_optimizer, "'");
  RECSYS_CHECK(in(batch_size, 2, 65536),
               "two-tower config: 'batch_size' must be in [2, 65536], got ", batch_size);
  RECSYS_CHECK(in(learning_rate, 1e-7, 10),
               "two-tower config: 'learning_rate' must be in [1e-7, 10], got ", learning_rate);
  RECSYS_CHECK(in(epochs, 1, 100000), "two-tower config: 'epochs' must be in [1, 100000], got ",
               epochs);
  const int item_inputs = item_id_dim + title_dim + category_dim + brand_dim +
                          (price_buckets ? price_bucket_dim : 0) +
                          (price_feature == "none" ? 0 : 1);
  RECSYS_CHECK(item_inputs > 0, "two-tower config: the item tower has no input features");
}

TwoTowerConfig TwoTowerConfig::from_json(std::string_view text) {
  constexpr std::string_view what = "two-tower config";
  const Json j = parse_json_object(text, what);
  std::string preset = "default";
  if (j.contains("preset")) preset = JsonField(what, "preset", j["preset"]).string();
  TwoTowerConfig c = preset_named(preset);
  for (auto it = j.begin(); it != j.end(); ++it) {
    const JsonField f(what, it.key(), it.value());
    const std::string& k = f.key();
    const auto& v = f.value();
    // Sizes may come as 64 or 64.0 (a JS number); the ranges are checked by validate().
    auto integer = [&]() -> int {
      f.require(v.is_number() && std::floor(v.get<double>()) == v.get<double>() &&
                    std::fabs(v.get<double>()) < 2e9,
                "an integer");
      return static_cast<int>(v.get<double>());
    };
    auto number = [&]() { return static_cast<float>(f.number()); };
    auto boolean = [&]() { return f.boolean(); };
    if (k == "preset")
      continue;
    else if (k == "user_id_dim")
      c.user_id_dim = integer();
    else if (k == "user_buckets")
      c.user_buckets = integer();
    else if (k == "user_hashes")
      c.user_hashes = integer();
    else if (k == "history_length")
      c.history_length = integer();
    else if (k == "history_distinct")
      c.history_distinct = boolean();
    else if (k == "history_decay")
      c.history_decay = number();
    else if (k == "history_encoder")
      c.history_encoder = f.string();
    else if (k == "anonymous_rate")
      c.anonymous_rate = number();
    else if (k == "item_id_dim")
      c.item_id_dim = integer();
    else if (k == "item_buckets")
      c.item_buckets = integer();
    else if (k == "item_hashes")
      c.item_hashes = integer();
    else if (k == "title_dim")
      c.title_dim = integer();
    else if (k == "title_buckets")
      c.title_buckets = integer();
    else if (k == "category_dim")
      c.category_dim = integer();
    else if (k == "brand_dim")
      c.brand_dim = integer();
    else if (k == "price_buckets")
      c.price_buckets = integer();
    else if (k == "price_bucket_dim")
      c.price_bucket_dim = integer();
    else if (k == "price_feature")
      c.price_feature = f.string();
    else if (k == "hidden") {
      f.require(v.is_array(), "an array of sizes");
      c.hidden.clear();
      for (const auto& h : v) {
        f.require(recsys::is_int32(h), "an array of sizes");
        c.hidden.push_back(h.get<int>());
      }
    } else if (k == "embedding_optimizer")
      c.embedding_optimizer = f.string();
    else if (k == "output_dim")
      c.output_dim = integer();
    else if (k == "output_relu")
      c.output_relu = boolean();
    else if (k == "l2_normalize")
      c.l2_normalize = boolean();
    else if (k == "temperature")
      c.temperature = number();
    else if (k == "log_q_correction")
      c.log_q_correction = boolean();
    else if (k == "mask_accidental_hits")
      c.mask_accidental_hits = boolean();
    else if (k == "uniform_negatives")
      c.uniform_negatives = integer();
    else if (k == "batch_size")
      c.batch_size = integer();
    else if (k == "learning_rate")
      c.learning_rate = number();
    else if (k == "epochs")
      c.epochs = integer();
    else if (k == "seed") {
      const int s = integer();
      RECSYS_CHECK(s >= 0, "two-tower config: 'seed' must be >= 0, got ", s);
      c.seed = static_cast<std::uint64_t>(s);
    } else
      f.unknown();
  }
  c.validate();
  return c;
}

std::string TwoTowerConfig::to_json() const {
  JsonObject j;
  j.add("preset", preset)
      .add("user_id_dim", user_id_dim)
      .add("user_buckets", user_buckets)
      .add("user_hashes", user_hashes)
      .add("history_length", history_length)
      .add("history_decay", float_as_double(history_decay))
      .add("history_distinct", history_distinct)
      .add("anonymous_rate", float_as_double(anonymous_rate))
      .add("item_id_dim", item_id_dim)
      .add("item_buckets", item_buckets)
      .add("item_hashes", item_hashes)
      .add("title_dim", title_dim)
      .add("title_buckets", title_buckets)
      .add("category_dim", category_dim)
      .add("brand_dim", brand_dim)
      .add("price_buckets", price_buckets)
      .add("price_bucket_dim", price_bucket_dim)
      .add("price_feature", price_feature)
      .add("hidden", hidden)
      .add("output_dim", output_dim)
      .add("output_relu", output_relu)
      .add("l2_normalize", l2_normalize)
      .add("temperature", float_as_double(temperature))
      .add("log_q_correction", log_q_correction)
      .add("mask_accidental_hits", mask_accidental_hits)
      .add("uniform_negatives", uniform_negatives)
      .add("embedding_optimizer", embedding_optimizer)
      .add("batch_size", batch_size)
      .add("learning_rate", float_as_double(learning_rate))
      .add("epochs", epochs)
      .add("seed", seed);
  // Only when set: files of the pooled encoder stay as they were.
  if (history_encoder != "pooled") j.add("history_encoder", history_encoder);
  return j.text();
}

}  // namespace recsys
