// Parsing of numbers and timestamps from text, with errors that name file, line, field and value.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/decimal.h"

namespace recsys {

// Throws Error("<source>:<line>: field '<field>': <problem> (value '<value>')").
// line <= 0 omits the line; an empty field omits the field part.
[[noreturn]] void fail_at(std::string_view source, std::int64_t line, std::string_view field,
                          std::string_view value, std::string_view problem);

std::string trim(std::string_view s);

// Limits of text fields: ids (items, users, categories, brands, attribute names) and free text
// (titles, attribute values), in bytes of UTF-8.
constexpr std::size_t kMaxIdBytes = 1024;
constexpr std::size_t kMaxTextBytes = 65536;
// Whether s is well-formed UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF).
bool valid_utf8(std::string_view s);
// The length of the well-formed UTF-8 sequence at s[i] (i < s.size()), or 0 when there is none;
// then *good (when given) is how many of its bytes came before the one where decoding fails (0:
// not a lead byte), or before the end of s when the sequence is cut short.
std::size_t utf8_sequence(std::string_view s, std::size_t i, std::size_t* good = nullptr);
// A text field that is well-formed UTF-8 of at most max_bytes, or fail_at naming it.
void check_text(std::string_view source, std::int64_t line, std::string_view field,
                std::string_view value, std::size_t max_bytes);
// A value as an error message shows it: at most 80 bytes, cut at a character, "…" when cut,
// bytes that are not UTF-8 as \xNN.
std::string display_value(std::string_view value);

// Strict parsers: the whole (trimmed) text must be one finite number. Return false otherwise.
bool try_parse_double(std::string_view text, double& out);
bool try_parse_int64(std::string_view text, std::int64_t& out);

// Parsers that throw through fail_at with the given location.
double parse_double(std::string_view text, std::string_view source, std::int64_t line,
                    std::string_view field);
std::int64_t parse_int64(std::string_view text, std::string_view source, std::int64_t line,
                         std::string_view field);

// Seconds since 1970-01-01 UTC from "YYYY-MM-DD", "YYYY-MM-DD HH:MM[:SS]", the same with 'T' and
// an optional trailing 'Z', or an integer number of seconds. Returns false when malformed.
bool try_parse_timestamp(std::string_view text, std::int64_t& out);
std::int64_t parse_timestamp(std::string_view text, std::string_view source, std::int64_t line,
                             std::string_view field);
// "YYYY-MM-DDTHH:MM:SSZ"
std::string format_timestamp(std::int64_t seconds);
// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm), and the inverse.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d);
void civil_from_days(std::int64_t days, std::int64_t& y, unsigned& m, unsigned& d);

}  // namespace recsys
