#include "io/manifest_arrays.h"

#include <array>
#include <cstddef>
#include <limits>
#include <utility>

#include "data/json_options.h"

namespace recsys::io {

namespace {

// 10^0 .. 10^22: every one exactly representable as a double.
constexpr std::array<double, 23> kPow10 = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                           1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                           1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// A JSON number token -?(0|[1-9][0-9]*)(.[0-9]+)? split into its parts; false outside that
// grammar (exponents included: they go to the slow path).
struct Number {
  bool negative = false;
  std::uint64_t mantissa = 0;  // the digits without the point, leading zeros dropped
  int significant = 0;         // digits in mantissa
  int fraction = 0;            // digits after the point
  bool has_point = false;
};

bool parse_number(std::string_view t, Number& n) {
  std::size_t p = 0;
  if (p < t.size() && t[p] == '-') {
    n.negative = true;
    ++p;
  }
  if (p >= t.size() || !is_digit(t[p])) return false;
  if (t[p] == '0' && p + 1 < t.size() && is_digit(t[p + 1])) return false;  // a leading zero
  const auto digit = [&](char c) {
    if (n.mantissa == 0 && c == '0') return true;  // leading zeros add nothing
    if (++n.significant > 18) return false;
    n.mantissa = n.mantissa * 10 + static_cast<std::uint64_t>(c - '0');
    return true;
  };
  for (; p < t.size() && is_digit(t[p]); ++p)
    if (!digit(t[p])) return false;
  if (p < t.size() && t[p] == '.') {
    n.has_point = true;
    ++p;
    if (p >= t.size() || !is_digit(t[p])) return false;
    for (; p < t.size() && is_digit(t[p]); ++p) {
      ++n.fraction;
      if (!digit(t[p])) return false;
    }
  }
  return p == t.size();
}

// The value nlohmann_json gives for the token: an integer is read as a 64-bit integer and then
// converted (get<double>()), a decimal with strtod. A decimal of at most 15 significant digits
// and 22 decimals is M / 10^k with both exact, so one IEEE division is the correctly rounded
// value that strtod returns too (Clinger's fast path).
std::optional<double> number_value(const Number& n) {
  if (!n.has_point) {
    const auto v = static_cast<std::int64_t>(n.mantissa);  // at most 18 digits: fits
    return static_cast<double>(n.negative ? -v : v);
  }
  if (n.significant > 15 || n.fraction > 22) return std::nullopt;
  const double v = static_cast<double>(n.mantissa) / kPow10[static_cast<std::size_t>(n.fraction)];
  return n.negative ? -v : v;
}

class Scanner {
 public:
  explicit Scanner(std::string_view t) : t_(t) {}

  bool at_end() {
    ws();
    return p_ == t_.size();
  }
  std::size_t pos() const { return p_; }
  void ws() {
    while (p_ < t_.size() && is_ws(t_[p_])) ++p_;
  }
  bool take(char c) {
    ws();
    if (p_ < t_.size() && t_[p_] == c) {
      ++p_;
      return true;
    }
    return false;
  }
  bool peek(char c) {
    ws();
    return p_ < t_.size() && t_[p_] == c;
  }

  // A string of printable ASCII without escapes (keys and array strings); false otherwise.
  bool plain_string(std::string_view& out) {
    if (!take('"')) return false;
    const std::size_t b = p_;
    for (; p_ < t_.size(); ++p_) {
      const char c = t_[p_];
      if (c == '"') {
        out = t_.substr(b, p_ - b);
        ++p_;
        return true;
      }
      if (c == '\\' || c < 0x20 || c > 0x7e) return false;
    }
    return false;
  }

  // Any JSON value, skipped by its brackets and strings only (nlohmann_json checks it later).
  bool skip_value() {
    ws();
    if (p_ >= t_.size()) return false;
    std::vector<char> closers;
    do {
      const char c = t_[p_];
      if (c == '"') {
        for (++p_; p_ < t_.size() && t_[p_] != '"'; ++p_)
          if (t_[p_] == '\\') ++p_;
        if (p_ >= t_.size()) return false;
        ++p_;
      } else if (c == '{' || c == '[') {
        closers.push_back(c == '{' ? '}' : ']');
        ++p_;
      } else if (c == '}' || c == ']') {
        if (closers.empty() || closers.back() != c) return false;
        closers.pop_back();
        ++p_;
      } else if (closers.empty()) {  // a scalar: up to the next delimiter
        while (p_ < t_.size() && !is_ws(t_[p_]) && t_[p_] != ',' && t_[p_] != '}' &&
               t_[p_] != ']')
          ++p_;
      } else {
        ++p_;
      }
    } while (!closers.empty() && p_ < t_.size());
    return closers.empty();
  }

  // [ elements ] with elem() reading one element; false when an element or the brackets fail.
  template <class Elem>
  bool array(Elem&& elem) {
    if (!take('[')) return false;
    if (take(']')) return true;
    do {
      ws();
      if (!elem()) return false;
    } while (take(','));
    return take(']');
  }

  // A number token, up to the next delimiter.
  std::string_view token() {
    const std::size_t b = p_;
    while (p_ < t_.size() && !is_ws(t_[p_]) && t_[p_] != ',' && t_[p_] != ']' && t_[p_] != '}')
      ++p_;
    return t_.substr(b, p_ - b);
  }

 private:
  std::string_view t_;
  std::size_t p_ = 0;
};

bool read_strings(Scanner& s, std::optional<std::vector<std::string>>& out) {
  std::vector<std::string> v;
  const bool ok = s.array([&] {
    std::string_view x;
    if (!s.plain_string(x)) return false;
    v.emplace_back(x);
    return true;
  });
  if (ok) out = std::move(v);
  return ok;
}

bool read_int32s(Scanner& s, std::optional<std::vector<std::int32_t>>& out) {
  std::vector<std::int32_t> v;
  const bool ok = s.array([&] {
    Number n;
    if (!parse_number(s.token(), n) || n.has_point) return false;
    const auto x = static_cast<std::int64_t>(n.mantissa);
    const std::int64_t y = n.negative ? -x : x;
    if (y < std::numeric_limits<std::int32_t>::min() || y > std::numeric_limits<std::int32_t>::max())
      return false;
    v.push_back(static_cast<std::int32_t>(y));
    return true;
  });
  if (ok) out = std::move(v);
  return ok;
}

bool read_doubles(Scanner& s, std::optional<std::vector<double>>& out) {
  std::vector<double> v;
  const bool ok = s.array([&] {
    Number n;
    if (!parse_number(s.token(), n)) return false;
    const auto x = number_value(n);
    if (!x) return false;
    v.push_back(*x);
    return true;
  });
  if (ok) out = std::move(v);
  return ok;
}

// Reads an object's keys; for each, on_key(key) reads the value (true) or declines (false: the
// value is skipped). A key that on_key reads twice fails the scan (nlohmann_json would keep the
// last). Returns false on anything the scan does not follow.
template <class OnKey>
bool object(Scanner& s, OnKey&& on_key) {
  if (!s.take('{')) return false;
  if (s.take('}')) return true;
  std::vector<std::string_view> read;
  do {
    std::string_view key;
    if (!s.plain_string(key) || !s.take(':')) return false;
    int r = on_key(key);  // 1 read, 0 declined, -1 failed
    if (r < 0) return false;
    if (r == 1) {
      for (auto k : read)
        if (k == key) return false;
      read.push_back(key);
    } else if (!s.skip_value()) {
      return false;
    }
  } while (s.take(','));
  return s.take('}');
}

}  // namespace

std::optional<double> fast_number(std::string_view token) {
  Number n;
  if (!parse_number(token, n)) return std::nullopt;
  return number_value(n);
}

std::optional<SplitManifest> split_manifest(std::string_view text) {
  Scanner s(text);
  SplitManifest out;
  ManifestArrays& a = out.arrays;
  std::vector<std::pair<std::size_t, std::size_t>> spans;  // the arrays read, in text order
  // Reads one array at the scanner with `read`, remembering its span.
  const auto span = [&](auto read, auto& into) {
    s.ws();
    const std::size_t b = s.pos();
    if (!s.peek('[') || !read(s, into)) return -1;
    spans.emplace_back(b, s.pos());
    return 1;
  };
  const bool ok = object(s, [&](std::string_view key) {
    if (key == "users") return span(read_strings, a.users);
    if (key == "items" && s.peek('{')) {
      return object(s, [&](std::string_view k) {
               if (k == "ids") return span(read_strings, a.item_ids);
               if (k == "title") return span(read_strings, a.item_title);
               if (k == "category") return span(read_int32s, a.item_category);
               if (k == "brand") return span(read_int32s, a.item_brand);
               if (k == "price") return span(read_doubles, a.item_price);
               return 0;
             })
                 ? 1
                 : -1;
    }
    if (key == "ranking" && s.peek('{')) {
      return object(s, [&](std::string_view k) {
               if (k == "item_counts") return span(read_doubles, a.ranking_item_counts);
               return 0;
             })
                 ? 1
                 : -1;
    }
    return 0;
  });
  if (!ok || !s.at_end()) return std::nullopt;
  std::string rest;
  rest.reserve(text.size());
  std::size_t from = 0;
  for (const auto& [b, e] : spans) {
    rest.append(text.substr(from, b - from));
    rest.append("[]");
    from = e;
  }
  rest.append(text.substr(from));
  try {
    out.rest = parse_json_text(rest);
  } catch (const JsonError&) {
    return std::nullopt;
  }
  if (!out.rest.is_object()) return std::nullopt;
  return out;
}

}  // namespace recsys::io
