#include "common/hash.h"

#include <cstring>

namespace recsys {

void Fnv1a::bytes(const void* data, std::size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < n; ++i) {
    h_ ^= p[i];
    h_ *= 0x100000001b3ULL;
  }
}

void Fnv1a::u64(std::uint64_t v) {
  unsigned char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<unsigned char>(v >> (8 * i));  // little endian
  bytes(b, 8);
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
