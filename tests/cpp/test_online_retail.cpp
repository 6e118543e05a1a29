// UCI Online Retail: the committed extract always; the raw CSV when ../shared/datasets has it.
// Expected figures come from ../shared/datasets/uci_online_retail/SOURCE.md and from an
// independent pandas-free Python count over the same CSV (see the numbers in the comments).
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <sstream>

#include "common/check.h"
#include "data/dataset.h"
#include "data/online_retail.h"

using namespace recsys;

namespace {
std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

Dataset load_extract() {
  const std::string dir = std::string(RECSYS_SOURCE_DIR) + "/data/online_retail";
  return load_online_retail_extract(slurp(dir + "/items.csv"), slurp(dir + "/baskets.csv"), dir);
}

const char* kHeader =
    "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n";
}  // namespace

TEST_CASE("the committed Online Retail extract has the cleaned counts", "[online_retail]") {
  const Dataset d = load_extract();
  // Purchases of product codes: 397,884 purchase rows minus 1,547 rows of non-product codes.
  CHECK(d.interactions.size() == 396337);
  CHECK(d.interactions.num_users() == 4334);
  CHECK(d.catalog.size() == 3659);
  const std::int32_t heart = d.catalog.find("85123A");
  REQUIRE(heart >= 0);
  CHECK(d.catalog.title(heart) == "WHITE HANGING HEART T-LIGHT HOLDER");  // 2,028 of 2,035 rows
  CHECK(d.catalog.price(heart) == 2.95);                                  // median UnitPrice
  CHECK(d.catalog.categories().token(d.catalog.category(heart)) == "Candles & lights");
  const std::int32_t box = d.catalog.find("21232");
  REQUIRE(box >= 0);
  CHECK(d.catalog.title(box) == "STRAWBERRY CERAMIC TRINKET BOX");
  CHECK(d.catalog.price(box) == 1.25);
  std::int64_t quantity = 0;
  for (const auto& e : d.interactions.events())
    if (e.item == box) quantity += e.quantity;
  CHECK(quantity == 10366);
  CHECK(d.interactions.event_counts()[static_cast<int>(Event::Purchase)] == 396337);
  CHECK(d.catalog.find("POST") == -1);
  // The extract reproduces itself byte for byte.
  const auto again = write_online_retail_extract(d);
  const std::string dir = std::string(RECSYS_SOURCE_DIR) + "/data/online_retail";
  CHECK(again.items_csv == slurp(dir + "/items.csv"));
  CHECK(again.baskets_csv == slurp(dir + "/baskets.csv"));
}

TEST_CASE("the raw UCI file gives the counts of SOURCE.md and the extract",
          "[online_retail][raw]") {
  const std::string raw = slurp(RECSYS_UCI_CSV);
  if (raw.empty()) {
    WARN("raw UCI CSV not available at " RECSYS_UCI_CSV "; skipped");
    return;
  }
  const auto loaded = load_online_retail_csv(raw, "online_retail.csv");
  const auto& r = loaded.report;
  CHECK(r.rows == 541909);
  CHECK(r.purchase_rows == 397884);
  CHECK(r.purchase_users == 4338);
  CHECK(r.purchase_items == 3665);
  const std::map<std::string, std::int64_t> dropped(r.dropped_codes.begin(), r.dropped_codes.end());
  const std::map<std::string, std::int64_t> expected{
      {"BANK CHARGES", 12}, {"C2", 133}, {"DOT", 16}, {"M", 284}, {"PADS", 3}, {"POST", 1099}};
  CHECK(dropped == expected);
  CHECK(r.dropped_rows == 1547);
  CHECK(checksum(loaded.data) == checksum(load_extract()));
}

TEST_CASE("Online Retail filter rules and errors", "[online_retail][errors]") {
  const std::string rows =
      std::string(kHeader) +
      "536365,85123A,HEART,6,2010-12-01 08:26:00,2.55,17850,United Kingdom\n"
      "536366,85123A,HEART,2,2010-12-01 09:00:00,3.00,17850,United Kingdom\n"
      "C536367,85123A,HEART,-1,2010-12-01 10:00:00,2.55,17850,United Kingdom\n"
      "536368,22423,\"CAKESTAND, 3 TIER\",1,2010-12-02 10:00:00,12.75,,France\n"
      "536369,POST,POSTAGE,1,2010-12-02 11:00:00,18,12583,France\n"
      "536370,22423,CAKESTAND,1,2010-12-02 12:00:00,0,12583,France\n"
      "536371,22423,CAKESTAND,1,2010-12-02 12:00:00,12.75,12583,France\n";
  const auto l = load_online_retail_csv(rows, "mini.csv");
  CHECK(l.report.rows == 7);
  CHECK(l.report.purchase_rows == 4);
  CHECK(l.report.cancelled == 1);
  CHECK(l.report.no_customer == 1);
  CHECK(l.report.non_positive_price == 1);
  CHECK(l.report.dropped_rows == 1);
  CHECK(l.data.catalog.size() == 2);
  CHECK(l.data.catalog.price(0) == Approx(2.775));  // median of 2.55 and 3.00
  CHECK(l.data.interactions.size() == 3);
  CHECK(is_product_stock_code("84029G"));
  CHECK_FALSE(is_product_stock_code("BANK CHARGES"));
  CHECK_FALSE(is_product_stock_code("C2"));
  CHECK(online_retail_category("RED RETROSPOT CHRISTMAS CANDLE") == "Christmas");
  CHECK(online_retail_category("BLUE THING") == "Other");

  CHECK_THROWS_WITH(
      load_online_retail_csv(std::string(kHeader) + "1,85123A,H,six,2010-12-01 08:26:00,2.5,1,UK\n",
                             "raw.csv"),
      Catch::Contains("raw.csv:2") && Catch::Contains("field 'Quantity'") &&
          Catch::Contains("'six'"));
  CHECK_THROWS_WITH(
      load_online_retail_csv(std::string(kHeader) + "1,85123A,H,1,2010-12-01 08:26:00,1.2.3,1,UK\n",
                             "raw.csv"),
      Catch::Contains("field 'UnitPrice'"));
  CHECK_THROWS_WITH(
      load_online_retail_csv(std::string(kHeader) + "1,85123A,H,1,12/01/2010,1,1,UK\n", "raw.csv"),
      Catch::Contains("field 'InvoiceDate'"));
  CHECK_THROWS_WITH(load_online_retail_csv("InvoiceNo,StockCode\n1,2\n", "raw.csv"),
                    Catch::Contains("missing column 'Description'"));
  CHECK_THROWS_WITH(load_online_retail_csv("", "raw.csv"), Catch::Contains("empty file"));
  CHECK_THROWS_WITH(load_online_retail_extract("id,title,category,brand,price\na,A,c,b,1\n",
                                               "customer,timestamp,items\n7,100,0 5\n"),
                    Catch::Contains("baskets.csv:2") && Catch::Contains("field 'items'") &&
                        Catch::Contains("'5'"));
}
