// 64-bit FNV-1a hashing, for checksums and feature hashing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace recsys {

// FNV-1a 64's prime to the powers 0 to 8, mod 2^64.
struct FnvPrimePowers {
  std::uint64_t p[9];
  constexpr FnvPrimePowers() : p{} {
    p[0] = 1;
    for (int k = 1; k < 9; ++k) p[k] = p[k - 1] * 0x100000001b3ULL;
  }
};
inline constexpr FnvPrimePowers kFnvPrimePowers{};

// Incremental FNV-1a 64.
class Fnv1a {
 public:
  void bytes(const void* data, std::size_t n);
  // The 8 bytes of v, little endian, as bytes() would take them; inline, with the state in a
  // register (a checksum over a shop's events makes millions of these calls). The zero bytes
  // above v's highest non-zero one each multiply by the prime ((h ^ 0) · P), so they are one
  // multiplication by a power of it (products mod 2^64 associate): the same value in 2 to 4
  // steps for the small indices, counts and codes of a shop's events instead of 8.
  void u64(std::uint64_t v) {
    std::uint64_t h = h_;
    int i = 0;
    for (; v != 0; ++i, v >>= 8) h = (h ^ (v & 0xffu)) * kPrime;
    h_ = h * kFnvPrimePowers.p[8 - i];
  }
  void i64(std::int64_t v) { u64(static_cast<std::uint64_t>(v)); }
  void f64(double v);
  void str(const std::string& s);
  std::uint64_t value() const { return h_; }

 private:
  static constexpr std::uint64_t kPrime = 0x100000001b3ULL;
  std::uint64_t h_ = 0xcbf29ce484222325ULL;
};

}  // namespace recsys
