// Decimal text <-> doubles (common/decimal.h) against the C library's strtod and printf, and our
// JSON reader and writer (data/json_text.h) against nlohmann_json's parse() and dump(): the same
// values, bit for bit, the same text, byte for byte, the same documents refused.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "common/decimal.h"
#include "common/rng.h"
#include "data/json_text.h"
#include "json_nlohmann.h"
#include "retrieval/two_tower_config.h"

using namespace recsys;
using json = nlohmann::json;

namespace {

std::uint64_t bits_of(double v) {
  std::uint64_t b;
  std::memcpy(&b, &v, sizeof b);
  return b;
}

double double_of(std::uint64_t b) {
  double v;
  std::memcpy(&v, &b, sizeof v);
  return v;
}

// Our parse against strtod, bit for bit (both read the same decimal syntax).
bool agrees_with_strtod(const std::string& text) {
  double ours = 12345;
  if (!parse_decimal(text, ours)) return false;
  char* end = nullptr;
  const double ref = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size()) return false;
  return bits_of(ours) == bits_of(ref);
}

std::string printf_g(int precision, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", precision, v);
  return buf;
}

// The shortest "%.<p>g" text that strtod reads back as v (what format_double wrote before).
std::string shortest_by_printf(double v) {
  for (int p = 1; p <= 17; ++p) {
    const std::string s = printf_g(p, v);
    if (std::strtod(s.c_str(), nullptr) == v) return s;
  }
  return printf_g(17, v);
}

// The same value and the same types throughout (== alone takes unsigned 5 for integer 5).
bool same(const json& a, const json& b) {
  if (a.type() != b.type()) return false;
  if (a.is_number_float()) return bits_of(a.get<double>()) == bits_of(b.get<double>());
  if (a.is_array()) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
      if (!same(a[i], b[i])) return false;
    return true;
  }
  if (a.is_object()) {
    if (a.size() != b.size()) return false;
    for (auto it = a.begin(), jt = b.begin(); it != a.end(); ++it, ++jt)
      if (it.key() != jt.key() || !same(it.value(), jt.value())) return false;
    return true;
  }
  return a == b;
}

enum class Outcome { Value, ParseError, OutOfRange, Other };

Outcome read_ours(const std::string& text, Json& out) {
  try {
    out = parse_json_text(text);
    return Outcome::Value;
  } catch (const JsonError& e) {
    return e.id == 101 ? Outcome::ParseError : e.id == 406 ? Outcome::OutOfRange : Outcome::Other;
  } catch (...) {
    return Outcome::Other;
  }
}

Outcome read_nlohmann(const std::string& text, json& out) {
  try {
    out = json::parse(text);
    return Outcome::Value;
  } catch (const json::parse_error&) {
    return Outcome::ParseError;
  } catch (const json::out_of_range&) {
    return Outcome::OutOfRange;
  } catch (...) {
    return Outcome::Other;
  }
}

// Both readers accept text or both refuse it (with the same kind of exception); when accepted,
// the same value (and the same again after a round trip through nlohmann_json's DOM), and our
// writer writes what dump() writes.
void check_like_nlohmann(const std::string& text) {
  INFO("text: " << text);
  Json a;
  json b;
  const Outcome ours = read_ours(text, a);
  const Outcome ref = read_nlohmann(text, b);
  REQUIRE(ours == ref);
  if (ours == Outcome::Value) {
    CHECK(same(to_nlohmann(a), b));
    CHECK(same(to_nlohmann(from_nlohmann(b)), b));
    CHECK(json_text(a) == b.dump());
  }
}

}  // namespace

TEST_CASE("parse_decimal reads decimal text as strtod does, bit for bit", "[decimal]") {
  for (const char* t :
       {"0", "-0", "+0", "0.0", "1", "-1", "0.1", "1.", ".5", "+1.5", "00012.500", "1e5", "1E-5",
        "1e+5", "123456789012345678901234567890", "9007199254740993", "1.7976931348623157e308",
        "1.7976931348623158e308", "1.7976931348623159e308", "2e308", "1e400", "-1e400",
        "4.9406564584124654e-324", "2.4703282292062327e-324", "2.4703282292062328e-324", "1e-400",
        "2.2250738585072011e-308", "2.2250738585072012e-308", "123e25",
        "0.000000000000000000000000000000001", "1e-22", "1e22", "1e23", "8.98846567431158e307",
        "1e00000000000000000000000001",
        // Ties below a power of two (the gap below is half the gap above) and
        // halfway above the largest double.
        "9007199254740991.5", "0.999999999999999944488848768742172978818416595458984375",
        "179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017"
        "977"
        "587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854"
        "845"
        "817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711"
        "559"
        "699508093042880177904174497792",
        "1e-99999999999999999999", "0e999999"}) {
    INFO(t);
    CHECK(agrees_with_strtod(t));
  }
  double keep = 7;
  for (const char* t : {"", "+", "-", ".", "e5", "1e", "1e+", "0x10", "inf", "nan", " 1", "1 ",
                        "1.2.3", "--1", "1e5.5", "1,5", "١"}) {
    INFO(t);
    CHECK_FALSE(parse_decimal(t, keep));
    CHECK(keep == 7);
  }

  Rng rng = Rng::pcg32(2026u, 12u);
  int failures = 0;
  // Every finite double, written with every precision from 1 to 17 digits and exactly.
  for (int i = 0; i < 20000; ++i) {
    const double v = double_of((std::uint64_t{rng.next_u32()} << 32 | rng.next_u32()) &
                               ~(std::uint64_t{1} << 63));
    if (!std::isfinite(v)) continue;
    const int p = 1 + static_cast<int>(rng.next_u32() % 17);
    if (!agrees_with_strtod(printf_g(p, v))) ++failures;
    if (!agrees_with_strtod(printf_g(17, v))) ++failures;
  }
  // Random digit strings of up to 40 digits, exponents across the whole range and beyond.
  for (int i = 0; i < 20000; ++i) {
    std::string s;
    if (rng.next_u32() % 2) s += '-';
    const int digits = 1 + static_cast<int>(rng.next_u32() % 40);
    const int point = static_cast<int>(rng.next_u32() % static_cast<std::uint32_t>(digits + 1));
    for (int d = 0; d < digits; ++d) {
      if (d == point) s += '.';
      s += static_cast<char>('0' + rng.next_u32() % 10);
    }
    s += 'e' + std::to_string(static_cast<int>(rng.next_u32() % 720) - 360);
    if (!agrees_with_strtod(s)) {
      ++failures;
      UNSCOPED_INFO("differs: " << s);
    }
  }
  CHECK(failures == 0);
}

TEST_CASE("parse_decimal rounds halfway cases to even, and reads past 800 digits", "[decimal]") {
  // The exact decimal expansions of the points halfway between neighbouring doubles (normal and
  // subnormal), and of those points plus or minus a little: ties to even, the rest to nearest.
  Rng rng = Rng::pcg32(7u, 3u);
  int failures = 0;
  std::vector<std::string> cases;
  for (int i = 0; i < 400; ++i) {
    std::uint64_t b =
        (std::uint64_t{rng.next_u32()} << 32 | rng.next_u32()) & ~(std::uint64_t{1} << 63);
    if (i % 4 == 0) b &= (std::uint64_t{1} << 52) - 1;     // subnormal
    if (i % 4 == 1) b &= ~((std::uint64_t{1} << 52) - 1);  // a power of two: the gap below is half
    const double lo = double_of(b);
    if (!std::isfinite(lo) || !std::isfinite(std::nextafter(lo, INFINITY))) continue;
    // midpoint = lo + (next - lo) / 2, exact as a long double (at least 64 bits of mantissa).
    const long double mid = static_cast<long double>(lo) +
                            (static_cast<long double>(std::nextafter(lo, INFINITY)) - lo) / 2;
    char buf[1200];
    std::snprintf(buf, sizeof buf, "%.1100Le", mid);  // exact: every digit of a binary fraction
    std::string exact(buf);
    // Trim trailing zeros of the mantissa.
    const auto e = exact.find('e');
    std::string mant = exact.substr(0, e), ex = exact.substr(e);
    while (mant.back() == '0') mant.pop_back();
    cases.push_back(mant + ex);
    // A hair above: a 1 far beyond the 800th digit.
    cases.push_back(mant + std::string(900, '0') + "1" + ex);
    // A hair below: the last digit one less, followed by nines.
    std::string below = mant;
    std::size_t k = below.size() - 1;
    while (below[k] == '0' || below[k] == '.') --k;
    below[k] = static_cast<char>(below[k] - 1);
    cases.push_back(below + "999999999" + ex);
  }
  for (const auto& c : cases)
    if (!agrees_with_strtod(c)) {
      ++failures;
      UNSCOPED_INFO("differs: " << c.substr(0, 60) << "... (" << c.size() << " chars)");
    }
  CHECK(failures == 0);
}

TEST_CASE("format_shortest writes the shortest text that reads back, as %g", "[decimal]") {
  CHECK(format_shortest(0.1) == "0.1");
  CHECK(format_shortest(49.99) == "49.99");
  CHECK(format_shortest(100.0) == "1e+02");
  CHECK(format_shortest(123456.0) == "123456");
  CHECK(format_shortest(1.5e-7) == "1.5e-07");
  CHECK(format_shortest(0.0001) == "0.0001");
  CHECK(format_shortest(1e21) == "1e+21");
  CHECK(format_shortest(1e-300) == "1e-300");
  CHECK(format_shortest(-2.5) == "-2.5");
  CHECK(format_shortest(0.0) == "0");
  CHECK(format_shortest(-0.0) == "-0");
  CHECK(format_shortest(INFINITY) == "inf");
  CHECK(format_shortest(-INFINITY) == "-inf");
  CHECK(format_shortest(std::nan("")) == "nan");
  CHECK(format_shortest(-std::nan("")) == "-nan");
  CHECK(format_shortest(0.1f) == "0.1");
  CHECK(format_shortest(16777216.0f) == "16777216");
  CHECK(format_readable(50.0) == "50");
  CHECK(format_readable(123456789.0) == "123456789");
  CHECK(format_readable(1.5e9) == "1.5e+09");
  CHECK(format_readable(0.0001) == "0.0001");
  CHECK(format_readable(1e-5) == "1e-05");
  CHECK(format_readable(0.1f) == "0.1");
  CHECK(format_readable(-3.25) == "-3.25");
  CHECK(float_as_double(0.05f) == 0.05);
  CHECK(float_as_double(-0.3f) == -0.3);

  Rng rng = Rng::pcg32(99u, 1u);
  int wrong = 0, longer = 0, n = 0;
  for (int i = 0; i < 20000; ++i) {
    const double v = double_of(std::uint64_t{rng.next_u32()} << 32 | rng.next_u32());
    if (!std::isfinite(v)) continue;
    ++n;
    const std::string ours = format_shortest(v);
    double back = 0;
    if (!parse_decimal(ours, back) || bits_of(back) != bits_of(v)) ++wrong;
    const std::string ref = shortest_by_printf(v);
    // Grisu2 is not always the shortest: for a value of 15 or 16 digits it may write 17, which
    // read back as the same value.
    if (ours != ref && ours.size() > ref.size()) ++longer;
  }
  CHECK(wrong == 0);
  CHECK(longer * 200 < n);  // under 0.5 % (measured: 121 of 199,910 random doubles, 0.06 %)
  for (int i = 0; i < 20000; ++i) {
    float f;
    const std::uint32_t b = rng.next_u32();
    std::memcpy(&f, &b, sizeof f);
    if (!std::isfinite(f)) continue;
    const std::string s = format_shortest(f);
    if (std::strtof(s.c_str(), nullptr) != f) ++wrong;
    const double d = float_as_double(f);
    if (static_cast<float>(d) != f) ++wrong;
  }
  CHECK(wrong == 0);
}

TEST_CASE("parse_json_text reads JSON as nlohmann_json does; json_text writes what dump() writes",
          "[json]") {
  for (const char* t :
       {"0", "-0", "1", "-1", "18446744073709551615", "18446744073709551616",
        "-9223372036854775808", "-9223372036854775809", "1.5", "-0.0", "1e2", "1E-2", "0.1",
        "123456789.123456789", "3.141592653589793238462643383279", "1e308", "1e-320", "true",
        "false", "null", "\"\"", "\"abc\"", "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"",
        "\"\\u0000\\u001f\\u007f\\u00e9\\u20ac\"", "\"\\ud83d\\ude00\"",
        "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"", "[]", "{}", "[[[]]]",
        " \t\r\n[ 1 , 2 ,\n3 ] \n", "{\"b\":1,\"a\":[true,null,{\"c\":\"d\"}]}",
        "{\"a\":1,\"a\":2}", "\xef\xbb\xbf{\"bom\":1}", "{\"\":\"\"}",
        "[1e-7,1e21,1e22,0.5,100.0,2.5e-5]",
        "{\"items\":[{\"id\":\"item_1\",\"price\":49.99},{\"id\":\"item_2\",\"price\":1e+02}]}",
        // Refused by both (but DEL, 0x7f: only bytes below 0x20 must be escaped).
        "", " ", "{", "}", "[1,]", "{\"a\":1,}", "01", "-01", "1.", ".5", "-", "+1", "1e", "1e+",
        "tru", "nul", "falsey", "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\u12g4\"", "\"\\ud800\"",
        "\"\\ud800x\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "\"a\x01\"", "\"\x7f\"", "\"\xff\"",
        "\"\xc3\x28\"", "\"\xed\xa0\x80\"", "\"\xc0\xaf\"", "\"\xf4\x90\x80\x80\"", "[1] 2",
        "1e999", "-1e999", "\xef\xbb", "\xef\xbb\xbf", "{1:2}", "[1 2]", "{\"a\" 1}", "{\"a\":}",
        "NaN", "Infinity", "[", "[1", "{\"a\"", "{\"a\":1", "//c\n1", "/*c*/1", "'a'", "[1]]",
        "{}{}"}) {
    check_like_nlohmann(t);
  }
  // Deep nesting: 512 levels are read, deeper is refused (nlohmann_json has no limit).
  CHECK_NOTHROW(parse_json_text(std::string(512, '[') + std::string(512, ']')));
  CHECK_THROWS_AS(parse_json_text(std::string(513, '[') + std::string(513, ']')), JsonError);
  CHECK_THROWS_WITH(parse_json_text("{\"a\":\n tru}"), Catch::Contains("line 2"));

  // Doubles written as dump() writes them, and read back to the same bits.
  Rng rng = Rng::pcg32(5u, 8u);
  int differ = 0;
  for (int i = 0; i < 20000; ++i) {
    const double v = double_of(std::uint64_t{rng.next_u32()} << 32 | rng.next_u32());
    const json j(v);
    if (json_text(Json(v)) != j.dump()) ++differ;
    if (std::isfinite(v) &&
        bits_of(parse_json_text(json_text(Json(v))).get<double>()) != bits_of(v))
      ++differ;
  }
  CHECK(differ == 0);
  // Strings that are not UTF-8 are refused, as by dump(), with its message.
  for (const char* bad : {"a\xff", "ab\xc3\x28", "ab\xc3", "\xe0\x80\x80", "\xed\xa0\x80x",
                          "\xf4\x90\x80\x80", "\xf0\x9f\x98", "ok\x80", "\xc0\xaf", "\xe2\x82"}) {
    INFO(bad);
    std::string expected = "(dump() accepted it)";
    try {
      (void)json(bad).dump();
    } catch (const json::type_error& e) {
      expected = e.what();
    }
    CHECK_THROWS_WITH(json_text(Json(bad)), expected);
  }

  // Mutations of a document: one to three bytes replaced, inserted or deleted. Both readers must
  // accept the same ones, read the same values and refuse the rest.
  const std::string base =
      "{\"a\":[1,-2,3.5e-3,true,false,null],\"b\":{\"c\":\"d\\u00e9\\n\",\"e\":[]},\"f\":1.0E+2,"
      "\"g\":\"\xc3\xa9\",\"h\":-0.0,\"i\":12345678901234567890}";
  const std::string alphabet = "{}[],:\"\\-+.eE0123456789tfnul \n\xc3\xa9\x01u";
  for (int i = 0; i < 20000; ++i) {
    std::string t = base;
    const int edits = 1 + static_cast<int>(rng.next_u32() % 3);
    for (int k = 0; k < edits && !t.empty(); ++k) {
      const std::size_t at = rng.next_u32() % t.size();
      const char c = alphabet[rng.next_u32() % alphabet.size()];
      switch (rng.next_u32() % 3) {
        case 0:
          t[at] = c;
          break;
        case 1:
          t.insert(at, 1, c);
          break;
        default:
          t.erase(at, 1);
      }
    }
    check_like_nlohmann(t);
  }
}

TEST_CASE("JsonObject writes what json_text writes for the same nlohmann_json object", "[json]") {
  SECTION("every kind of member, keys in byte order, a key added again replaced") {
    JsonObject o;
    o.add("zeta", std::string("z\"\\\n\x01\xc3\xa9"))
        .add("alpha", 1)
        .add("Beta", std::int64_t{-9007199254740993})
        .add("u", std::uint64_t{18446744073709551615u})
        .add("size", std::size_t{7})
        .add("flag", true)
        .add("off", false)
        .add("half", 0.5)
        .add("tenth", 0.1)
        .add("one", 1.0)
        .add("big", 1e20)
        .add("tiny", -4.9e-324)
        .add("inf", std::numeric_limits<double>::infinity())
        .add("nan", std::nan(""))
        .add("ints", std::vector<int>{3, -1, 0})
        .add("none", std::vector<int>{})
        .add("words", std::vector<std::string>{"a", "b\tc"})
        .add("doubles", std::vector<double>{0.5, 1e20, -0.0, 0.1})
        .add("text", "plain")
        .add("alpha", 2)
        .add("nested", JsonObject().add("y", 1).add("x", "2"))
        .add_text("raw", "{\"k\":[1,2]}");
    json j{{"zeta", "z\"\\\n\x01\xc3\xa9"},
           {"alpha", 2},
           {"Beta", std::int64_t{-9007199254740993}},
           {"u", std::uint64_t{18446744073709551615u}},
           {"size", std::size_t{7}},
           {"flag", true},
           {"off", false},
           {"half", 0.5},
           {"tenth", 0.1},
           {"one", 1.0},
           {"big", 1e20},
           {"tiny", -4.9e-324},
           {"inf", std::numeric_limits<double>::infinity()},
           {"nan", std::nan("")},
           {"ints", std::vector<int>{3, -1, 0}},
           {"none", std::vector<int>{}},
           {"words", std::vector<std::string>{"a", "b\tc"}},
           {"doubles", std::vector<double>{0.5, 1e20, -0.0, 0.1}},
           {"text", "plain"},
           {"nested", {{"y", 1}, {"x", "2"}}},
           {"raw", {{"k", {1, 2}}}}};
    CHECK(o.text() == json_text(j));
    CHECK(o.text() == j.dump());
    CHECK(JsonObject().text() == "{}");
  }
  SECTION("random objects") {
    Rng rng = Rng::pcg32(11u, 3u);
    for (int n = 0; n < 2000; ++n) {
      JsonObject o;
      json j = json::object();
      const int members = static_cast<int>(rng.next_u32() % 8);
      for (int m = 0; m < members; ++m) {
        std::string key(1 + rng.next_u32() % 3, 'a');
        for (char& c : key) c = static_cast<char>('A' + rng.next_u32() % 60);
        switch (rng.next_u32() % 4) {
          case 0: {
            const auto v = static_cast<std::int64_t>(rng.next_u64());
            o.add(key, v);
            j[key] = v;
            break;
          }
          case 1: {
            std::uint64_t b = rng.next_u64();
            double v;
            std::memcpy(&v, &b, sizeof v);
            o.add(key, v);
            j[key] = v;
            break;
          }
          case 2: {
            std::string v(rng.next_u32() % 5, ' ');
            for (char& c : v) c = static_cast<char>(rng.next_u32() % 128);
            o.add(key, v);
            j[key] = v;
            break;
          }
          default: {
            const bool v = rng.next_u32() % 2;
            o.add(key, v);
            j[key] = v;
          }
        }
      }
      REQUIRE(o.text() == json_text(j));
    }
  }
  SECTION("a string that is not UTF-8 is refused as dump() refuses it") {
    JsonObject o;
    CHECK_THROWS_WITH(o.add("k", std::string("\xff")),
                      Catch::Contains("invalid UTF-8 byte at index 0: 0xFF"));
  }
}

TEST_CASE("TwoTowerConfig::to_json writes the text that its nlohmann_json object wrote", "[json]") {
  // The object as to_json built it before JsonObject: manifests written then and now are the same.
  const auto reference = [](const TwoTowerConfig& c) {
    json j{{"preset", c.preset},
           {"user_id_dim", c.user_id_dim},
           {"user_buckets", c.user_buckets},
           {"user_hashes", c.user_hashes},
           {"history_length", c.history_length},
           {"history_decay", float_as_double(c.history_decay)},
           {"history_distinct", c.history_distinct},
           {"anonymous_rate", float_as_double(c.anonymous_rate)},
           {"item_id_dim", c.item_id_dim},
           {"item_buckets", c.item_buckets},
           {"item_hashes", c.item_hashes},
           {"title_dim", c.title_dim},
           {"title_buckets", c.title_buckets},
           {"category_dim", c.category_dim},
           {"brand_dim", c.brand_dim},
           {"price_buckets", c.price_buckets},
           {"price_bucket_dim", c.price_bucket_dim},
           {"price_feature", c.price_feature},
           {"hidden", c.hidden},
           {"output_dim", c.output_dim},
           {"output_relu", c.output_relu},
           {"l2_normalize", c.l2_normalize},
           {"temperature", float_as_double(c.temperature)},
           {"log_q_correction", c.log_q_correction},
           {"mask_accidental_hits", c.mask_accidental_hits},
           {"uniform_negatives", c.uniform_negatives},
           {"embedding_optimizer", c.embedding_optimizer},
           {"batch_size", c.batch_size},
           {"learning_rate", float_as_double(c.learning_rate)},
           {"epochs", c.epochs},
           {"seed", c.seed}};
    if (c.history_encoder != "pooled") j["history_encoder"] = c.history_encoder;
    return j.dump();
  };
  TwoTowerConfig attention = TwoTowerConfig::default_preset();
  attention.history_encoder = "attention";
  attention.hidden = {256, 64};
  attention.learning_rate = 0.0031f;
  attention.seed = 18446744073709551615u;
  for (const TwoTowerConfig& c :
       {TwoTowerConfig::default_preset(), TwoTowerConfig::seed_preset(), attention})
    CHECK(c.to_json() == reference(c));
}

TEST_CASE("Json reads as nlohmann_json's DOM: kinds, conversions, lookups and their errors",
          "[json]") {
  const std::string text =
      R"({"s":"x","b":true,"i":-7,"u":7,"f":2.5,"n":null,"a":[1,"two",3.5],"o":{"z":1,"a":2},"s":"last"})";
  const Json j = parse_json_text(text);
  const json r = json::parse(text);
  // What each reads as T, or the error it throws, with the same text.
  const auto outcome = [](auto&& f) -> std::string {
    try {
      return "value " + f();
    } catch (const std::exception& e) {
      return std::string("error ") + e.what();
    }
  };
  const auto as_text = [](const auto& v) {
    if constexpr (std::is_same_v<std::decay_t<decltype(v)>, std::string>)
      return v;
    else if constexpr (std::is_same_v<std::decay_t<decltype(v)>, std::vector<double>>) {
      std::string s;
      for (double x : v) s += std::to_string(x) + ",";
      return s;
    } else
      return std::to_string(v);
  };
  for (const char* key : {"s", "b", "i", "u", "f", "n", "a", "o"}) {
    INFO(key);
    CHECK(j[key].type_name() == std::string(r[key].type_name()));
    CHECK(j[key].size() == r[key].size());
    CHECK(j[key].empty() == r[key].empty());
    CHECK(j[key].is_number_integer() == r[key].is_number_integer());
    CHECK(j[key].is_number_unsigned() == r[key].is_number_unsigned());
    CHECK(outcome([&] { return as_text(j[key].get<std::string>()); }) ==
          outcome([&] { return as_text(r[key].get<std::string>()); }));
    CHECK(outcome([&] { return as_text(j[key].get<double>()); }) ==
          outcome([&] { return as_text(r[key].get<double>()); }));
    CHECK(outcome([&] { return as_text(j[key].get<int>()); }) ==
          outcome([&] { return as_text(r[key].get<int>()); }));
    CHECK(outcome([&] { return as_text(j[key].get<bool>()); }) ==
          outcome([&] { return as_text(r[key].get<bool>()); }));
    CHECK(outcome([&] { return as_text(j[key].at("z").get<int>()); }) ==
          outcome([&] { return as_text(r[key].at("z").get<int>()); }));
    CHECK(outcome([&] { return as_text(j[key].value("z", 0)); }) ==
          outcome([&] { return as_text(r[key].value("z", 0)); }));
  }
  CHECK(outcome([&] { return as_text(j.at("missing").get<int>()); }) ==
        outcome([&] { return as_text(r.at("missing").get<int>()); }));
  CHECK(outcome([&] { return as_text(j["a"].get<std::vector<double>>()); }) ==
        outcome([&] { return as_text(r["a"].get<std::vector<double>>()); }));
  CHECK(j["s"].string() == "last");  // of repeated keys, the last
  CHECK(j.value("missing", "d") == "d");
  CHECK(j["missing"].is_null());
  // Members in key order, as nlohmann_json's std::map; iteration gives keys and values.
  std::vector<std::string> keys, ref_keys;
  for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(it.key());
  for (auto it = r.begin(); it != r.end(); ++it) ref_keys.push_back(it.key());
  CHECK(keys == ref_keys);
  CHECK(outcome([&] { return j["a"].begin().key(); }) ==
        outcome([&] { return r["a"].begin().key(); }));
  // An object built from members in any order: keys in order, the last of repeated keys; a copy
  // is deep.
  Json c = Json::object({{"m", Json(5)}, {"0", Json("zero")}, {"m", Json(6)}, {"a", j["o"]}});
  const Json d = c;
  c = Json();
  CHECK(json_text(d) == R"({"0":"zero","a":{"a":2,"z":1},"m":6})");
  CHECK(json_text(Json::object({{"k", Json::array({Json(1), Json(true), Json()})}})) ==
        R"({"k":[1,true,null]})");
  CHECK(Json(3)["k"].is_null());
  // An element of a non-array is a type error (nlohmann_json's const operator[] says 305 there).
  CHECK_THROWS_WITH(j["s"][0], "[json.exception.type_error.302] type must be array, but is string");
  CHECK(j["a"][1].string() == "two");
}
