// Feature hashing: a string key (user id, item id, title word) maps to num_hashes buckets of an
// embedding table, under independent seeds; the model sums the rows of those buckets. Used for
// user and item ids when their tables would be too large, and for title words always.
#pragma once

#include <cstdint>
#include <string>

namespace recsys {

struct HashSpec {
  std::int32_t buckets = 0;
  std::int32_t num_hashes = 1;
  std::uint64_t seed = 0x5eed;
  // Bucket of key under hash function k (0-based), the same on every target.
  std::int32_t bucket(const std::string& key, int k) const;
};

}  // namespace recsys
