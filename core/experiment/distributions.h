// The special functions behind the experiment statistics' distributions (stats.h): log-gamma and
// log-beta, the regularised incomplete beta and gamma functions, the Student t, chi-square and
// noncentral t distributions, in double precision, the same code natively and in WebAssembly.
// Written here rather than taken from Boost.Math, which added 27 KB gzipped (its coefficient
// tables and inlined series) to the full wasm engine and 31 KB to the pthread build for these few
// functions (README, "Size"). Accuracy: within 1e-12 relative of 40-digit mpmath values across
// the tested ranges, 0.5 to 1e9 degrees of freedom (tests/reference/distributions_reference.py,
// tests/cpp/test_distributions.cpp; the noncentral t's values below 1e-80 past 1e7 degrees of
// freedom to 1e-10).
//
// The methods are the textbook ones: Stirling's series with the argument shifted up to 15 for log
// Gamma, with differences of log-gammas taken term by term so that large arguments do not cancel
// (as R's lbeta); the incomplete beta and gamma functions by Lentz's continued fractions and the
// power series (Numerical Recipes, 6.2 and 6.4), their prefactors through log1p; the t's tail
// beyond 1e4 degrees of freedom by Gauss-Legendre quadrature of its density (the continued
// fraction cancels there); the noncentral t as the Poisson mixture of incomplete betas summed
// outward from its largest term (Guenther 1978, Lenth's AS 243), beyond 1e7 degrees of freedom
// as its normal limit with the 1/df terms (Abramowitz & Stegun 26.7.10); quantiles by safeguarded
// Newton (Halley for the normal) on the tail functions.
#pragma once

namespace recsys::experiment::dist {

// log Gamma(x) for x > 0.
double log_gamma(double x);
// log B(a, b) = log Gamma(a) + log Gamma(b) - log Gamma(a + b), for a, b > 0.
double log_beta(double a, double b);
// The regularised incomplete beta function I_x(a, b) for a, b > 0, 0 <= x <= 1, given y = 1 - x
// too (computed by the caller without cancellation); ibeta(b, a, y, x) is its complement.
double ibeta(double a, double b, double x, double y);
// The regularised upper incomplete gamma function Q(a, x) = Gamma(a, x) / Gamma(a), a > 0 (up to
// about 1e10: its series takes sqrt(a) terms and stops at a million).
double gamma_q(double a, double x);

// The standard normal's upper tail P(Z > z) and its inverse for q in (0, 1).
double normal_upper(double z);
double normal_upper_quantile(double q);
// Student's t with df > 0 degrees of freedom (not infinite): P(T > t), its density, and the t
// with P(T > t) = q for q in (0, 1). Tails are exact down to the t's of about 1e150 (a small df's
// quantiles of 1e-150 and below go past them: the incomplete beta's x underflows there).
double t_upper(double t, double df);
double t_density(double t, double df);
double t_upper_quantile(double q, double df);
// The noncentral t with df degrees of freedom and noncentrality delta: P(T <= t); for t < 0 as
// the complement of the upper tail (AS 243), so to 1e-16 absolute there, not relative; past
// |delta| 1e4 or df 1e7, the normal limit (A&S 26.7.10).
double nct_cdf(double t, double df, double delta);

}  // namespace recsys::experiment::dist
