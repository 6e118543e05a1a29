// The CLI's edge (native only, like the CLI): .gz files through zlib, requests and session events
// read from JSON, recommendations written as JSON in the JS API's shape.
#include <catch2/catch.hpp>

#include <cstdio>
#include <string>

#include <zlib.h>
#include <nlohmann/json.hpp>

#include "../fixture.h"
#include "cli/data_source.h"
#include "cli/request_json.h"
#include "common/check.h"

using namespace recsys;

namespace {
std::string temp_path(const std::string& name) {
  return std::string(RECSYS_TEST_TMP) + "/" + name;
}

}  // namespace

using test::kind_of;

TEST_CASE("cli: .gz files are read through zlib; a truncated one is a clear error", "[cli][io]") {
  cli::make_dirs(RECSYS_TEST_TMP);
  std::string text;
  for (int i = 0; i < 20000; ++i) text += "line " + std::to_string(i) + ",é\n";
  const std::string gz = temp_path("cli_test.csv.gz");
  gzFile f = gzopen(gz.c_str(), "wb");
  REQUIRE(f != nullptr);
  REQUIRE(gzwrite(f, text.data(), static_cast<unsigned>(text.size())) ==
          static_cast<int>(text.size()));
  REQUIRE(gzclose(f) == Z_OK);
  const std::string packed = cli::read_file(gz.substr(0, gz.size() - 3) + ".gz");
  CHECK(packed == text);
  // Cut the compressed file in half: zlib reports the unexpected end.
  std::string bytes;
  {
    std::FILE* in = std::fopen(gz.c_str(), "rb");
    REQUIRE(in != nullptr);
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, in)) > 0) bytes.append(buf, n);
    std::fclose(in);
  }
  const std::string cut = temp_path("cli_cut.csv.gz");
  cli::write_file(cut, bytes.substr(0, bytes.size() / 2));
  CHECK_THROWS_WITH(cli::read_file(cut), Catch::Contains("cli_cut.csv.gz: not a valid gzip file"));
  CHECK(kind_of([&] { cli::read_file(cut); }) == ErrorKind::Format);
  CHECK(kind_of([&] { cli::read_file(temp_path("no_such_file.gz")); }) == ErrorKind::NotFound);
  std::remove(gz.c_str());
  std::remove(cut.c_str());
}

TEST_CASE("cli: requests and events from JSON, recommendations to JSON", "[cli][serving]") {
  const auto& fx = test::default_fixture();
  const Recommender rec(fx.model, fx.shop.data);
  const RecommendRequest r = cli::request_from_json(
      R"({"userId": "user_3", "scene": "home_page", "k": 7, "diversity": 0.25, "itemId": "item_9",
          "filters": {"categories": ["a", "b"], "exclude": ["item_1"], "priceMin": 5, "priceMax": 50}})");
  CHECK(r.user_id == "user_3");
  CHECK(r.scene == "home_page");
  CHECK(r.k == 7);
  REQUIRE(r.diversity.has_value());
  CHECK(*r.diversity == 0.25);
  CHECK(r.item_id == "item_9");
  CHECK(r.categories == std::vector<std::string>{"a", "b"});
  CHECK(r.exclude == std::vector<std::string>{"item_1"});
  CHECK(r.price_min == 5);
  CHECK(r.price_max == 50);
  CHECK_FALSE(cli::request_from_json("{}").diversity.has_value());
  CHECK(kind_of([] { cli::request_from_json(R"({"userid": "x"})"); }) == ErrorKind::Type);
  CHECK(kind_of([] { cli::request_from_json(R"({"k": "10"})"); }) == ErrorKind::Type);
  CHECK(kind_of([] { cli::request_from_json(R"({"k": 1.5})"); }) == ErrorKind::Range);
  CHECK(kind_of([] { cli::request_from_json(R"({"filters": {"colour": []}})"); }) ==
        ErrorKind::Type);
  CHECK(kind_of([] { cli::request_from_json(R"({"k": )"); }) == ErrorKind::Format);
  // Events: all or nothing.
  Session s = rec.create_session("");
  cli::track_events_json(rec, s, R"([{"itemId": "item_4", "event": "view", "timestamp": 10},
                                     {"itemId": "item_5", "event": "add_to_cart"}])");
  REQUIRE(s.events().size() == 2);
  CHECK(s.events()[1].timestamp == 10);
  CHECK(s.cart() == std::vector<std::int32_t>{rec.item_index("item_5")});
  CHECK_THROWS_WITH(cli::track_events_json(rec, s, R"([{"itemId": "item_6", "event": "view"},
                                                       {"itemId": "nope", "event": "view"}])"),
                    Catch::Contains("unknown item 'nope'"));
  CHECK(s.events().size() == 2);
  // The JSON list names every field the JS API returns.
  RecommendRequest req;
  req.user_id = "user_3";
  req.k = 5;
  Recommender served(fx.model, fx.shop.data);
  const auto list = served.recommend(req);
  const auto j = nlohmann::json::parse(cli::recommendations_json(served, list));
  REQUIRE(j.size() == 5);
  for (std::size_t i = 0; i < j.size(); ++i) {
    CHECK(j[i]["id"] == served.item_id(list[i].item));
    CHECK(j[i]["rank"] == i + 1);
    CHECK(j[i]["score"].get<float>() == list[i].score());
    for (const char* key : {"title", "category", "brand", "price"}) CHECK(j[i].contains(key));
    CHECK(j[i]["explanation"]["source"] == list[i].explanation.sources.label());
    CHECK_FALSE(j[i]["explanation"].contains("pClick"));  // no ranker here
  }
}
