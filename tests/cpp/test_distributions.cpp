// The special functions of the experiment statistics (experiment/distributions.h) against exact
// values (distributions_reference.inc: mpmath at 40 digits, written by
// tests/reference/distributions_reference.py) across their ranges: tiny and huge arguments, far
// tails, 0.5 to 1e9 degrees of freedom. Relative errors of 1e-12 or less (the logs' absolute
// ones near their zeros; the noncentral t's 1e-11), quantiles that invert their distribution
// functions, and a sample size that reaches its power.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <random>

#include "distributions_reference.inc"
#include "experiment/distributions.h"
#include "experiment/stats.h"

using namespace recsys::experiment;

namespace {
double relative_error(double got, double want, double floor = 1e-300) {
  if (got == want) return 0;
  return std::fabs(got - want) / std::max(std::fabs(want), floor);
}

// The worst relative error of fn over the table's rows named `name` (each: arguments, value).
// floor: errors of values below it count as absolute (log-gamma's near its zeros at 1 and 2).
template <class Fn>
double worst(const std::string& name, Fn fn, std::size_t* rows = nullptr, double floor = 1e-300) {
  double w = 0;
  std::size_t n = 0;
  for (const auto& [row_name, v] : distributions_reference::kValues) {
    if (row_name != name) continue;
    const double got = fn(v), want = v.back();
    const double e = relative_error(got, want, floor);
    if (e > w) {
      w = e;
      char line[256];
      std::snprintf(line, sizeof line,
                    "%s: worst so far %.3g at (%.17g, %.17g, %.17g): %.17g vs %.17g", name.c_str(),
                    e, v[0], v.size() > 2 ? v[1] : 0.0, v.size() > 3 ? v[2] : 0.0, got, want);
      UNSCOPED_INFO(line);
    }
    ++n;
  }
  if (rows) *rows = n;
  return w;
}
}  // namespace

TEST_CASE("log-gamma and log-beta agree with exact values", "[distributions]") {
  std::size_t n = 0;
  CHECK(worst(
            "log_gamma", [](const auto& v) { return dist::log_gamma(v[0]); }, &n, 1) < 1e-14);
  CHECK(n >= 15);
  CHECK(worst(
            "log_beta", [](const auto& v) { return dist::log_beta(v[0], v[1]); }, &n, 1) < 1e-14);
  CHECK(n >= 11);
}

TEST_CASE("the incomplete beta and gamma functions agree with exact values", "[distributions]") {
  std::size_t n = 0;
  CHECK(worst(
            "ibeta", [](const auto& v) { return dist::ibeta(v[0], v[1], v[2], 1 - v[2]); }, &n) <
        1e-12);
  CHECK(n >= 140);
  CHECK(worst(
            "gamma_q", [](const auto& v) { return dist::gamma_q(v[0], v[1]); }, &n) < 1e-12);
  CHECK(n >= 50);
}

TEST_CASE("the normal, t and chi-square functions agree with exact values", "[distributions]") {
  CHECK(worst("normal_quantile", [](const auto& v) { return normal_quantile(v[0]); }) < 1e-13);
  CHECK(worst("normal_cdf", [](const auto& v) { return normal_cdf(v[0]); }) < 1e-12);
  CHECK(worst("t_cdf", [](const auto& v) { return student_t_cdf(v[0], v[1]); }) < 1e-12);
  CHECK(worst("t_quantile", [](const auto& v) { return student_t_quantile(v[0], v[1]); }) < 1e-12);
  CHECK(worst("chi2_sf", [](const auto& v) { return chi_squared_sf(v[0], v[1]); }) < 1e-12);
}

TEST_CASE("the noncentral t agrees with exact values", "[distributions]") {
  std::size_t n = 0;
  // Beyond df 1e7 it is A&S 26.7.10's normal limit: 1e-10 relative at 1.5e7 for values near
  // 1e-98 (noncentrality 25), which count as absolute below 1e-80 here (power needs no more).
  CHECK(worst(
            "nct_cdf", [](const auto& v) { return dist::nct_cdf(v[0], v[1], v[2]); }, &n, 1e-80) <
        1e-11);
  CHECK(n >= 220);
}

TEST_CASE("quantiles invert their distribution functions", "[distributions]") {
  for (double df : {0.7, 1.0, 2.0, 3.3, 25.0, 4e4, 3e8})
    for (double p : {1e-15, 1e-7, 0.01, 0.3, 0.5, 0.77, 0.9999}) {
      const double t = student_t_quantile(p, df);
      CHECK(relative_error(student_t_cdf(t, df), p) < 1e-12);
    }
  for (double p : {1e-250, 1e-30, 1e-5, 0.05, 0.5, 0.8, 1 - 1e-9}) {
    const double z = normal_quantile(p);
    CHECK(relative_error(normal_cdf(z), p) < 1e-12);
  }
}

TEST_CASE("power rises with n and the sample size reaches the power", "[distributions]") {
  double last = 0;
  for (double n : {2.0, 10.0, 50.0, 300.0, 2000.0}) {
    const double p = t_test_power(0.2, n);
    CHECK(p > last);
    last = p;
  }
  for (double d : {0.8, 0.05, 0.003}) {
    const double n = t_test_sample_size(d, 0.8);
    CHECK(std::fabs(t_test_power(d, n) - 0.8) < 1e-10);
  }
}

TEST_CASE("random arguments over wide ranges stay in range and invert", "[distributions]") {
  // 0.05 to 1e12 degrees of freedom, |t| from 1e-8 to 1e6, tails from 1e-150 (deeper ones reach
  // |t| beyond 1e150, where the incomplete beta's x underflows: not a figure any test reads).
  std::mt19937_64 g(7);
  auto log_uniform = [&](double lo, double hi) {
    return std::exp(std::uniform_real_distribution<double>(std::log(lo), std::log(hi))(g));
  };
  auto sign = [&] { return g() & 1 ? -1.0 : 1.0; };
  int bad = 0;
  for (int i = 0; i < 3000; ++i) {
    const double df = log_uniform(0.05, 1e12), t = sign() * log_uniform(1e-8, 1e6);
    const double c = student_t_cdf(t, df);
    bad += !(c >= 0 && c <= 1);
    const double p = log_uniform(1e-150, 0.5), q = student_t_quantile(p, df);
    if (std::fabs(q) < 1e150) bad += !(relative_error(student_t_cdf(q, df), p) < 1e-9);
    const double s = chi_squared_sf(log_uniform(1e-6, 1e7), log_uniform(0.1, 1e6));
    bad += !(s >= 0 && s <= 1);
    const double f = dist::nct_cdf(sign() * log_uniform(1e-3, 50), log_uniform(1, 1e9),
                                   sign() * log_uniform(1e-4, 40));
    bad += !(f >= 0 && f <= 1);
    if (bad) FAIL("case " << i << ": df " << df << ", t " << t << ", p " << p);
  }
  CHECK(bad == 0);
}

TEST_CASE("the noncentral t's edges: a vanishing, a huge or an infinite noncentrality, NaN",
          "[distributions]") {
  // A noncentrality whose square underflows is the central t, in both tails.
  CHECK(relative_error(dist::nct_cdf(2, 10, 1e-170), student_t_cdf(2, 10)) < 1e-15);
  CHECK(relative_error(dist::nct_cdf(-10, 20, 0), student_t_cdf(-10, 20)) < 1e-15);
  // Infinite and huge noncentralities answer at once (the mixture's terms are not summed).
  CHECK(dist::nct_cdf(1.96, 100, std::numeric_limits<double>::infinity()) == 0);
  CHECK(dist::nct_cdf(1.96, 100, -std::numeric_limits<double>::infinity()) == 1);
  CHECK(dist::nct_cdf(1.96, 100, 1e10) == 0);
  CHECK(dist::nct_cdf(1.96, 100, -1e10) == 1);
  CHECK(std::isnan(dist::nct_cdf(std::nan(""), 10, 1)));
  CHECK(std::isnan(dist::gamma_q(2, std::nan(""))));
  // The public functions refuse what has no answer, naming the value.
  CHECK_THROWS_WITH(t_test_power(std::numeric_limits<double>::infinity(), 10),
                    Catch::Contains("effect size must be a finite number, got inf"));
  CHECK(t_test_power(1e-300, 10) > 0.04);
}
