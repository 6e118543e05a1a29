#include "targets.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <set>
#include <string_view>

#include "cli/request_json.h"
#include "common/check.h"
#include "data/dataset.h"
#include "data/online_retail.h"
#include "data/shop_file.h"
#include "data/synthetic.h"
#include "eval/run.h"
#include "experiment/experiment.h"
#include "io/two_tower_file.h"
#include "retrieval/two_tower_config.h"
#include "serving/candidate_ranker.h"
#include "serving/recommender.h"
#include "strategy/strategy_config.h"

// A broken invariant: abort, which libFuzzer reports with the input.
#define FUZZ_CHECK(cond)                                                        \
  do {                                                                          \
    if (!(cond)) {                                                              \
      std::fprintf(stderr, "fuzz invariant failed: %s (%s:%d)\n", #cond, __FILE__, \
                   __LINE__);                                                   \
      std::abort();                                                             \
    }                                                                           \
  } while (0)

namespace recsys::fuzz {
namespace {

std::string_view text(const std::uint8_t* d, std::size_t n) {
  return {reinterpret_cast<const char*>(d), n};
}

// The part before the first NUL and the part after it.
std::pair<std::string_view, std::string_view> halves(std::string_view s) {
  const std::size_t z = s.find('\0');
  if (z == std::string_view::npos) return {s, {}};
  return {s.substr(0, z), s.substr(z + 1)};
}

// Runs f; a recsys::Error is the expected way to refuse bad input.
template <class F>
void expect_clear(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    FUZZ_CHECK(std::string_view(e.what()).size() > 0);
  }
}

void catalog(const std::uint8_t* d, std::size_t n) {
  if (n == 0) return;
  const char* format = d[0] % 2 ? "json" : "csv";
  expect_clear([&] {
    const Catalog c = parse_catalog(text(d + 1, n - 1), format, "catalog");
    FUZZ_CHECK(c.size() >= 0);
    for (std::int32_t i = 0; i < c.size(); ++i) FUZZ_CHECK(std::isfinite(c.price(i)) && c.price(i) >= 0);
  });
}

void dataset(const std::uint8_t* d, std::size_t n) {
  if (n == 0) return;
  const auto parts = halves(text(d + 1, n - 1));  // (structured bindings cannot be captured in C++17)
  const std::string_view cat = parts.first, events = parts.second;
  expect_clear([&] {
    const Dataset ds = parse_dataset(cat, "csv", "catalog.csv", events, d[0] % 2 ? "json" : "csv",
                                     "interactions");
    for (const auto& e : ds.interactions.events())
      FUZZ_CHECK(e.item >= 0 && e.item < ds.catalog.size());
    (void)compute_stats(ds);
  });
}

void shop(const std::uint8_t* d, std::size_t n) {
  expect_clear([&] {
    const Dataset ds = read_shop(text(d, n), "shop.bin");
    for (const auto& e : ds.interactions.events())
      FUZZ_CHECK(e.item >= 0 && e.item < ds.catalog.size());
    // What was read writes back to a file that reads as the same data, in either version.
    FUZZ_CHECK(checksum(read_shop(write_shop(ds), "again")) == checksum(ds));
    FUZZ_CHECK(checksum(read_shop(write_shop(ds, 1), "again, version 1")) == checksum(ds));
  });
}

void online_retail(const std::uint8_t* d, std::size_t n) {
  expect_clear([&] { (void)load_online_retail_csv(text(d, n), "online_retail.csv"); });
}

void extract(const std::uint8_t* d, std::size_t n) {
  const auto parts = halves(text(d, n));
  const std::string_view items = parts.first, baskets = parts.second;
  expect_clear([&] { (void)load_online_retail_extract(items, baskets, "extract"); });
}

void model(const std::uint8_t* d, std::size_t n) {
  if (n < 4) return;
  const std::uint32_t len = (std::uint32_t{d[0]} | std::uint32_t{d[1]} << 8 |
                             std::uint32_t{d[2]} << 16 | std::uint32_t{d[3]} << 24) %
                            static_cast<std::uint32_t>(n - 3);
  const std::string_view rest = text(d + 4, n - 4);
  const std::string_view weights = rest.substr(0, len), manifest = rest.substr(len);
  expect_clear([&] {
    auto m = std::make_shared<TwoTowerModel>(TwoTowerFile::load(weights, manifest, "model"));
    (void)TwoTowerFile::load_ranker(weights, manifest, m, "model");
    (void)TwoTowerFile::load_candidate_ranker(weights, manifest, "model");
    nn::Matrix v;
    m->item_embeddings({0}, v);
    FUZZ_CHECK(v.rows() == 1);
  });
}

void configs(const std::uint8_t* d, std::size_t n) {
  if (n == 0) return;
  const std::string_view j = text(d + 1, n - 1);
  expect_clear([&] {
    switch (d[0] % 8) {
      case 0: (void)TwoTowerConfig::from_json(j); break;
      case 1: (void)StrategyConfig::from_json(j).to_json(); break;
      case 2: (void)RecommenderOptions::from_json(j); break;
      case 3: (void)experiment::ExperimentConfig::from_json(j); break;
      case 4: (void)CandidateRankerConfig::from_json(j); break;
      case 5: (void)eval::EvalRequest::from_json(j); break;
      case 6: (void)SyntheticConfig::from_json(j); break;
      default: (void)cli::request_from_json(j); break;
    }
  });
}

// A small shop and an untrained model: the request path's invariants do not need good weights.
struct Shop {
  Dataset data;
  std::shared_ptr<TwoTowerModel> model;
  std::unique_ptr<Recommender> rec;
};
Shop& shop() {
  static Shop s = [] {
    Shop x;
    SyntheticConfig c;
    c.users = 60;
    c.items = 80;
    c.interactions = 900;
    x.data = generate_synthetic_dataset(c);
    TwoTowerConfig tc = TwoTowerConfig::default_preset();
    tc.user_id_dim = tc.item_id_dim = 8;
    tc.hidden = {16};
    tc.output_dim = 8;
    x.model = std::make_shared<TwoTowerModel>(tc, x.data.catalog, x.data.interactions.users());
    RecommenderOptions o;
    o.cache_capacity = 8;
    o.strategy.scenes["mix"] = SceneConfig{
        Scene::Default,
        {{SourceKind::Personal, 20}, {SourceKind::Neighbours, 20}, {SourceKind::Popular, 10}},
        true, 0.3, 2};
    x.rec = std::make_unique<Recommender>(x.model, x.data, o);
    return x;
  }();
  return s;
}

struct Bytes {
  const std::uint8_t* d;
  std::size_t n, at = 0;
  std::uint8_t next() { return at < n ? d[at++] : 0; }
  bool done() const { return at >= n; }
};

void recommender(const std::uint8_t* d, std::size_t n) {
  Shop& s = shop();
  Recommender& rec = *s.rec;
  const auto& users = s.data.interactions.users();
  const std::int32_t items = s.model->num_items();
  static const char* kScenes[] = {"default", "home_page", "cart_page", "product_page", "mix", "attic", ""};
  static const char* kEvents[] = {"view", "click", "add_to_cart", "purchase", "refund"};
  auto item_id = [&](std::uint8_t b) {
    return b < 250 ? s.model->items().token(b % items) : std::string(b == 250 ? "" : "no-such-item");
  };
  Bytes in{d, n};
  Session session = rec.create_session(in.next() % 2 ? users.token(in.next() % users.size()) : "");
  RecommendRequest probe;
  probe.user_id = users.token(0);
  for (int step = 0; step < 64 && !in.done(); ++step) {
    const std::uint8_t op = in.next() % 3;
    if (op == 0) {
      RecommendRequest r;
      const std::uint8_t u = in.next();
      r.user_id = u < 200 ? users.token(u % users.size()) : u < 250 ? "" : "ghost";
      r.scene = kScenes[in.next() % 7];
      r.k = static_cast<int>(in.next()) - 5;
      if (in.next() % 2) r.diversity = (static_cast<int>(in.next()) - 20) / 200.0;
      if (in.next() % 4 == 0) r.item_id = item_id(in.next());
      for (int e = in.next() % 4; e > 0; --e) r.exclude.push_back(item_id(in.next()));
      if (in.next() % 5 == 0) r.price_min = in.next();
      const bool with_session = in.next() % 2;
      const auto before = rec.stats().requests;
      const auto version = session.version();
      try {
        const auto list = rec.recommend(r, with_session ? &session : nullptr);
        FUZZ_CHECK(r.k >= 1 && static_cast<int>(list.size()) <= r.k);
        FUZZ_CHECK(static_cast<std::int32_t>(list.size()) <= items);
        std::set<std::int32_t> seen;
        for (std::size_t i = 0; i < list.size(); ++i) {
          FUZZ_CHECK(list[i].rank == static_cast<std::int32_t>(i) + 1);
          FUZZ_CHECK(list[i].item >= 0 && list[i].item < items);
          FUZZ_CHECK(seen.insert(list[i].item).second);
          FUZZ_CHECK(std::isfinite(list[i].score()));
          for (const auto& x : r.exclude) FUZZ_CHECK(s.model->items().token(list[i].item) != x);
          FUZZ_CHECK(s.data.catalog.price(rec.catalog_row(list[i].item)) >= r.price_min);
        }
        FUZZ_CHECK(rec.stats().requests == before + 1);
      } catch (const Error&) {
        // Refused: nothing counted, the session as it was, and the probe still answers.
        FUZZ_CHECK(rec.stats().requests == before);
        FUZZ_CHECK(session.version() == version);
        FUZZ_CHECK(!rec.recommend(probe).empty());
      }
    } else if (op == 1) {
      const std::string item = item_id(in.next());
      const char* event = kEvents[in.next() % 5];
      const auto version = session.version();
      const auto size = session.events().size();
      try {
        rec.track(session, item, event, static_cast<std::int64_t>(in.next()) * 1000);
        FUZZ_CHECK(session.version() == version + 1);
      } catch (const Error&) {
        FUZZ_CHECK(session.version() == version && session.events().size() == size);
      }
    } else {
      session = rec.create_session(in.next() % 2 ? users.token(in.next() % users.size()) : "");
    }
  }
}

}  // namespace

const std::vector<NamedTarget>& targets() {
  static const std::vector<NamedTarget> t{
      {"catalog", catalog},       {"dataset", dataset}, {"online_retail", online_retail},
      {"extract", extract},       {"model", model},     {"configs", configs},
      {"recommender", recommender}, {"shop", shop}};
  return t;
}

}  // namespace recsys::fuzz
