#include "data/parse.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>

#include "common/check.h"

namespace recsys {

void fail_at(std::string_view source, std::int64_t line, std::string_view field,
             std::string_view value, std::string_view problem) {
  std::string msg(source);
  if (line > 0) msg += ":" + std::to_string(line);
  msg += ": ";
  if (!field.empty()) msg += "field '" + std::string(field) + "': ";
  msg += problem;
  if (!value.empty() || !field.empty())
    msg += " (value '" + display_value(value) + "')";
  throw Error(ErrorKind::Format, msg);
}

std::size_t utf8_sequence(std::string_view s, std::size_t i, std::size_t* good) {
  const auto b = [&](std::size_t j) { return static_cast<unsigned char>(s[j]); };
  const unsigned char c = b(i);
  if (c < 0x80) return 1;
  std::size_t n;
  unsigned char lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;  // overlong
    if (c == 0xED) hi = 0x9F;  // surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;  // overlong
    if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    if (good) *good = 0;
    return 0;
  }
  // The continuation bytes in order: the first one missing or out of range ends it.
  for (std::size_t j = 1; j < n; ++j) {
    if (i + j == s.size() || b(i + j) < (j == 1 ? lo : 0x80) || b(i + j) > (j == 1 ? hi : 0xBF)) {
      if (good) *good = j;
      return 0;
    }
  }
  return n;
}

bool valid_utf8(std::string_view s) {
  const std::size_t size = s.size();
  for (std::size_t i = 0; i < size;) {
    // ASCII (every byte below 0x80, each a sequence of its own) eight bytes at a time: catalog
    // text is mostly ASCII, and a call per byte was most of loading a shop's catalog.
    std::uint64_t w;
    if (i + 8 <= size && (std::memcpy(&w, s.data() + i, 8), (w & 0x8080808080808080ULL) == 0)) {
      i += 8;
      continue;
    }
    const std::size_t n = utf8_sequence(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string display_value(std::string_view value) {
  std::string out;
  std::size_t i = 0;
  while (i < value.size()) {
    const std::size_t n = utf8_sequence(value, i);
    if (out.size() + (n == 0 ? 4 : n) > 80) break;
    if (n == 0) {
      static const char* hex = "0123456789abcdef";
      const auto c = static_cast<unsigned char>(value[i]);
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
      ++i;
    } else {
      out.append(value.substr(i, n));
      i += n;
    }
  }
  if (i < value.size()) out += "\u2026";
  return out;
}

void check_text(std::string_view source, std::int64_t line, std::string_view field,
                std::string_view value, std::size_t max_bytes) {
  if (value.size() > max_bytes)
    fail_at(source, line, field, value,
            "longer than " + std::to_string(max_bytes) + " bytes (" +
                std::to_string(value.size()) + ")");
  if (!valid_utf8(value)) fail_at(source, line, field, value, "not valid UTF-8");
}

std::string trim(std::string_view s) {
  std::size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\r' || s[b] == '\n')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r' || s[e - 1] == '\n'))
    --e;
  return std::string(s.substr(b, e - b));
}

bool try_parse_double(std::string_view text, double& out) {
  const std::string t = trim(text);
  if (t.empty()) return false;
  double v = 0;
  if (!parse_decimal(t, v) || !std::isfinite(v)) return false;
  out = v;
  return true;
}

bool try_parse_int64(std::string_view text, std::int64_t& out) {
  const std::string t = trim(text);
  if (t.empty()) return false;
  const char* b = t.data();
  if (*b == '+') ++b;
  const auto r = std::from_chars(b, t.data() + t.size(), out);
  return r.ec == std::errc() && r.ptr == t.data() + t.size();
}

double parse_double(std::string_view text, std::string_view source, std::int64_t line,
                    std::string_view field) {
  double v = 0;
  if (!try_parse_double(text, v)) fail_at(source, line, field, text, "not a number");
  return v;
}

std::int64_t parse_int64(std::string_view text, std::string_view source, std::int64_t line,
                         std::string_view field) {
  std::int64_t v = 0;
  if (!try_parse_int64(text, v)) fail_at(source, line, field, text, "not an integer");
  return v;
}

std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

namespace {
bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}
}  // namespace

bool try_parse_timestamp(std::string_view text, std::int64_t& out) {
  const std::string t = trim(text);
  std::int64_t epoch = 0;
  if (try_parse_int64(t, epoch)) {
    out = epoch;
    return true;
  }
  std::string_view s = t;
  if (!s.empty() && s.back() == 'Z') s.remove_suffix(1);
  int y, mo, d, h = 0, mi = 0, sec = 0;
  if (s.size() < 10 || !digits(s, 0, 4, y) || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d))
    return false;
  if (s.size() > 10) {
    if ((s[10] != ' ' && s[10] != 'T') || s.size() < 16 || !digits(s, 11, 2, h) || s[13] != ':' ||
        !digits(s, 14, 2, mi))
      return false;
    if (s.size() > 16) {
      if (s.size() < 19 || s[16] != ':' || !digits(s, 17, 2, sec)) return false;
      std::size_t p = 19;  // optional fraction of a second, ignored
      if (p < s.size() && s[p] == '.') {
        ++p;
        while (p < s.size() && s[p] >= '0' && s[p] <= '9') ++p;
      }
      if (p != s.size()) return false;
    }
  }
  static const int kDaysIn[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (mo < 1 || mo > 12 || d < 1 || d > kDaysIn[mo - 1] || h > 23 || mi > 59 || sec > 60)
    return false;
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (mo == 2 && d == 29 && !leap) return false;
  out = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 + h * 3600 +
        mi * 60 + sec;
  return true;
}

std::int64_t parse_timestamp(std::string_view text, std::string_view source, std::int64_t line,
                             std::string_view field) {
  std::int64_t v = 0;
  if (!try_parse_timestamp(text, v))
    fail_at(source, line, field, text,
            "not a timestamp (expected YYYY-MM-DD[ HH:MM:SS] or seconds since 1970)");
  return v;
}

std::string format_timestamp(std::int64_t seconds) {
  std::int64_t days = seconds / 86400;
  std::int64_t rem = seconds % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  std::int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  // "%04lld-%02u-%02uT%02d:%02d:%02dZ" without printf (common/decimal.h).
  std::string out = std::to_string(y < 0 ? -y : y);
  const std::size_t width = y < 0 ? 3 : 4;  // the sign counts in printf's width
  if (out.size() < width) out.insert(0, width - out.size(), '0');
  if (y < 0) out.insert(0, 1, '-');
  const auto two = [&out](char sep, unsigned v) {
    out.push_back(sep);
    out.push_back(static_cast<char>('0' + v / 10 % 10));
    out.push_back(static_cast<char>('0' + v % 10));
  };
  const auto r = static_cast<unsigned>(rem);
  two('-', m);
  two('-', d);
  two('T', r / 3600);
  two(':', r / 60 % 60);
  two(':', r % 60);
  out.push_back('Z');
  return out;
}

}  // namespace recsys
