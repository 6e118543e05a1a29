// Decimal text and binary floating point, both ways, without the C library's strtod and printf:
// in WebAssembly those two bring musl's long-double scanner and formatter (software 128-bit
// arithmetic), about 12 KB of the serving engine's gzipped 210 (README, "Size").
#pragma once

#include <string>
#include <string_view>

namespace recsys {

// The whole of text as a decimal number, rounded to the nearest double (ties to even), as strtod
// reads decimal text: [+-]? (digits [. digits*] | . digits) ([eE] [+-]? digits)?. No hexadecimal,
// "inf" or "nan", no white space. Returns false if text is not of that form (out is then left as it
// was). Beyond the largest double the result is ±infinity, below the smallest ±0 (or a subnormal),
// as strtod. Digits past the 800th count only as "more than zero", which decides no rounding of a
// double (a double's halfway point has at most 767 significant digits).
bool parse_decimal(std::string_view text, double& out);

// The shortest decimal text that parse_decimal reads back as v, formatted as printf's "%.<n>g" with
// n its digit count: 0.1 -> "0.1", 49.99 -> "49.99", 100 -> "1e+02", 1.5e-7 -> "1.5e-07", -0.0 ->
// "-0"; "inf", "-inf", "nan". The digits are Grisu2's (nlohmann_json's dtoa): the shortest
// for nearly every value, at most one digit longer, always read back exactly.
std::string format_shortest(double v);
// The same for a float: the shortest text that a float reads back from (0.1f -> "0.1").
std::string format_shortest(float v);

// The same digits for messages, in fixed notation from 1e-4 up to 1e9 (50 -> "50", 1.5e9 ->
// "1.5e+09"): printf's "%.9g" without its rounding to 9 digits.
std::string format_readable(double v);
std::string format_readable(float v);

// The double nearest to the float's shortest decimal text (0.05f -> 0.05, not 0.0500000007), so
// that JSON shows floats as written; a float that this double would not convert back to exactly
// (there is one, 7.0385307e-26f) is returned as it is.
double float_as_double(float v);

}  // namespace recsys
