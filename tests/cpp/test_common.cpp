// RNG known answers, deterministic math against libm, distribution moments, vocabulary, JSON
// options.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#include "common/check.h"
#include "common/detmath.h"
#include "common/hash.h"
#include "common/rng.h"
#include "common/sort.h"
#include "data/json_options.h"
#include "data/vocabulary.h"

using namespace recsys;

TEST_CASE("PCG32 matches the reference pcg32_srandom_r(42, 54) sequence", "[rng]") {
  // Values printed by the reference pcg32-demo (pcg-random.org, "Round 1").
  Rng r = Rng::pcg32(42u, 54u);
  const std::uint32_t expected[] = {0xa15c02b7, 0x7b47f409, 0xba1d3330,
                                    0x83d2f293, 0xbfa4784b, 0xcbed606e};
  for (std::uint32_t e : expected) CHECK(r.next_u32() == e);
}

TEST_CASE("splitmix64 matches the reference sequence for seed 1234567", "[rng]") {
  std::uint64_t s = 1234567;
  CHECK(splitmix64(s) == 6457827717110365317ULL);
  CHECK(splitmix64(s) == 3203168211198807973ULL);
  CHECK(splitmix64(s) == 9817491932198370423ULL);
}

TEST_CASE("Rng streams: same seed repeats, other seed or stream differs", "[rng]") {
  Rng a(7, 1), b(7, 1), c(8, 1), d(7, 2);
  const auto x = a.next_u64();
  CHECK(x == b.next_u64());
  CHECK(x != c.next_u64());
  CHECK(x != d.next_u64());
}

TEST_CASE("detmath log and exp agree with libm to 1e-15 relative", "[detmath]") {
  Rng r(1);
  double worst_log = 0, worst_exp = 0;
  for (int i = 0; i < 20000; ++i) {
    const double x = std::exp(r.uniform(-700, 700));
    worst_log = std::max(worst_log, std::fabs(detmath::log(x) - std::log(x)) /
                                        std::max(1.0, std::fabs(std::log(x))));
    const double y = r.uniform(-700, 700);
    worst_exp = std::max(worst_exp, std::fabs(detmath::exp(y) - std::exp(y)) / std::exp(y));
  }
  CHECK(worst_log < 1e-15);
  CHECK(worst_exp < 2e-15);
  CHECK(detmath::log(1.0) == 0.0);
  CHECK(detmath::exp(0.0) == 1.0);
  CHECK(std::isinf(detmath::exp(1000)));
  CHECK(detmath::exp(-1000) == 0.0);
  CHECK(std::isnan(detmath::log(-1)));
  CHECK(detmath::sigmoid(0) == 0.5);
  CHECK(detmath::sigmoid(-800) >= 0.0);
  CHECK(detmath::sigmoid(800) == 1.0);
}

TEST_CASE("distributions have the right moments", "[rng]") {
  Rng r(123);
  const int n = 200000;
  double s = 0, s2 = 0, e = 0, g = 0, u = 0;
  for (int i = 0; i < n; ++i) {
    const double z = r.normal();
    s += z;
    s2 += z * z;
    e += r.exponential(3.0);
    g += r.gamma(0.5);
    u += r.uniform();
  }
  CHECK(s / n == Approx(0).margin(0.01));
  CHECK(s2 / n == Approx(1).epsilon(0.01));
  CHECK(e / n == Approx(3).epsilon(0.02));
  CHECK(g / n == Approx(0.5).epsilon(0.02));
  CHECK(u / n == Approx(0.5).epsilon(0.01));
  double g3 = 0;
  for (int i = 0; i < 50000; ++i) g3 += r.gamma(3.0);
  CHECK(g3 / 50000 == Approx(3).epsilon(0.02));
}

TEST_CASE("below() is unbiased and categorical() follows its weights", "[rng]") {
  Rng r(5);
  std::vector<int> count(3, 0);
  for (int i = 0; i < 90000; ++i) ++count[r.below(3)];
  for (int c : count) CHECK(c == Approx(30000).epsilon(0.03));
  std::vector<double> w{1, 0, 3};
  std::vector<int> hits(3, 0);
  for (int i = 0; i < 40000; ++i) ++hits[r.categorical(w)];
  CHECK(hits[1] == 0);
  CHECK(hits[2] / double(hits[0]) == Approx(3).epsilon(0.05));
  std::vector<double> cdf{1, 1, 4};
  std::vector<int> hc(3, 0);
  for (int i = 0; i < 40000; ++i) ++hc[r.from_cdf(cdf)];
  CHECK(hc[1] == 0);
  CHECK(hc[2] / double(hc[0]) == Approx(3).epsilon(0.05));
  CHECK_THROWS_WITH(r.below(0), Catch::Contains("n must be positive"));
  CHECK_THROWS_WITH(r.categorical({0, 0}), Catch::Contains("positive sum"));
}

TEST_CASE("FNV-1a of a 64-bit value equals FNV-1a of its 8 little-endian bytes", "[hash]") {
  // u64() hashes the zero bytes above the highest non-zero one as one power of the prime.
  std::vector<std::uint64_t> values = {0,
                                       1,
                                       0xff,
                                       0x100,
                                       0xffff,
                                       0x10000,
                                       0x8000000000000000ull,
                                       0x0100000000000000ull,
                                       0x00ff00ff00ff00ffull,
                                       ~0ull,
                                       static_cast<std::uint64_t>(std::int64_t{-1}),
                                       static_cast<std::uint64_t>(std::int64_t{-12345})};
  Rng rng(3);
  for (int i = 0; i < 64; ++i) values.push_back(rng.next_u64() >> i);  // every width
  // The published FNV-1a 64 of the empty input and of "a".
  CHECK(Fnv1a().value() == 0xcbf29ce484222325ULL);
  Fnv1a a;
  a.bytes("a", 1);
  CHECK(a.value() == 0xaf63dc4c8601ec8cULL);
  for (std::uint64_t v : values) {
    unsigned char b[8];
    for (int k = 0; k < 8; ++k) b[k] = static_cast<unsigned char>(v >> (8 * k));
    Fnv1a by_value, by_bytes;
    by_value.u64(0x1234);  // from a state other than the basis too
    by_bytes.u64(0x1234);
    by_value.u64(v);
    by_bytes.bytes(b, 8);
    INFO("value " << v);
    CHECK(by_value.value() == by_bytes.value());
  }
}

TEST_CASE("sort_indices and stable_order agree with std::sort and std::stable_sort", "[sort]") {
  recsys::Rng rng(7);
  for (int n : {0, 1, 2, 5, 17, 31, 100, 1000}) {
    std::vector<int> key(static_cast<std::size_t>(n));
    for (auto& k : key) k = static_cast<int>(rng.below(7));  // many ties
    const auto by_key = [&key](std::size_t a, std::size_t b) { return key[a] > key[b]; };
    std::vector<std::size_t> expect(key.size());
    for (std::size_t i = 0; i < expect.size(); ++i) expect[i] = i;
    std::stable_sort(expect.begin(), expect.end(), by_key);
    CHECK(recsys::stable_order(key.size(), by_key) == expect);
    // A total order (ties broken by the index) through sort_indices: the same unique order.
    std::vector<std::size_t> order(key.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = order.size() - 1 - i;
    recsys::sort_indices(order, [&](std::size_t a, std::size_t b) {
      return by_key(a, b) || (key[a] == key[b] && a < b);
    });
    CHECK(order == expect);
    // The keys in that order, and the two best by key (ties by the lower index).
    const std::vector<int> sorted = recsys::in_order(key.data(), order);
    for (std::size_t i = 0; i < sorted.size(); ++i) CHECK(sorted[i] == key[expect[i]]);
    if (n >= 2)
      CHECK(recsys::best_indices(key.size(), 2, [&](std::size_t a, std::size_t b) {
              return by_key(a, b) || (key[a] == key[b] && a < b);
            }) == std::vector<std::size_t>(expect.begin(), expect.begin() + 2));
  }
}

TEST_CASE("Vocabulary maps tokens to dense indices and back", "[vocabulary]") {
  Vocabulary v;
  CHECK(v.add("b") == 0);
  CHECK(v.add("a") == 1);
  CHECK(v.add("b") == 0);
  CHECK(v.size() == 2);
  CHECK(v.find("a") == 1);
  CHECK(v.find("zzz") == -1);
  CHECK(v.token(1) == "a");
  CHECK_THROWS_WITH(v.token(2), Catch::Contains("out of range"));
  CHECK_THROWS_WITH(v.at("zzz", "item id"), Catch::Contains("unknown item id 'zzz'"));
  CHECK_THROWS_WITH(Vocabulary({"x", "y", "x"}), Catch::Contains("duplicate token 'x'"));
}

TEST_CASE("JSON options: values are read with errors that name what, the key and the value",
          "[common][json]") {
  CHECK_THROWS_WITH(parse_json_object("{", "demo options"),
                    Catch::StartsWith("demo options: invalid JSON: "));
  CHECK_THROWS_WITH(parse_json_object("[1]", "demo options"),
                    "demo options: expected a JSON object, got [1]");
  const Json j = parse_json_object(
      R"({"s": "x", "b": true, "n": 2.5, "i": 7, "t": "2021-01-02", "ts": 86400, "l": ["a", "b"]})",
      "demo options");
  auto field = [&](const char* k) { return JsonField("demo options", k, j[k]); };
  CHECK(field("s").string() == "x");
  CHECK(field("b").boolean());
  CHECK(field("n").number() == 2.5);
  CHECK(field("i").integer(7) == 7);
  CHECK(field("t").time() == 18629 * 86400LL);  // days from 1970-01-01 to 2021-01-02
  CHECK(field("ts").time() == 86400);
  CHECK(field("l").strings() == std::vector<std::string>{"a", "b"});
  CHECK_THROWS_WITH(field("n").string(), "demo options: 'n' must be a string, got 2.5");
  CHECK_THROWS_WITH(field("s").boolean(), "demo options: 's' must be true or false, got \"x\"");
  CHECK_THROWS_WITH(field("s").number(), "demo options: 's' must be a number, got \"x\"");
  CHECK_THROWS_WITH(field("i").integer(8), "demo options: 'i' must be an integer >= 8, got 7");
  CHECK_THROWS_WITH(field("n").integer(0), "demo options: 'n' must be an integer >= 0, got 2.5");
  CHECK_THROWS_WITH(field("s").time(),
                    "demo options: 's' must be a date (YYYY-MM-DD) or seconds, got \"x\"");
  CHECK_THROWS_WITH(field("s").strings(),
                    "demo options: 's' must be an array of strings, got \"x\"");
  CHECK_THROWS_WITH(field("s").unknown(), "demo options: unknown key 's'");
  std::vector<std::string> keys;
  for_each_json_field(R"({"z": 1, "a": 2})", "demo options",
                      [&](const JsonField& f) { keys.push_back(f.key()); });
  CHECK(keys == std::vector<std::string>{"a", "z"});  // Json keeps keys sorted, as nlohmann::json
}
