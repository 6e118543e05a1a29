// A dataset = a catalog plus interactions on it, with summary statistics and a checksum that is
// identical natively and in WebAssembly for identical content.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/hash.h"
#include "data/catalog.h"
#include "data/interactions.h"

namespace recsys {

class SyntheticTruth;

struct Dataset {
  std::string name;
  Catalog catalog;
  Interactions interactions;
  // The hidden truth when the data is the synthetic shop (user i of the truth = user i here).
  std::shared_ptr<const SyntheticTruth> truth;
};

struct DatasetStats {
  std::int32_t users = 0;
  std::int32_t items = 0;
  std::int64_t interactions = 0;
  std::int32_t categories = 0;
  std::int32_t brands = 0;
  std::int32_t active_items = 0;  // items with at least one interaction
  std::int64_t views = 0, clicks = 0, add_to_carts = 0, purchases = 0;
  double price_mean = 0, price_min = 0, price_max = 0;
  std::int64_t first_timestamp = 0, last_timestamp = 0;
  double density = 0;  // interactions / (users * items)
  double mean_events_per_user = 0;
  double top1pct_item_share = 0;  // share of interactions on the most popular 1 % of items
};

// Parses a catalog from text; format is "csv" or "json" (anything else is an error).
Catalog parse_catalog(std::string_view text, std::string_view format, const std::string& source);
// Parses a catalog and the interactions on it.
Dataset parse_dataset(std::string_view catalog_text, std::string_view catalog_format,
                      const std::string& catalog_source, std::string_view events_text,
                      std::string_view events_format, const std::string& events_source);

DatasetStats compute_stats(const Dataset& data);
// The stats as a JSON object (camelCase keys, as the JS API returns them).
std::string stats_to_json(const DatasetStats& s);
// The stats plus the dataset's name and checksum, as one JSON object.
std::string summary_json(const Dataset& data);

// 64-bit FNV-1a over every field of the catalog and the interactions, in index order.
std::uint64_t checksum(const Catalog& catalog);
std::uint64_t checksum(const Interactions& interactions);
std::uint64_t checksum(const Dataset& data);
// 16 lowercase hex digits.
std::string checksum_hex(std::uint64_t c);

}  // namespace recsys
