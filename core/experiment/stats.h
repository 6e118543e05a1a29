// The statistics of the experiment layer: distribution functions (distributions.h), two-sample
// tests on means (Welch) and proportions (z), the delta method for ratio metrics, the sample-ratio-
// mismatch check, CUPED, power and minimum sample sizes, and an always-valid sequential test
// (mixture SPRT). Tests pin every figure to SciPy / statsmodels (tests/reference/).
// Differences are treatment - control; p-values are two-sided.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace recsys::experiment {

// Distribution functions.
double normal_cdf(double z);
double normal_quantile(double p);  // p in (0, 1)
double student_t_cdf(double t, double df);
double student_t_quantile(double p, double df);
double chi_squared_sf(double x, double df);  // P(X > x)

// Running mean and variance (Welford) of one sample; with a second variable, their covariance.
struct Moments {
  double n = 0, mean = 0, m2 = 0;        // m2: sum of squared deviations
  double mean_x = 0, m2_x = 0, cxy = 0;  // the paired variable x (ratio metrics, CUPED)
  void add(double y);
  void add(double y, double x);
  double variance() const { return n > 1 ? m2 / (n - 1) : 0; }  // sample variance (n - 1)
  double variance_x() const { return n > 1 ? m2_x / (n - 1) : 0; }
  double covariance() const { return n > 1 ? cxy / (n - 1) : 0; }
  void merge(const Moments& o);  // Chan et al.'s pairwise update
};

struct TestResult {
  double control = 0, treatment = 0;  // the two estimates
  double difference = 0;              // treatment - control
  double ci_low = 0, ci_high = 0;     // of the difference, at 1 - alpha
  double relative = 0;                // difference / control (0 when control is 0)
  double statistic = 0;               // t or z
  double df = std::numeric_limits<double>::infinity();  // Welch's degrees of freedom (z: inf)
  double p_value = 1;
};

// Welch's unequal-variance t-test on two samples' means (sample variances with n - 1), as
// scipy.stats.ttest_ind(equal_var=False); the interval uses Welch's df.
TestResult welch_t_test(const Moments& control, const Moments& treatment, double alpha = 0.05);
TestResult welch_t_test(double mean_c, double var_c, double n_c, double mean_t, double var_t,
                        double n_t, double alpha = 0.05);

// Two proportions: the z statistic and p-value with the pooled standard error (statsmodels
// proportions_ztest), the interval of the difference with the unpooled one (Wald,
// confint_proportions_2indep(method="wald")).
TestResult two_proportion_z_test(double successes_c, double n_c, double successes_t, double n_t,
                                 double alpha = 0.05);

// A ratio metric sum(y) / sum(x) over users (CTR = clicks / impressions per user as the unit):
// the estimate and its variance by the delta method,
//   var = (var_y / mx^2 - 2 my cov_xy / mx^3 + my^2 var_x / mx^4) / n.
struct RatioEstimate {
  double value = 0, variance = 0;
};
RatioEstimate delta_method_ratio(const Moments& yx);
// Two ratios compared with a z test (normal, the delta-method variances).
TestResult ratio_z_test(const Moments& control, const Moments& treatment, double alpha = 0.05);

// Sample-ratio mismatch: Pearson's chi-square of the observed arm counts against the planned
// weights (scipy.stats.chisquare). A p-value below the threshold (0.001, as GrowthBook) means
// the split is broken and the results should not be read.
struct SrmResult {
  double chi_square = 0, p_value = 1;
  bool mismatch = false;
};
SrmResult srm_check(const std::vector<double>& counts, const std::vector<double>& weights,
                    double threshold = 0.001);

// CUPED (Deng et al. 2013): y_adj = y - theta (x - mean_x) with theta = cov(y, x) / var(x) over
// both arms pooled; the test then runs on y_adj. variance_reduction = 1 - var(y_adj) / var(y),
// pooled within the arms.
struct CupedResult {
  double theta = 0, variance_reduction = 0;
  TestResult test;
};
CupedResult cuped_test(const Moments& control, const Moments& treatment, double alpha = 0.05);

// Power of a two-sided two-sample t-test with n per arm for a standardised effect d (Cohen's
// d), from the noncentral t (statsmodels TTestIndPower, ratio 1); and the n per arm that reaches
// the given power (a real number: round up to plan).
double t_test_power(double effect_size, double n_per_arm, double alpha = 0.05);
double t_test_sample_size(double effect_size, double power = 0.8, double alpha = 0.05);
// Two proportions p_c -> p_t with Cohen's h = 2 asin(sqrt(p_t)) - 2 asin(sqrt(p_c)) and the
// normal approximation (statsmodels NormalIndPower, ratio 1).
double proportion_power(double p_c, double p_t, double n_per_arm, double alpha = 0.05);
double proportion_sample_size(double p_c, double p_t, double power = 0.8, double alpha = 0.05);

// Always-valid inference for a difference of means (the mixture SPRT of Johari et al. 2017, as
// Optimizely's stats engine and GrowthBook's sequential testing): with V = var_c / n_c +
// var_t / n_t the variance of the difference and a normal mixing prior N(0, tau^2) on it,
//   Lambda = sqrt(V / (V + tau^2)) exp(tau^2 d^2 / (2 V (V + tau^2))),
// the always-valid p-value is min over looks of 1 / Lambda (the caller keeps the running minimum),
// and the confidence sequence is d +- sqrt((V (V + tau^2) / tau^2) (2 ln(1/alpha) +
// ln((V + tau^2) / V))). Valid at any stopping time, unlike the fixed-horizon p-value.
struct SequentialResult {
  double lambda = 1;               // the mixture likelihood ratio
  double p_value = 1;              // 1 / Lambda, capped at 1 (this look)
  double ci_low = 0, ci_high = 0;  // the confidence sequence at 1 - alpha
};
SequentialResult msprt(const Moments& control, const Moments& treatment, double tau2,
                       double alpha = 0.05);
// The same for any estimate d of a difference with variance v (a ratio's, by the delta method).
SequentialResult msprt(double d, double v, double tau2, double alpha = 0.05);
// The mixing variance that makes the confidence sequence tightest when the difference's variance
// is v_planned (its value at the planned sample size): tau^2 = v (-2 ln alpha + ln(1 - 2 ln alpha))
// (the normal-mixture tuning GrowthBook uses).
double msprt_tau2(double v_planned, double alpha = 0.05);

}  // namespace recsys::experiment
