#include "fixture.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>

#include "data/dataset.h"
#include "io/two_tower_file.h"
#include "retrieval/trainer.h"

namespace recsys::test {

namespace {
std::string& fixture_dir() {
  static std::string dir;
  return dir;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void spit(const std::string& path, const std::string& bytes) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary);
    out << bytes;
    REQUIRE(out.good());
  }
  REQUIRE(std::rename(tmp.c_str(), path.c_str()) == 0);
}

ShopFixture shop_and_split() {
  ShopFixture f;
  f.shop = generate_synthetic_shop(SyntheticConfig());
  f.split = leave_last_out(first_interactions(f.shop.data.interactions), 1, 1);
  return f;
}

void train(ShopFixture& f) {
  TwoTowerConfig cfg = TwoTowerConfig::default_preset();
  cfg.epochs = 2;
  f.model = std::make_shared<TwoTowerModel>(cfg, f.shop.data.catalog, f.split.train.users());
  TrainerOptions o;
  o.early_stopping_patience = 0;
  Trainer t(*f.model, f.split.train, o);
  while (!t.done()) t.train_steps(200);
}

// What the stored model was trained on: the shop's checksum and the recipe, so that a file of
// another shop or recipe is never loaded in its place.
std::string recipe(const ShopFixture& f) {
  return "default preset, 2 epochs, leave-last-out train part of shop " +
         checksum_hex(checksum(f.shop.data));
}

ShopFixture build() {
  ShopFixture f = shop_and_split();
  const std::string& dir = fixture_dir();
  if (!dir.empty()) {
    const std::string weights = slurp(dir + "/model.safetensors");
    const std::string manifest = slurp(dir + "/manifest.json");
    if (!weights.empty() && !manifest.empty() &&
        TwoTowerFile::training_info(manifest).dataset == recipe(f)) {
      f.model = std::make_shared<TwoTowerModel>(TwoTowerFile::load(weights, manifest, dir));
      return f;
    }
  }
  train(f);
  return f;
}
}  // namespace

void set_fixture_dir(const std::string& dir) {
  fixture_dir() = dir;
}

const ShopFixture& default_fixture() {
  static const ShopFixture f = build();
  return f;
}

}  // namespace recsys::test

// Run by ctest before every other test (FIXTURES_SETUP): trains the model once and writes it.
TEST_CASE("fixture: train the default model once for this test run", "[.fixture-setup]") {
  using namespace recsys;
  const std::string& dir = test::fixture_dir();
  REQUIRE(!dir.empty());
  test::ShopFixture f = test::shop_and_split();
  test::train(f);
  TrainingInfo info;
  info.dataset = test::recipe(f);
  const ModelFiles files = TwoTowerFile::save(*f.model, info);
  test::spit(dir + "/model.safetensors", files.weights);
  test::spit(dir + "/manifest.json", files.manifest);
}
