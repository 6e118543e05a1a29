// A fast path for the large arrays of a model manifest: the user ids, the items' ids, categories,
// brands, prices and titles, and the ranker's item counts — nearly all of a manifest's values
// (37,000 of them in the demo model's 244 KB). nlohmann_json builds a node per value; on a cold
// page that parse was 50-60 ms of a model load. Here they are read straight into vectors by a
// strict reader of a narrow grammar (ASCII strings without escapes, plain integers, decimals that
// convert exactly), and the rest of the manifest, with each of these arrays replaced by [], is
// parsed by nlohmann_json as before.
//
// The fast path never decides an outcome: anything outside its grammar (an escape, a byte above
// 127, an exponent or 16 digits, a duplicate key, a structure it does not follow) makes
// split_manifest return nothing, and the caller parses the whole text the old way, so results
// and error messages are those of nlohmann_json's reading whichever path runs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "data/json_value.h"

namespace recsys::io {

struct ManifestArrays {
  std::optional<std::vector<std::string>> users;           // "users"
  std::optional<std::vector<std::string>> item_ids;        // "items": {"ids"
  std::optional<std::vector<std::int32_t>> item_category;  //           "category"
  std::optional<std::vector<std::int32_t>> item_brand;     //           "brand"
  std::optional<std::vector<double>> item_price;           //           "price"
  std::optional<std::vector<std::string>> item_title;      //           "title"}
  std::optional<std::vector<double>> ranking_item_counts;  // "ranking": {"item_counts"}
};

struct SplitManifest {
  Json rest;              // the manifest with each array read below replaced by []
  ManifestArrays arrays;  // set for each array that was present and read
};

// The manifest split as above, or nothing when the fast reader cannot vouch for the text (the
// caller then parses all of it with nlohmann_json).
std::optional<SplitManifest> split_manifest(std::string_view text);

// What the fast reader gives for one number token (for tests): the value nlohmann_json's reading
// gives, or nothing when the token is outside its grammar.
std::optional<double> fast_number(std::string_view token);

}  // namespace recsys::io
