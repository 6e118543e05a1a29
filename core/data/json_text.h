// JSON text to a Json value (data/json_value.h) and back, with our own reader and writer:
// nlohmann_json's lexer, parser and serializer, with the strtod and snprintf that they call, were
// 14 KB of the serving engine's code and brought in the C library's long-double scanner and
// formatter, and its DOM another 21 KB (README, "Size"). Read and written as nlohmann_json does.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "data/json_value.h"

namespace recsys {

// The JSON value in text (RFC 8259, as json::parse reads it): strict, nothing but white space
// after the value, no comments; a UTF-8 byte order mark before it is skipped; strings must be
// UTF-8; of repeated keys the last counts; non-negative integers become unsigned numbers, negative
// ones integers, and integers beyond 64 bits, like every number with a fraction or an exponent,
// doubles (nearest, ties to even). Nesting deeper than 512 levels is refused. Errors are
// JsonError parse_error 101 ("... parse error at line L, column C: ..."), and out_of_range 406 for
// a number beyond the doubles, with nlohmann_json's texts.
Json parse_json_text(std::string_view text);

// j as compact JSON text, byte for byte what nlohmann_json's dump() writes: keys in order, no white
// space, strings as UTF-8 with '"', '\\' and control characters escaped (\b \f \n \r \t, others
// \u00xx), doubles in their shortest form that reads back ("0.1", "1.0", "1e+20"), infinities and
// NaN as null. A string that is not UTF-8 is a JsonError type_error 316, as with dump().
std::string json_text(const Json& j);
void append_json_text(std::string& out, const Json& j);
// s as a JSON string (quoted, escaped), as json_text writes it.
void append_json_string(std::string& out, std::string_view s);

// An object written as text without its DOM: text() is byte for byte what json_text writes for
// the nlohmann_json object with the same members (keys in byte order, as its std::map keeps
// them; a key added again replaces its value, as j[key] = v does). Each value is written when it
// is added. Building the DOM of an object with an initializer list cost 4-7 KB of wasm code per
// object (TwoTowerConfig::to_json alone 6.4 KB); the calls here are a few bytes per member.
class JsonObject {
 public:
  JsonObject& add(std::string_view key, std::string_view value);  // a string
  JsonObject& add(std::string_view key, const char* value) {
    return add(key, std::string_view(value));
  }
  JsonObject& add(std::string_view key, const std::string& value) {
    return add(key, std::string_view(value));
  }
  JsonObject& add(std::string_view key, bool value);
  // A double in its shortest form that reads back; infinities and NaN as null (as json_text).
  JsonObject& add(std::string_view key, double value);
  // Integers, signed or not, in decimal.
  template <class Int,
            std::enable_if_t<std::is_integral_v<Int> && !std::is_same_v<Int, bool>, int> = 0>
  JsonObject& add(std::string_view key, Int value) {
    if constexpr (std::is_signed_v<Int>)
      return add_signed(key, static_cast<std::int64_t>(value));
    else
      return add_unsigned(key, static_cast<std::uint64_t>(value));
  }
  JsonObject& add(std::string_view key, const std::vector<int>& values);  // an array of integers
  JsonObject& add(std::string_view key, const std::vector<std::int64_t>& values);
  JsonObject& add(std::string_view key, const std::vector<std::string>& values);  // of strings
  JsonObject& add(std::string_view key, const std::vector<double>& values);       // of doubles
  JsonObject& add(std::string_view key, const JsonObject& object) {
    return add_text(key, object.text());
  }
  // A value that is already JSON text (written by json_text or by another writer).
  JsonObject& add_text(std::string_view key, std::string text);

  std::string text() const;

 private:
  JsonObject& add_signed(std::string_view key, std::int64_t value);
  JsonObject& add_unsigned(std::string_view key, std::uint64_t value);
  std::string& slot(std::string_view key);

  std::vector<std::pair<std::string, std::string>> members_;  // key, value as text, as added
};

// An array written as text, element by element (objects, or values already in JSON text).
class JsonArray {
 public:
  JsonArray& add(const JsonObject& object) { return add_text(object.text()); }
  JsonArray& add_string(std::string_view s) {
    if (out_.size() > 1) out_.push_back(',');
    append_json_string(out_, s);
    return *this;
  }
  JsonArray& add_text(std::string_view text) {
    if (out_.size() > 1) out_.push_back(',');
    out_.append(text);
    return *this;
  }
  std::string text() const { return out_ + "]"; }

 private:
  std::string out_ = "[";
};

}  // namespace recsys
