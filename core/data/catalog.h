// Item catalog: string id, title, category, brand, price and optional extra attributes, stored
// column-wise with dense indices (item i is row i). Read and written as JSON or CSV.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "data/vocabulary.h"

namespace recsys {

struct ItemRecord {
  std::string id;
  std::string title;
  std::string category;
  std::string brand;
  double price = 0;
  std::map<std::string, std::string> attributes;  // extra columns / keys, as text
};

class Catalog {
 public:
  // Appends an item; throws on a duplicate id, an empty id or a negative / non-finite price.
  // Returns its index.
  std::int32_t add(const ItemRecord& item);

  std::int32_t size() const { return items_.size(); }
  const Vocabulary& item_ids() const { return items_; }
  const Vocabulary& categories() const { return categories_; }
  const Vocabulary& brands() const { return brands_; }

  const std::string& id(std::int32_t i) const { return items_.token(i); }
  const std::string& title(std::int32_t i) const { return titles_.at(check(i)); }
  std::int32_t category(std::int32_t i) const { return category_.at(check(i)); }
  std::int32_t brand(std::int32_t i) const { return brand_.at(check(i)); }
  double price(std::int32_t i) const { return price_.at(check(i)); }
  const std::map<std::string, std::string>& attributes(std::int32_t i) const {
    return attributes_.at(check(i));
  }
  ItemRecord record(std::int32_t i) const;
  // Index of an item id, or -1.
  std::int32_t find(std::string_view id) const { return items_.find(id); }

  // Whole columns, for feature building.
  const std::vector<std::int32_t>& category_column() const { return category_; }
  const std::vector<std::int32_t>& brand_column() const { return brand_; }
  const std::vector<double>& price_column() const { return price_; }

  // JSON: {"items": [{"id", "title", "category", "brand", "price", ...extra}]} or a bare array.
  // CSV: header with id, title, category, brand, price; other columns become attributes.
  // source names the file in errors. On error nothing is returned (no half-loaded catalog).
  static Catalog from_json(std::string_view text, const std::string& source = "catalog.json");
  static Catalog from_csv(std::string_view text, const std::string& source = "catalog.csv");
  // Items [offset, offset + limit) (clipped to the catalog) as JSON; limit -1 means all.
  std::string to_json(std::int32_t offset = 0, std::int32_t limit = -1) const;
  std::string to_csv() const;

 private:
  std::size_t check(std::int32_t i) const;

  Vocabulary items_, categories_, brands_;
  std::vector<std::string> titles_;
  std::vector<std::int32_t> category_, brand_;
  std::vector<double> price_;
  std::vector<std::map<std::string, std::string>> attributes_;
};

}  // namespace recsys
