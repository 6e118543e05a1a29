// Validation for every public input: RECSYS_CHECK(cond, message...) throws recsys::Error with a
// message that names the field and the bad value. Boundaries (CLI, wasm bindings) convert it once.
// Messages are built without iostreams, which would add ~100 KB to the WebAssembly module.
#pragma once

#include <cstdio>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

namespace recsys {

// The one exception type the core throws for bad input or bad state.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

namespace detail {
inline void append(std::string& out, std::string_view s) {
  out.append(s);
}
inline void append(std::string& out, const char* s) {
  out.append(s ? s : "(null)");
}
inline void append(std::string& out, const std::string& s) {
  out.append(s);
}
inline void append(std::string& out, char c) {
  out.push_back(c);
}
inline void append(std::string& out, bool b) {
  out.append(b ? "true" : "false");
}
template <class T>
std::enable_if_t<std::is_arithmetic_v<T>> append(std::string& out, T v) {
  if constexpr (std::is_floating_point_v<T>) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(v));
    out.append(buf);
  } else {
    out.append(std::to_string(v));
  }
}

template <class... Args>
std::string concat(const Args&... args) {
  std::string out;
  (append(out, args), ...);
  return out;
}
}  // namespace detail

}  // namespace recsys

// RECSYS_CHECK(k > 0, "k must be positive, got ", k);
#define RECSYS_CHECK(cond, ...)                                                \
  do {                                                                         \
    if (!(cond)) throw ::recsys::Error(::recsys::detail::concat(__VA_ARGS__)); \
  } while (0)

#define RECSYS_FAIL(...) throw ::recsys::Error(::recsys::detail::concat(__VA_ARGS__))
