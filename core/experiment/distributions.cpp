#include "experiment/distributions.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

namespace recsys::experiment::dist {

namespace {

constexpr double kLogSqrt2Pi = 0.918938533204672741780;  // log sqrt(2 pi)
constexpr double kSqrtHalf = 0.707106781186547524401;
constexpr double kPi = 3.14159265358979323846;
constexpr double kTiny = 1e-300;  // Lentz's guard against a zero denominator
constexpr int kMaxTerms = 1000000;

// log Gamma(x) - [(x - 1/2) log x - x + log sqrt(2 pi)] for x >= 15: Stirling's series to its
// x^-9 term (the next is below 3e-16 there).
double stirling_correction(double x) {
  const double r = 1 / x, r2 = r * r;
  return r * (1.0 / 12 +
              r2 * (-1.0 / 360 + r2 * (1.0 / 1260 + r2 * (-1.0 / 1680 + r2 * (1.0 / 1188)))));
}

// log(1 + e) - e, without cancelling for small e (> -1).
double log1pmx(double e) {
  if (std::fabs(e) > 0.25) return std::log1p(e) - e;
  // -e^2/2 + e^3/3 - e^4/4 + ...: |e| <= 1/4 needs about 25 terms for 1e-17.
  double term = e, sum = 0;
  for (int k = 2; k < 60; ++k) {
    term *= -e;
    const double add = term / k;
    sum += add;
    if (std::fabs(add) <= 1e-17 * std::fabs(sum)) break;
  }
  return sum;
}

// Lentz's continued fraction for I_x(a, b) (Numerical Recipes 6.4): I = x^a y^b / (a B(a, b))
// times this, converging fast for x < (a + 1) / (a + b + 2).
double beta_fraction(double a, double b, double x) {
  const double qab = a + b, qap = a + 1, qam = a - 1;
  auto guard = [](double v) { return std::fabs(v) < kTiny ? kTiny : v; };
  double c = 1, d = 1 / guard(1 - qab * x / qap), h = d;
  for (int m = 1; m < kMaxTerms; ++m) {
    const double m2 = 2.0 * m;
    double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
    d = 1 / guard(1 + aa * d);
    c = guard(1 + aa / c);
    h *= d * c;
    aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
    d = 1 / guard(1 + aa * d);
    c = guard(1 + aa / c);
    const double del = d * c;
    h *= del;
    if (std::fabs(del - 1) <= 1e-16) break;
  }
  return h;
}

// x^a e^-x / Gamma(a), through log1pmx for large a (where a log x - x and log Gamma(a) cancel).
double gamma_front(double a, double x) {
  if (a < 15) return std::exp(a * std::log(x) - x - log_gamma(a));
  return std::exp(a * log1pmx((x - a) / a) + 0.5 * std::log(a / (2 * kPi)) -
                  stirling_correction(a));
}

double normal_cdf_of(double z) {
  return 0.5 * std::erfc(-z * kSqrtHalf);
}

// {df / (df + t^2), t^2 / (df + t^2)}, each without cancellation, and without forming t^2
// where it would overflow (beyond 1.3e154, which a small df's far quantiles reach).
std::pair<double, double> shares(double df, double t) {
  const double a = std::fabs(t);
  if (a * a > df) {
    const double r = df / a / a;
    return {r / (1 + r), 1 / (1 + r)};
  }
  const double r = a / df * a;
  return {1 / (1 + r), r / (1 + r)};
}

// log(1 + t^2 / df), for any finite t.
double log1p_t2(double t, double df) {
  const double a = std::fabs(t);
  if (a * a > df) return 2 * std::log(a) - std::log(df) + std::log1p(df / a / a);
  return std::log1p(a / df * a);
}

// The 8-point Gauss-Legendre rule on [-1, 1], by Newton's method on P_8 (once).
struct GaussLegendre8 {
  double node[8], weight[8];
  GaussLegendre8() {
    for (int i = 0; i < 8; ++i) {
      double x = std::cos(kPi * (i + 0.75) / 8.5), dp = 1;
      for (int it = 0; it < 100; ++it) {
        double p0 = 1, p1 = x;
        for (int k = 2; k <= 8; ++k) {
          const double p2 = ((2 * k - 1) * x * p1 - (k - 1) * p0) / k;
          p0 = p1;
          p1 = p2;
        }
        dp = 8 * (x * p1 - p0) / (x * x - 1);
        const double dx = p1 / dp;
        x -= dx;
        if (std::fabs(dx) < 1e-17) break;
      }
      node[i] = x;
      weight[i] = 2 / ((1 - x * x) * dp * dp);
    }
  }
};

// P(T > t), t >= 0, for large df as the integral of the density from t (composite
// Gauss-Legendre, 48 panels): the continued fraction loses digits there (its terms cancel for x
// near 1: 2e-10 at df 1e7), while the density (through log1p) keeps them. The window ends where
// the density has fallen below 1e-20 of its value at t: 12 units near the centre, 60 / slope in
// the tail, where the log-density falls at slope (df + 1) t / (df + t^2) (panels 1.25 / slope
// wide then, so that each sees the same smooth shape).
double t_upper_by_quadrature(double t, double df) {
  static const GaussLegendre8 rule;
  const double log_scale = -log_beta(0.5 * df, 0.5) - 0.5 * std::log(df);
  const double slope = (df + 1) / (df / t + t);  // t > 0
  const double h = (slope > 5 ? 60 / slope : 12) / 48;
  double sum = 0;
  for (int panel = 0; panel < 48; ++panel) {  // outward from t, until a panel adds nothing
    const double mid = t + (panel + 0.5) * h;
    double part = 0;
    for (int i = 0; i < 8; ++i) {
      const double s = mid + 0.5 * h * rule.node[i];
      part += rule.weight[i] * std::exp(log_scale - 0.5 * (df + 1) * std::log1p(s * s / df));
    }
    sum += part;
    if (part <= 1e-18 * sum) break;
  }
  return 0.5 * h * sum;
}

}  // namespace

double log_gamma(double x) {
  // Shifted up to 15 for Stirling's series: log Gamma(x) = log Gamma(x + n) - log(x ... (x+n-1)).
  double product = 1;
  while (x < 15) {
    product *= x;
    x += 1;
  }
  return (x - 0.5) * std::log(x) - x + kLogSqrt2Pi + stirling_correction(x) - std::log(product);
}

double log_beta(double a, double b) {
  if (a > b) std::swap(a, b);
  if (b < 15) return log_gamma(a) + log_gamma(b) - log_gamma(a + b);
  const double s = a + b;
  const double tail = stirling_correction(b) - stirling_correction(s);
  // Both large: Stirling for all three, the x log x terms combined into logs of ratios
  // (a - 1/2) log(a / s) + (b - 1/2) log(b / s) - log(s) / 2, none of them cancelling.
  if (a >= 15)
    return kLogSqrt2Pi - 0.5 * std::log(s) - (a - 0.5) * std::log1p(b / a) -
           (b - 0.5) * std::log1p(a / b) + stirling_correction(a) + tail;
  // b large: log Gamma(b) - log Gamma(s) = (b - 1/2) log(b / s) - a log s + a + the corrections.
  return log_gamma(a) - (b - 0.5) * std::log1p(a / b) - a * std::log(s) + a + tail;
}

namespace {
// x^a y^b / B(a, b) for 0 < x < 1, y = 1 - x: each log from the smaller of x and y (log1p of the
// other side).
double beta_front(double a, double b, double x, double y) {
  const double lx = x > 0.5 ? std::log1p(-y) : std::log(x);
  const double ly = y > 0.5 ? std::log1p(-x) : std::log(y);
  return std::exp(a * lx + b * ly - log_beta(a, b));
}
}  // namespace

double ibeta(double a, double b, double x, double y) {
  if (x <= 0) return 0;
  if (y <= 0) return 1;
  const double front = beta_front(a, b, x, y);
  if (x * (a + b + 2) < a + 1) return std::min(1.0, front * beta_fraction(a, b, x) / a);
  return std::max(0.0, 1 - front * beta_fraction(b, a, y) / b);
}

double gamma_q(double a, double x) {
  if (std::isnan(a) || std::isnan(x)) return std::numeric_limits<double>::quiet_NaN();
  if (!(x > 0)) return 1;
  if (std::isinf(x)) return 0;
  const double front = gamma_front(a, x);
  if (x < a + 1) {
    // The series of P(a, x) = front * sum_n x^n / (a (a + 1) ... (a + n)); Q = 1 - P.
    double ap = a, del = 1 / a, sum = del;
    for (int n = 0; n < kMaxTerms; ++n) {
      ap += 1;
      del *= x / ap;
      sum += del;
      if (std::fabs(del) <= 1e-17 * std::fabs(sum)) break;
    }
    return std::max(0.0, 1 - front * sum);
  }
  // Lentz's continued fraction for Q (Numerical Recipes 6.2).
  auto guard = [](double v) { return std::fabs(v) < kTiny ? kTiny : v; };
  double b = x + 1 - a, c = 1 / kTiny, d = 1 / b, h = d;
  for (int i = 1; i < kMaxTerms; ++i) {
    const double an = -i * (i - a);
    b += 2;
    d = 1 / guard(an * d + b);
    c = guard(b + an / c);
    const double del = d * c;
    h *= del;
    if (std::fabs(del - 1) <= 1e-16) break;
  }
  return std::min(1.0, front * h);
}

double normal_upper(double z) {
  return 0.5 * std::erfc(z * kSqrtHalf);
}

double normal_upper_quantile(double q) {
  if (q == 0.5) return 0;
  if (q > 0.5) return -normal_upper_quantile(1 - q);  // 1 - q is exact for q >= 1/2
  // Abramowitz & Stegun 26.2.23 to start (error below 4.5e-4), then Halley's method on
  // Q(z) - q (Q' = -phi, Q'' = z phi): two or three steps to full precision.
  const double t = std::sqrt(-2 * std::log(q));
  double z = t - (2.515517 + t * (0.802853 + t * 0.010328)) /
                     (1 + t * (1.432788 + t * (0.189269 + t * 0.001308)));
  for (int i = 0; i < 10; ++i) {
    const double phi = std::exp(-0.5 * z * z - kLogSqrt2Pi);
    if (!(phi > 0)) break;
    // Q(z) - q, near the centre as (1/2 - q) - erf(z / sqrt 2) / 2 (1/2 - q is exact there).
    const double residual =
        q > 0.25 ? (0.5 - q) - 0.5 * std::erf(z * kSqrtHalf) : normal_upper(z) - q;
    const double r = residual / phi;
    const double step = r / (1 - 0.5 * r * z);
    z += step;
    if (std::fabs(step) <= 1e-15 * std::fabs(z)) break;
  }
  return z;
}

double t_upper(double t, double df) {
  if (t == 0) return 0.5;
  if (df > 1e4) return t > 0 ? t_upper_by_quadrature(t, df) : 1 - t_upper_by_quadrature(-t, df);
  // P(T > |t|) = I_x(df / 2, 1 / 2) / 2 with x = df / (df + t^2), y = t^2 / (df + t^2).
  const auto [x, y] = shares(df, t);
  const double tail = 0.5 * ibeta(0.5 * df, 0.5, x, y);
  return t > 0 ? tail : 1 - tail;
}

double t_density(double t, double df) {
  return std::exp(-log_beta(0.5 * df, 0.5) - 0.5 * std::log(df) - 0.5 * (df + 1) * log1p_t2(t, df));
}

double t_upper_quantile(double q, double df) {
  if (q == 0.5) return 0;
  if (q > 0.5) return -t_upper_quantile(1 - q, df);
  if (df == 1) return 1 / std::tan(kPi * q);                     // Cauchy
  if (df == 2) return (1 - 2 * q) / std::sqrt(2 * q * (1 - q));  // closed form
  const double lq = std::log(q);
  // Two starts, the better kept: the Cornish-Fisher expansion around the normal quantile (good
  // for larger df) and the tail's power law P(T > t) ~ df^(df/2 - 1) t^-df / B(df/2, 1/2) (small
  // df, far tails).
  const double z = normal_upper_quantile(q), z2 = z * z;
  const double cf = z + z * (z2 + 1) / (4 * df) + z * (5 * z2 * z2 + 16 * z2 + 3) / (96 * df * df);
  const double power =
      std::exp(0.5 * std::log(df) - (lq + std::log(df) + log_beta(0.5 * df, 0.5)) / df);
  auto miss = [&](double t) { return std::fabs(std::log(t_upper(t, df)) - lq); };
  double t = df >= 10 ? cf : cf > 0 && miss(cf) <= miss(power) ? cf : power;
  // Newton's method on log P(T > t) - log q, kept inside a bracket [lo, hi] of the root.
  double lo = 0, hi = std::numeric_limits<double>::infinity();
  for (int i = 0; i < 400; ++i) {
    const double tail = t_upper(t, df);
    if (tail > q)
      lo = t;
    else if (tail < q)
      hi = t;
    else
      return t;
    const double f = t_density(t, df);
    double next = tail > 0 && f > 0 ? t + (std::log(tail) - lq) * tail / f
                                    : std::numeric_limits<double>::quiet_NaN();
    // Newton converges quadratically: a step this small leaves an error near 1e-16 of t.
    if (next > lo && next < hi && std::fabs(next - t) <= 1e-8 * next) return next;
    if (!(next > lo && next < hi)) {
      if (std::isinf(hi))
        next = 2 * t + 1;
      else
        next = lo > 0 && hi > 4 * lo ? std::sqrt(lo * hi) : 0.5 * (lo + hi);
    }
    if (std::fabs(next - t) <= 2e-16 * next || (std::isfinite(hi) && hi - lo <= 2e-16 * hi))
      return next;
    t = next;
  }
  return t;
}

double nct_cdf(double t, double df, double delta) {
  if (std::isnan(t) || std::isnan(df) || std::isnan(delta))
    return std::numeric_limits<double>::quiet_NaN();
  // A noncentrality whose square underflows is the central t (they differ by under 1e-160).
  if (0.5 * delta * delta == 0) return t_upper(-t, df);
  if (std::isinf(delta)) return delta > 0 ? 0 : 1;
  // The lower tail as the complement of the upper one (as AS 243): accurate to 1e-16 absolute.
  if (t < 0) return 1 - nct_cdf(-t, df, -delta);
  // Past a noncentrality of 1e4 (l = 5e7 terms from the first) the normal limit below serves too:
  // the mixture's terms would be summed one by one for seconds.
  if (df > 1e7 || std::fabs(delta) > 1e4)
    // Abramowitz & Stegun 26.7.10, the normal limit with its 1/df terms
    return normal_cdf_of((t * (1 - 0.25 / df) - delta) / std::hypot(1.0, t / std::sqrt(2 * df)));
  const double base = normal_upper(delta);  // Phi(-delta)
  if (t == 0) return base;
  // F(t) = Phi(-delta) + 1/2 sum_j [p_j I_x(j + 1/2, df/2) + q_j I_x(j + 1, df/2)] with
  // x = t^2 / (t^2 + df), p_j = e^-l l^j / j!, q_j = delta e^-l l^j / (sqrt 2 Gamma(j + 3/2)),
  // l = delta^2 / 2; summed from the largest weight outward, upward until the terms (weights and
  // betas both falling) are negligible, downward until the weights are.
  // (Not a structured binding: C++17 lambdas cannot capture one.)
  const std::pair<double, double> split = shares(df, t);
  const double y = split.first, x = split.second;
  const double l = 0.5 * delta * delta, log_l = std::log(l), b = 0.5 * df;
  const double log_q0 = std::log(std::fabs(delta)) + std::log(kSqrtHalf);
  struct Term {
    double weight, bound, value;  // p_j + |q_j|, the term's size without the signs, the term
  };
  auto term = [&](double j) {
    const double common = -l + j * log_l;
    const double p = std::exp(common - log_gamma(j + 1));
    const double q = std::copysign(std::exp(log_q0 + common - log_gamma(j + 1.5)), delta);
    const double i1 = ibeta(j + 0.5, b, x, y), i2 = ibeta(j + 1, b, x, y);
    return Term{p + std::fabs(q), p * i1 + std::fabs(q) * i2, p * i1 + q * i2};
  };
  const double mode = std::floor(l);
  double sum = 0;
  // As AS 243, after the mode's two betas the others by their recurrence in a,
  //   I_x(a + 1, b) = I_x(a, b) - g(a),  g(a) = x^a y^b / (a B(a, b)),
  //   g(a + 1) = g(a) x (a + b) / (a + 1),
  // and the weights by their ratios: two incomplete betas in all instead of two a term. Where
  // the mode's g underflows (x tiny, a large) the terms are each computed in full.
  const double g1 = beta_front(mode + 0.5, b, x, y) / (mode + 0.5),
               g2 = beta_front(mode + 1, b, x, y) / (mode + 1);
  if (!(g1 > 0 && g2 > 0)) {
    for (double j = mode; j < mode + kMaxTerms; j += 1) {
      const Term k = term(j);
      sum += k.value;
      if (k.bound <= 1e-17 * (2 * base + std::fabs(sum)) + kTiny) break;
    }
    for (double j = mode - 1; j >= 0 && j > mode - kMaxTerms; j -= 1) {
      const Term k = term(j);
      sum += k.value;
      if (k.weight <= 1e-17 * (2 * base + std::fabs(sum)) + kTiny) break;
    }
    return std::clamp(base + 0.5 * sum, 0.0, 1.0);
  }
  const double p0 = std::exp(-l + mode * log_l - log_gamma(mode + 1));
  const double q0 =
      std::copysign(std::exp(log_q0 - l + mode * log_l - log_gamma(mode + 1.5)), delta);
  const double i1 = ibeta(mode + 0.5, b, x, y), i2 = ibeta(mode + 1, b, x, y);
  sum = p0 * i1 + q0 * i2;
  {  // upward: weights and betas both falling
    double p = p0, q = q0, b1 = i1, b2 = i2, h1 = g1, h2 = g2;
    for (double j = mode; j < mode + kMaxTerms; j += 1) {
      b1 = std::max(0.0, b1 - h1);
      b2 = std::max(0.0, b2 - h2);
      h1 *= x * (j + 0.5 + b) / (j + 1.5);
      h2 *= x * (j + 1 + b) / (j + 2);
      p *= l / (j + 1);
      q *= l / (j + 1.5);
      sum += p * b1 + q * b2;
      if (p * b1 + std::fabs(q) * b2 <= 1e-17 * (2 * base + std::fabs(sum)) + kTiny) break;
    }
  }
  {  // downward: weights falling, betas rising to at most 1
    double p = p0, q = q0, b1 = i1, b2 = i2, h1 = g1, h2 = g2;
    for (double j = mode - 1; j >= 0 && j > mode - kMaxTerms; j -= 1) {
      h1 *= (j + 1.5) / (x * (j + 0.5 + b));
      h2 *= (j + 2) / (x * (j + 1 + b));
      b1 = std::min(1.0, b1 + h1);
      b2 = std::min(1.0, b2 + h2);
      p *= (j + 1) / l;
      q *= (j + 1.5) / l;
      sum += p * b1 + q * b2;
      if (p + std::fabs(q) <= 1e-17 * (2 * base + std::fabs(sum)) + kTiny) break;
    }
  }
  return std::clamp(base + 0.5 * sum, 0.0, 1.0);
}

}  // namespace recsys::experiment::dist
