// The manifest's fast reader (io/manifest_arrays.h): the same values as nlohmann_json's reading,
// bit for bit, or no answer at all; and a model loads the same whichever path reads its manifest.
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/rng.h"
#include "fixture.h"
#include "io/manifest_arrays.h"
#include "io/two_tower_file.h"
#include "json_nlohmann.h"

using namespace recsys;

namespace {

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// nlohmann_json's value of a number token, as get<double>() reads it.
double slow_number(const std::string& token) { return nlohmann::json::parse(token).get<double>(); }

// Every array the fast reader took must be what nlohmann_json reads from the whole text, and the
// rest must be the whole document with those arrays emptied.
void check_agrees(const std::string& text) {
  const auto split = io::split_manifest(text);
  if (!split) return;  // declined: the caller parses the whole text
  nlohmann::json whole;
  REQUIRE_NOTHROW(whole = nlohmann::json::parse(text));  // the fast reader never accepts bad JSON
  nlohmann::json rest = whole;
  const auto& a = split->arrays;
  const auto strings = [&](const auto& fast, const nlohmann::json::json_pointer& ptr) {
    REQUIRE(whole.contains(ptr));
    CHECK(*fast == whole.at(ptr).template get<std::vector<std::string>>());
    rest[ptr] = nlohmann::json::array();
  };
  const auto ints = [&](const auto& fast, const nlohmann::json::json_pointer& ptr) {
    REQUIRE(whole.contains(ptr));
    CHECK(*fast == whole.at(ptr).template get<std::vector<std::int32_t>>());
    rest[ptr] = nlohmann::json::array();
  };
  const auto doubles = [&](const auto& fast, const nlohmann::json::json_pointer& ptr) {
    REQUIRE(whole.contains(ptr));
    const auto slow = whole.at(ptr).template get<std::vector<double>>();
    REQUIRE(fast->size() == slow.size());
    for (std::size_t i = 0; i < slow.size(); ++i) CHECK(same_bits((*fast)[i], slow[i]));
    rest[ptr] = nlohmann::json::array();
  };
  using P = nlohmann::json::json_pointer;
  if (a.users) strings(a.users, P("/users"));
  if (a.item_ids) strings(a.item_ids, P("/items/ids"));
  if (a.item_title) strings(a.item_title, P("/items/title"));
  if (a.item_category) ints(a.item_category, P("/items/category"));
  if (a.item_brand) ints(a.item_brand, P("/items/brand"));
  if (a.item_price) doubles(a.item_price, P("/items/price"));
  if (a.ranking_item_counts) doubles(a.ranking_item_counts, P("/ranking/item_counts"));
  CHECK(to_nlohmann(split->rest) == rest);
}

}  // namespace

TEST_CASE("manifest fast reader: numbers convert as nlohmann_json converts them, bit for bit",
          "[io][manifest]") {
  for (const char* t : {"0", "-0", "7", "-12", "123456789012345678", "0.5", "-0.0", "34.99",
                        "110.42", "0.1", "0.30000000000000004", "999999999999999.9", "1.000000000000001",
                        "0.0000000000000000000001", "4503599627370497.5", "9007199254740993.0"}) {
    INFO("token " << t);
    const auto fast = io::fast_number(t);
    if (fast) CHECK(same_bits(*fast, slow_number(t)));
  }
  // Decimals of up to 15 digits (the fast path's grammar) from a seeded generator.
  Rng rng(2026, 12);
  for (int n = 0; n < 20000; ++n) {
    const int digits = 1 + static_cast<int>(rng.uniform() * 15);
    const int point = static_cast<int>(rng.uniform() * digits);
    std::string t = rng.uniform() < 0.3 ? "-" : "";
    std::string d;
    for (int i = 0; i < digits; ++i) d += static_cast<char>('0' + static_cast<int>(rng.uniform() * 10));
    std::string intpart = d.substr(0, digits - point);
    while (intpart.size() > 1 && intpart[0] == '0') intpart.erase(0, 1);
    t += intpart;
    if (point > 0) t += "." + d.substr(digits - point);
    INFO("token " << t);
    const auto fast = io::fast_number(t);
    REQUIRE(fast);
    CHECK(same_bits(*fast, slow_number(t)));
  }
  // Outside the grammar: no answer (the caller takes the slow path).
  for (const char* t : {"1e5", "1E-3", "01", "-", "1.", ".5", "+1", "0x10", "1.5e2", "12a",
                        "1234567890123456.5", "0.00000000000000000000001", "1234567890123456789"})
    CHECK_FALSE(io::fast_number(t));
}

TEST_CASE("manifest fast reader: a model's manifest splits into the same arrays and rest",
          "[io][manifest]") {
  const auto& fx = test::default_fixture();
  const ModelFiles files = TwoTowerFile::save(*fx.model);
  const auto split = io::split_manifest(files.manifest);
  REQUIRE(split);
  CHECK(split->arrays.users);
  CHECK(split->arrays.item_ids);
  CHECK(split->arrays.item_price);
  CHECK(split->arrays.item_category);
  CHECK(split->arrays.item_brand);
  CHECK(split->arrays.item_ids->size() == static_cast<std::size_t>(fx.model->num_items()));
  check_agrees(files.manifest);
}

TEST_CASE("manifest fast reader: unusual text is declined, and the model loads the same",
          "[io][manifest]") {
  const auto& fx = test::default_fixture();
  const ModelFiles files = TwoTowerFile::save(*fx.model);
  const std::string& m = files.manifest;
  const auto at = [&](const char* what) {
    const auto p = m.find(what);
    REQUIRE(p != std::string::npos);
    return p;
  };
  // A user id spelt with an escape, a price with an exponent, a duplicate key: each declined by
  // the fast reader and read by nlohmann_json alone, to the same model.
  std::string escaped = m;
  escaped.replace(at("\"user_1\""), 8, "\"\\u0075ser_1\"");
  std::string exponent = m;
  const auto price = m.find('[', at("\"price\"")) + 1;
  const auto comma = m.find(',', price);
  exponent.replace(price, comma - price, std::to_string(nlohmann::json::parse(m)["items"]["price"][0].get<double>() * 1000) + "e-3");
  std::string duplicate = m;
  duplicate.insert(1, "\"users\":[\"nobody\"],");
  for (const std::string* text : {&escaped, &exponent, &duplicate}) CHECK_FALSE(io::split_manifest(*text));
  const TwoTowerModel fast = TwoTowerFile::load(files.weights, m);
  const TwoTowerModel slow = TwoTowerFile::load(files.weights, escaped);
  CHECK(fast.checksum() == slow.checksum());
  CHECK(fast.checksum() == fx.model->checksum());
  // The duplicate key: nlohmann_json keeps the last value, as before.
  CHECK(TwoTowerFile::load(files.weights, duplicate).checksum() == fx.model->checksum());
}

TEST_CASE("manifest fast reader: random damage to a manifest never gives another reading",
          "[io][manifest]") {
  const auto& fx = test::default_fixture();
  const std::string m = TwoTowerFile::save(*fx.model).manifest;
  // Bytes that matter to JSON's structure and to the fast reader's grammar.
  const std::string alphabet = "[]{}\",:.-+eE0123456789 \\u\x7f\xc3\xa9x";
  Rng rng(7, 12);
  int declined = 0;
  for (int n = 0; n < 300; ++n) {
    std::string t = m;
    const int edits = 1 + static_cast<int>(rng.uniform() * 3);
    for (int e = 0; e < edits; ++e) {
      const auto p = static_cast<std::size_t>(rng.uniform() * static_cast<double>(t.size()));
      const char c = alphabet[static_cast<std::size_t>(rng.uniform() * static_cast<double>(alphabet.size()))];
      const double kind = rng.uniform();
      if (kind < 0.4) t[p] = c;
      else if (kind < 0.7) t.insert(p, 1, c);
      else t.erase(p, 1);
    }
    INFO("mutation " << n);
    declined += !io::split_manifest(t);
    check_agrees(t);
  }
  CHECK(declined > 0);  // the damage reached the reader's checks
}
