#include "data/json_options.h"

#include "common/check.h"
#include "data/parse.h"

namespace recsys {

Json parse_json(std::string_view text, std::string_view what) {
  try {
    return parse_json_text(text);
  } catch (const JsonError& e) {  // parse_error, and out_of_range for a number that overflows
    RECSYS_FAIL(Format, what, ": invalid JSON: ", e.what());
  }
}

Json parse_json_object(std::string_view text, std::string_view what) {
  Json j = parse_json(text, what);
  RECSYS_CHECK_TYPE(j.is_object(), what, ": expected a JSON object, got ", json_text(j));
  return j;
}

void for_each_json_field(std::string_view text, std::string_view what,
                         FunctionRef<void(const JsonField&)> f) {
  const Json j = parse_json_object(text, what);
  for (const auto& [key, value] : j.members()) f(JsonField(what, key, value));
}

void JsonField::require(bool ok, std::string_view expected) const {
  RECSYS_CHECK_TYPE(ok, what_, ": '", key_, "' must be ", expected, ", got ", json_text(value_));
}

std::string JsonField::string() const {
  require(value_.is_string(), "a string");
  return value_.get<std::string>();
}

std::vector<std::string> JsonField::strings() const {
  require(value_.is_array(), "an array of strings");
  std::vector<std::string> out;
  for (const auto& s : value_) {
    require(s.is_string(), "an array of strings");
    out.push_back(s.get<std::string>());
  }
  return out;
}

bool JsonField::boolean() const {
  require(value_.is_boolean(), "true or false");
  return value_.get<bool>();
}

double JsonField::number() const {
  require(value_.is_number(), "a number");
  return value_.get<double>();
}

bool is_int32(const Json& j) {
  if (j.is_number_unsigned()) return j.get<unsigned long long>() < (1ULL << 31);
  return j.is_number_integer() && j.get<long long>() >= -(1LL << 31) &&
         j.get<long long>() < (1LL << 31);
}

int JsonField::integer(long long lo) const {
  // A string is a type error; 1.5 or an integer out of bounds is a range error.
  RECSYS_CHECK_TYPE(value_.is_number(), what_, ": '", key_, "' must be an integer >= ", lo,
                    ", got ", json_text(value_));
  RECSYS_CHECK(is_int32(value_) && value_.get<long long>() >= lo, what_, ": '", key_,
               "' must be an integer >= ", lo, ", got ", json_text(value_));
  return value_.get<int>();
}

void JsonField::require_range(bool ok, std::string_view expected) const {
  RECSYS_CHECK(ok, what_, ": '", key_, "' must be ", expected, ", got ", json_text(value_));
}

std::int64_t JsonField::time() const {
  if (value_.is_number_integer()) return value_.get<std::int64_t>();
  std::int64_t t = 0;
  require(value_.is_string() && try_parse_timestamp(value_.get<std::string>(), t),
          "a date (YYYY-MM-DD) or seconds");
  return t;
}

void JsonField::unknown() const {
  RECSYS_FAIL(Type, what_, ": unknown key '", key_, "'");
}

}  // namespace recsys
