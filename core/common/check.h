// Validation for every public input. The core throws one exception type, recsys::Error, with a
// kind (what went wrong) and a message that names the field and the bad value:
//   RECSYS_CHECK(k >= 1, "recommend: k must be >= 1, got ", k);            // ErrorKind::Range
//   RECSYS_CHECK_FOUND(u >= 0, "recommend: unknown user '", id, "'");      // ErrorKind::NotFound
//   RECSYS_FAIL(Format, path, ": not a safetensors file");
// Boundaries convert it once: the CLI prints the message, wasm/bindings.cpp maps the kind to a
// JS error class (type -> TypeError, range -> RangeError, the others -> Error, each with .kind).
// Messages are built without iostreams, which would add ~100 KB to the WebAssembly module.
#pragma once

#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "common/decimal.h"

namespace recsys {

enum class ErrorKind : std::uint8_t {
  Type,      // a value of the wrong type or shape (a string where a number belongs, unknown keys)
  Range,     // a value of the right type outside what is allowed (k = 0, an unknown scene name)
  NotFound,  // an id the data does not hold (user, item, category, file)
  State,     // a call the object's state does not allow (search before build)
  Format,    // text or bytes that do not parse (CSV, JSON, safetensors)
  Internal,  // a broken invariant: a bug (the boundaries use it for unexpected exceptions)
};
constexpr int kNumErrorKinds = 6;
// "type", "range", "not_found", "state", "format", "internal": the names JS sees as error.kind.
const char* error_kind_name(ErrorKind kind);
std::vector<std::string> error_kind_names();

// The one exception type the core throws for bad input or bad state.
class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
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
    if constexpr (std::is_same_v<T, float>)
      out.append(format_readable(v));
    else
      out.append(format_readable(static_cast<double>(v)));
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

#define RECSYS_CHECK_KIND(kind, cond, ...)                                             \
  do {                                                                                 \
    if (!(cond)) throw ::recsys::Error((kind), ::recsys::detail::concat(__VA_ARGS__)); \
  } while (0)

// A bad value (the common case).
#define RECSYS_CHECK(cond, ...) RECSYS_CHECK_KIND(::recsys::ErrorKind::Range, cond, __VA_ARGS__)
#define RECSYS_CHECK_TYPE(cond, ...) RECSYS_CHECK_KIND(::recsys::ErrorKind::Type, cond, __VA_ARGS__)
#define RECSYS_CHECK_FOUND(cond, ...) \
  RECSYS_CHECK_KIND(::recsys::ErrorKind::NotFound, cond, __VA_ARGS__)
#define RECSYS_CHECK_STATE(cond, ...) \
  RECSYS_CHECK_KIND(::recsys::ErrorKind::State, cond, __VA_ARGS__)
#define RECSYS_CHECK_FORMAT(cond, ...) \
  RECSYS_CHECK_KIND(::recsys::ErrorKind::Format, cond, __VA_ARGS__)

// RECSYS_FAIL(NotFound, "unknown item '", id, "'"): the kind's name without the enum prefix.
#define RECSYS_FAIL(kind, ...) \
  throw ::recsys::Error(::recsys::ErrorKind::kind, ::recsys::detail::concat(__VA_ARGS__))
