// JSON text to nlohmann::json and back, with our own reader and writer: nlohmann_json's lexer,
// parser and serializer, with the strtod and snprintf that they call, were 14 KB of the serving
// engine's code and brought in the C library's long-double scanner and formatter (README, "Size").
// The values are nlohmann_json's DOM, read and written as nlohmann_json does.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace recsys {

// The JSON value in text (RFC 8259, as json::parse reads it): strict, nothing but white space
// after the value, no comments; a UTF-8 byte order mark before it is skipped; strings must be
// UTF-8; of repeated keys the last counts; non-negative integers become unsigned numbers, negative
// ones integers, and integers beyond 64 bits, like every number with a fraction or an exponent,
// doubles (nearest, ties to even). Nesting deeper than 512 levels is refused. Errors are
// nlohmann::json::parse_error ("... parse error at line L, column C: ..."), and out_of_range for a
// number beyond the doubles.
nlohmann::json parse_json_text(std::string_view text);

// j as compact JSON text, byte for byte what j.dump() writes: keys in order, no white space,
// strings as UTF-8 with '"', '\\' and control characters escaped (\b \f \n \r \t, others \u00xx),
// doubles in their shortest form that reads back ("0.1", "1.0", "1e+20"), infinities and NaN
// as null. A string that is not UTF-8 is a nlohmann::json::type_error (316), as with dump().
std::string json_text(const nlohmann::json& j);
void append_json_text(std::string& out, const nlohmann::json& j);

}  // namespace recsys
