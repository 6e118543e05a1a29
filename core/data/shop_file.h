// The binary form of a dataset, "recsys shop" (docs/shop-format.md): the catalog and the events
// that the two CSV files hold, in binary, so that a page loads its shop without parsing text (the
// demo shop's 100,000 events: see the README's first-page figures). Version 1 wrote fixed-width
// columns; version 2 (written now) writes varints, category and brand names once, and each
// user's events as time differences: a third of the bytes, which a page downloads and copies.
// Versioned, and read as hostile input like the model files: every count, length and index is
// checked against the bytes that remain and against the data, text is checked as the CSV path
// checks it (UTF-8, length limits), and the file's checksum (the dataset checksum, FNV-1a 64) must
// match what was read. A failed read returns nothing.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "data/dataset.h"

namespace recsys {

inline constexpr char kShopMagic[8] = {'R', 'S', 'H', 'O', 'P', '\r', '\n', '\x1a'};
// The version write_shop writes; read_shop reads 1 and 2.
inline constexpr std::uint32_t kShopVersion = 2;

// The dataset in shop format (the synthetic truth, which the CSV files do not hold either, is
// left out); version 1 for readers that predate version 2.
std::string write_shop(const Dataset& data, std::uint32_t version = kShopVersion);
// Parses and validates a whole file; errors name `source`, the part and the value.
Dataset read_shop(std::string_view bytes, const std::string& source = "shop.bin");
// Whether the bytes start with the shop magic (to tell the format from CSV or JSON text).
bool is_shop_file(std::string_view bytes);

}  // namespace recsys
