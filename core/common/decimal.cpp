#include "common/decimal.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include <nlohmann/json.hpp>

namespace recsys {
namespace {

constexpr int kMaxDigits = 800;
constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                             1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

// A non-negative integer in base 2^32, least significant limb first, no leading zero limbs.
class Big {
 public:
  explicit Big(std::uint64_t v) {
    while (v) {
      limbs_.push_back(static_cast<std::uint32_t>(v));
      v >>= 32;
    }
  }
  // this = this * m + add
  void mul_add(std::uint32_t m, std::uint32_t add) {
    std::uint64_t carry = add;
    for (auto& x : limbs_) {
      const std::uint64_t t = std::uint64_t{x} * m + carry;
      x = static_cast<std::uint32_t>(t);
      carry = t >> 32;
    }
    if (carry) limbs_.push_back(static_cast<std::uint32_t>(carry));
  }
  void mul_pow5(int n) {
    static constexpr std::uint32_t kPow5[] = {1,       5,        25,        125,       625,
                                              3125,    15625,    78125,     390625,    1953125,
                                              9765625, 48828125, 244140625, 1220703125};
    for (; n >= 13; n -= 13) mul_add(kPow5[13], 0);
    if (n > 0) mul_add(kPow5[n], 0);
  }
  void shift_left(int bits) {
    if (limbs_.empty() || bits == 0) return;
    const int whole = bits / 32, part = bits % 32;
    if (part) {
      std::uint32_t carry = 0;
      for (auto& x : limbs_) {
        const std::uint32_t next = x >> (32 - part);
        x = (x << part) | carry;
        carry = next;
      }
      if (carry) limbs_.push_back(carry);
    }
    limbs_.insert(limbs_.begin(), static_cast<std::size_t>(whole), 0u);
  }
  friend int compare(const Big& a, const Big& b) {
    if (a.limbs_.size() != b.limbs_.size()) return a.limbs_.size() < b.limbs_.size() ? -1 : 1;
    for (std::size_t i = a.limbs_.size(); i-- > 0;)
      if (a.limbs_[i] != b.limbs_[i]) return a.limbs_[i] < b.limbs_[i] ? -1 : 1;
    return 0;
  }

 private:
  std::vector<std::uint32_t> limbs_;
};

// The significant digits of a decimal (no leading or trailing zeros, at most kMaxDigits) and its
// exponent: value = digits * 10^exp10, plus something below one unit of the last digit if sticky.
struct Decimal {
  const char* digits[2];  // up to two runs (before and after the point)
  std::ptrdiff_t run_length[2];
  int count = 0;
  int exp10 = 0;
  bool sticky = false;

  Big integer() const {
    Big b(0);
    std::uint32_t chunk = 0;
    int in_chunk = 0, taken = 0;
    for (int r = 0; r < 2 && taken < count; ++r) {
      for (std::ptrdiff_t i = 0; i < run_length[r] && taken < count; ++i, ++taken) {
        chunk = chunk * 10 + static_cast<std::uint32_t>(digits[r][i] - '0');
        if (++in_chunk == 9) {
          b.mul_add(1000000000u, chunk);
          chunk = 0;
          in_chunk = 0;
        }
      }
    }
    if (in_chunk) {
      std::uint32_t scale = 1;
      for (int i = 0; i < in_chunk; ++i) scale *= 10;
      b.mul_add(scale, chunk);
    }
    return b;
  }
  // The first up to 19 digits, and how many they are.
  std::uint64_t leading(int& n) const {
    std::uint64_t v = 0;
    n = 0;
    for (int r = 0; r < 2; ++r)
      for (std::ptrdiff_t i = 0; i < run_length[r] && n < 19 && n < count; ++i, ++n)
        v = v * 10 + static_cast<std::uint64_t>(digits[r][i] - '0');
    return v;
  }
};

// Compares digits * 10^exp10 (+ sticky) with odd * 2^exp2.
int compare_with(const Decimal& d, std::uint64_t odd, int exp2) {
  Big left = d.integer();
  Big right(odd);
  if (d.exp10 >= 0)
    left.mul_pow5(d.exp10);
  else
    right.mul_pow5(-d.exp10);
  const int k = d.exp10 - exp2;  // the power of two left over on the left
  if (k > 0)
    left.shift_left(k);
  else
    right.shift_left(-k);
  const int c = compare(left, right);
  return c == 0 && d.sticky ? 1 : c;
}

double scaled(double x, int e) {
  for (; e > 22; e -= 22) x *= 1e22;
  for (; e < -22; e += 22) x /= 1e22;
  return e >= 0 ? x * kPow10[e] : x / kPow10[-e];
}

// The double nearest to a positive decimal, from an approximation within a few units in the last
// place, by exact comparisons with the halfway points to its neighbours.
double round_exactly(const Decimal& d, double x) {
  constexpr double kMin = std::numeric_limits<double>::denorm_min();
  constexpr double kMax = std::numeric_limits<double>::max();
  constexpr double kInf = std::numeric_limits<double>::infinity();
  if (!(x >= kMin)) x = kMin;
  if (x > kMax) x = kMax;
  for (;;) {
    std::uint64_t bits;
    std::memcpy(&bits, &x, sizeof bits);
    const int biased = static_cast<int>(bits >> 52);
    std::uint64_t m = bits & ((std::uint64_t{1} << 52) - 1);
    int e = -1074;
    if (biased) {
      m |= std::uint64_t{1} << 52;
      e = biased - 1075;
    }
    // x = m * 2^e. Above: the halfway point (2m + 1) * 2^(e - 1).
    const int up = compare_with(d, 2 * m + 1, e - 1);
    if (up > 0 || (up == 0 && (m & 1))) {
      const double next = std::nextafter(x, kInf);
      if (up == 0 || next == kInf) return next;
      x = next;
      continue;
    }
    // Below: halfway to the next smaller double, which is half as far at a power of two.
    const bool nearer = m == (std::uint64_t{1} << 52) && e > -1074;
    const int down = nearer ? compare_with(d, 4 * m - 1, e - 2) : compare_with(d, 2 * m - 1, e - 1);
    if (down < 0 || (down == 0 && (m & 1))) {
      const double prev = std::nextafter(x, 0.0);
      if (down == 0 || prev == 0) return prev;
      x = prev;
      continue;
    }
    return x;
  }
}

double to_double(const Decimal& d) {
  if (d.count == 0) return 0;
  const int magnitude = d.count + d.exp10;  // the value is below 10^magnitude
  if (magnitude > 310) return std::numeric_limits<double>::infinity();
  if (magnitude < -324) return 0;  // below 10^-324, under half the smallest subnormal
  int n = 0;
  const std::uint64_t lead = d.leading(n);
  if (n == d.count && !d.sticky && lead < (std::uint64_t{1} << 53)) {
    // Clinger's fast path: an exact integer times or over an exact power of ten, one rounding.
    const double v = static_cast<double>(lead);
    if (d.exp10 >= -22 && d.exp10 <= 22)
      return d.exp10 >= 0 ? v * kPow10[d.exp10] : v / kPow10[-d.exp10];
    // 123e25: 123e3 is still exact.
    int shift = d.exp10 - 22;
    if (shift > 0 && shift <= 22) {
      const double w = v * kPow10[shift];
      if (w < 9007199254740992.0) return w * 1e22;
    }
  }
  return round_exactly(d, scaled(static_cast<double>(lead), d.exp10 + (d.count - n)));
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// The shortest digits of v > 0 (finite) with no trailing zeros: v = digits * 10^exp10.
template <class Float>
int shortest_digits(Float v, char* buf, int& exp10) {
  int len = 0;
  nlohmann::detail::dtoa_impl::grisu2(buf, len, exp10, v);
  while (len > 1 && buf[len - 1] == '0') {
    --len;
    ++exp10;
  }
  return len;
}

// With the shortest digits: fixed notation for exponents in [-4, fixed_below), else d.ddde±XX.
// fixed_below = 0 means the digit count (printf's %g rule).
template <class Float>
std::string format(Float v, int fixed_below) {
  if (std::isnan(v)) return std::signbit(v) ? "-nan" : "nan";  // as printf
  std::string out;
  if (std::signbit(v)) {
    out.push_back('-');
    v = -v;
  }
  if (std::isinf(v)) return out + "inf";
  if (v == 0) return out + "0";
  char buf[32];
  int exp10 = 0;
  const int len = shortest_digits(v, buf, exp10);
  const int x = exp10 + len - 1;  // the exponent of the first digit
  if (x < -4 || x >= (fixed_below > 0 ? fixed_below : len)) {
    // d[.ddd]e±XX, as printf writes it.
    out.push_back(buf[0]);
    if (len > 1) {
      out.push_back('.');
      out.append(buf + 1, static_cast<std::size_t>(len - 1));
    }
    out.push_back('e');
    out.push_back(x < 0 ? '-' : '+');
    const int a = x < 0 ? -x : x;
    if (a >= 100) out.push_back(static_cast<char>('0' + a / 100));
    out.push_back(static_cast<char>('0' + a / 10 % 10));
    out.push_back(static_cast<char>('0' + a % 10));
  } else if (x >= 0) {
    out.append(buf, static_cast<std::size_t>(std::min(len, x + 1)));
    if (len < x + 1) out.append(static_cast<std::size_t>(x + 1 - len), '0');
    if (len > x + 1) {
      out.push_back('.');
      out.append(buf + x + 1, static_cast<std::size_t>(len - x - 1));
    }
  } else {
    out.append("0.");
    out.append(static_cast<std::size_t>(-x - 1), '0');
    out.append(buf, static_cast<std::size_t>(len));
  }
  return out;
}

}  // namespace

bool parse_decimal(std::string_view text, double& out) {
  const char* p = text.data();
  const char* const end = p + text.size();
  bool negative = false;
  if (p < end && (*p == '+' || *p == '-')) negative = *p++ == '-';
  const char* int_begin = p;
  while (p < end && is_digit(*p)) ++p;
  const char* int_end = p;
  const char* frac_begin = p;
  const char* frac_end = p;
  if (p < end && *p == '.') {
    frac_begin = ++p;
    while (p < end && is_digit(*p)) ++p;
    frac_end = p;
  }
  if (int_begin == int_end && frac_begin == frac_end) return false;
  long long exponent = 0;
  if (p < end && (*p == 'e' || *p == 'E')) {
    ++p;
    bool neg_exp = false;
    if (p < end && (*p == '+' || *p == '-')) neg_exp = *p++ == '-';
    if (p == end || !is_digit(*p)) return false;
    for (; p < end && is_digit(*p); ++p)
      if (exponent < 1000000) exponent = exponent * 10 + (*p - '0');
    if (neg_exp) exponent = -exponent;
  }
  if (p != end) return false;

  // The significant digits: leading zeros skipped (in both runs), trailing zeros dropped.
  Decimal d;
  d.digits[0] = int_begin;
  d.run_length[0] = int_end - int_begin;
  d.digits[1] = frac_begin;
  d.run_length[1] = frac_end - frac_begin;
  long long exp10 = exponent - d.run_length[1];
  for (int r = 0; r < 2; ++r) {
    while (d.run_length[r] > 0 && d.digits[r][0] == '0') {
      ++d.digits[r];
      --d.run_length[r];
    }
    if (d.run_length[r] > 0) break;
  }
  while (d.run_length[1] > 0 && d.digits[1][d.run_length[1] - 1] == '0') {
    --d.run_length[1];
    ++exp10;
  }
  if (d.run_length[1] == 0)
    while (d.run_length[0] > 0 && d.digits[0][d.run_length[0] - 1] == '0') {
      --d.run_length[0];
      ++exp10;
    }
  long long count = static_cast<long long>(d.run_length[0]) + d.run_length[1];
  if (count > kMaxDigits) {
    // The dropped digits end in a non-zero one (trailing zeros are gone).
    exp10 += count - kMaxDigits;
    count = kMaxDigits;
    d.sticky = true;
  }
  d.count = static_cast<int>(count);
  // Far outside the range of doubles the exponent only needs to stay far outside it.
  if (exp10 > 100000) exp10 = 100000;
  if (exp10 < -100000) exp10 = -100000;
  d.exp10 = static_cast<int>(exp10);
  const double v = to_double(d);
  out = negative ? -v : v;
  return true;
}

std::string format_shortest(double v) {
  return format(v, 0);
}
std::string format_shortest(float v) {
  return format(v, 0);
}
std::string format_readable(double v) {
  return format(v, 9);
}
std::string format_readable(float v) {
  return format(v, 9);
}

double float_as_double(float v) {
  if (!std::isfinite(v) || v == 0) return static_cast<double>(v);
  char buf[32];
  int exp10 = 0;
  const int len = shortest_digits(std::fabs(v), buf, exp10);
  std::string text(buf, static_cast<std::size_t>(len));
  text += 'e';
  text += std::to_string(exp10);
  double d = 0;
  parse_decimal(text, d);
  if (v < 0) d = -d;
  return static_cast<float>(d) == v ? d : static_cast<double>(v);
}

}  // namespace recsys
