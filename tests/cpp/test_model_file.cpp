// Model files: safetensors reader/writer, bit-exact round trips, the golden model, and the
// rejection of bad files without touching the model already loaded.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/check.h"
#include "common/hash.h"
#include "data/synthetic.h"
#include "io/safetensors.h"
#include "io/two_tower_file.h"
#include "ranking/fit.h"
#include "retrieval/topk.h"
#include "retrieval/trainer.h"

using namespace recsys;

namespace {
std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}
const std::string kGolden = std::string(RECSYS_SOURCE_DIR) + "/tests/golden/two_tower_v1";

TwoTowerModel trained_small_model(const std::string& preset) {
  SyntheticConfig sc;
  sc.users = 80;
  sc.items = 50;
  sc.interactions = 800;
  sc.categories = 6;
  const auto shop = generate_synthetic_shop(sc);
  TwoTowerConfig cfg = TwoTowerConfig::preset_named(preset);
  cfg.epochs = 1;
  cfg.batch_size = 64;
  TwoTowerModel model(cfg, shop.data.catalog, shop.data.interactions.users());
  Trainer t(model, shop.data.interactions);
  while (!t.done()) t.train_steps(10);
  return model;
}

std::vector<float> all_weights(TwoTowerModel& m) {
  std::vector<float> w;
  for (const auto& p : m.parameters())
    w.insert(w.end(), p.value->data(), p.value->data() + p.value->size());
  return w;
}
}  // namespace

TEST_CASE("safetensors: write, read, and the header layout of the spec", "[io][safetensors]") {
  io::Tensor a{"a", "F32", {2, 3}, {1, 2, 3, 4, 5, 6}}, b{"b", "F32", {2}, {-1.5f, 7}};
  const std::string bytes = io::write_safetensors({a, b}, {{"k", "v"}});
  std::uint64_t n = 0;
  for (int i = 0; i < 8; ++i)
    n |= static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
  CHECK(n % 8 == 0);
  CHECK(bytes[8] == '{');
  CHECK(bytes.size() == 8 + n + 8 * 4);
  const auto h = nlohmann::json::parse(bytes.substr(8, n));
  CHECK(h["a"]["data_offsets"] == nlohmann::json::array({0, 24}));
  CHECK(h["b"]["shape"] == nlohmann::json::array({2}));
  CHECK(h["__metadata__"]["k"] == "v");
  const auto st = io::read_safetensors(bytes);
  REQUIRE(st.tensors.size() == 2);
  CHECK(st.find("a")->data == a.data);
  CHECK(st.find("b")->data == b.data);
  CHECK(st.metadata.at("k") == "v");
}

TEST_CASE("safetensors: undecoded tensors read the same values from the file's bytes",
          "[io][safetensors]") {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  io::Tensor f32{"f32", "F32", {2, 3}, {1.5f, -2, 0, 3e-8f, inf, nan}};
  io::Tensor f16{"f16", "F16", {4}, {0.5f, -1.25f, 65504, -inf}};
  io::Tensor i8{"i8", "I8", {2, 2}, {-128, 127, 0, -3}};
  io::Tensor ok{"ok", "F32", {3}, {1, 2, 3}};
  const std::string bytes = io::write_safetensors({f32, f16, i8, ok});
  const auto decoded = io::read_safetensors(bytes, "m");
  const auto raw = io::read_safetensors(bytes, "m", /*decode=*/false);
  for (const char* name : {"f32", "f16", "i8", "ok"}) {
    INFO(name);
    const io::Tensor& d = *decoded.find(name);
    const io::Tensor& r = *raw.find(name);
    CHECK(r.data.empty());
    CHECK(r.raw.size() == static_cast<std::size_t>(r.elements()) *
                              (r.dtype == "F32" ? 4 : r.dtype == "F16" ? 2 : 1));
    std::vector<float> out(d.data.size(), 42.0f);
    r.values(out.data());
    for (std::size_t i = 0; i < out.size(); ++i) {
      INFO("element " << i);
      // Bit for bit (NaN included): the decoded tensor is the reference.
      std::uint32_t x, y, z;
      const float v = r.value(i);
      std::memcpy(&x, &out[i], 4);
      std::memcpy(&y, &d.data[i], 4);
      std::memcpy(&z, &v, 4);
      CHECK(x == y);
      CHECK(z == y);
    }
    CHECK(r.first_non_finite() == d.first_non_finite());
  }
  CHECK(raw.find("f32")->first_non_finite() == 4);  // inf before NaN
  CHECK(raw.find("f16")->first_non_finite() == 3);  // 65504, the largest half, is finite
  CHECK(raw.find("i8")->first_non_finite() == -1);
  CHECK(raw.find("ok")->first_non_finite() == -1);
  CHECK_THROWS_WITH(raw.find("ok")->value(3), Catch::Contains("tensor 'ok' (F32): no value at element 3"));
}

TEST_CASE("safetensors: hostile files are clear errors", "[io][safetensors][errors]") {
  io::Tensor a{"a", "F32", {2, 2}, {1, 2, 3, 4}};
  const std::string good = io::write_safetensors({a});
  CHECK_THROWS_WITH(io::read_safetensors(good.substr(0, 5), "m"), Catch::Contains("m: truncated"));
  CHECK_THROWS_WITH(io::read_safetensors(good.substr(0, good.size() - 4), "m"),
                    Catch::Contains("truncated: tensor 'a' ends at byte 16"));
  CHECK_THROWS_WITH(io::read_safetensors(good + "xxxx", "m"),
                    Catch::Contains("4 unexpected bytes after the last tensor"));
  std::string huge = good;
  huge[7] = 1;  // header size 2^56
  CHECK_THROWS_WITH(io::read_safetensors(huge, "m"), Catch::Contains("over the 100 MB limit"));
  std::string not_json = good;
  not_json[9] = '#';
  CHECK_THROWS_WITH(io::read_safetensors(not_json, "m"), Catch::Contains("not valid JSON"));
  std::string f16 = good;
  f16.replace(f16.find("F32"), 3, "F16");
  CHECK_THROWS_WITH(io::read_safetensors(f16, "m"),
                    Catch::Contains("16 bytes for a F16 tensor of 4 values"));
  std::string unknown = good;
  unknown.replace(unknown.find("F32"), 3, "Q32");
  CHECK_THROWS_WITH(io::read_safetensors(unknown, "m"), Catch::Contains("unknown dtype 'Q32'"));
  // Two tensors overlapping the same bytes.
  io::Tensor b{"b", "F32", {2}, {5, 6}};
  std::string overlap = io::write_safetensors({a, b});
  const auto pos = overlap.find("[16,24]");
  REQUIRE(pos != std::string::npos);
  overlap.replace(pos, 7, "[ 8,16]");
  CHECK_THROWS_WITH(io::read_safetensors(overlap, "m"), Catch::Contains("overlap"));
}

TEST_CASE("two-tower model files round-trip bit-exactly in both presets", "[io][model]") {
  for (const char* preset : {"seed", "default"}) {
    INFO("preset " << preset);
    TwoTowerModel m = trained_small_model(preset);
    TrainingInfo info;
    info.dataset = "synthetic";
    info.epochs = 1;
    info.final_loss = 4.25;
    const ModelFiles f = TwoTowerFile::save(m, info);
    TwoTowerModel back = TwoTowerFile::load(f.weights, f.manifest);
    CHECK(all_weights(back) == all_weights(m));
    CHECK(back.config().to_json() == m.config().to_json());
    nn::Matrix v1, v2, u1, u2;
    m.item_embeddings(v1);
    back.item_embeddings(v2);
    CHECK(v1 == v2);
    const std::vector<UserQuery> q{UserQuery{3, {1, 2}}, UserQuery{-1, {4}}};
    m.user_embeddings(q, u1);
    back.user_embeddings(q, u2);
    CHECK(u1 == u2);
    const ModelFiles again = TwoTowerFile::save(back, info);
    CHECK(again.weights == f.weights);
    CHECK(again.manifest == f.manifest);
    CHECK(TwoTowerFile::training_info(f.manifest).final_loss == 4.25);
  }
}

TEST_CASE("float16: every half widens and narrows back exactly; rounding to nearest even",
          "[io][safetensors][f16]") {
  int checked = 0;
  for (std::uint32_t h = 0; h < 65536; ++h) {
    const float f = io::half_to_float(static_cast<std::uint16_t>(h));
    if (std::isnan(f)) {
      CHECK(std::isnan(io::half_to_float(io::float_to_half(f))));
      continue;
    }
    if (io::float_to_half(f) != h) FAIL_CHECK("half " << h << " -> " << f);
    ++checked;
  }
  CHECK(checked == 65536 - 2046);  // all but the NaNs
  CHECK(io::float_to_half(1.0f) == 0x3c00);
  CHECK(io::float_to_half(-2.0f) == 0xc000);
  CHECK(io::float_to_half(0.1f) == 0x2e66);
  CHECK(io::float_to_half(65504.0f) == 0x7bff);
  CHECK(io::float_to_half(65519.0f) == 0x7bff);
  CHECK(io::float_to_half(65520.0f) == 0x7c00);                      // the tie goes up to infinity
  CHECK(io::float_to_half(1.0f + std::ldexp(1.0f, -11)) == 0x3c00);  // tie: to even
  CHECK(io::float_to_half(1.0f + 3 * std::ldexp(1.0f, -11)) == 0x3c02);  // tie: to even
  CHECK(io::float_to_half(std::ldexp(1.0f, -24)) == 0x0001);             // the smallest subnormal
  CHECK(io::float_to_half(std::ldexp(1.0f, -25)) == 0x0000);             // tie: to even (zero)
  CHECK(io::float_to_half(3 * std::ldexp(1.0f, -25)) == 0x0002);         // tie: to even
  CHECK(io::float_to_half(std::ldexp(1.0f, -14) * (1 - std::ldexp(1.0f, -12))) == 0x0400);
  CHECK(io::half_to_float(0x0001) == std::ldexp(1.0f, -24));
  CHECK(std::isinf(io::half_to_float(0xfc00)));
  // F16 and I8 tensors through the writer and the reader.
  io::Tensor a{"a", "F16", {3}, {0.5f, -1.25f, 1e-3f}}, b{"b", "I8", {2, 2}, {-128, 127, 0, -3}};
  const auto st = io::read_safetensors(io::write_safetensors({a, b}));
  CHECK(st.find("a")->dtype == "F16");
  CHECK(st.find("a")->data ==
        std::vector<float>{0.5f, -1.25f, io::half_to_float(io::float_to_half(1e-3f))});
  CHECK(st.find("b")->data == std::vector<float>{-128, 127, 0, -3});
  io::Tensor c{"c", "I8", {1}, {0.5f}};
  CHECK_THROWS_WITH(io::write_safetensors({c}), Catch::Contains("not an integer in -128 .. 127"));
  // Read without decoding (what a model load does): the same values, from the file's bytes.
  io::Tensor f{"f", "F32", {2}, {3.25f, -0.0f}};
  const std::string bytes = io::write_safetensors({a, b, f});
  const auto eager = io::read_safetensors(bytes);
  const auto lazy = io::read_safetensors(bytes, "model.safetensors", /*decode=*/false);
  for (const char* name : {"a", "b", "f"}) {
    INFO("tensor " << name);
    const io::Tensor& e = *eager.find(name);
    const io::Tensor& l = *lazy.find(name);
    CHECK(l.data.empty());
    CHECK(l.raw.size() == static_cast<std::size_t>(l.elements()) * (l.dtype == "F32" ? 4 : l.dtype == "F16" ? 2 : 1));
    CHECK(l.raw.data() >= bytes.data());
    CHECK(l.raw.data() + l.raw.size() <= bytes.data() + bytes.size());  // a view, not a copy
    std::vector<float> v(static_cast<std::size_t>(l.elements()));
    l.values(v.data());
    for (std::size_t i = 0; i < v.size(); ++i) {
      const float one = l.value(i);
      CHECK(std::memcmp(&v[i], &e.data[i], 4) == 0);  // bit for bit (-0 stays -0)
      CHECK(std::memcmp(&one, &e.data[i], 4) == 0);
    }
  }
}

TEST_CASE(
    "f16 and int8 model files: smaller, dequantised within their rounding, refused when wrong",
    "[io][model][precision]") {
  TwoTowerModel m = trained_small_model("default");
  const ModelFiles f32 = TwoTowerFile::save(m);
  CHECK(nlohmann::json::parse(f32.manifest)["format_version"] == 1);  // f32 files are version 1
  CHECK_FALSE(nlohmann::json::parse(f32.manifest).contains("precision"));
  for (const char* precision : {"f16", "int8"}) {
    INFO("precision " << precision);
    const ModelFiles f = TwoTowerFile::save(m, TrainingInfo(), nullptr, nullptr, precision);
    const auto man = nlohmann::json::parse(f.manifest);
    CHECK(man["format_version"] == 2);
    CHECK(man["precision"] == precision);
    const auto st = io::read_safetensors(f.weights);
    const bool int8 = std::string(precision) == "int8";
    CHECK(f.weights.size() < f32.weights.size() * (int8 ? 0.36 : 0.52));
    TwoTowerModel back = TwoTowerFile::load(f.weights, f.manifest);
    auto mine = m.parameters();
    auto theirs = back.parameters();
    REQUIRE(mine.size() == theirs.size());
    for (std::size_t k = 0; k < mine.size(); ++k) {
      INFO("tensor " << mine[k].name);
      const nn::Matrix& x = *mine[k].value;
      const nn::Matrix& y = *theirs[k].value;
      const io::Tensor* t = st.find(mine[k].name);
      REQUIRE(t);
      const bool bias = x.rows() == 1 && t->shape.size() == 1;
      CHECK(t->dtype == (!int8 ? "F16" : bias ? "F32" : "I8"));
      CHECK((st.find(mine[k].name + ".scale") != nullptr) == (int8 && !bias));
      const float worst_code = x.cwiseAbs().maxCoeff() / 254.0f * 1.0001f;  // half a step
      for (Eigen::Index r = 0; r < x.rows(); ++r)
        for (Eigen::Index c = 0; c < x.cols(); ++c) {
          const float e = std::fabs(x(r, c) - y(r, c));
          const float bound =
              int8 ? (bias ? 0.0f : worst_code)
                   : std::fabs(x(r, c)) * std::ldexp(1.0f, -11) + std::ldexp(1.0f, -25);
          if (e > bound) FAIL_CHECK("(" << r << ", " << c << "): " << x(r, c) << " -> " << y(r, c));
        }
    }
    // Quantising what was dequantised gives the same file (every row or column keeps its scale).
    CHECK(TwoTowerFile::save(back, TrainingInfo(), nullptr, nullptr, precision).weights ==
          f.weights);
  }
  // Refused, naming the problem.
  const ModelFiles i8 = TwoTowerFile::save(m, TrainingInfo(), nullptr, nullptr, "int8");
  const ModelFiles f16 = TwoTowerFile::save(m, TrainingInfo(), nullptr, nullptr, "f16");
  CHECK_THROWS_WITH(TwoTowerFile::load(f32.weights, f16.manifest),
                    Catch::Contains("expected F16 (precision f16)"));
  CHECK_THROWS_WITH(TwoTowerFile::load(f16.weights, f32.manifest),
                    Catch::Contains("expected F32 (precision f32)"));
  auto drop = nlohmann::json::parse(i8.manifest);
  drop["precision"] = "int4";
  CHECK_THROWS_WITH(TwoTowerFile::load(i8.weights, drop.dump()),
                    Catch::Contains("precision must be f32, f16 or int8, got 'int4'"));
  drop.erase("precision");
  CHECK_THROWS_WITH(TwoTowerFile::load(i8.weights, drop.dump()),
                    Catch::Contains("format_version 2 needs 'precision'"));
  io::Safetensors st = io::read_safetensors(i8.weights);
  std::vector<io::Tensor> without;
  for (auto& t : st.tensors)
    if (t.name != "user/id_embedding.scale") without.push_back(t);
  CHECK_THROWS_WITH(TwoTowerFile::load(io::write_safetensors(without), i8.manifest),
                    Catch::Contains("missing tensor 'user/id_embedding.scale'"));
  CHECK_THROWS_WITH(TwoTowerFile::save(m, TrainingInfo(), nullptr, nullptr, "bf16"),
                    Catch::Contains("precision must be f32, f16 or int8, got 'bf16'"));
}

TEST_CASE("an int8 file's user table stays int8: the floats' embeddings, checksum and files",
          "[io][model][precision]") {
  TwoTowerModel m = trained_small_model("default");
  const ModelFiles i8 = TwoTowerFile::save(m, TrainingInfo(), nullptr, nullptr, "int8");
  const TwoTowerModel codes = TwoTowerFile::load(i8.weights, i8.manifest);
  TwoTowerModel floats = TwoTowerFile::load(i8.weights, i8.manifest);
  CHECK(codes.user_table_int8());
  floats.parameters();  // turns the codes into the float table
  CHECK_FALSE(floats.user_table_int8());
  // Anonymous, known users, with and without history: the same bits.
  std::vector<UserQuery> queries(4);
  queries[1].user = 0;
  queries[2].user = codes.num_users() - 1;
  queries[2].history = {0, 3, 5};
  queries[3].history = {1};
  nn::Matrix a, b;
  codes.user_embeddings(queries, a);
  floats.user_embeddings(queries, b);
  REQUIRE(a.size() == b.size());
  CHECK(std::memcmp(a.data(), b.data(), sizeof(float) * static_cast<std::size_t>(a.size())) == 0);
  CHECK(codes.checksum() == floats.checksum());
  for (const char* precision : {"int8", "f32"}) {
    INFO("saved as " << precision);
    CHECK(TwoTowerFile::save(codes, TrainingInfo(), nullptr, nullptr, precision).weights ==
          TwoTowerFile::save(floats, TrainingInfo(), nullptr, nullptr, precision).weights);
  }
  CHECK(codes.user_table_int8());  // reading, saving and checksums leave it as codes
  // f32 and f16 files hold floats.
  for (const char* precision : {"f32", "f16"}) {
    const ModelFiles f = TwoTowerFile::save(m, TrainingInfo(), nullptr, nullptr, precision);
    CHECK_FALSE(TwoTowerFile::load(f.weights, f.manifest).user_table_int8());
  }
}

namespace {
// Scores every query of an expected.json ({"queries": [{"user", "history", "top": [{"item",
// "score"}]}]}) with the model's exact top-k (k = the length of each recorded list) and checks the
// same items in the same order, each score within 1e-5; returns the number of items checked.
int check_recorded_tops(const TwoTowerModel& m, const nlohmann::json& expected) {
  nn::Matrix V, U;
  m.item_embeddings(V);
  int checked = 0;
  for (const auto& q : expected["queries"]) {
    UserQuery query;
    if (!q["user"].is_null()) query.user = m.users().find(q["user"].get<std::string>());
    for (const auto& id : q["history"])
      query.history.push_back(m.items().find(id.get<std::string>()));
    m.user_embeddings({query}, U);
    const auto top = top_k_exact(V, U.row(0).data(), static_cast<int>(q["top"].size()));
    REQUIRE(top.size() == q["top"].size());
    for (std::size_t r = 0; r < top.size(); ++r) {
      CHECK(m.items().token(top[r].item) == q["top"][r]["item"].get<std::string>());
      CHECK(top[r].score == Approx(q["top"][r]["score"].get<double>()).margin(1e-5));
      ++checked;
    }
  }
  return checked;
}
}  // namespace

TEST_CASE("the golden model keeps loading and scoring identically", "[io][model][golden]") {
  const TwoTowerModel m = TwoTowerFile::load(slurp(kGolden + "/model.safetensors"),
                                             slurp(kGolden + "/manifest.json"), kGolden);
  CHECK(check_recorded_tops(m, nlohmann::json::parse(slurp(kGolden + "/expected.json"))) == 15);
}

// tests/golden/torch_v1: written by tools/torch/train_ddp.py (PyTorch, DistributedDataParallel on
// 2 processes), with PyTorch's own top-10 (expected.json) and a digest of every tensor as PyTorch
// held it (tensors.json). `npm run test:torch` points RECSYS_TORCH_MODEL at a fresh export.
TEST_CASE(
    "a model trained by PyTorch DDP loads, with every tensor intact, and scores as PyTorch did",
    "[io][model][golden][torch]") {
  const char* env = std::getenv("RECSYS_TORCH_MODEL");
  const std::string dir =
      env && *env ? env : std::string(RECSYS_SOURCE_DIR) + "/tests/golden/torch_v1";
  INFO("model: " << dir);
  const std::string weights = slurp(dir + "/model.safetensors");
  const auto digests = nlohmann::json::parse(slurp(dir + "/tensors.json"));
  const io::Safetensors st = io::read_safetensors(weights, dir + "/model.safetensors");
  CHECK(st.metadata.at("format") == "recsys-wasm.two-tower");
  REQUIRE(st.tensors.size() == digests.size());
  for (const auto& t : st.tensors) {
    INFO("tensor " << t.name);
    REQUIRE(digests.contains(t.name));
    const auto& d = digests[t.name];
    CHECK(t.dtype == d["dtype"].get<std::string>());
    CHECK(t.shape == d["shape"].get<std::vector<std::int64_t>>());
    Fnv1a h;  // over the values' little-endian bytes, as tensors.json's fnv1a64
    h.bytes(t.data.data(), t.data.size() * sizeof(float));
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h.value()));
    CHECK(std::string(hex) == d["fnv1a64"].get<std::string>());
  }
  const TwoTowerModel m = TwoTowerFile::load(weights, slurp(dir + "/manifest.json"), dir);
  const auto expected = nlohmann::json::parse(slurp(dir + "/expected.json"));
  CHECK(check_recorded_tops(m, expected) == 10 * static_cast<int>(expected["queries"].size()));
}

TEST_CASE("bad model files are refused and the loaded model stays as it was",
          "[io][model][errors]") {
  const std::string w = slurp(kGolden + "/model.safetensors"),
                    man = slurp(kGolden + "/manifest.json");
  TwoTowerModel m = TwoTowerFile::load(w, man, "golden");
  nn::Matrix before;
  m.item_embeddings(before);
  auto refused = [&](const std::string& weights, const std::string& manifest,
                     const std::string& what) {
    INFO("expecting: " << what);
    CHECK_THROWS_WITH(m = TwoTowerFile::load(weights, manifest, "bad"), Catch::Contains(what));
  };
  refused(w.substr(0, w.size() - 7), man, "truncated");
  refused(w + std::string(12, '\0'), man, "12 unexpected bytes after the last tensor");
  std::string i32 = w;
  i32.replace(i32.find("F32"), 3, "I32");
  refused(i32, man, "expected F32");
  // Weights of a differently shaped model.
  const ModelFiles other = TwoTowerFile::save(trained_small_model("default"));
  refused(other.weights, man, "has shape [");
  refused(w, other.manifest, "has shape [");
  auto j = nlohmann::json::parse(man);
  j["format_version"] = 99;
  refused(w, j.dump(), "format_version 99 is not supported");
  j = nlohmann::json::parse(man);
  j["format"] = "something-else";
  refused(w, j.dump(), "format is 'something-else'");
  j = nlohmann::json::parse(man);
  j["config"]["hidden"] = {32};
  refused(w, j.dump(), "user/dense_0/kernel' has shape");
  j = nlohmann::json::parse(man);
  j["items"]["category"][0] = 999;
  refused(w, j.dump(), "category index 999 out of range");
  j = nlohmann::json::parse(man);
  j["config"]["colour"] = "red";
  refused(w, j.dump(), "unknown key 'colour'");
  refused(w, "{", "invalid JSON");
  // Tensor missing.
  io::Safetensors st = io::read_safetensors(w);
  st.tensors.pop_back();
  refused(io::write_safetensors(st.tensors), man, "missing tensor");
  nn::Matrix after;
  m.item_embeddings(after);
  CHECK(after == before);
}

TEST_CASE("a ranker saved with its model loads back identically", "[io][model][ranking]") {
  SyntheticConfig sc;
  sc.users = 300;
  sc.items = 200;
  sc.interactions = 4000;
  const Dataset data = generate_synthetic_dataset(sc);
  TwoTowerConfig cfg = TwoTowerConfig::default_preset();
  cfg.epochs = 1;
  auto model = std::make_shared<TwoTowerModel>(cfg, data.catalog, data.interactions.users());
  Trainer t(*model, data.interactions);
  while (!t.done()) t.train_steps(50);
  ImpressionOptions io;
  io.users = 300;
  const RankerFit fit = fit_ranker(model, data, data.interactions, RankingConfig{}, io);
  CHECK(fit.impressions_source == "synthetic truth");
  const ModelFiles f = TwoTowerFile::save(*model, TrainingInfo(), fit.ranker.get());
  auto back = std::make_shared<TwoTowerModel>(TwoTowerFile::load(f.weights, f.manifest));
  auto ranker = TwoTowerFile::load_ranker(f.weights, f.manifest, back);
  REQUIRE(ranker);
  std::vector<float> u(static_cast<std::size_t>(model->dim()), 0.1f);
  std::vector<RankingPrediction> p1, p2;
  fit.ranker->predict(u.data(), {0, 5, 9}, Scene::Home, {}, p1);
  ranker->predict(u.data(), {0, 5, 9}, Scene::Home, {}, p2);
  for (int i = 0; i < 3; ++i) {
    CHECK(p1[i].click == p2[i].click);
    CHECK(p1[i].purchase == p2[i].purchase);
  }
  // load_all (one parse of the files) gives the same model and ranker as the separate loads.
  const auto all = TwoTowerFile::load_all(f.weights, f.manifest);
  CHECK(all.model->checksum() == back->checksum());
  REQUIRE(all.ranker);
  CHECK(all.candidate == nullptr);
  std::vector<RankingPrediction> p3;
  all.ranker->predict(u.data(), {0, 5, 9}, Scene::Home, {}, p3);
  for (int i = 0; i < 3; ++i) CHECK(p3[i].click == p1[i].click);
  // A model without a ranker has none.
  const ModelFiles plain = TwoTowerFile::save(*model);
  CHECK(TwoTowerFile::load_ranker(plain.weights, plain.manifest, back) == nullptr);
  CHECK(TwoTowerFile::load_all(plain.weights, plain.manifest).ranker == nullptr);
  // A bad file is the same error through load_all.
  CHECK_THROWS_WITH(TwoTowerFile::load_all(f.weights.substr(0, f.weights.size() - 4), f.manifest),
                    Catch::Contains("model/model.safetensors"));
  // Ranking tensors without the manifest entry are refused.
  auto j = nlohmann::json::parse(f.manifest);
  j.erase("ranking");
  CHECK_THROWS_WITH(TwoTowerFile::load(f.weights, j.dump()),
                    Catch::Contains("ranking tensors without"));
}

TEST_CASE(
    "a serving file keeps the user rows that users reach: the same vectors, a smaller file, "
    "refused when wrong",
    "[io][model][precision]") {
  TwoTowerModel m = trained_small_model("default");
  REQUIRE(m.config().user_buckets == 1024);  // 80 users, 2 hashes each: most rows never reached
  std::vector<UserQuery> queries(1);  // anonymous, then every user without and with a history
  for (std::int32_t u = 0; u < m.num_users(); ++u) {
    queries.push_back(UserQuery{u, {}});
    queries.push_back(UserQuery{u, {u % m.num_items(), (3 * u + 1) % m.num_items()}});
  }
  const auto same_bits = [](const nn::Matrix& a, const nn::Matrix& b) {
    return a.rows() == b.rows() && a.cols() == b.cols() &&
           std::memcmp(a.data(), b.data(), sizeof(float) * static_cast<std::size_t>(a.size())) == 0;
  };
  for (const char* precision : {"f32", "f16", "int8"}) {
    INFO("precision " << precision);
    const ModelFiles dense = TwoTowerFile::save(m, TrainingInfo(), nullptr, nullptr, precision);
    const ModelFiles pruned =
        TwoTowerFile::save(m, TrainingInfo(), nullptr, nullptr, precision, true);
    CHECK(nlohmann::json::parse(dense.manifest)["format_version"] ==
          (std::string(precision) == "f32" ? 1 : 2));
    CHECK(nlohmann::json::parse(pruned.manifest)["format_version"] == 3);
    const io::Safetensors st = io::read_safetensors(pruned.weights);
    const io::Tensor* kept = st.find("user/id_embedding.kept");
    REQUIRE(kept);
    CHECK(kept->dtype == "I8");
    CHECK(kept->shape == std::vector<std::int64_t>{1025});
    const auto held = std::count(kept->data.begin(), kept->data.end(), 1.0f);
    CHECK(held == st.find("user/id_embedding")->shape[0]);
    CHECK(held <= 2 * 80 + 1);
    CHECK(kept->data.back() == 1.0f);  // the anonymous row
    CHECK(pruned.weights.size() + (1025 - held) * 32 * (std::string(precision) == "f32" ? 3 : 1) <
          dense.weights.size());
    const TwoTowerModel a = TwoTowerFile::load(dense.weights, dense.manifest);
    const TwoTowerModel b = TwoTowerFile::load(pruned.weights, pruned.manifest);
    nn::Matrix ua, ub, va, vb;
    a.user_embeddings(queries, ua);
    b.user_embeddings(queries, ub);
    CHECK(same_bits(ua, ub));
    a.item_embeddings(va);
    b.item_embeddings(vb);
    CHECK(same_bits(va, vb));
    // Read and written again: the same file (the rows left out are not reached either).
    CHECK(TwoTowerFile::save(b, TrainingInfo(), nullptr, nullptr, precision, true).weights ==
          pruned.weights);
    if (std::string(precision) == "int8") {
      // Held as the file's rows: the same as the floats they stand for, zeros where left out.
      CHECK(b.user_table_int8());
      TwoTowerModel floats = TwoTowerFile::load(pruned.weights, pruned.manifest);
      floats.parameters();  // the whole table as floats
      CHECK_FALSE(floats.user_table_int8());
      nn::Matrix uf;
      floats.user_embeddings(queries, uf);
      CHECK(same_bits(ub, uf));
      CHECK(b.checksum() == floats.checksum());
      CHECK(TwoTowerFile::save(floats, TrainingInfo(), nullptr, nullptr, precision, true).weights ==
            pruned.weights);
    }
  }

  // Nothing to leave out (a row per user): the file written without pruning.
  SyntheticConfig sc;
  sc.users = 30;
  sc.items = 20;
  sc.interactions = 200;
  const auto shop = generate_synthetic_shop(sc);
  TwoTowerConfig cfg = TwoTowerConfig::preset_named("default");
  cfg.user_buckets = 0;
  const TwoTowerModel per_user(cfg, shop.data.catalog, shop.data.interactions.users());
  for (const char* precision : {"f32", "int8"}) {
    const ModelFiles x = TwoTowerFile::save(per_user, TrainingInfo(), nullptr, nullptr, precision);
    const ModelFiles y =
        TwoTowerFile::save(per_user, TrainingInfo(), nullptr, nullptr, precision, true);
    CHECK(x.weights == y.weights);
    CHECK(x.manifest == y.manifest);
  }

  // Bad serving files: each refused, naming what is wrong.
  const ModelFiles f = TwoTowerFile::save(m, TrainingInfo(), nullptr, nullptr, "int8", true);
  const auto refused = [&](const std::string& weights, const std::string& manifest,
                           const std::string& what) {
    INFO("expecting: " << what);
    CHECK_THROWS_WITH(TwoTowerFile::load(weights, manifest, "bad"), Catch::Contains(what));
  };
  auto j = nlohmann::json::parse(f.manifest);
  j["format_version"] = 2;
  refused(f.weights, j.dump(), "'user/id_embedding.kept' needs format_version 3");
  const io::Safetensors st = io::read_safetensors(f.weights, "f", false);
  const io::Tensor* kept = st.find("user/id_embedding.kept");
  REQUIRE(kept);
  const std::size_t at = static_cast<std::size_t>(kept->raw.data() - f.weights.data());
  const auto with_kept = [&](std::size_t row, char value) {
    std::string w = f.weights;
    w[at + row] = value;
    return w;
  };
  std::size_t reached = 0, unreached = 0;
  while (kept->raw[reached] != 1) ++reached;
  while (kept->raw[unreached] != 0) ++unreached;
  refused(with_kept(reached, 0), f.manifest, "which is not kept");
  refused(with_kept(reached, 2), f.manifest, "holds 2 at element " + std::to_string(reached));
  refused(with_kept(1024, 0), f.manifest, "the anonymous row (1024) is not kept");
  refused(with_kept(unreached, 1), f.manifest, "'user/id_embedding' has shape [");
  // The tensor in a file whose users are not hashed.
  j = nlohmann::json::parse(f.manifest);
  j["config"]["user_buckets"] = 0;
  refused(f.weights, j.dump(), "needs hashed users");
}
