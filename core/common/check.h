// Validation for every public input: RECSYS_CHECK(cond, message) throws recsys::Error with a
// message that names the field and the bad value. Boundaries (CLI, wasm bindings) convert it once.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace recsys {

// The one exception type the core throws for bad input or bad state.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

namespace detail {
template <class... Args>
std::string concat(const Args&... args) {
  std::ostringstream out;
  (out << ... << args);
  return out.str();
}
}  // namespace detail

}  // namespace recsys

// RECSYS_CHECK(k > 0, "k must be positive, got ", k);
#define RECSYS_CHECK(cond, ...)                                    \
  do {                                                             \
    if (!(cond)) throw ::recsys::Error(::recsys::detail::concat(__VA_ARGS__)); \
  } while (0)

#define RECSYS_FAIL(...) throw ::recsys::Error(::recsys::detail::concat(__VA_ARGS__))
