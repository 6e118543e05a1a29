// The bad-input matrix (tests/bad_input/cases.json) through the core: each case gets its error
// (kind, message) or its answer, and afterwards the fixture's state is what it was (model weights
// checksum, dataset checksum, recommender counters and answer, session events and answer, vector
// index answer). The same table drives tests/js/bad_input.test.mjs through the JS API; each call
// here does what the bindings do for the JS call of the same name.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "common/check.h"
#include "data/dataset.h"
#include "data/online_retail.h"
#include "data/synthetic.h"
#include "eval/training_job.h"
#include "experiment/experiment.h"
#include "io/two_tower_file.h"
#include "retrieval/index.h"
#include "retrieval/two_tower.h"
#include "serving/recommender.h"

namespace {

using json = nlohmann::json;
using namespace recsys;

json read_table() {
  std::ifstream in(std::string(RECSYS_SOURCE_DIR) + "/tests/bad_input/cases.json");
  std::stringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str());
}

double num(const json& v) {
  if (v.is_object()) {
    const std::string s = v["number"];
    if (s == "NaN") return std::nan("");
    return s[0] == '-' ? -INFINITY : INFINITY;
  }
  return v.get<double>();
}

std::string text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  std::string out;
  for (const auto& p : v) {
    if (p.is_string()) {
      out += p.get<std::string>();
    } else if (p.contains("bytes")) {
      for (int b : p["bytes"]) out += static_cast<char>(b);
    } else {
      for (int i = 0; i < p["times"].get<int>(); ++i) out += p["repeat"].get<std::string>();
    }
  }
  return out;
}

struct Trained {
  Dataset data;
  std::shared_ptr<TwoTowerModel> model;
};

Trained trained(const json& shop, const json& train) {
  Trained t{generate_synthetic_dataset(SyntheticConfig::from_json(shop.dump())), nullptr};
  json cfg = train;
  cfg["preset"] = "default";
  TrainingJob job(t.data, TwoTowerConfig::from_json(cfg.dump()),
                  TrainingJobOptions::from_json(
                      R"({"split": "leave-last-out", "early_stopping_patience": 0})"));
  while (!job.done()) job.train_steps(100);
  t.model = job.model();
  return t;
}

// What the JS API's createRecommender sends the core, with the case's options.
std::string recommender_options(const json& options) {
  json o = {{"index", options.value("index", json{{"kind", "exact"}})},
            {"strategy", options.value("strategy", json::object())},
            {"cacheCapacity", 256},
            {"useRanker", true}};
  return o.dump();
}

RecommendRequest request_of(const json& r) {
  RecommendRequest q;
  q.user_id = r.value("userId", "");
  q.scene = r.value("scene", "default");
  if (r.contains("k")) q.k = r["k"].get<int>();
  if (r.contains("diversity")) q.diversity = num(r["diversity"]);
  q.item_id = r.value("itemId", "");
  if (r.contains("filters")) {
    const json& f = r["filters"];
    if (f.contains("exclude")) q.exclude = f["exclude"].get<std::vector<std::string>>();
    if (f.contains("priceMin")) q.price_min = num(f["priceMin"]);
    if (f.contains("priceMax")) q.price_max = num(f["priceMax"]);
  }
  return q;
}

struct Fixture {
  json setup;
  Trained shop, other;
  ModelFiles files;
  std::unique_ptr<Recommender> rec;
  std::unique_ptr<Session> session;
  std::unique_ptr<Index> index;
  std::vector<float> probe_query;

  explicit Fixture(const json& s) : setup(s) {
    shop = trained(s["shop"], s["train"]);
    other = trained(s["other_shop"], s["train"]);
    files = TwoTowerFile::save(*shop.model);
    rec = std::make_unique<Recommender>(shop.model, shop.data,
                                        RecommenderOptions::from_json(recommender_options(json::object())));
    session = std::make_unique<Session>(rec->create_session(s["session"]["userId"]));
    for (const auto& e : s["session"]["events"])
      rec->track(*session, e[0], e[1], e[2].get<std::int64_t>());
    index = make_index(IndexOptions::from_json(json{{"kind", s["index"]["kind"]}}.dump()));
    build_index(s["index"]["n"], s["index"]["d"], s["index"]["vectors"]);
    probe_query = s["probe"]["query"].get<std::vector<float>>();
  }

  // As VectorIndex.build: reserve, fill, build.
  void build_index(int n, int d, const json& vectors) {
    float* p = index->reserve(n, d);
    for (std::size_t i = 0; i < vectors.size(); ++i) p[i] = static_cast<float>(num(vectors[i]));
    index->build_reserved();
  }
  std::vector<std::int32_t> search(int k, const std::vector<std::int32_t>& exclude,
                                   std::vector<float>* scores = nullptr) const {
    std::vector<std::int32_t> ids;
    std::vector<float> s;
    search_flat(*index, probe_query.data(), 1, k, exclude, ids, s);
    if (scores) *scores = s;
    return ids;
  }

  std::string weights_of(const json& spec) const {
    std::string w = files.weights;
    if (spec.is_null()) return w;
    std::uint64_t header = 0;
    std::memcpy(&header, w.data(), 8);
    if (spec.contains("truncate")) return w.substr(0, spec["truncate"].get<std::size_t>());
    if (spec.contains("header_length")) {
      const std::uint64_t n = spec["header_length"];
      std::memcpy(w.data(), &n, 8);
      return w;
    }
    if (spec.contains("replace_in_header")) {
      const std::string from = spec["replace_in_header"][0], to = spec["replace_in_header"][1];
      REQUIRE(from.size() == to.size());
      const std::size_t at = w.find(from, 8);
      REQUIRE((at != std::string::npos && at < 8 + header));
      w.replace(at, from.size(), to);
      return w;
    }
    if (spec.contains("nan_at_data")) {
      const float nan = std::nanf("");
      std::memcpy(w.data() + 8 + header + 4 * spec["nan_at_data"].get<std::size_t>(), &nan, 4);
      return w;
    }
    FAIL("unknown weights mutation " << spec.dump());
    return w;
  }
  std::string manifest_of(const json& spec) const {
    if (spec.is_null()) return files.manifest;
    if (spec.contains("truncate")) return files.manifest.substr(0, spec["truncate"].get<std::size_t>());
    json m = json::parse(files.manifest);
    if (spec.contains("set")) m[json::json_pointer("/" + spec["set"][0].get<std::string>())] = spec["set"][1];
    if (spec.contains("drop_last_item"))
      for (auto& [k, v] : m["items"].items())
        if (v.is_array()) v.erase(v.size() - 1);
    return m.dump();
  }

  struct Out {
    std::int64_t count = -1;
    std::vector<std::string> ids;
    std::vector<std::int32_t> index_ids;
    json catalog;
  };

  Out call(const std::string& name, const json& a) {
    Out out;
    if (name == "loadCatalog") {
      const std::string format = a["format"];
      const Catalog c = parse_catalog(text(a["text"]), format, "catalog." + format);
      const std::string title = c.title(0);
      out.catalog = {{"size", c.size()}, {"id", c.id(0)}, {"title", title},
                     {"category", c.categories().token(c.category(0))},
                     {"brand", c.brands().token(c.brand(0))}, {"titleBytes", title.size()}};
    } else if (name == "loadDataset") {
      const std::string format = a["interactionsFormat"];
      const std::string catalog =
          a["catalog"] == "$shop" ? shop.data.catalog.to_csv() : text(a["catalog"]);
      parse_dataset(catalog, "csv", "catalog.csv", text(a["interactions"]), format,
                    "interactions." + format);
    } else if (name == "loadModel") {
      const std::string w = weights_of(a.value("weights", json())),
                        m = manifest_of(a.value("manifest", json()));
      auto model = std::make_shared<TwoTowerModel>(TwoTowerFile::load(w, m, "model"));
      TwoTowerFile::load_ranker(w, m, model);
      TwoTowerFile::load_candidate_ranker(w, m);
    } else if (name == "recommend") {
      const auto list = a.value("session", false)
                            ? rec->recommend(request_of(a["request"]), session.get())
                            : rec->recommend(request_of(a["request"]));
      out.count = static_cast<std::int64_t>(list.size());
      for (const auto& x : list) out.ids.push_back(shop.model->items().token(x.item));
    } else if (name == "track") {
      rec->track(*session, a["itemId"], a["event"], a["timestamp"].get<std::int64_t>());
    } else if (name == "createRecommender") {
      const Dataset& d = a.value("dataset", "") == "$other" ? other.data : shop.data;
      Recommender r(shop.model, d,
                    RecommenderOptions::from_json(recommender_options(a.value("options", json::object()))));
    } else if (name == "reload") {
      rec->reload(other.model, nullptr);
    } else if (name == "indexBuild") {
      build_index(a["n"], a["d"], a["vectors"]);
    } else if (name == "indexSearch") {
      out.index_ids = search(a["k"], a.value("exclude", std::vector<std::int32_t>{}));
    } else if (name == "modelRecommend") {
      out.count = static_cast<std::int64_t>(
          top_items(*shop.model, "", a["history"].get<std::vector<std::string>>(), a["k"]).size());
    } else if (name == "createTrainer") {
      json cfg = a.value("config", json::object());
      cfg["preset"] = "default";
      json opts = {{"split", a.value("options", json::object()).value("split", "leave-last-out")}};
      TrainingJob job(shop.data, TwoTowerConfig::from_json(cfg.dump()),
                      TrainingJobOptions::from_json(opts.dump()));
    } else if (name == "createExperiment") {
      experiment::Experiment e(shop.model, nullptr, shop.data,
                               experiment::ExperimentConfig::from_json(a["config"].dump()));
    } else if (name == "loadOnlineRetailCsv") {
      load_online_retail_csv(text(a["text"]), "online_retail.csv");
    } else {
      FAIL("unknown call " << name);
    }
    return out;
  }

  struct State {
    std::uint64_t model = 0, dataset = 0;
    RecommenderStats before, after;
    std::vector<std::string> list, session_list;
    std::size_t session_size = 0;
    std::uint64_t session_version = 0;
    std::int32_t index_size = 0;
    std::vector<std::int32_t> index_ids;
    std::vector<float> index_scores;
  };
  std::vector<std::string> listed(const std::vector<Recommendation>& list) const {
    std::vector<std::string> out;
    for (const auto& x : list)
      out.push_back(shop.model->items().token(x.item) + ":" + std::to_string(x.explanation.final_score));
    return out;
  }
  State snapshot() {
    State s;
    s.model = shop.model->checksum();
    s.dataset = checksum(shop.data);
    s.before = rec->stats();
    RecommendRequest q;
    q.k = setup["probe"]["k"];
    s.list = listed(rec->recommend(q));
    s.session_list = listed(rec->recommend(q, session.get()));
    s.after = rec->stats();
    s.session_size = session->events().size();
    s.session_version = session->version();
    s.index_size = index->size();
    s.index_ids = search(index->size(), {}, &s.index_scores);
    return s;
  }
};

void same_counters(const RecommenderStats& a, const RecommenderStats& b) {
  CHECK(a.requests == b.requests);
  CHECK(a.cache_hits == b.cache_hits);
  CHECK(a.cache_size == b.cache_size);
  CHECK(a.index == b.index);
}

}  // namespace

TEST_CASE("the bad-input matrix: each case's error or answer, and the state unchanged", "[errors]") {
  const json table = read_table();
  REQUIRE(table["cases"].size() >= 30);
  Fixture f(table["setup"]);
  Fixture::State state = f.snapshot();
  int ran = 0;
  for (const auto& c : table["cases"]) {
    if (c.contains("layers") &&
        std::find(c["layers"].begin(), c["layers"].end(), "native") == c["layers"].end())
      continue;
    const std::string name = c["name"];
    INFO("case: " << name);
    std::string kind, message;
    Fixture::Out out;
    try {
      out = f.call(c["call"], c["args"]);
    } catch (const Error& e) {
      kind = error_kind_name(e.kind());
      message = e.what();
    }
    if (c.contains("error")) {
      const json& want = c["error"];
      INFO("message: " << message);
      CHECK(kind == want["kind"].get<std::string>());
      const std::string pattern = want.value("native_message", want.value("message", ""));
      CHECK(std::regex_search(message, std::regex(pattern)));
    } else {
      INFO("error: " << message);
      REQUIRE(kind.empty());
      for (const auto& [key, v] : c["ok"].items()) {
        INFO("ok: " << key);
        if (key == "maxCount") CHECK(out.count <= v.get<std::int64_t>());
        else if (key == "minCount") CHECK(out.count >= v.get<std::int64_t>());
        else if (key == "distinct")
          CHECK(std::set<std::string>(out.ids.begin(), out.ids.end()).size() == out.ids.size());
        else if (key == "ids") CHECK(out.index_ids == v.get<std::vector<std::int32_t>>());
        else CHECK(out.catalog[key] == v);
      }
    }
    const Fixture::State now = f.snapshot();
    if (c.contains("error")) same_counters(now.before, state.after);  // a refused call counts nothing
    CHECK(now.model == state.model);
    CHECK(now.dataset == state.dataset);
    CHECK(now.list == state.list);
    CHECK(now.session_list == state.session_list);
    CHECK(now.session_size == state.session_size);
    CHECK(now.session_version == state.session_version);
    CHECK(now.index_size == state.index_size);
    CHECK(now.index_ids == state.index_ids);
    CHECK(now.index_scores == state.index_scores);
    state = now;
    ++ran;
  }
  CHECK(ran >= 30);
}
