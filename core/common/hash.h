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
  void u64(std::uint64_t v);
  void i64(std::int64_t v) { u64(static_cast<std::uint64_t>(v)); }
  void f64(double v);
  void str(const std::string& s);
  std::uint64_t value() const { return h_; }

 private:
  std::uint64_t h_ = 0xcbf29ce484222325ULL;
};

}  // namespace recsys
