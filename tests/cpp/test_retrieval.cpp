// The two-tower model: gradient checks through both towers, a hand-computed loss, training on the
// synthetic shop (loss falls, recall beats popularity), determinism, top-K.
#include <catch2/catch.hpp>

#include <cmath>
#include <set>

#include "common/check.h"
#include "common/parallel.h"
#include "data/json_options.h"
#include "data/split.h"
#include "data/synthetic.h"
#include "eval/training_job.h"
#include "nn/losses.h"
#include "retrieval/topk.h"
#include "io/two_tower_file.h"
#include "retrieval/trainer.h"
#include "retrieval/two_tower.h"

using namespace recsys;

namespace {
SyntheticShop small_shop(std::uint64_t seed = 9) {
  SyntheticConfig c;
  c.seed = seed;
  c.users = 60;
  c.items = 40;
  c.interactions = 600;
  c.categories = 5;
  c.brands = 4;
  return generate_synthetic_shop(c);
}

TwoTowerConfig tiny(const std::string& preset) {
  TwoTowerConfig c = TwoTowerConfig::preset_named(preset);
  if (preset == "default") {
    c.user_id_dim = 4;
    c.item_id_dim = 4;
    c.category_dim = 3;
    c.brand_dim = 2;
    c.price_bucket_dim = 2;
    c.price_buckets = 3;
    c.hidden = {16};
    c.output_dim = 8;
    c.user_buckets = 16;
    c.temperature = 0.5f;
  } else {
    c.user_id_dim = 4;
    c.category_dim = 3;
    c.brand_dim = 2;
    c.output_dim = 16;
    c.price_feature = "log_standardized";  // raw prices make finite differences too coarse
  }
  return c;
}

// Finite differences of the model's loss for 12 elements of every parameter tensor. The loss is
// float32: the step is 1e-3 and the check allows 3e-4 absolute noise. Embeddings are scaled up
// first, so that ReLU units and L2 norms sit away from their kinks and steep regions; an element
// whose difference still changes between h and 2h crossed a kink and is skipped.
void check_model_gradients(TwoTowerModel& model, const TrainingBatch& batch) {
  auto params = model.parameters();
  for (auto& p : params)
    if (p.embedding) *p.value *= 10.0f;
  model.compute_gradients(batch);
  Rng rng(21);
  for (auto& p : params) {
    int checked = 0, bad = 0;
    for (int s = 0; s < 12; ++s) {
      const auto idx =
          static_cast<Eigen::Index>(rng.below(static_cast<std::uint32_t>(p.value->size())));
      const Eigen::Index row = idx / p.value->cols(), col = idx % p.value->cols();
      const double ana =
          p.embedding ? p.embedding->grad_at(static_cast<std::int32_t>(row), static_cast<int>(col))
                      : (*p.dense_grad)(row, col);
      float& x = (*p.value)(row, col);
      const float saved = x;
      auto diff = [&](double h) {
        x = static_cast<float>(saved + h);
        const double up = model.loss(batch);
        x = static_cast<float>(saved - h);
        const double down = model.loss(batch);
        x = saved;
        return (up - down) / (2 * h);
      };
      const double num = diff(1e-3), twice = diff(2e-3);
      if (std::fabs(num - twice) > 3e-4 + 0.03 * std::fabs(num)) continue;  // kink
      ++checked;
      const bool ok = std::fabs(num - ana) <= 3e-4 + 0.03 * (std::fabs(num) + std::fabs(ana));
      if (!ok) {
        ++bad;
        UNSCOPED_INFO(p.name << " [" << row << "," << col << "]: numeric " << num << ", analytic "
                             << ana);
      }
    }
    INFO(p.name << ": " << checked << " elements checked");
    CHECK(checked >= 8);
    CHECK(bad == 0);
  }
}
}  // namespace

TEST_CASE("two-tower gradients match finite differences in both presets and the attention encoder",
          "[retrieval][gradcheck]") {
  const auto shop = small_shop();
  const auto& x = shop.data.interactions;
  for (const char* preset : {"seed", "default", "attention"}) {
    INFO("preset " << preset);
    TwoTowerConfig c = tiny(preset == std::string("attention") ? "default" : preset);
    if (preset == std::string("attention")) {
      c.history_encoder = "attention";
      c.history_length = 6;
    }
    TwoTowerModel model(c, shop.data.catalog, x.users());
    Trainer trainer(model, x);
    std::vector<std::int64_t> ids;
    for (std::int64_t k = 0; k < 16; ++k) ids.push_back(k * 31 % trainer.examples_per_epoch());
    TrainingBatch batch = trainer.make_batch(ids, nullptr);
    batch.users[3] = -1;  // an anonymous row
    check_model_gradients(model, batch);
  }
}

TEST_CASE("mixed negatives: uniformly drawn items join the candidates, with their log-Q",
          "[retrieval][gradcheck]") {
  const auto shop = small_shop();
  const auto& x = shop.data.interactions;
  TwoTowerConfig c = tiny("default");
  c.uniform_negatives = 6;
  TwoTowerModel model(c, shop.data.catalog, x.users());
  Trainer trainer(model, x);
  std::vector<std::int64_t> ids;
  for (std::int64_t k = 0; k < 10; ++k) ids.push_back(k * 37 % trainer.examples_per_epoch());
  Rng rng(5, 17);
  const TrainingBatch batch = trainer.make_batch(ids, nullptr, &rng);
  REQUIRE(batch.negatives.size() == 6);
  REQUIRE(batch.log_q.size() == 16);
  // Each candidate's log-Q is the log of its expected count: 10 · P(item) + 6 / 40.
  for (std::size_t j = 0; j < 16; ++j) {
    const std::int32_t item = j < 10 ? batch.items[j] : batch.negatives[j - 10];
    CHECK(batch.log_q[j] ==
          Approx(std::log(10 * std::exp(double{trainer.item_log_q()[item]}) + 6.0 / 40)));
  }
  // Without the extra negatives' rows the loss is lower (fewer competitors), and gradients flow
  // into the negatives' item rows.
  TrainingBatch plain = batch;
  plain.negatives.clear();
  plain.log_q.resize(10);
  CHECK(model.loss(plain) < model.loss(batch));
  check_model_gradients(model, batch);
  // Training with them still lowers the loss.
  c.epochs = 6;
  TwoTowerModel fresh(c, shop.data.catalog, x.users());
  Trainer t(fresh, x);
  const auto first = t.train_steps(t.steps_per_epoch());
  t.train_steps(5 * t.steps_per_epoch());
  CHECK(t.history().back().mean_loss < first.mean_loss);
  CHECK_THROWS_WITH(TwoTowerConfig::from_json(R"({"uniform_negatives": -1})"),
                    Catch::Contains("'uniform_negatives' must be in [0, 65536], got -1"));
}

TEST_CASE("the seed preset's loss equals a hand computation of the tutorial's towers",
          "[retrieval]") {
  const auto shop = small_shop();
  const auto& cat = shop.data.catalog;
  TwoTowerConfig cfg = TwoTowerConfig::seed_preset();
  TwoTowerModel model(cfg, cat, shop.data.interactions.users());
  auto params = model.parameters();
  auto find = [&](const std::string& name) -> nn::Matrix& {
    for (auto& p : params)
      if (p.name == name) return *p.value;
    FAIL("no tensor " << name);
    throw 0;
  };
  const nn::Matrix &Eu = find("user/id_embedding"), &Ec = find("item/category_embedding"),
                   &Eb = find("item/brand_embedding"), &Wu = find("user/dense_0/kernel"),
                   &bu = find("user/dense_0/bias"), &Wi = find("item/dense_0/kernel"),
                   &bi = find("item/dense_0/bias");
  REQUIRE(Eu.cols() == 64);
  REQUIRE(Ec.cols() == 16);
  REQUIRE(Wu.cols() == 128);
  REQUIRE(Wi.rows() == 33);
  TrainingBatch b;
  b.users = {0, 5, 9};
  b.items = {1, 7, 30};
  // Towers by hand: relu(E_u[u] Wu + bu) and relu([E_c[c], E_b[b], price] Wi + bi).
  double U[3][128], V[3][128];
  for (int r = 0; r < 3; ++r) {
    const int i = b.items[r];
    double in[33];
    for (int k = 0; k < 16; ++k) in[k] = Ec(cat.category(i), k);
    for (int k = 0; k < 16; ++k) in[16 + k] = Eb(cat.brand(i), k);
    in[32] = cat.price(i);
    for (int j = 0; j < 128; ++j) {
      double zu = bu(0, j), zi = bi(0, j);
      for (int k = 0; k < 64; ++k) zu += Eu(b.users[r], k) * Wu(k, j);
      for (int k = 0; k < 33; ++k) zi += in[k] * Wi(k, j);
      U[r][j] = std::max(zu, 0.0);
      V[r][j] = std::max(zi, 0.0);
    }
  }
  double expected = 0;
  for (int r = 0; r < 3; ++r) {
    double logits[3], m = -1e300;
    for (int c = 0; c < 3; ++c) {
      logits[c] = 0;
      for (int j = 0; j < 128; ++j) logits[c] += U[r][j] * V[c][j];
      m = std::max(m, logits[c]);
    }
    double sum = 0;
    for (double l : logits) sum += std::exp(l - m);
    expected += (std::log(sum) + m - logits[r]) / 3;
  }
  CHECK(model.loss(b) == Approx(expected).epsilon(1e-4));
}

TEST_CASE("training is repeatable: same seed, same losses and weights", "[retrieval]") {
  const auto shop = small_shop(4);
  const auto& x = shop.data.interactions;
  auto run = [&]() {
    TwoTowerConfig cfg = tiny("default");
    cfg.batch_size = 32;
    cfg.epochs = 2;
    TwoTowerModel model(cfg, shop.data.catalog, x.users());
    Trainer t(model, x);
    std::vector<double> losses;
    while (!t.done()) losses.push_back(t.train_steps(3).mean_loss);
    nn::Matrix V;
    model.item_embeddings(V);
    return std::make_pair(losses, V);
  };
  const auto a = run(), b = run();
  CHECK(a.first == b.first);
  CHECK(a.second == b.second);
}

TEST_CASE("training on the synthetic shop lowers the loss and beats popularity",
          "[retrieval][train]") {
  SyntheticConfig sc;
  sc.users = 3000;
  sc.items = 1500;
  sc.interactions = 40000;
  const auto shop = generate_synthetic_shop(sc);
  const Split split = leave_last_out(first_interactions(shop.data.interactions), 1, 1);
  TwoTowerConfig cfg = TwoTowerConfig::default_preset();
  cfg.epochs = 3;
  TwoTowerModel model(cfg, shop.data.catalog, split.train.users());
  TrainerOptions opts;
  opts.early_stopping_patience = 0;
  const ValidationOptions vo;
  Trainer trainer(model, split.train, opts, recall_validator(split.validation, vo, cfg.seed));
  const double pop =
      popularity_recall(split.train, split.validation, shop.data.catalog, vo, cfg.seed);
  const double before = trainer.validation_score();
  std::vector<double> epoch_loss;
  while (!trainer.done()) trainer.train_steps(50);
  for (const auto& e : trainer.history()) epoch_loss.push_back(e.mean_loss);
  REQUIRE(epoch_loss.size() == 3);
  CHECK(epoch_loss[2] < epoch_loss[0] - 0.5);
  const double after = trainer.history().back().validation_recall;
  INFO("recall@10 popularity " << pop << ", untrained " << before << ", trained " << after);
  CHECK(after > 1.5 * pop);
  CHECK(after > 3 * before);
}

TEST_CASE("exact top-K returns the best scores with ties to the lower index", "[retrieval][topk]") {
  nn::Matrix items(5, 2);
  items << 1, 0, 0, 1, 1, 1, 1, 0, -1, 0;
  const float q[2] = {1, 0.5f};
  const auto top = top_k_exact(items, q, 3);
  REQUIRE(top.size() == 3);
  CHECK(top[0].item == 2);
  CHECK(top[0].score == Approx(1.5));
  CHECK(top[1].item == 0);  // ties with item 3, lower index first
  CHECK(top[2].item == 3);
  std::vector<char> excluded{0, 0, 1, 0, 0};
  const auto top2 = top_k_exact(items, q, 10, excluded);
  CHECK(top2.size() == 4);
  CHECK(top2[0].item == 0);
  CHECK_THROWS_WITH(top_k_exact(items, q, 0), Catch::Contains("k must be >= 1"));
}

TEST_CASE("two-tower configs: presets, JSON and errors", "[retrieval][config]") {
  const auto seed = TwoTowerConfig::from_json(R"({"preset": "seed"})");
  CHECK(seed.user_id_dim == 64);
  CHECK(seed.output_dim == 128);
  CHECK(seed.hidden.empty());
  CHECK(seed.price_feature == "raw");
  const auto d = TwoTowerConfig::from_json(R"({"epochs": 4, "hidden": [64, 32]})");
  CHECK(d.preset == "default");
  CHECK(d.epochs == 4);
  CHECK(d.hidden == std::vector<int>{64, 32});
  CHECK(TwoTowerConfig::from_json(d.to_json()).to_json() == d.to_json());
  CHECK_THROWS_WITH(TwoTowerConfig::from_json(R"({"epoch": 4})"),
                    Catch::Contains("unknown key 'epoch'"));
  CHECK_THROWS_WITH(TwoTowerConfig::from_json(R"({"preset": "huge"})"),
                    Catch::Contains("unknown preset 'huge'"));
  CHECK_THROWS_WITH(TwoTowerConfig::from_json(R"({"temperature": 0})"),
                    Catch::Contains("'temperature'"));
  CHECK_THROWS_WITH(TwoTowerConfig::from_json(R"({"batch_size": 1.5})"),
                    Catch::Contains("'batch_size' must be an integer"));
  // Integers beyond int32, as signed and as unsigned JSON numbers (2^64 - 1 used to wrap to -1
  // and pass as a negative size): refused, naming the field and the value as written.
  for (const char* big : {"2147483648", "-2147483649", "18446744073709551615", "9223372036854775808"}) {
    INFO(big);
    CHECK_THROWS_WITH(TwoTowerConfig::from_json(std::string(R"({"hidden": [)") + big + "]}"),
                      Catch::Contains("'hidden' must be an array of sizes, got [" + std::string(big)));
    CHECK_THROWS_WITH(TwoTowerConfig::from_json(std::string(R"({"batch_size": )") + big + "}"),
                      Catch::Contains("'batch_size' must be an integer, got " + std::string(big)));
  }
  CHECK(is_int32(parse_json_text("2147483647")));
  CHECK(is_int32(parse_json_text("-2147483648")));
  CHECK_FALSE(is_int32(parse_json_text("18446744073709551615")));
  CHECK_FALSE(is_int32(parse_json_text("1.0")));
  CHECK_THROWS_WITH(TwoTowerConfig::from_json(R"({"item_id_dim": 0})"),
                    Catch::Contains("history feature needs item_id_dim"));
  CHECK_THROWS_WITH(TwoTowerConfig::from_json(R"({"history_encoder": "lstm"})"),
                    "two-tower config: 'history_encoder' must be pooled or attention, got 'lstm'");
  CHECK_THROWS_WITH(
      TwoTowerConfig::from_json(R"({"history_encoder": "attention", "history_length": 0})"),
      "two-tower config: 'history_encoder' attention needs history_length > 0 and item_id_dim > "
      "0, got 0 and 32");
  // The pooled encoder's JSON does not name it (its files stay as they were); attention's does.
  CHECK(d.to_json().find("history_encoder") == std::string::npos);
  const auto a = TwoTowerConfig::from_json(R"({"history_encoder": "attention"})");
  CHECK(TwoTowerConfig::from_json(a.to_json()).history_encoder == "attention");
}

TEST_CASE("the attention history encoder: order matters, files round-trip, training learns",
          "[retrieval][attention]") {
  const auto shop = small_shop();
  const auto& x = shop.data.interactions;
  TwoTowerConfig c = tiny("default");
  c.history_encoder = "attention";
  c.history_length = 5;
  TwoTowerModel model(c, shop.data.catalog, x.users());
  const auto params = model.parameters();
  CHECK(std::count_if(params.begin(), params.end(), [](const auto& p) {
          return p.name == "user/history_position" || p.name.rfind("user/attention_", 0) == 0;
        }) == 4);
  // Positions make the order count (a pooled mean with decay 1 would not see it).
  UserQuery q1, q2;
  q1.history = {1, 2, 3};
  q2.history = {3, 2, 1};
  nn::Matrix u;
  model.user_embeddings({q1, q2, UserQuery{}}, u);
  CHECK((u.row(0) - u.row(1)).norm() > 1e-4);
  CHECK(u.row(2).allFinite());  // no history: the encoder adds nothing
  // Save and load: the same embeddings, bit for bit.
  Trainer trainer(model, x);
  while (!trainer.done()) trainer.train_steps(100);
  const ModelFiles f = TwoTowerFile::save(model);
  const TwoTowerModel back = TwoTowerFile::load(f.weights, f.manifest);
  CHECK(back.config().history_encoder == "attention");
  nn::Matrix v;
  model.user_embeddings({q1, q2}, u);
  back.user_embeddings({q1, q2}, v);
  CHECK(u == v);
  CHECK(trainer.history().back().mean_loss < trainer.history().front().mean_loss);
}

TEST_CASE("native and wasm reach the same loss after the same steps", "[retrieval][cross-target]") {
  // The same test runs natively and under node (build-wasm); both must match these constants,
  // recorded from the native build, within 1e-4.
  SyntheticConfig sc;
  sc.users = 500;
  sc.items = 300;
  sc.interactions = 6000;
  const auto shop = generate_synthetic_shop(sc);
  const double expected[2] = {4.835302448, 5.029105854};  // seed, default
  int k = 0;
  for (const char* preset : {"seed", "default"}) {
    TwoTowerConfig cfg = TwoTowerConfig::preset_named(preset);
    TwoTowerModel model(cfg, shop.data.catalog, shop.data.interactions.users());
    Trainer t(model, shop.data.interactions);
    t.train_steps(20);
    const double loss = t.train_steps(5).mean_loss;
    char text[64];
    std::snprintf(text, sizeof text, "%.9f", loss);
    INFO(preset << ": mean loss of steps 21-25 = " << text);
    CHECK(loss == Approx(expected[k]).margin(1e-4));
    ++k;
  }
}

TEST_CASE("early stopping keeps the weights of the best epoch", "[retrieval][train]") {
  SyntheticConfig sc;
  sc.users = 2000;
  sc.items = 1000;
  sc.interactions = 25000;
  const auto shop = generate_synthetic_shop(sc);
  const Split split = leave_last_out(first_interactions(shop.data.interactions), 1, 1);
  TwoTowerConfig cfg = TwoTowerConfig::default_preset();
  cfg.epochs = 12;
  cfg.learning_rate = 3e-3f;  // overfits within a few epochs
  TwoTowerModel model(cfg, shop.data.catalog, split.train.users());
  TrainerOptions opts;
  opts.early_stopping_patience = 1;
  Trainer t(model, split.train, opts, recall_validator(split.validation, {}, cfg.seed));
  while (!t.done()) t.train_steps(100);
  REQUIRE(t.stopped_early());
  double best = 0;
  for (const auto& e : t.history()) best = std::max(best, e.validation_recall);
  CHECK(t.current_epoch().validation_recall == best);
  CHECK(t.current_epoch().epoch < static_cast<int>(t.history().size()));
  CHECK(t.validation_score() == Approx(best));  // the restored weights score as that epoch did
}

TEST_CASE("training gives the same weights, bit for bit, on 1, 2 and 3 threads",
          "[retrieval][threads]") {
  if (!parallel::supported()) {
    // The single-thread wasm build: one thread only (the pthread build is checked in Chromium,
    // tests/e2e/threads.spec.mjs).
    CHECK_THROWS_WITH(parallel::set_threads(2), Catch::Contains("built without threads"));
    return;
  }
  const auto shop = small_shop(5);
  const auto& x = shop.data.interactions;
  // "attention": the default preset with the self-attention history encoder.
  for (const std::string preset : {"seed", "default", "attention"}) {
    auto run = [&](int threads) {
      parallel::set_threads(threads);
      TwoTowerConfig cfg = TwoTowerConfig::preset_named(preset == "attention" ? "default" : preset);
      if (preset == "attention") cfg.history_encoder = "attention";
      cfg.batch_size = 128;  // products big enough to be split
      cfg.epochs = 1;
      TwoTowerModel model(cfg, shop.data.catalog, x.users());
      Trainer t(model, x);
      std::vector<double> losses;
      for (int k = 0; k < 4 && !t.done(); ++k) losses.push_back(t.train_steps(5).mean_loss);
      parallel::set_threads(1);
      return std::make_pair(losses, model.checksum());
    };
    // 2 threads share the towers' pieces; 3 split each kernel (parallel::for_pieces).
    const auto a = run(1), b = run(2), c = run(3);
    INFO("preset " << preset);
    CHECK(a.first == b.first);
    CHECK(a.second == b.second);
    CHECK(a.first == c.first);
    CHECK(a.second == c.second);
  }
}
