// Catalog, interactions, CSV and timestamp parsing, splits.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>

#include "common/check.h"
#include "data/catalog.h"
#include "data/csv.h"
#include "data/dataset.h"
#include "data/interactions.h"
#include "data/parse.h"
#include "data/shop_file.h"
#include "data/split.h"
#include "data/synthetic.h"

using namespace recsys;

namespace {
const char* kCatalogCsv =
    "id,title,category,brand,price,color\n"
    "a,\"Mug, large\",Kitchen,Acme,9.5,red\n"
    "b,\"The \"\"Best\"\" Book\",Books,Nordlys,12,\n"
    "c,Lamp,Home,Acme,30.25,blue\n";

Catalog small_catalog() {
  return Catalog::from_csv(kCatalogCsv, "catalog.csv");
}
}  // namespace

TEST_CASE("CSV reader handles quotes, embedded commas, newlines and CRLF", "[csv]") {
  const std::string text = "x,y\r\n\"a,b\",\"say \"\"hi\"\"\"\r\n\"multi\nline\",z\r\n\r\nlast,row";
  CsvReader r(text, "t.csv");
  std::vector<std::string> f;
  REQUIRE(r.next(f));
  CHECK(f == std::vector<std::string>{"x", "y"});
  REQUIRE(r.next(f));
  CHECK(f == std::vector<std::string>{"a,b", "say \"hi\""});
  CHECK(r.line() == 2);
  REQUIRE(r.next(f));
  CHECK(f == std::vector<std::string>{"multi\nline", "z"});
  REQUIRE(r.next(f));
  CHECK(r.line() == 6);
  CHECK(f == std::vector<std::string>{"last", "row"});
  CHECK_FALSE(r.next(f));
  CsvReader bad("a,\"open\n", "bad.csv");
  CHECK_THROWS_WITH(bad.next(f), Catch::Contains("bad.csv:1") && Catch::Contains("unterminated"));
}

TEST_CASE("timestamps parse to seconds since 1970 and format back", "[parse]") {
  std::int64_t t = 0;
  REQUIRE(try_parse_timestamp("2021-01-01", t));
  CHECK(t == 1609459200);
  REQUIRE(try_parse_timestamp("2010-12-01 08:26:00", t));
  CHECK(t == 1291191960);
  REQUIRE(try_parse_timestamp("2024-02-29T23:59:59Z", t));
  CHECK(t == 1709251199);
  REQUIRE(try_parse_timestamp("1700000000", t));
  CHECK(t == 1700000000);
  CHECK(format_timestamp(1291191960) == "2010-12-01T08:26:00Z");
  CHECK(format_timestamp(-1) == "1969-12-31T23:59:59Z");
  // Written without printf: against snprintf's "%04lld-%02u-%02uT…" for years of 1 to 5 digits and
  // negative ones, and "%016llx" for checksums.
  for (const std::int64_t year : {-1234, -1, 0, 7, 99, 1970, 2024, 9999, 10000, 12345}) {
    for (const std::int64_t second : {std::int64_t{0}, std::int64_t{86399}}) {
      const std::int64_t t = days_from_civil(year, 12, 31) * 86400 + second;
      char want[64];
      std::snprintf(want, sizeof want, "%04lld-%02u-%02uT%02d:%02d:%02dZ",
                    static_cast<long long>(year), 12u, 31u, static_cast<int>(second / 3600),
                    static_cast<int>(second / 60 % 60), static_cast<int>(second % 60));
      CHECK(format_timestamp(t) == want);
    }
  }
  for (const std::uint64_t c : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{0xabc},
                                ~std::uint64_t{0}, std::uint64_t{0x0123456789abcdefULL}}) {
    char want[32];
    std::snprintf(want, sizeof want, "%016llx", static_cast<unsigned long long>(c));
    CHECK(checksum_hex(c) == want);
  }
  CHECK_FALSE(try_parse_timestamp("2023-02-29", t));
  CHECK_FALSE(try_parse_timestamp("2021-13-01", t));
  CHECK_FALSE(try_parse_timestamp("yesterday", t));
  CHECK_FALSE(try_parse_timestamp("2021-01-01 25:00", t));
  double d = 0;
  CHECK_FALSE(try_parse_double("nan", d));
  CHECK_FALSE(try_parse_double("0x10", d));
  CHECK_FALSE(try_parse_double("1.5kg", d));
  CHECK(try_parse_double(" -2.5e1 ", d));
  CHECK(d == -25);
  CHECK(format_shortest(0.1) == "0.1");
  CHECK(format_shortest(49.99) == "49.99");
}

TEST_CASE("catalog reads CSV with quotes and extra attributes", "[catalog]") {
  const Catalog c = small_catalog();
  REQUIRE(c.size() == 3);
  CHECK(c.title(0) == "Mug, large");
  CHECK(c.title(1) == "The \"Best\" Book");
  CHECK(c.price(2) == 30.25);
  CHECK(c.categories().size() == 3);
  CHECK(c.brands().size() == 2);
  CHECK(c.brand(0) == c.brand(2));
  CHECK(c.attributes(0).at("color") == "red");
  CHECK(c.attributes(1).count("color") == 0);
  CHECK(c.find("c") == 2);
  CHECK(c.find("zz") == -1);
}

TEST_CASE("catalog round-trips through CSV and JSON", "[catalog]") {
  const Catalog c = small_catalog();
  const Catalog from_csv = Catalog::from_csv(c.to_csv());
  const Catalog from_json = Catalog::from_json(c.to_json());
  for (const Catalog* x : {&from_csv, &from_json}) {
    REQUIRE(x->size() == c.size());
    for (std::int32_t i = 0; i < c.size(); ++i) {
      const auto a = c.record(i), b = x->record(i);
      CHECK(a.id == b.id);
      CHECK(a.title == b.title);
      CHECK(a.category == b.category);
      CHECK(a.brand == b.brand);
      CHECK(a.price == b.price);
      CHECK(a.attributes == b.attributes);
    }
  }
  const Catalog j = Catalog::from_json(
      R"([{"id": 1, "title": "T", "category": "C", "brand": "B", "price": "4.5", "stock": 3}])");
  CHECK(j.id(0) == "1");
  CHECK(j.price(0) == 4.5);
  CHECK(j.attributes(0).at("stock") == "3");
}

TEST_CASE("bad catalogs are clear errors that name file, line and field", "[catalog][errors]") {
  const std::string head = "id,title,category,brand,price\n";
  CHECK_THROWS_WITH(Catalog::from_csv(head + "a,t,c,b,-3\n", "cat.csv"),
                    Catch::Contains("cat.csv:2") && Catch::Contains("field 'price'") &&
                        Catch::Contains("negative"));
  CHECK_THROWS_WITH(Catalog::from_csv(head + "a,t,c,b,1\nb,t,c,b,cheap\n", "cat.csv"),
                    Catch::Contains("cat.csv:3") && Catch::Contains("field 'price'") &&
                        Catch::Contains("'cheap'"));
  CHECK_THROWS_WITH(Catalog::from_csv(head + "a,t,c,b,1\na,t2,c,b,2\n", "cat.csv"),
                    Catch::Contains("cat.csv:3") && Catch::Contains("duplicate item id") &&
                        Catch::Contains("'a'"));
  CHECK_THROWS_WITH(Catalog::from_csv("id,title,category,price\na,t,c,1\n", "cat.csv"),
                    Catch::Contains("missing column 'brand'"));
  CHECK_THROWS_WITH(Catalog::from_csv("", "cat.csv"), Catch::Contains("cat.csv: empty file"));
  CHECK_THROWS_WITH(Catalog::from_csv(head, "cat.csv"), Catch::Contains("no items"));
  CHECK_THROWS_WITH(Catalog::from_csv(head + "a,t,c\n", "cat.csv"),
                    Catch::Contains("cat.csv:2") && Catch::Contains("expected 5 fields, found 3"));
  CHECK_THROWS_WITH(Catalog::from_json("{\"items\": [{\"id\": \"a\"}]}", "cat.json"),
                    Catch::Contains("cat.json item 1") && Catch::Contains("field 'title'"));
  CHECK_THROWS_WITH(Catalog::from_json("[{", "cat.json"), Catch::Contains("invalid JSON"));
  CHECK_THROWS_WITH(
      Catalog::from_json(R"([{"id":"a","title":"t","category":"c","brand":"b","price":[1]}])"),
      Catch::Contains("field 'price'"));
  // Nothing is half-loaded: a failed load leaves the previous catalog as it was.
  Catalog keep = small_catalog();
  CHECK_THROWS(keep = Catalog::from_csv(head + "x,t,c,b,1\ny,t,c,b,oops\n"));
  CHECK(keep.size() == 3);
  CHECK(keep.id(0) == "a");
  CHECK_THROWS_WITH(keep.add(ItemRecord{"a", "dup", "c", "b", 1, {}}),
                    Catch::Contains("duplicate item id"));
  CHECK(keep.size() == 3);
}

TEST_CASE("interactions are grouped per user in time order (CSR)", "[interactions]") {
  const Catalog c = small_catalog();
  const std::string csv =
      "user,item,event,timestamp,quantity\n"
      "u2,a,click,2021-01-03,\n"
      "u1,b,purchase,2021-01-05 10:00:00,2\n"
      "u2,c,view,2021-01-01,1\n"
      "u1,a,add_to_cart,2021-01-02,1\n"
      "u2,b,click,2021-01-03,1\n";
  const Interactions x = Interactions::from_csv(csv, c);
  REQUIRE(x.num_users() == 2);
  REQUIRE(x.size() == 5);
  CHECK(x.users().token(0) == "u2");
  const auto h = x.history(0);
  REQUIRE(h.size() == 3);
  CHECK(h[0].item == c.find("c"));
  CHECK(h[0].event == Event::View);
  CHECK(h[1].item == c.find("a"));  // tie at 2021-01-03 keeps input order
  CHECK(h[2].item == c.find("b"));
  const auto h1 = x.history(1);
  REQUIRE(h1.size() == 2);
  CHECK(h1[0].event == Event::AddToCart);
  CHECK(h1[1].quantity == 2);
  CHECK(x.offsets() == std::vector<std::int64_t>{0, 3, 5});
  const auto counts = x.event_counts();
  CHECK(counts[0] == 1);
  CHECK(counts[1] == 2);
  CHECK(counts[2] == 1);
  CHECK(counts[3] == 1);
  // JSON round trip keeps every field.
  const Interactions y = Interactions::from_json(x.to_json(c), c);
  REQUIRE(y.size() == x.size());
  for (std::int64_t i = 0; i < x.size(); ++i) {
    const auto& a = x.events()[i];
    const auto& b = y.events()[i];
    CHECK((a.user == b.user && a.item == b.item && a.timestamp == b.timestamp &&
           a.quantity == b.quantity && a.event == b.event));
  }
  const Interactions z = Interactions::from_csv(x.to_csv(c), c);
  CHECK(z.size() == x.size());
}

TEST_CASE("bad interactions are clear errors", "[interactions][errors]") {
  const Catalog c = small_catalog();
  const std::string head = "user,item,event,timestamp\n";
  CHECK_THROWS_WITH(
      Interactions::from_csv(head + "u,zz,click,2021-01-01\n", c, "x.csv"),
      Catch::Contains("x.csv:2") && Catch::Contains("field 'item'") && Catch::Contains("'zz'"));
  CHECK_THROWS_WITH(Interactions::from_csv(head + "u,a,like,2021-01-01\n", c, "x.csv"),
                    Catch::Contains("field 'event'") && Catch::Contains("'like'"));
  CHECK_THROWS_WITH(Interactions::from_csv(head + "u,a,click,soon\n", c, "x.csv"),
                    Catch::Contains("field 'timestamp'"));
  CHECK_THROWS_WITH(
      Interactions::from_csv("user,item,event,timestamp,quantity\nu,a,click,1,0\n", c, "x.csv"),
      Catch::Contains("field 'quantity'"));
  CHECK_THROWS_WITH(Interactions::from_csv("user,item,timestamp\nu,a,1\n", c, "x.csv"),
                    Catch::Contains("missing column 'event'"));
  CHECK_THROWS_WITH(
      Interactions::from_json("[{\"user\":\"u\",\"item\":\"a\",\"event\":\"click\"}]", c),
      Catch::Contains("field 'timestamp'") && Catch::Contains("missing"));
  CHECK_THROWS_WITH(Interactions(Vocabulary({"u"}), 3, {Interaction{0, 7, 0, 1, Event::Click}}),
                    Catch::Contains("field 'item'") && Catch::Contains("7"));
}

namespace {
Interactions random_log(std::int32_t users, std::int32_t items, int events_per_user) {
  Vocabulary v;
  std::vector<Interaction> ev;
  std::uint64_t s = 99;
  for (std::int32_t u = 0; u < users; ++u) {
    v.add("u" + std::to_string(u));
    for (int k = 0; k < (u % 5 == 0 ? 2 : events_per_user + u % 3); ++k) {
      s = s * 6364136223846793005ULL + 1442695040888963407ULL;
      ev.push_back(Interaction{u, static_cast<std::int32_t>((s >> 33) % items),
                               1600000000 + static_cast<std::int64_t>((s >> 20) % 5000000), 1,
                               Event::Click});
    }
  }
  return Interactions(v, items, ev);
}
}  // namespace

TEST_CASE("leave-last-out split has no leakage", "[split]") {
  const Interactions x = random_log(200, 50, 6);
  const Split s = leave_last_out(x, 1, 1);
  CHECK(s.train.size() + s.validation.size() + s.test.size() == x.size());
  std::int32_t held_out_users = 0;
  for (std::int32_t u = 0; u < x.num_users(); ++u) {
    const auto full = x.history(u), tr = s.train.history(u), va = s.validation.history(u),
               te = s.test.history(u);
    if (full.size() < 3) {
      CHECK(tr.size() == full.size());
      CHECK(va.empty());
      CHECK(te.empty());
      continue;
    }
    ++held_out_users;
    REQUIRE(te.size() == 1);
    REQUIRE(va.size() == 1);
    // The held-out events are exactly the user's last two, and nothing in train comes after.
    CHECK(te[0].timestamp == full.back().timestamp);
    CHECK(te[0].item == full.back().item);
    CHECK(va[0].item == full[full.size() - 2].item);
    for (const auto& e : tr) CHECK(e.timestamp <= va[0].timestamp);
    CHECK(va[0].timestamp <= te[0].timestamp);
  }
  CHECK(held_out_users == 160);
  CHECK_THROWS_WITH(leave_last_out(x, 1, 0), Catch::Contains("n_test"));
}

TEST_CASE("temporal split has no leakage across the cuts", "[split]") {
  const Interactions x = random_log(100, 40, 8);
  const std::int64_t v0 = 1602000000, t0 = 1603500000;
  const Split s = temporal_split(x, v0, t0);
  CHECK(s.train.size() + s.validation.size() + s.test.size() == x.size());
  REQUIRE(!s.train.empty());
  REQUIRE(!s.validation.empty());
  REQUIRE(!s.test.empty());
  CHECK(s.train.max_timestamp() < v0);
  CHECK(s.validation.min_timestamp() >= v0);
  CHECK(s.validation.max_timestamp() < t0);
  CHECK(s.test.min_timestamp() >= t0);
  const Split capped = temporal_split(x, v0, t0, t0 + 100000);
  CHECK(capped.test.max_timestamp() < t0 + 100000);
  CHECK(capped.test.size() < s.test.size());
  CHECK_THROWS_WITH(temporal_split(x, t0, v0), Catch::Contains("validation_start"));
}

TEST_CASE("valid_utf8: ASCII runs, sequences across 8-byte blocks, bad bytes anywhere",
          "[data][utf8]") {
  // Every position of a good or bad sequence within and across the 8-byte ASCII blocks.
  const std::vector<std::pair<std::string, bool>> pieces = {{"\xc3\xa9", true},
                                                            {"\xe2\x82\xac", true},
                                                            {"\xf0\x9f\x98\x80", true},
                                                            {"\x80", false},
                                                            {"\xc3", false},
                                                            {"\xc0\xaf", false},  // overlong
                                                            {"\xed\xa0\x80", false},
                                                            {"\xf4\x90\x80\x80", false},
                                                            {"\xff", false},
                                                            {std::string(1, '\0'), true},
                                                            {"\x7f", true}};
  for (const auto& [piece, good] : pieces)
    for (std::size_t before = 0; before < 20; ++before)
      for (std::size_t after : {0, 1, 7, 8, 9}) {
        const std::string s = std::string(before, 'a') + piece + std::string(after, 'b');
        INFO("piece " << display_value(piece) << " after " << before << " ASCII bytes, before "
                      << after);
        CHECK(valid_utf8(s) == good);
        // Cut inside a multi-byte sequence: not valid.
        if (good && piece.size() > 1)
          CHECK_FALSE(valid_utf8(std::string(before, 'a') + piece.substr(0, piece.size() - 1)));
      }
  CHECK(valid_utf8(""));
  CHECK(valid_utf8(std::string(1000, 'x')));
}

namespace {
// A version 2 shop file put together by hand (docs/shop-format.md), for what the writer never
// writes: the checksum is zero, so a file that reads past the checks still fails on it.
struct V2 {
  std::string b;
  V2() {
    b.assign(kShopMagic, sizeof kShopMagic);
    b += std::string("\x02\0\0\0", 4) + std::string(8, '\0');
  }
  V2& varint(std::uint64_t v) {
    for (; v >= 0x80; v >>= 7) b.push_back(static_cast<char>((v & 0x7f) | 0x80));
    b.push_back(static_cast<char>(v));
    return *this;
  }
  V2& str(const std::string& t) {
    varint(t.size());
    b += t;
    return *this;
  }
  V2& i64(std::int64_t v) {
    char c[8];
    std::memcpy(c, &v, 8);
    b.append(c, 8);
    return *this;
  }
  // A name, one category and one brand, one item "a" priced 1.0, and `users` user ids.
  V2& head(int users) {
    str("t").varint(1).str("c").varint(1).str("b");
    varint(1).str("a").str("").varint(0).varint(0);
    const double price = 1.0;
    char c[8];
    std::memcpy(c, &price, 8);
    b.append(c, 8);
    varint(0);
    varint(static_cast<std::uint64_t>(users));
    for (int u = 0; u < users; ++u) str("u" + std::to_string(u));
    return *this;
  }
};
}  // namespace

TEST_CASE("shop files: the binary form reads back as the same dataset as its CSV", "[shop]") {
  SyntheticConfig sc;
  sc.users = 40;
  sc.items = 30;
  sc.interactions = 300;
  Dataset d = generate_synthetic_shop(sc).data;
  // Attributes, non-ASCII text and an empty title travel too.
  ItemRecord extra{"sku-ü", "", "Käse", "brand ✓", 12.5, {{"colour", "red"}, {"size", "L"}}};
  Catalog cat = d.catalog;
  cat.add(extra);
  Dataset with_extra;
  with_extra.name = "shop test";
  with_extra.catalog = cat;
  with_extra.interactions =
      Interactions(d.interactions.users(), cat.size(), d.interactions.events());
  const std::string bytes = write_shop(with_extra);
  CHECK(is_shop_file(bytes));
  const Dataset back = read_shop(bytes);
  CHECK(checksum(back) == checksum(with_extra));
  CHECK(back.name == "shop test");
  CHECK(back.catalog.record(cat.size() - 1).attributes == extra.attributes);
  CHECK(back.catalog.title(cat.size() - 1).empty());
  CHECK(write_shop(back) == bytes);
  // The same data as its CSV files load.
  const Dataset csv = parse_dataset(d.catalog.to_csv(), "csv", "catalog.csv",
                                    d.interactions.to_csv(d.catalog), "csv", "interactions.csv");
  CHECK(checksum(read_shop(write_shop(csv))) == checksum(csv));

  SECTION("every truncation is a format error naming the file") {
    for (std::size_t n = 0; n < bytes.size(); n += (n < 200 ? 1 : 97)) {
      INFO("first " << n << " bytes");
      try {
        (void)read_shop(std::string_view(bytes).substr(0, n), "cut.bin");
        FAIL("a truncated file was accepted");
      } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::Format);
        CHECK_THAT(e.what(), Catch::StartsWith("cut.bin: "));
      }
    }
  }
  SECTION("magic, version, checksum, trailing bytes, counts and indices are checked") {
    auto expect = [](std::string b, const char* what) {
      CHECK_THROWS_WITH(read_shop(b, "f.bin"), Catch::Contains(what));
    };
    std::string b = bytes;
    b[0] = 'X';
    expect(b, "f.bin: not a recsys shop file (bad magic)");
    b = bytes;
    b[8] = 3;  // version 3
    expect(b, "shop format version 3 is not supported (this build reads versions 1 and 2)");
    b = bytes + "x";
    expect(b, "1 bytes after the last event");
    // The last event's time one second later, under the original checksum: only the checksum
    // can tell.
    {
      std::vector<Interaction> ev = with_extra.interactions.events();
      ++ev.back().timestamp;
      Dataset later = with_extra;
      later.interactions =
          Interactions(with_extra.interactions.users(), with_extra.catalog.size(), ev);
      b = write_shop(later);
      REQUIRE(b.size() == bytes.size());
      b.replace(12, 8, bytes.substr(12, 8));
      expect(b, "of the data read does not match the file's");
    }
    // A price changed by one bit: the checksum again. Version 2: magic, version, checksum, the
    // name, the category and brand tables, the item count, then the first item's id and title
    // (one-byte lengths here) and its category and brand indices.
    const Catalog& c = with_extra.catalog;
    std::size_t items_at = sizeof kShopMagic + 4 + 8 + 1 + with_extra.name.size() + 1;
    for (const auto& t : c.categories().tokens()) items_at += 1 + t.size();
    items_at += 1;
    for (const auto& t : c.brands().tokens()) items_at += 1 + t.size();
    const std::size_t price_at = items_at + 1 + 1 + c.id(0).size() + 1 + c.title(0).size() + 2;
    // The offsets hold while every count and length before the price takes one byte.
    REQUIRE(c.size() < 128);
    REQUIRE(c.categories().size() < 100);
    REQUIRE(c.brands().size() < 128);
    const double price0 = c.price(0);
    REQUIRE(std::memcmp(bytes.data() + price_at, &price0, 8) == 0);
    b = bytes;
    b[price_at] ^= 1;
    expect(b, "of the data read does not match the file's");
    // An absurd item count cannot allocate: it must fit the bytes that remain.
    b = bytes;
    b.replace(items_at, 1, std::string("\xff\xff\xff\xff\x07", 5));
    expect(b, "item count 2147483647 does not fit the");
    // A category index past the table, and a varint longer than 64 bits.
    b = bytes;
    b[price_at - 2] = 100;
    expect(b, "f.bin: item 0: category 100 out of range [0, ");
    b = bytes;
    b.replace(items_at, 1, std::string(10, '\xff') + '\x01');
    expect(b, "a varint longer than 64 bits");
  }
  SECTION("version 2 is under half of version 1's bytes, and version 1 files still read") {
    const std::string v1 = write_shop(with_extra, 1);
    CHECK(bytes.size() * 2 < v1.size());
    const Dataset old = read_shop(v1, "v1.bin");
    CHECK(checksum(old) == checksum(with_extra));
    CHECK(write_shop(old) == bytes);
    CHECK(write_shop(old, 1) == v1);
    std::string b = v1;
    b.back() = 9;  // the last event's type
    CHECK_THROWS_WITH(read_shop(b, "v1.bin"), Catch::Contains("field 'event': unknown code 9"));
    CHECK_THROWS_WITH(write_shop(with_extra, 3), Catch::Contains("version must be 1 or 2, got 3"));
  }
  SECTION("every event field survives: times before 1970 and far apart, large quantities") {
    std::vector<Interaction> ev = with_extra.interactions.events();
    ev[0].timestamp = -5'000'000'000LL;
    ev[1].timestamp = 4'000'000'000'000LL;
    ev[2].quantity = 2'000'000'000;
    ev[3].event = Event::Purchase;
    Dataset odd = with_extra;
    odd.interactions = Interactions(with_extra.interactions.users(), with_extra.catalog.size(), ev);
    const Dataset back2 = read_shop(write_shop(odd));
    CHECK(checksum(back2) == checksum(odd));
    CHECK(back2.interactions.min_timestamp() == -5'000'000'000LL);
    CHECK(back2.interactions.max_timestamp() == 4'000'000'000'000LL);
  }
  SECTION(
      "the extremes: the whole i64 range of times, the largest quantity, no events, none at all") {
    std::vector<Interaction> ev = with_extra.interactions.events();
    ev[0].timestamp = std::numeric_limits<std::int64_t>::min();
    ev[1].timestamp = std::numeric_limits<std::int64_t>::max();
    ev[1].user = ev[0].user;
    ev[2].quantity = std::numeric_limits<std::int32_t>::max();
    ev[2].event = Event::Purchase;
    Dataset odd = with_extra;
    // A user with no events, too (the last one added to the users).
    std::vector<std::string> ids = with_extra.interactions.users().tokens();
    ids.push_back("no events");
    odd.interactions = Interactions(Vocabulary(ids), with_extra.catalog.size(), ev);
    const std::string w = write_shop(odd);
    const Dataset back3 = read_shop(w);
    CHECK(checksum(back3) == checksum(odd));
    CHECK(write_shop(back3) == w);
    CHECK(back3.interactions.history(back3.interactions.num_users() - 1).empty());
    Dataset empty;
    empty.name = "empty";
    const Dataset none = read_shop(write_shop(empty));
    CHECK(none.catalog.size() == 0);
    CHECK(none.interactions.size() == 0);
    CHECK(checksum(none) == checksum(empty));
  }
  SECTION("version 2's own checks, on files put together by hand") {
    auto expect = [](const std::string& b, const char* what) {
      CHECK_THROWS_WITH(read_shop(b, "h.bin"), Catch::Contains(what));
    };
    // One user with one event: item 0, a view, at t0 + 5; then a wrong checksum (zero).
    expect(V2().head(1).varint(1).i64(100).varint(1).varint(0).varint(0).varint(5).b,
           "of the data read does not match the file's");
    // A user's count over the events that remain, and counts that do not add up.
    expect(V2().head(2).varint(1).i64(0).varint(2).varint(0).varint(0).varint(0).b,
           "h.bin: user 0: 2 events, more than the 1 that remain of the event count 1");
    expect(V2().head(2).varint(2).i64(0).varint(1).varint(0).varint(0).varint(0).varint(0).b,
           "h.bin: the users' events add up to 1, not the event count 2");
    // A time past the largest i64, a quantity past the largest i32, an item index past it.
    expect(V2().head(1)
               .varint(1)
               .i64(std::numeric_limits<std::int64_t>::max() - 1)
               .varint(1)
               .varint(0)
               .varint(0)
               .varint(2)
               .b,
           "h.bin: event 0: field 'timestamp': 9223372036854775806 + 2 is past the largest time");
    expect(V2().head(1)
               .varint(1)
               .i64(0)
               .varint(1)
               .varint(0)
               .varint(std::uint64_t{1} << 33)
               .varint(0)
               .b,
           "h.bin: event 0: field 'quantity': 2147483649 is more than 2147483647");
    expect(V2().head(1)
               .varint(1)
               .i64(0)
               .varint(1)
               .varint(std::uint64_t{1} << 31)
               .varint(0)
               .varint(0)
               .b,
           "h.bin: event 0: field 'item': index 2147483648 out of range");
    expect(V2().head(1).varint(1).i64(0).varint(1).varint(3).varint(0).varint(0).b,
           "field 'item': index 3 out of range [0, 1)");
    // A brand index past its table; a table count that cannot fit; a table name that is not
    // UTF-8; an event count that cannot fit.
    V2 brand;
    brand.str("t")
        .varint(1)
        .str("c")
        .varint(1)
        .str("b")
        .varint(1)
        .str("a")
        .str("")
        .varint(0)
        .varint(7);
    brand.i64(0).varint(0);  // the price's 8 bytes and no attributes, so that the count fits
    expect(brand.b, "h.bin: item 0: brand 7 out of range [0, 1)");
    V2 table;
    table.str("t").varint(1000);
    expect(table.b, "category count 1000 does not fit the");
    V2 bad;
    bad.str("t").varint(1).str("\xff");
    expect(bad.b, "not valid UTF-8");
    expect(V2().head(1).varint(1000).i64(0).b, "event count 1000 does not fit the");
    // Offsets in messages count from the file's first byte: here the varint at byte 21.
    V2 cut;
    cut.str("t").varint(1).str("c").b += "\x80";
    expect(cut.b, "h.bin: truncated at byte 26");
  }
}

TEST_CASE("vocabulary: indices in first-seen order, found by any string view, through growth",
          "[data][vocabulary]") {
  Vocabulary empty;
  CHECK(empty.find("x") == -1);
  CHECK(empty.find("") == -1);
  Vocabulary v;
  CHECK(v.add("") == 0);  // the empty id is a token like any other
  for (int i = 0; i < 50000; ++i) REQUIRE(v.add("user_" + std::to_string(i)) == i + 1);
  CHECK(v.add("user_7") == 8);  // already there: its index, nothing added
  CHECK(v.size() == 50001);
  for (int i = 0; i < 50000; i += 7) CHECK(v.find("user_" + std::to_string(i)) == i + 1);
  CHECK(v.find("user_50000") == -1);
  CHECK(v.find("user_") == -1);
  const std::string text = "xxuser_123yy";
  CHECK(v.find(std::string_view(text).substr(2, 8)) == 124);  // not NUL-terminated
  CHECK(v.find("") == 0);
  CHECK(v.token(124) == "user_123");
  CHECK_THROWS_WITH(v.at("nope", "user"), Catch::Contains("unknown user 'nope'"));
  // A copy is its own: adding to it leaves the original as it was.
  Vocabulary c = v;
  CHECK(c.add("new") == 50001);
  CHECK(v.find("new") == -1);
  CHECK(c.find("user_49999") == 50000);
  // Built from a list: the list's order; a duplicate refused, naming it.
  const Vocabulary w({"b", "a", "c"});
  CHECK(w.find("a") == 1);
  CHECK(w.tokens() == std::vector<std::string>{"b", "a", "c"});
  CHECK_THROWS_WITH(Vocabulary({"a", "b", "a"}), Catch::Contains("duplicate token 'a'"));
}
