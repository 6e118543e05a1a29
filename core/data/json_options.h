// Options and requests read from JSON text, with errors that name what is being read and the key:
//   "<what>: invalid JSON: …", "<what>: expected a JSON object, got …",
//   "<what>: '<key>' must be …, got <value>", "<what>: unknown key '<key>'".
// Every from_json of the core reads its object through these, so the messages stay alike.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/function_ref.h"
#include "data/json_text.h"

namespace recsys {

// The JSON value in text; invalid JSON is an error naming `what`.
Json parse_json(std::string_view text, std::string_view what);
// The same, and it must be an object.
Json parse_json_object(std::string_view text, std::string_view what);

// Whether j is an integer that fits int32 (what get<int>() may then read). An unsigned number
// above 2^63 is not: read as long long it would wrap to a negative value.
bool is_int32(const Json& j);

// One key of an options object and its value, read with checks.
class JsonField {
 public:
  // Keeps a reference to value (which must outlive the field) and copies of what and key.
  JsonField(std::string_view what, std::string key, const Json& value)
      : what_(what), key_(std::move(key)), value_(value) {}
  const std::string& key() const { return key_; }
  const Json& value() const { return value_; }

  std::string string() const;                // a string
  std::vector<std::string> strings() const;  // an array of strings
  bool boolean() const;                      // true or false
  double number() const;                     // any number
  int integer(long long lo) const;           // an integer in [lo, 2^31)
  std::int64_t time() const;                 // seconds since 1970, or "YYYY-MM-DD"
  [[noreturn]] void unknown() const;         // "unknown key"
  // "<what>: '<key>' must be <expected>, got <value>" unless ok: a type error (require) or a
  // range error (require_range).
  void require(bool ok, std::string_view expected) const;
  void require_range(bool ok, std::string_view expected) const;

 private:
  std::string what_;
  std::string key_;
  const Json& value_;
};

// Calls f(JsonField) for each key of the object in text (in key order: Json sorts them).
void for_each_json_field(std::string_view text, std::string_view what,
                         FunctionRef<void(const JsonField&)> f);

}  // namespace recsys
