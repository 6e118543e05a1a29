#include "experiment/stats.h"

#include <algorithm>
#include <cmath>

#include "common/check.h"
#include "experiment/distributions.h"

namespace recsys::experiment {

double normal_cdf(double z) {
  RECSYS_CHECK(!std::isnan(z), "normal_cdf: z must be a number");
  if (std::isinf(z)) return z > 0 ? 1 : 0;
  return dist::normal_upper(-z);
}

double normal_quantile(double p) {
  RECSYS_CHECK(p > 0 && p < 1, "normal_quantile: p must be in (0, 1), got ", p);
  return -dist::normal_upper_quantile(p);
}

double student_t_cdf(double t, double df) {
  RECSYS_CHECK(df > 0, "student_t_cdf: df must be > 0, got ", df);
  RECSYS_CHECK(!std::isnan(t), "student_t_cdf: t must be a number");
  if (std::isinf(t)) return t > 0 ? 1 : 0;
  if (std::isinf(df)) return normal_cdf(t);
  return dist::t_upper(-t, df);
}

double student_t_quantile(double p, double df) {
  RECSYS_CHECK(p > 0 && p < 1, "student_t_quantile: p must be in (0, 1), got ", p);
  RECSYS_CHECK(df > 0, "student_t_quantile: df must be > 0, got ", df);
  if (std::isinf(df)) return normal_quantile(p);
  return -dist::t_upper_quantile(p, df);
}

double chi_squared_sf(double x, double df) {
  RECSYS_CHECK(df > 0, "chi_squared_sf: df must be > 0, got ", df);
  if (x <= 0) return 1;
  return dist::gamma_q(0.5 * df, 0.5 * x);
}

void Moments::add(double y) {
  n += 1;
  const double d = y - mean;
  mean += d / n;
  m2 += d * (y - mean);
}

void Moments::add(double y, double x) {
  n += 1;
  const double dy = y - mean, dx = x - mean_x;
  mean += dy / n;
  mean_x += dx / n;
  m2 += dy * (y - mean);
  m2_x += dx * (x - mean_x);
  cxy += dx * (y - mean);
}

void Moments::merge(const Moments& o) {
  if (o.n == 0) return;
  if (n == 0) {
    *this = o;
    return;
  }
  const double total = n + o.n;
  const double dy = o.mean - mean, dx = o.mean_x - mean_x;
  m2 += o.m2 + dy * dy * n * o.n / total;
  m2_x += o.m2_x + dx * dx * n * o.n / total;
  cxy += o.cxy + dx * dy * n * o.n / total;
  mean += dy * o.n / total;
  mean_x += dx * o.n / total;
  n = total;
}

namespace {
void check_alpha(double alpha) {
  RECSYS_CHECK(alpha > 0 && alpha < 1, "alpha must be in (0, 1), got ", alpha);
}

double two_sided_normal_p(double z) {
  return 2 * normal_cdf(-std::fabs(z));
}

TestResult z_result(double c, double t, double se_test, double se_ci, double alpha) {
  TestResult r;
  r.control = c;
  r.treatment = t;
  r.difference = t - c;
  r.relative = c != 0 ? r.difference / c : 0;
  const double q = normal_quantile(1 - alpha / 2);
  r.ci_low = r.difference - q * se_ci;
  r.ci_high = r.difference + q * se_ci;
  if (se_test > 0) {
    r.statistic = r.difference / se_test;
    r.p_value = two_sided_normal_p(r.statistic);
  } else {
    r.statistic = 0;
    r.p_value = r.difference == 0 ? 1 : 0;
  }
  return r;
}
}  // namespace

TestResult welch_t_test(double mc, double vc, double nc, double mt, double vt, double nt,
                        double alpha) {
  check_alpha(alpha);
  RECSYS_CHECK(nc >= 2 && nt >= 2, "welch_t_test: each sample needs at least 2 values, got ", nc,
               " and ", nt);
  RECSYS_CHECK(vc >= 0 && vt >= 0, "welch_t_test: variances must be >= 0");
  TestResult r;
  r.control = mc;
  r.treatment = mt;
  r.difference = mt - mc;
  r.relative = mc != 0 ? r.difference / mc : 0;
  const double a = vc / nc, b = vt / nt, se2 = a + b;
  if (se2 <= 0) {  // both samples constant
    r.ci_low = r.ci_high = r.difference;
    r.p_value = r.difference == 0 ? 1 : 0;
    return r;
  }
  const double se = std::sqrt(se2);
  r.df = se2 * se2 / (a * a / (nc - 1) + b * b / (nt - 1));
  r.statistic = r.difference / se;
  r.p_value = 2 * student_t_cdf(-std::fabs(r.statistic), r.df);
  const double q = student_t_quantile(1 - alpha / 2, r.df);
  r.ci_low = r.difference - q * se;
  r.ci_high = r.difference + q * se;
  return r;
}

TestResult welch_t_test(const Moments& c, const Moments& t, double alpha) {
  return welch_t_test(c.mean, c.variance(), c.n, t.mean, t.variance(), t.n, alpha);
}

TestResult two_proportion_z_test(double sc, double nc, double st, double nt, double alpha) {
  check_alpha(alpha);
  RECSYS_CHECK(nc > 0 && nt > 0, "two_proportion_z_test: each arm needs n > 0, got ", nc, " and ",
               nt);
  RECSYS_CHECK(sc >= 0 && sc <= nc && st >= 0 && st <= nt,
               "two_proportion_z_test: successes must be in [0, n]");
  const double pc = sc / nc, pt = st / nt, pooled = (sc + st) / (nc + nt);
  const double se_pooled = std::sqrt(pooled * (1 - pooled) * (1 / nc + 1 / nt));
  const double se_unpooled = std::sqrt(pc * (1 - pc) / nc + pt * (1 - pt) / nt);
  return z_result(pc, pt, se_pooled, se_unpooled, alpha);
}

RatioEstimate delta_method_ratio(const Moments& m) {
  RECSYS_CHECK(m.n >= 2, "delta method: needs at least 2 units, got ", m.n);
  RECSYS_CHECK(m.mean_x != 0, "delta method: the denominator's mean is 0");
  RatioEstimate r;
  const double mx = m.mean_x, my = m.mean;
  r.value = my / mx;
  r.variance = (m.variance() / (mx * mx) - 2 * my * m.covariance() / (mx * mx * mx) +
                my * my * m.variance_x() / (mx * mx * mx * mx)) /
               m.n;
  r.variance = std::max(r.variance, 0.0);
  return r;
}

TestResult ratio_z_test(const Moments& c, const Moments& t, double alpha) {
  check_alpha(alpha);
  const RatioEstimate rc = delta_method_ratio(c), rt = delta_method_ratio(t);
  const double se = std::sqrt(rc.variance + rt.variance);
  return z_result(rc.value, rt.value, se, se, alpha);
}

SrmResult srm_check(const std::vector<double>& counts, const std::vector<double>& weights,
                    double threshold) {
  RECSYS_CHECK(counts.size() == weights.size() && counts.size() >= 2,
               "srm: needs one weight per arm and at least 2 arms, got ", counts.size(),
               " counts and ", weights.size(), " weights");
  double total = 0, wsum = 0;
  for (std::size_t a = 0; a < counts.size(); ++a) {
    RECSYS_CHECK(counts[a] >= 0, "srm: counts must be >= 0");
    RECSYS_CHECK(weights[a] > 0, "srm: weights must be > 0, got ", weights[a]);
    total += counts[a];
    wsum += weights[a];
  }
  SrmResult r;
  if (total == 0) return r;
  for (std::size_t a = 0; a < counts.size(); ++a) {
    const double e = total * weights[a] / wsum;
    r.chi_square += (counts[a] - e) * (counts[a] - e) / e;
  }
  r.p_value = chi_squared_sf(r.chi_square, static_cast<double>(counts.size() - 1));
  r.mismatch = r.p_value < threshold;
  return r;
}

CupedResult cuped_test(const Moments& c, const Moments& t, double alpha) {
  Moments all = c;
  all.merge(t);
  RECSYS_CHECK(all.variance_x() > 0, "cuped: the covariate does not vary");
  CupedResult r;
  r.theta = all.covariance() / all.variance_x();
  const double x_mean = all.mean_x;
  auto adjusted = [&](const Moments& m, double& mean, double& var) {
    mean = m.mean - r.theta * (m.mean_x - x_mean);
    var = std::max(m.variance() - 2 * r.theta * m.covariance() + r.theta * r.theta * m.variance_x(),
                   0.0);
  };
  double mc, vc, mt, vt;
  adjusted(c, mc, vc);
  adjusted(t, mt, vt);
  const double before = (c.n - 1) * c.variance() + (t.n - 1) * t.variance();
  const double after = (c.n - 1) * vc + (t.n - 1) * vt;
  r.variance_reduction = before > 0 ? 1 - after / before : 0;
  r.test = welch_t_test(mc, vc, c.n, mt, vt, t.n, alpha);
  return r;
}

double t_test_power(double d, double n, double alpha) {
  check_alpha(alpha);
  RECSYS_CHECK(n >= 2, "power: n per arm must be >= 2, got ", n);
  RECSYS_CHECK(std::isfinite(d), "power: the effect size must be a finite number, got ", d);
  const double df = 2 * n - 2;
  const double nc = d * std::sqrt(n / 2);
  const double crit = student_t_quantile(1 - alpha / 2, df);
  // P(T > crit) + P(T < -crit) for T noncentral t: the second is 1 - F(crit; df, -nc).
  return (1 - dist::nct_cdf(crit, df, nc)) + (1 - dist::nct_cdf(crit, df, -nc));
}

namespace {
// The smallest real n in [2, 1e9] with power(n) = target (power rises with n).
template <class F>
double solve_n(F&& power, double target, const char* what) {
  RECSYS_CHECK(target > 0 && target < 1, what, ": power must be in (0, 1), got ", target);
  double lo = 2, hi = 4;
  while (power(hi) < target) {
    lo = hi;
    hi *= 2;
    RECSYS_CHECK(hi < 1e12, what, ": the effect is too small to reach that power");
  }
  if (power(lo) >= target) return lo;
  // The Illinois variant of regula falsi, to a relative width of 1e-13 (power is smooth and
  // monotone in n: a few dozen evaluations).
  double flo = power(lo) - target, fhi = power(hi) - target;
  int side = 0;
  for (int i = 0; i < 200 && hi - lo > 1e-13 * hi; ++i) {
    double n = (lo * fhi - hi * flo) / (fhi - flo);
    if (!(n > lo && n < hi)) n = 0.5 * (lo + hi);
    const double f = power(n) - target;
    if (f == 0) return n;
    if (f < 0) {
      lo = n;
      flo = f;
      if (side == -1) fhi /= 2;
      side = -1;
    } else {
      hi = n;
      fhi = f;
      if (side == 1) flo /= 2;
      side = 1;
    }
  }
  return 0.5 * (lo + hi);
}
}  // namespace

double t_test_sample_size(double d, double power, double alpha) {
  RECSYS_CHECK(d != 0 && std::isfinite(d),
               "sample size: the effect size must be a non-zero number, got ", d);
  return solve_n([&](double n) { return t_test_power(d, n, alpha); }, power, "t-test sample size");
}

namespace {
double cohens_h(double pc, double pt) {
  RECSYS_CHECK(pc > 0 && pc < 1 && pt > 0 && pt < 1,
               "proportion power: rates must be in (0, 1), got ", pc, " and ", pt);
  return 2 * std::asin(std::sqrt(pt)) - 2 * std::asin(std::sqrt(pc));
}
}  // namespace

double proportion_power(double pc, double pt, double n, double alpha) {
  check_alpha(alpha);
  RECSYS_CHECK(n > 0, "proportion power: n per arm must be > 0, got ", n);
  const double h = std::fabs(cohens_h(pc, pt));
  const double crit = normal_quantile(1 - alpha / 2);
  const double shift = h * std::sqrt(n / 2);
  return normal_cdf(shift - crit) + normal_cdf(-shift - crit);
}

double proportion_sample_size(double pc, double pt, double power, double alpha) {
  RECSYS_CHECK(pc != pt, "proportion sample size: the two rates are equal");
  return solve_n([&](double n) { return proportion_power(pc, pt, n, alpha); }, power,
                 "proportion sample size");
}

SequentialResult msprt(const Moments& c, const Moments& t, double tau2, double alpha) {
  RECSYS_CHECK(c.n >= 2 && t.n >= 2, "msprt: each arm needs at least 2 units");
  return msprt(t.mean - c.mean, c.variance() / c.n + t.variance() / t.n, tau2, alpha);
}

SequentialResult msprt(double d, double v, double tau2, double alpha) {
  check_alpha(alpha);
  RECSYS_CHECK(tau2 > 0, "msprt: tau^2 must be > 0, got ", tau2);
  RECSYS_CHECK(v >= 0 && std::isfinite(d), "msprt: needs a finite difference and a variance >= 0");
  SequentialResult r;
  if (v <= 0) {
    r.ci_low = r.ci_high = d;
    r.p_value = d == 0 ? 1 : 0;
    return r;
  }
  const double log_lambda = 0.5 * std::log(v / (v + tau2)) + tau2 * d * d / (2 * v * (v + tau2));
  r.lambda = std::exp(log_lambda);
  r.p_value = std::min(1.0, std::exp(-log_lambda));
  const double half =
      std::sqrt(v * (v + tau2) / tau2 * (2 * std::log(1 / alpha) + std::log((v + tau2) / v)));
  r.ci_low = d - half;
  r.ci_high = d + half;
  return r;
}

double msprt_tau2(double v, double alpha) {
  check_alpha(alpha);
  RECSYS_CHECK(v > 0, "msprt: the planned variance must be > 0, got ", v);
  const double l = -2 * std::log(alpha);
  return v * (l + std::log(1 + l));
}

}  // namespace recsys::experiment
