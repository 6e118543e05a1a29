#include "data/online_retail.h"

#include <algorithm>
#include <map>
#include <unordered_map>

#include "common/check.h"
#include "data/csv.h"
#include "data/parse.h"

namespace recsys {

namespace {

struct KeywordCategory {
  const char* category;
  std::vector<const char*> keywords;
};

// First match wins, so the seasonal and specific groups come before the generic ones.
const std::vector<KeywordCategory>& categories() {
  static const std::vector<KeywordCategory> kOnlineRetailCategories = {
      {"Christmas", {"CHRISTMAS", "XMAS", "ADVENT", "SANTA", "REINDEER", "SNOWFLAKE", "NOEL"}},
      {"Candles & lights",
       {"CANDLE", "CANDLES", "T-LIGHT", "T-LIGHTS", "TEALIGHT", "LANTERN", "LIGHTS", "LIGHT",
        "LAMP", "NIGHTLIGHT", "INCENSE"}},
      {"Party", {"PARTY", "BUNTING", "BALLOON", "BALLOONS", "CONFETTI", "BIRTHDAY", "GARLAND"}},
      {"Bags", {"BAG", "BAGS", "PURSE", "TOTE", "SHOPPER", "RUCKSACK", "WALLET"}},
      {"Kitchen & tableware",
       {"MUG",     "MUGS",      "CUP",     "CUPS",   "SAUCER",  "TEACUP",    "BOWL",    "BOWLS",
        "PLATE",   "PLATES",    "JUG",     "TEAPOT", "SPOON",   "SPOONS",    "CUTLERY", "TRAY",
        "NAPKINS", "CAKESTAND", "CAKE",    "BAKING", "CUTTERS", "APRON",     "TIN",     "TINS",
        "JAR",     "JARS",      "LUNCH",   "GLASS",  "DOILY",   "DOILIES",   "COASTER", "COASTERS",
        "PANTRY",  "KITCHEN",   "CASES",   "STRAWS", "PICNIC",  "PLACEMATS", "COSY",    "BEAKERS",
        "TEA",     "COFFEE",    "CERAMIC", "BREAD",  "EGG",     "CHOPSTICKS"}},
      {"Stationery & cards",
       {"CARD", "CARDS",    "NOTEBOOK", "PENCIL",   "PENCILS",   "PEN",        "PENS",     "PAPER",
        "WRAP", "STICKERS", "STICKER",  "ENVELOPE", "ENVELOPES", "CHALKBOARD", "CALENDAR", "DIARY",
        "BOOK", "NOTEPAD",  "ERASER",   "RULER",    "TAPE",      "STATIONERY", "TAGS"}},
      {"Toys & games",
       {"TOY", "TOYS", "GAME", "GAMES", "DOLL", "PUZZLE", "JIGSAW", "DOMINOES", "SKITTLES",
        "SPACEBOY", "PLAYHOUSE", "CRAYONS", "COLOURING", "TEDDY", "SOLDIER", "DINOSAUR", "MAGIC"}},
      {"Garden & outdoor",
       {"GARDEN", "PLANT", "PLANTER", "POT", "POTS", "WATERING", "FLOWER", "FLOWERS", "BIRD",
        "BIRDHOUSE", "FEEDER", "UMBRELLA", "PARASOL"}},
      {"Jewellery & accessories",
       {"NECKLACE", "NECKLACE.", "EARRINGS", "BRACELET", "RING", "HAIR", "CLIP", "CLIPS", "BROOCH",
        "CHARM", "BEADS", "JEWEL", "SCARF", "HAT", "GLOVES", "MIRROR"}},
      {"Crafts & sewing",
       {"SEWING", "RIBBON", "RIBBONS", "FELTCRAFT", "KNITTING", "BUTTONS", "CRAFT", "PAINT",
        "STENCIL", "GLITTER", "EMBROIDERY"}},
      {"Bath & textiles",
       {"WARMER", "HOTTIE", "TOWEL", "TOWELS", "TISSUES", "SOAP", "BOTTLE", "BLANKET", "THROW",
        "SLIPPERS", "CUSHION", "QUILT", "BATH", "BATHROOM", "WASHBAG", "SPONGE"}},
      {"Storage",
       {"BOX", "BOXES", "BASKET", "BASKETS", "STORAGE", "CASE", "DRAWER", "CHEST", "CRATE",
        "HOLDER", "RACK", "TRUNK", "BIN", "BUCKET", "PEGS", "ORGANISER"}},
      {"Home decor",
       {"SIGN",     "FRAME",      "CLOCK",    "DOORMAT", "HOOK",   "HOOKS", "KNOB",    "SHELF",
        "WREATH",   "DECORATION", "ORNAMENT", "HEART",   "HEARTS", "VASE",  "WALL",    "DOOR",
        "PLAQUE",   "CABINET",    "STAND",    "HANGING", "CHAIR",  "TABLE", "MAGNETS", "DOORSTOP",
        "DOORSIGN", "PHOTO",      "LETTERS",  "DUCKS",   "CUBE"}},
  };
  return kOnlineRetailCategories;
}

std::vector<std::string> words(std::string_view title) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : title) {
    if (c == ' ' || c == ',' || c == '/' || c == '(' || c == ')' || c == '+' || c == '&') {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

constexpr const char* kBrand = "unbranded";

}  // namespace

bool is_product_stock_code(std::string_view code) {
  if (code.size() < 5) return false;
  for (std::size_t i = 0; i < 5; ++i)
    if (code[i] < '0' || code[i] > '9') return false;
  return true;
}

std::string online_retail_category(std::string_view title) {
  const auto ws = words(title);
  for (const auto& group : categories())
    for (const auto& w : ws)
      for (const char* k : group.keywords)
        if (w == k) return group.category;
  return "Other";
}

OnlineRetailData load_online_retail_csv(std::string_view text, const std::string& source) {
  CsvReader reader(text, source);
  std::vector<std::string> row;
  if (!reader.next(row)) fail_at(source, 0, "", "", "empty file");
  const CsvHeader header(row, source);
  const std::size_t c_inv = header.require("InvoiceNo"), c_code = header.require("StockCode"),
                    c_desc = header.require("Description"), c_qty = header.require("Quantity"),
                    c_date = header.require("InvoiceDate"), c_price = header.require("UnitPrice"),
                    c_cust = header.require("CustomerID");
  header.require("Country");

  OnlineRetailData out;
  OnlineRetailReport& rep = out.report;
  struct Row {
    std::int32_t user;
    std::int32_t code;
    std::int64_t time;
    std::int32_t quantity;
  };
  std::vector<Row> kept;
  Vocabulary users, codes;
  std::vector<std::map<std::string, std::int64_t>> descriptions;
  std::vector<std::vector<double>> prices;
  while (reader.next(row)) {
    const std::int64_t line = reader.line();
    ++rep.rows;
    if (row.size() != header.names().size())
      fail_at(source, line, "", "",
              "expected " + std::to_string(header.names().size()) + " fields, found " +
                  std::to_string(row.size()));
    const std::string invoice = trim(row[c_inv]);
    if (invoice.empty()) fail_at(source, line, "InvoiceNo", invoice, "empty invoice number");
    const std::string code = trim(row[c_code]);
    if (code.empty()) fail_at(source, line, "StockCode", code, "empty stock code");
    const std::int64_t qty = parse_int64(row[c_qty], source, line, "Quantity");
    const double price = parse_double(row[c_price], source, line, "UnitPrice");
    const std::int64_t time = parse_timestamp(row[c_date], source, line, "InvoiceDate");
    const std::string customer = trim(row[c_cust]);
    if (customer.empty()) {
      ++rep.no_customer;
      continue;
    }
    if (invoice[0] == 'C' || invoice[0] == 'c') {
      ++rep.cancelled;
      continue;
    }
    if (qty <= 0) {
      ++rep.non_positive_quantity;
      continue;
    }
    if (price <= 0) {
      ++rep.non_positive_price;
      continue;
    }
    if (qty > INT32_MAX) fail_at(source, line, "Quantity", row[c_qty], "quantity too large");
    const std::int32_t c = codes.add(code);
    if (static_cast<std::size_t>(c) == descriptions.size()) {
      descriptions.emplace_back();
      prices.emplace_back();
    }
    const std::string desc = trim(row[c_desc]);
    if (!desc.empty()) ++descriptions[c][desc];
    prices[c].push_back(price);
    kept.push_back(Row{users.add(customer), c, time, static_cast<std::int32_t>(qty)});
  }
  if (rep.rows == 0) fail_at(source, 0, "", "", "no data rows");
  rep.purchase_rows = static_cast<std::int64_t>(kept.size());
  rep.purchase_users = users.size();
  rep.purchase_items = codes.size();

  // Items: product codes only, in first-seen order.
  std::vector<std::int32_t> item_of_code(static_cast<std::size_t>(codes.size()), -1);
  std::map<std::string, std::int64_t> dropped;
  Catalog& catalog = out.data.catalog;
  for (std::int32_t c = 0; c < codes.size(); ++c) {
    const std::string& code = codes.token(c);
    if (!is_product_stock_code(code)) {
      dropped[code] = static_cast<std::int64_t>(prices[c].size());
      continue;
    }
    ItemRecord r;
    r.id = code;
    // Most frequent description; ties go to the alphabetically first (std::map order).
    std::int64_t best = 0;
    for (const auto& [d, n] : descriptions[c])
      if (n > best) {
        best = n;
        r.title = d;
      }
    if (r.title.empty()) r.title = code;
    auto& p = prices[c];
    std::sort(p.begin(), p.end());
    const std::size_t n = p.size();
    r.price = n % 2 ? p[n / 2] : (p[n / 2 - 1] + p[n / 2]) / 2;
    r.category = online_retail_category(r.title);
    r.brand = kBrand;
    item_of_code[c] = catalog.add(r);
  }
  for (const auto& [code, n] : dropped) {
    rep.dropped_codes.emplace_back(code, n);
    rep.dropped_rows += n;
  }

  // Users who bought only non-product codes disappear; the rest keep first-seen order.
  std::vector<char> has_product(static_cast<std::size_t>(users.size()), 0);
  for (const auto& r : kept)
    if (item_of_code[r.code] >= 0) has_product[r.user] = 1;
  Vocabulary product_users;
  std::vector<std::int32_t> user_map(static_cast<std::size_t>(users.size()), -1);
  for (std::int32_t u = 0; u < users.size(); ++u)
    if (has_product[u]) user_map[u] = product_users.add(users.token(u));
  std::vector<Interaction> events;
  events.reserve(kept.size());
  for (const auto& r : kept) {
    if (item_of_code[r.code] < 0) continue;
    Interaction e;
    e.user = user_map[r.user];
    e.item = item_of_code[r.code];
    e.timestamp = r.time;
    e.quantity = r.quantity;
    e.event = Event::Purchase;
    events.push_back(e);
  }
  out.data.name = "online-retail";
  out.data.interactions = Interactions(std::move(product_users), catalog.size(), std::move(events));
  return out;
}

OnlineRetailExtract write_online_retail_extract(const Dataset& data) {
  OnlineRetailExtract out;
  out.items_csv = data.catalog.to_csv();
  std::string& b = out.baskets_csv;
  b = "customer,timestamp,items\n";
  const auto& x = data.interactions;
  for (std::int32_t u = 0; u < x.num_users(); ++u) {
    const auto h = x.history(u);
    for (std::size_t i = 0; i < h.size();) {
      RECSYS_CHECK(h[i].event == Event::Purchase,
                   "online retail extract: only purchases can be written, found ",
                   event_name(h[i].event));
      append_csv_field(b, x.users().token(u));
      b += ',' + std::to_string(h[i].timestamp) + ',';
      const std::int64_t t = h[i].timestamp;
      bool first = true;
      for (; i < h.size() && h[i].timestamp == t; ++i) {
        if (!first) b.push_back(' ');
        first = false;
        b += std::to_string(h[i].item);
        if (h[i].quantity != 1) b += ':' + std::to_string(h[i].quantity);
      }
      b.push_back('\n');
    }
  }
  return out;
}

Dataset load_online_retail_extract(std::string_view items_csv, std::string_view baskets_csv,
                                   const std::string& source_dir) {
  Dataset d;
  d.name = "online-retail";
  d.catalog = Catalog::from_csv(items_csv, source_dir + "/items.csv");
  const std::string source = source_dir + "/baskets.csv";
  CsvReader reader(baskets_csv, source);
  std::vector<std::string> row;
  if (!reader.next(row)) fail_at(source, 0, "", "", "empty file");
  const CsvHeader header(row, source);
  const std::size_t c_cust = header.require("customer"), c_time = header.require("timestamp"),
                    c_items = header.require("items");
  Vocabulary users;
  std::vector<Interaction> events;
  while (reader.next(row)) {
    const std::int64_t line = reader.line();
    if (row.size() != header.names().size())
      fail_at(source, line, "", "",
              "expected " + std::to_string(header.names().size()) + " fields, found " +
                  std::to_string(row.size()));
    const std::string customer = trim(row[c_cust]);
    if (customer.empty()) fail_at(source, line, "customer", customer, "empty customer id");
    Interaction e;
    e.event = Event::Purchase;
    e.timestamp = parse_timestamp(row[c_time], source, line, "timestamp");
    e.user = users.add(customer);
    const std::string& list = row[c_items];
    std::size_t pos = 0;
    bool any = false;
    while (pos < list.size()) {
      std::size_t end = list.find(' ', pos);
      if (end == std::string::npos) end = list.size();
      const std::string_view tok(list.data() + pos, end - pos);
      pos = end + 1;
      if (tok.empty()) continue;
      const std::size_t colon = tok.find(':');
      std::int64_t item = 0, qty = 1;
      if (!try_parse_int64(tok.substr(0, colon), item) || item < 0 || item >= d.catalog.size())
        fail_at(source, line, "items", tok, "not a row of items.csv");
      if (colon != std::string_view::npos &&
          (!try_parse_int64(tok.substr(colon + 1), qty) || qty < 1 || qty > INT32_MAX))
        fail_at(source, line, "items", tok, "quantity must be a positive integer");
      e.item = static_cast<std::int32_t>(item);
      e.quantity = static_cast<std::int32_t>(qty);
      events.push_back(e);
      any = true;
    }
    if (!any) fail_at(source, line, "items", list, "empty basket");
  }
  if (events.empty()) fail_at(source, 0, "", "", "no baskets");
  d.interactions = Interactions(std::move(users), d.catalog.size(), std::move(events));
  return d;
}

}  // namespace recsys
