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
#include <initializer_list>
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
// One part of a message: text (viewed, not copied: the arguments outlive the call), or a number
// or a character written into the piece. Trivially destructible, so that a check's call site
// builds its pieces and makes one call, with nothing to clean up if it throws.
class Piece {
 public:
  Piece(std::string_view s) : view_(s) {}
  Piece(const char* s) : view_(s ? s : "(null)") {}
  Piece(const std::string& s) : view_(s) {}
  Piece(char c) : len_(1) { buf_[0] = c; }
  Piece(bool b) : view_(b ? "true" : "false") {}
  Piece(long long v);
  Piece(unsigned long long v);
  Piece(double v);
  Piece(float v);
  template <class T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool> &&
                                          !std::is_same_v<T, char> && std::is_signed_v<T>,
                                      int> = 0>
  Piece(T v) : Piece(static_cast<long long>(v)) {}
  template <class T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool> &&
                                          !std::is_same_v<T, char> && std::is_unsigned_v<T>,
                                      int> = 0>
  Piece(T v) : Piece(static_cast<unsigned long long>(v)) {}
  std::string_view view() const { return len_ >= 0 ? std::string_view(buf_, len_) : view_; }

 private:
  std::string_view view_;
  int len_ = -1;  // >= 0: the text is buf_'s first len_ bytes
  char buf_[32];
};

// Throws Error(kind, the pieces joined): one function for every check of the core.
[[noreturn]] void throw_error(ErrorKind kind, std::initializer_list<Piece> pieces);
}  // namespace detail

}  // namespace recsys

#define RECSYS_CHECK_KIND(kind, cond, ...)                             \
  do {                                                                 \
    if (!(cond)) ::recsys::detail::throw_error((kind), {__VA_ARGS__}); \
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
  ::recsys::detail::throw_error(::recsys::ErrorKind::kind, {__VA_ARGS__})
