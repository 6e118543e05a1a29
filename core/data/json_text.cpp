#include "data/json_text.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <utility>

#include "common/decimal.h"
#include "common/sort.h"
#include "data/parse.h"

// nlohmann_json for its shortest-digits double formatting (detail::to_chars) only.
#include <nlohmann/json.hpp>

namespace recsys {
namespace {

using json = Json;
constexpr int kMaxDepth = 512;
// JSON's two-letter escapes: the letter after '\\' and the character it stands for, at the same
// index (the reader reads all of them, the writer writes all but "\\/").
constexpr const char* kEscapeLetters = "\"\\/bfnrt";
constexpr const char* kEscapedChars = "\"\\/\b\f\n\r\t";

class Reader {
 public:
  explicit Reader(std::string_view text)
      : begin_(text.data()), p_(begin_), end_(begin_ + text.size()) {}

  json document() {
    // A UTF-8 byte order mark, as nlohmann_json's lexer skips it.
    if (end_ - p_ >= 1 && static_cast<unsigned char>(*p_) == 0xEF) {
      if (end_ - p_ < 3 || static_cast<unsigned char>(p_[1]) != 0xBB ||
          static_cast<unsigned char>(p_[2]) != 0xBF)
        fail("invalid BOM; must be 0xEF 0xBB 0xBF if given");
      p_ += 3;
    }
    json v = value(0);
    space();
    if (p_ != end_) fail("unexpected content after the value; expected end of input");
    return v;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    // Where nlohmann_json's lexer would report it: the line (from 1) and the column of the byte
    // read last (the one at p_, counted once read).
    std::size_t lines = 0;
    const char* line_start = begin_;
    for (const char* q = begin_; q < p_; ++q)
      if (*q == '\n') {
        ++lines;
        line_start = q + 1;
      }
    const std::size_t column = static_cast<std::size_t>(p_ - line_start) + (p_ < end_ ? 1 : 0);
    throw JsonError("parse_error", 101,
                    "parse error at line " + std::to_string(lines + 1) + ", column " +
                        std::to_string(column) + ": syntax error: " + what);
  }

  void space() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }

  bool literal(std::string_view word) {
    if (static_cast<std::size_t>(end_ - p_) < word.size() ||
        std::string_view(p_, word.size()) != word) {
      // Point at the first byte that differs.
      for (std::size_t i = 0; i < word.size() && p_ < end_ && *p_ == word[i]; ++i) ++p_;
      fail("invalid literal; expected '" + std::string(word) + "'");
    }
    p_ += word.size();
    return true;
  }

  json value(int depth) {
    space();
    if (p_ == end_) fail("unexpected end of input; expected a value");
    switch (*p_) {
      case '{':
        return object(depth + 1);
      case '[':
        return array(depth + 1);
      case '"': {
        std::string s;
        string(s);
        return json(std::move(s));
      }
      case 't':
        literal("true");
        return json(true);
      case 'f':
        literal("false");
        return json(false);
      case 'n':
        literal("null");
        return json(nullptr);
      default:
        if (*p_ == '-' || (*p_ >= '0' && *p_ <= '9')) return number();
        fail("unexpected character; expected a value");
    }
  }

  // Past the opening bracket of a container: whether it closes at once (empty).
  bool open(int depth, char close) {
    if (depth > kMaxDepth) fail("nesting deeper than " + std::to_string(kMaxDepth) + " levels");
    ++p_;
    space();
    if (p_ < end_ && *p_ == close) {
      ++p_;
      return false;
    }
    return true;
  }

  // After a member or an element: true at ',' (another follows), false at the closing bracket.
  bool next(char close) {
    space();
    if (p_ < end_ && (*p_ == ',' || *p_ == close)) return *p_++ == ',';
    fail(std::string(p_ == end_ ? "unexpected end of input; " : "") + "expected ',' or '" + close +
         "'");
  }

  json object(int depth) {
    Json::Object members;
    if (!open(depth, '}')) return Json::object();
    do {
      space();
      if (p_ == end_ || *p_ != '"')
        fail(p_ == end_ ? "unexpected end of input; expected a key" : "expected a key (a string)");
      std::string key;
      string(key);
      space();
      if (p_ == end_ || *p_ != ':') fail("expected ':' after a key");
      ++p_;
      members.emplace_back(std::move(key), value(depth));
    } while (next('}'));
    return Json::object(std::move(members));
  }

  json array(int depth) {
    Json::Array items;
    if (open(depth, ']')) {
      do items.push_back(value(depth));
      while (next(']'));
    }
    return Json(std::move(items));
  }

  static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  unsigned hex4() {
    if (end_ - p_ < 4) {
      p_ = end_;
      fail("'\\u' must be followed by 4 hex digits");
    }
    unsigned v = 0;
    for (int i = 0; i < 4; ++i, ++p_) {
      const int h = hex_digit(*p_);
      if (h < 0) fail("'\\u' must be followed by 4 hex digits");
      v = v * 16 + static_cast<unsigned>(h);
    }
    return v;
  }

  static void append_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  void string(std::string& out) {
    ++p_;  // '"'
    for (;;) {
      // A run of bytes that need no decoding, validated as UTF-8 at once.
      const char* run = p_;
      while (p_ < end_ && *p_ != '"' && *p_ != '\\' && static_cast<unsigned char>(*p_) >= 0x20)
        ++p_;
      if (p_ > run) {
        const std::string_view bytes(run, static_cast<std::size_t>(p_ - run));
        if (!valid_utf8(bytes)) {
          p_ = run;
          fail("invalid UTF-8 in a string");
        }
        out.append(bytes);
      }
      if (p_ == end_) fail("unexpected end of input; missing closing quote");
      const char c = *p_;
      if (c == '"') {
        ++p_;
        return;
      }
      if (c != '\\') fail("control character in a string; it must be escaped");
      ++p_;
      if (p_ == end_) fail("unexpected end of input in an escape");
      const char e = *p_++;
      if (const char* c = std::strchr(kEscapeLetters, e); c && e != '\0') {
        out.push_back(kEscapedChars[c - kEscapeLetters]);
        continue;
      }
      switch (e) {
        case 'u': {
          unsigned cp = hex4();
          if (cp >= 0xDC00 && cp <= 0xDFFF)
            fail("surrogate U+DC00..U+DFFF must follow U+D800..U+DBFF");
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u')
              fail("surrogate U+D800..U+DBFF must be followed by U+DC00..U+DFFF");
            p_ += 2;
            const unsigned low = hex4();
            if (low < 0xDC00 || low > 0xDFFF)
              fail("surrogate U+D800..U+DBFF must be followed by U+DC00..U+DFFF");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          }
          append_utf8(out, cp);
          break;
        }
        default:
          --p_;
          fail("invalid escape in a string");
      }
    }
  }

  json number() {
    const char* start = p_;
    const bool negative = *p_ == '-';
    if (negative) ++p_;
    auto digits = [&] {
      const char* d = p_;
      while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
      return p_ - d;
    };
    const char* int_start = p_;
    if (digits() == 0) fail("invalid number; expected a digit");
    if (*int_start == '0' && p_ - int_start > 1) {
      p_ = int_start + 1;
      fail("invalid number; a leading zero must be alone");
    }
    bool integer = true;
    if (p_ < end_ && *p_ == '.') {
      ++p_;
      integer = false;
      if (digits() == 0) fail("invalid number; expected a digit after '.'");
    }
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      integer = false;
      if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (digits() == 0) fail("invalid number; expected a digit in the exponent");
    }
    const std::string_view text(start, static_cast<std::size_t>(p_ - start));
    if (integer) {
      if (negative) {
        std::int64_t v = 0;
        const auto r = std::from_chars(start, p_, v);
        if (r.ec == std::errc() && r.ptr == p_) return json(v);
      } else {
        std::uint64_t v = 0;
        const auto r = std::from_chars(start, p_, v);
        if (r.ec == std::errc() && r.ptr == p_) return json(v);
      }
    }
    double v = 0;
    parse_decimal(text, v);
    if (!std::isfinite(v))
      throw JsonError("out_of_range", 406, "number overflow parsing '" + std::string(text) + "'");
    return json(v);
  }

  const char* begin_;
  const char* p_;
  const char* end_;
};

// The error dump() reports for a string that is not UTF-8: the byte where decoding fails, or
// the last byte when the string ends inside a character.
[[noreturn]] void not_utf8(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  const auto byte_text = [](unsigned char c) { return std::string{hex[c >> 4], hex[c & 15]}; };
  std::size_t i = 0, good = 0;
  for (std::size_t n; i < s.size() && (n = utf8_sequence(s, i, &good)) > 0;) i += n;
  if (i + good == s.size())
    throw JsonError(
        "type_error", 316,
        "incomplete UTF-8 string; last byte: 0x" + byte_text(static_cast<unsigned char>(s.back())));
  i += good;
  throw JsonError("type_error", 316,
                  "invalid UTF-8 byte at index " + std::to_string(i) + ": 0x" +
                      byte_text(static_cast<unsigned char>(s[i])));
}

void append_escaped(std::string& out, std::string_view s) {
  if (!valid_utf8(s)) not_utf8(s);
  out.push_back('"');
  std::size_t run = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.substr(run, i - run));
    run = i + 1;
    out.push_back('\\');
    // Here c is '"', '\\' or a control character: a two-letter escape, else \u00xx.
    const char* e = std::strchr(kEscapedChars, static_cast<char>(c));
    if (c != 0 && e) {
      out.push_back(kEscapeLetters[e - kEscapedChars]);
    } else {
      static const char* hex = "0123456789abcdef";
      out.append("u00");
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  out.append(s.substr(run));
  out.push_back('"');
}

template <class Int>
void append_integer(std::string& out, Int v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_double(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out.append("null");
    return;
  }
  char buf[64];
  out.append(buf, nlohmann::detail::to_chars(buf, buf + sizeof buf, v));
}

}  // namespace

json parse_json_text(std::string_view text) {
  return Reader(text).document();
}

void append_json_text(std::string& out, const Json& j) {
  switch (j.type()) {
    case Json::Type::Null:
      out.append("null");
      return;
    case Json::Type::Boolean:
      out.append(j.get<bool>() ? "true" : "false");
      return;
    case Json::Type::Integer:
      append_integer(out, j.get<std::int64_t>());
      return;
    case Json::Type::Unsigned:
      append_integer(out, j.get<std::uint64_t>());
      return;
    case Json::Type::Float:
      append_double(out, j.get<double>());
      return;
    case Json::Type::String:
      append_escaped(out, j.string());
      return;
    case Json::Type::Array: {
      out.push_back('[');
      bool first = true;
      for (const Json& v : j.elements()) {
        if (!first) out.push_back(',');
        first = false;
        append_json_text(out, v);
      }
      out.push_back(']');
      return;
    }
    case Json::Type::Object: {
      out.push_back('{');
      bool first = true;
      for (const auto& [key, v] : j.members()) {
        if (!first) out.push_back(',');
        first = false;
        append_escaped(out, key);
        out.push_back(':');
        append_json_text(out, v);
      }
      out.push_back('}');
      return;
    }
  }
}

void append_json_string(std::string& out, std::string_view s) {
  append_escaped(out, s);
}

std::string json_text(const json& j) {
  std::string out;
  append_json_text(out, j);
  return out;
}

std::string& JsonObject::slot(std::string_view key) {
  members_.emplace_back(std::string(key), std::string());
  return members_.back().second;
}

JsonObject& JsonObject::add(std::string_view key, std::string_view value) {
  std::string& out = slot(key);
  append_escaped(out, value);
  return *this;
}

JsonObject& JsonObject::add(std::string_view key, bool value) {
  slot(key) = value ? "true" : "false";
  return *this;
}

JsonObject& JsonObject::add(std::string_view key, double value) {
  append_double(slot(key), value);
  return *this;
}

JsonObject& JsonObject::add_signed(std::string_view key, std::int64_t value) {
  append_integer(slot(key), value);
  return *this;
}

JsonObject& JsonObject::add_unsigned(std::string_view key, std::uint64_t value) {
  append_integer(slot(key), value);
  return *this;
}

namespace {
// values as a JSON array, each element written by write(out, element).
template <class T, class Write>
void append_array(std::string& out, const std::vector<T>& values, Write write) {
  out.push_back('[');
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) out.push_back(',');
    write(out, values[i]);
  }
  out.push_back(']');
}
}  // namespace

JsonObject& JsonObject::add(std::string_view key, const std::vector<int>& values) {
  append_array(slot(key), values,
               [](std::string& out, int v) { append_integer(out, static_cast<std::int64_t>(v)); });
  return *this;
}

JsonObject& JsonObject::add(std::string_view key, const std::vector<std::int64_t>& values) {
  append_array(slot(key), values, [](std::string& out, std::int64_t v) { append_integer(out, v); });
  return *this;
}

JsonObject& JsonObject::add(std::string_view key, const std::vector<std::string>& values) {
  append_array(slot(key), values,
               [](std::string& out, const std::string& v) { append_escaped(out, v); });
  return *this;
}

JsonObject& JsonObject::add(std::string_view key, const std::vector<double>& values) {
  append_array(slot(key), values, [](std::string& out, double v) { append_double(out, v); });
  return *this;
}

JsonObject& JsonObject::add_text(std::string_view key, std::string text) {
  slot(key) = std::move(text);
  return *this;
}

std::string JsonObject::text() const {
  // Keys in byte order, as std::map<std::string, json> keeps them (std::string::compare is that
  // order); of a key added more than once, the last value, as j[key] = v leaves it. One sort per
  // text: an object of many members (an evaluation's lists, one per user) stays O(n log n).
  std::vector<std::size_t> order(members_.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  sort_indices(order, [this](std::size_t a, std::size_t b) {
    const int c = members_[a].first.compare(members_[b].first);
    return c < 0 || (c == 0 && a < b);
  });
  std::string out = "{";
  bool first = true;
  for (std::size_t k = 0; k < order.size(); ++k) {
    const auto& [key, value] = members_[order[k]];
    if (k + 1 < order.size() && members_[order[k + 1]].first == key) continue;  // added again
    if (!first) out.push_back(',');
    first = false;
    append_escaped(out, key);
    out.push_back(':');
    out += value;
  }
  out.push_back('}');
  return out;
}

}  // namespace recsys
