#include "common/hash.h"

#include <cstring>

namespace recsys {

void Fnv1a::bytes(const void* data, std::size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
  std::uint64_t h = h_;
  for (std::size_t i = 0; i < n; ++i) h = (h ^ p[i]) * kPrime;
  h_ = h;
}

void Fnv1a::f64(double v) {
  std::uint64_t bits;
  std::memcpy(&bits, &v, 8);
  u64(bits);
}

void Fnv1a::str(const std::string& s) {
  u64(s.size());
  bytes(s.data(), s.size());
}

}  // namespace recsys
