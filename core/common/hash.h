// 64-bit FNV-1a hashing, for checksums and feature hashing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace recsys {

// Incremental FNV-1a 64.
class Fnv1a {
 public:
  void bytes(const void* data, std::size_t n);
  // The 8 bytes of v, little endian, as bytes() would take them; inline, with the state in a
  // register (a checksum over a shop's events makes millions of these calls).
  void u64(std::uint64_t v) {
    std::uint64_t h = h_;
    for (int i = 0; i < 8; ++i) h = (h ^ ((v >> (8 * i)) & 0xffu)) * kPrime;
    h_ = h;
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
