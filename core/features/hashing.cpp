#include "features/hashing.h"

#include "common/hash.h"
#include "common/rng.h"

namespace recsys {

std::int32_t HashSpec::bucket(const std::string& key, int k) const {
  Fnv1a h;
  h.u64(seed + 0x9e3779b97f4a7c15ULL * static_cast<std::uint64_t>(k + 1));
  h.bytes(key.data(), key.size());
  std::uint64_t x = h.value();
  x = splitmix64(x);  // FNV's low bits are weak; mix before the modulo
  return static_cast<std::int32_t>(x % static_cast<std::uint64_t>(buckets));
}

}  // namespace recsys
