#include "data/catalog.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "common/check.h"
#include "data/csv.h"
#include "data/json_options.h"
#include "data/parse.h"

namespace recsys {

namespace {
const char* const kCoreFields[] = {"id", "title", "category", "brand", "price"};

bool is_core_field(std::string_view name) {
  for (const char* f : kCoreFields)
    if (name == f) return true;
  return false;
}

// Validates one record before it touches the catalog.
void validate(const ItemRecord& item, const Vocabulary& ids, std::string_view source,
              std::int64_t line) {
  if (item.id.empty()) fail_at(source, line, "id", item.id, "empty item id");
  check_text(source, line, "id", item.id, kMaxIdBytes);
  check_text(source, line, "title", item.title, kMaxTextBytes);
  check_text(source, line, "category", item.category, kMaxIdBytes);
  check_text(source, line, "brand", item.brand, kMaxIdBytes);
  for (const auto& [k, v] : item.attributes) {
    check_text(source, line, "attribute name", k, kMaxIdBytes);
    check_text(source, line, k, v, kMaxTextBytes);
  }
  if (ids.contains(item.id)) fail_at(source, line, "id", item.id, "duplicate item id");
  if (!std::isfinite(item.price)) fail_at(source, line, "price", "", "price is not finite");
  if (item.price < 0)
    fail_at(source, line, "price", format_shortest(item.price), "price must not be negative");
}

std::string json_scalar_text(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  return json_text(v);
}
}  // namespace

std::size_t Catalog::check(std::int32_t i) const {
  RECSYS_CHECK(i >= 0 && i < size(), "item index ", i, " out of range [0, ", size(), ")");
  return static_cast<std::size_t>(i);
}

std::int32_t Catalog::add(const ItemRecord& item) {
  validate(item, items_, "catalog", 0);
  const std::int32_t index = items_.add(item.id);
  titles_.push_back(item.title);
  category_.push_back(categories_.add(item.category));
  brand_.push_back(brands_.add(item.brand));
  price_.push_back(item.price);
  attributes_.push_back(item.attributes);
  return index;
}

ItemRecord Catalog::record(std::int32_t i) const {
  ItemRecord r;
  r.id = id(i);
  r.title = title(i);
  r.category = categories_.token(category(i));
  r.brand = brands_.token(brand(i));
  r.price = price(i);
  r.attributes = attributes(i);
  return r;
}

Catalog Catalog::from_json(std::string_view text, const std::string& source) {
  if (trim(text).empty()) fail_at(source, 0, "", "", "empty file");
  Json doc;
  try {
    doc = parse_json_text(text);
  } catch (const JsonError& e) {  // parse_error, and out_of_range for a number that overflows
    fail_at(source, 0, "", "", std::string("invalid JSON: ") + e.what());
  }
  const Json* items = &doc;
  if (doc.is_object()) {
    if (!doc.contains("items")) fail_at(source, 0, "items", "", "missing key");
    items = &doc["items"];
  }
  if (!items->is_array()) fail_at(source, 0, "items", "", "expected an array of items");
  if (items->empty()) fail_at(source, 0, "items", "", "the catalog has no items");
  Catalog cat;
  std::int64_t n = 0;
  for (const auto& obj : *items) {
    ++n;
    const std::string where = source + " item " + std::to_string(n);
    if (!obj.is_object()) fail_at(where, 0, "", json_text(obj), "expected an object");
    ItemRecord r;
    for (const char* f : {"id", "title", "category", "brand"}) {
      if (!obj.contains(f)) fail_at(where, 0, f, "", "missing field");
      const auto& v = obj[f];
      if (!(v.is_string() || v.is_number_integer()))
        fail_at(where, 0, f, json_text(v), "expected a string");
      const std::string s = json_scalar_text(v);
      if (f == std::string_view("id")) r.id = s;
      if (f == std::string_view("title")) r.title = s;
      if (f == std::string_view("category")) r.category = s;
      if (f == std::string_view("brand")) r.brand = s;
    }
    if (!obj.contains("price")) fail_at(where, 0, "price", "", "missing field");
    const auto& p = obj["price"];
    if (p.is_number()) {
      r.price = p.get<double>();
    } else if (p.is_string()) {
      r.price = parse_double(p.get<std::string>(), where, 0, "price");
    } else {
      fail_at(where, 0, "price", json_text(p), "not a number");
    }
    for (auto it = obj.begin(); it != obj.end(); ++it)
      if (!is_core_field(it.key())) r.attributes[it.key()] = json_scalar_text(it.value());
    validate(r, cat.items_, where, 0);
    cat.add(r);
  }
  return cat;
}

Catalog Catalog::from_csv(std::string_view text, const std::string& source) {
  CsvReader reader(text, source);
  std::vector<std::string> row;
  if (!reader.next(row)) fail_at(source, 0, "", "", "empty file");
  const CsvHeader header(row, source);
  const std::size_t c_id = header.require("id"), c_title = header.require("title"),
                    c_cat = header.require("category"), c_brand = header.require("brand"),
                    c_price = header.require("price");
  Catalog cat;
  while (reader.next(row)) {
    const std::int64_t line = reader.line();
    if (row.size() != header.names().size())
      fail_at(source, line, "", "",
              "expected " + std::to_string(header.names().size()) + " fields, found " +
                  std::to_string(row.size()));
    ItemRecord r;
    r.id = trim(row[c_id]);
    r.title = row[c_title];
    r.category = row[c_cat];
    r.brand = row[c_brand];
    r.price = parse_double(row[c_price], source, line, "price");
    for (std::size_t c = 0; c < row.size(); ++c)
      if (!is_core_field(header.names()[c]) && !row[c].empty())
        r.attributes[header.names()[c]] = row[c];
    validate(r, cat.items_, source, line);
    cat.add(r);
  }
  if (cat.size() == 0) fail_at(source, 0, "", "", "the catalog has no items");
  return cat;
}

std::string Catalog::to_json(std::int32_t offset, std::int32_t limit) const {
  RECSYS_CHECK(offset >= 0, "catalog: offset must be >= 0, got ", offset);
  RECSYS_CHECK(limit >= -1, "catalog: limit must be >= 0 (or -1 for all), got ", limit);
  const std::int32_t end = limit < 0 ? size()
                                     : static_cast<std::int32_t>(std::min<std::int64_t>(
                                           size(), static_cast<std::int64_t>(offset) + limit));
  JsonArray items;
  for (std::int32_t i = offset; i < end; ++i) {
    JsonObject o;
    o.add("id", id(i))
        .add("title", title(i))
        .add("category", categories_.token(category(i)))
        .add("brand", brands_.token(brand(i)))
        .add("price", price(i));
    for (const auto& [k, v] : attributes(i)) o.add(k, v);
    items.add(o);
  }
  return JsonObject().add_text("items", items.text()).text();
}

std::string Catalog::to_csv() const {
  std::set<std::string> extra;
  for (const auto& a : attributes_)
    for (const auto& kv : a) extra.insert(kv.first);
  std::string out = "id,title,category,brand,price";
  for (const auto& k : extra) {
    out.push_back(',');
    append_csv_field(out, k);
  }
  out.push_back('\n');
  for (std::int32_t i = 0; i < size(); ++i) {
    append_csv_field(out, id(i));
    out.push_back(',');
    append_csv_field(out, title(i));
    out.push_back(',');
    append_csv_field(out, categories_.token(category(i)));
    out.push_back(',');
    append_csv_field(out, brands_.token(brand(i)));
    out.push_back(',');
    out += format_shortest(price(i));
    for (const auto& k : extra) {
      out.push_back(',');
      auto it = attributes(i).find(k);
      if (it != attributes(i).end()) append_csv_field(out, it->second);
    }
    out.push_back('\n');
  }
  return out;
}

}  // namespace recsys
