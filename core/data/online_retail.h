// Real logs: the UCI "Online Retail" data set (Chen 2015, CC BY 4.0, DOI 10.24432/C5BW33).
// Keeps purchases only (Quantity > 0, InvoiceNo not starting with "C", CustomerID present,
// UnitPrice > 0); items are StockCodes, titled by their most frequent Description and priced at
// their median UnitPrice. Non-product codes (POST, DOT, M, BANK CHARGES, C2, PADS, ...) are
// dropped and listed. The source has no category or brand: the category is derived from
// keywords in the title (see kOnlineRetailCategories in the .cpp) and every brand is "unbranded".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "data/dataset.h"

namespace recsys {

struct OnlineRetailReport {
  std::int64_t rows = 0;            // data rows in the file
  std::int64_t purchase_rows = 0;   // rows passing the purchase filter (before dropping codes)
  std::int32_t purchase_users = 0;  // distinct customers in those rows
  std::int32_t purchase_items = 0;  // distinct StockCodes in those rows
  std::int64_t no_customer = 0, cancelled = 0, non_positive_quantity = 0, non_positive_price = 0;
  std::vector<std::pair<std::string, std::int64_t>> dropped_codes;  // non-product code, rows
  std::int64_t dropped_rows = 0;
};

struct OnlineRetailData {
  Dataset data;
  OnlineRetailReport report;
};

// A StockCode names a product when it starts with five digits (e.g. 85123A, 84029G).
bool is_product_stock_code(std::string_view code);
// The derived category of a title (upper-case keyword match), "Other" when none matches.
std::string online_retail_category(std::string_view title);

// Parses the UCI CSV (columns InvoiceNo, StockCode, Description, Quantity, InvoiceDate,
// UnitPrice, CustomerID, Country). Malformed rows are errors naming source, line and field.
OnlineRetailData load_online_retail_csv(std::string_view text,
                                        const std::string& source = "online_retail.csv");

// The compact extract committed in data/online_retail/: items.csv is a catalog CSV, baskets.csv
// has one line per (customer, timestamp): "customer,timestamp,items" where items is
// "row[:quantity] row[:quantity] ..." with row = the item's 0-based row in items.csv and the
// quantity omitted when 1. Loading the extract gives exactly the dataset it was written from.
struct OnlineRetailExtract {
  std::string items_csv;
  std::string baskets_csv;
};
OnlineRetailExtract write_online_retail_extract(const Dataset& data);
Dataset load_online_retail_extract(std::string_view items_csv, std::string_view baskets_csv,
                                   const std::string& source_dir = "data/online_retail");

}  // namespace recsys
