#include "common/detmath.h"

#include <cmath>
#include <limits>

namespace recsys::detmath {

namespace {
constexpr double kLn2Hi = 6.93147180369123816490e-01;  // ln 2 split so that n * kLn2Hi is exact
constexpr double kLn2Lo = 1.90821492927058770002e-10;
constexpr double kLn2 = 0.69314718055994530942;
constexpr double kSqrtHalf = 0.70710678118654752440;
}  // namespace

double log(double x) {
  if (std::isnan(x) || x < 0) return std::numeric_limits<double>::quiet_NaN();
  if (x == 0) return -std::numeric_limits<double>::infinity();
  if (std::isinf(x)) return x;
  int e = 0;
  double m = std::frexp(x, &e);  // x = m * 2^e, m in [0.5, 1)
  if (m < kSqrtHalf) {
    m *= 2;
    e -= 1;
  }
  // m in [sqrt(1/2), sqrt(2)): log m = 2 atanh(f), f = (m-1)/(m+1), |f| <= 0.1716
  const double f = (m - 1) / (m + 1);
  const double f2 = f * f;
  double series = 1.0 / 23;
  for (int k = 21; k >= 1; k -= 2) series = series * f2 + 1.0 / k;
  return 2 * f * series + e * kLn2;
}

double exp(double x) {
  if (std::isnan(x)) return x;
  if (x > 709.782712893384) return std::numeric_limits<double>::infinity();
  if (x < -745.2) return 0.0;
  const double n = std::floor(x / kLn2 + 0.5);
  const double r = (x - n * kLn2Hi) - n * kLn2Lo;  // |r| <= ~0.347
  double p = 1.0 / 6227020800.0;                   // 1/13!
  double fact = 6227020800.0;
  for (int k = 13; k >= 1; --k) {
    fact /= k;  // fact = (k-1)!
    p = p * r + 1.0 / fact;
  }
  return std::ldexp(p, static_cast<int>(n));
}

double pow(double x, double y) {
  return exp(y * log(x));
}

double sigmoid(double x) {
  if (x >= 0) return 1.0 / (1.0 + exp(-x));
  const double e = exp(x);
  return e / (1.0 + e);
}

}  // namespace recsys::detmath
