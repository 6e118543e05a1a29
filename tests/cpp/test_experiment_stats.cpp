// The experiment statistics against SciPy / statsmodels (stats_reference.inc, written by
// tests/reference/stats_reference.py) to 1e-6, and by simulation: an A/A false-positive rate
// inside its binomial 99 % interval, peeking that inflates the naive test but not the mixture
// SPRT, and a sample-ratio mismatch caught at 52/48.
#include <catch2/catch.hpp>

#include <cmath>
#include <map>

#include "common/rng.h"
#include "experiment/stats.h"
#include "stats_reference.inc"

using namespace recsys;
using namespace recsys::experiment;

namespace {
const std::vector<double>& ref(const std::string& name) {
  static const std::map<std::string, std::vector<double>> table(stats_reference::kValues.begin(),
                                                                stats_reference::kValues.end());
  const auto it = table.find(name);
  REQUIRE(it != table.end());
  return it->second;
}

// Equal to 1e-6, relative to the reference's size when it is above 1.
bool close(double got, double want, double tol = 1e-6) {
  return std::fabs(got - want) <= tol * std::max(1.0, std::fabs(want));
}

Moments moments(const std::vector<double>& y) {
  Moments m;
  for (double v : y) m.add(v);
  return m;
}

Moments moments(const std::vector<double>& y, const std::vector<double>& x) {
  Moments m;
  for (std::size_t i = 0; i < y.size(); ++i) m.add(y[i], x[i]);
  return m;
}
}  // namespace

TEST_CASE("distribution functions equal SciPy's", "[experiment][stats]") {
  for (const auto& [name, v] : stats_reference::kValues) {
    INFO(name);
    if (name.rfind("normal_cdf", 0) == 0) CHECK(close(normal_cdf(v[0]), v[1]));
    if (name.rfind("normal_quantile", 0) == 0) CHECK(close(normal_quantile(v[0]), v[1]));
    if (name.rfind("t_cdf", 0) == 0) CHECK(close(student_t_cdf(v[0], v[1]), v[2]));
    if (name.rfind("t_quantile", 0) == 0) CHECK(close(student_t_quantile(v[0], v[1]), v[2]));
    if (name.rfind("chi2_sf", 0) == 0) CHECK(close(chi_squared_sf(v[0], v[1]), v[2]));
  }
}

TEST_CASE("Welch's t-test equals scipy.stats.ttest_ind(equal_var=False)", "[experiment][stats]") {
  const std::vector<
      std::pair<const char*, std::pair<const std::vector<double>*, const std::vector<double>*>>>
      cases{{"welch normal", {&stats_reference::welch_normal_c, &stats_reference::welch_normal_t}},
            {"welch small", {&stats_reference::welch_small_c, &stats_reference::welch_small_t}},
            {"welch revenue",
             {&stats_reference::welch_revenue_c, &stats_reference::welch_revenue_t}}};
  for (const auto& [name, s] : cases) {
    INFO(name);
    const auto& v = ref(name);
    const TestResult r = welch_t_test(moments(*s.first), moments(*s.second));
    CHECK(close(r.statistic, v[0]));
    CHECK(close(r.df, v[1]));
    CHECK(close(r.p_value, v[2]));
    CHECK(close(r.ci_low, v[3]));
    CHECK(close(r.ci_high, v[4]));
  }
  // Moments merged from two halves equal the moments of the whole.
  const auto& c = stats_reference::welch_normal_c;
  Moments a, b;
  for (std::size_t i = 0; i < c.size(); ++i) (i < c.size() / 3 ? a : b).add(c[i], 2.0 * c[i] + 1);
  a.merge(b);
  const Moments whole = moments(c, [&] {
    std::vector<double> x;
    for (double v : c) x.push_back(2.0 * v + 1);
    return x;
  }());
  CHECK(close(a.mean, whole.mean, 1e-12));
  CHECK(close(a.variance(), whole.variance(), 1e-12));
  CHECK(close(a.covariance(), whole.covariance(), 1e-12));
}

TEST_CASE("two proportions equal statsmodels' z-test and Wald interval", "[experiment][stats]") {
  for (const auto& [name, v] : stats_reference::kValues) {
    if (name.rfind("proportions", 0) != 0) continue;
    INFO(name);
    const TestResult r = two_proportion_z_test(v[0], v[1], v[2], v[3]);
    CHECK(close(r.statistic, v[4]));
    CHECK(close(r.p_value, v[5]));
    CHECK(close(r.ci_low, v[6]));
    CHECK(close(r.ci_high, v[7]));
  }
}

TEST_CASE("ratio metrics by the delta method", "[experiment][stats]") {
  const auto& v = ref("ratio ctr");
  const Moments c = moments(stats_reference::ratio_yc, stats_reference::ratio_xc);
  const Moments t = moments(stats_reference::ratio_yt, stats_reference::ratio_xt);
  const RatioEstimate rc = delta_method_ratio(c), rt = delta_method_ratio(t);
  CHECK(close(rc.value, v[0]));
  CHECK(close(rc.variance, v[1], 1e-9));
  CHECK(close(rt.value, v[2]));
  CHECK(close(rt.variance, v[3], 1e-9));
  const TestResult r = ratio_z_test(c, t);
  CHECK(close(r.statistic, v[4]));
  CHECK(close(r.p_value, v[5]));
}

TEST_CASE("sample-ratio mismatch equals scipy.stats.chisquare, and fires at 52/48",
          "[experiment][stats]") {
  CHECK(close(srm_check({10000, 10000}, {1, 1}).p_value, ref("srm 10000/10000")[1]));
  const SrmResult off = srm_check({10400, 9600}, {1, 1});
  CHECK(close(off.chi_square, ref("srm 10400/9600")[0]));
  CHECK(close(off.p_value, ref("srm 10400/9600")[1], 1e-12));
  CHECK(off.mismatch);
  const SrmResult three = srm_check({5020, 4980, 10100}, {1, 1, 2});
  CHECK(close(three.p_value, ref("srm 5020/4980/10100")[1]));
  CHECK_FALSE(three.mismatch);
  CHECK_THROWS_WITH(srm_check({1, 2}, {1}), Catch::Contains("one weight per arm"));
}

TEST_CASE("CUPED equals its definition, with the variance it removes", "[experiment][stats]") {
  const auto& v = ref("cuped");
  const Moments c = moments(stats_reference::cuped_yc, stats_reference::cuped_xc);
  const Moments t = moments(stats_reference::cuped_yt, stats_reference::cuped_xt);
  const CupedResult r = cuped_test(c, t);
  CHECK(close(r.theta, v[0]));
  CHECK(close(r.variance_reduction, v[1]));
  CHECK(close(r.test.statistic, v[2]));
  CHECK(close(r.test.p_value, v[3], 1e-9));
  // The unadjusted test on the same data is weaker.
  CHECK(welch_t_test(c, t).p_value > r.test.p_value);
}

TEST_CASE("power and sample sizes equal statsmodels'", "[experiment][stats]") {
  for (const auto& [name, v] : stats_reference::kValues) {
    INFO(name);
    if (name.rfind("t power", 0) == 0) CHECK(close(t_test_power(v[0], v[1]), v[2]));
    if (name.rfind("t sample size", 0) == 0) CHECK(close(t_test_sample_size(v[0], v[1]), v[2]));
    if (name.rfind("p power", 0) == 0) CHECK(close(proportion_power(v[0], v[1], v[2]), v[3]));
    if (name.rfind("p sample size", 0) == 0)
      CHECK(close(proportion_sample_size(v[0], v[1], v[2]), v[3]));
  }
}

TEST_CASE("the mixture SPRT equals its definition", "[experiment][stats]") {
  const auto& v = ref("msprt");
  const SequentialResult r = msprt(moments(stats_reference::welch_normal_c),
                                   moments(stats_reference::welch_normal_t), v[0]);
  CHECK(close(r.lambda, v[1]));
  CHECK(close(r.p_value, v[2]));
  CHECK(close(r.ci_low, v[3]));
  CHECK(close(r.ci_high, v[4]));
}

namespace {
// A revenue-like per-user metric: most users buy nothing, buyers spend a log-normal amount.
double revenue(Rng& rng) {
  if (rng.uniform() < 0.7) return 0;
  return std::exp(3.0 + rng.normal());
}
}  // namespace

TEST_CASE("A/A: 2,000 experiments reject at alpha = 0.05 as often as they should",
          "[experiment][stats][simulation]") {
  // 2,000 experiments of 500 users per arm from the same distribution. The false-positive count
  // is Binomial(2000, 0.05): its 99 % interval is [76, 125].
  Rng rng(2024, 5);
  int welch = 0, proportions = 0;
  for (int e = 0; e < 2000; ++e) {
    Moments c, t;
    double bought_c = 0, bought_t = 0;
    for (int u = 0; u < 500; ++u) {
      const double yc = revenue(rng), yt = revenue(rng);
      c.add(yc);
      t.add(yt);
      bought_c += yc > 0;
      bought_t += yt > 0;
    }
    welch += welch_t_test(c, t).p_value < 0.05;
    proportions += two_proportion_z_test(bought_c, 500, bought_t, 500).p_value < 0.05;
  }
  INFO("false positives: Welch " << welch << ", proportions " << proportions << " of 2000");
  CHECK(welch >= 76);
  CHECK(welch <= 125);
  CHECK(proportions >= 76);
  CHECK(proportions <= 125);
}

TEST_CASE("peeking inflates the fixed-horizon test; the mixture SPRT stays at or below alpha",
          "[experiment][stats][simulation]") {
  // 1,000 A/A experiments, 2,000 users per arm, a look after every 100 users per arm; an
  // experiment counts as a false positive if any look rejects.
  Rng rng(99, 7);
  int naive = 0, sequential = 0, final_only = 0;
  const int experiments = 1000, looks = 20, step = 100;
  for (int e = 0; e < experiments; ++e) {
    Moments c, t;
    bool naive_hit = false, seq_hit = false;
    double tau2 = 0;
    for (int look = 1; look <= looks; ++look) {
      for (int u = 0; u < step; ++u) {
        c.add(revenue(rng));
        t.add(revenue(rng));
      }
      if (look == 1) {  // tuned for the planned size, from the first look's variance
        const double var = (c.variance() + t.variance()) / 2;
        tau2 = msprt_tau2(2 * var / (looks * step));
      }
      naive_hit |= welch_t_test(c, t).p_value < 0.05;
      seq_hit |= msprt(c, t, tau2).p_value < 0.05;
    }
    naive += naive_hit;
    sequential += seq_hit;
    final_only += welch_t_test(c, t).p_value < 0.05;
  }
  INFO("false positives of " << experiments << ": any naive look " << naive
                             << ", the final look only " << final_only << ", mSPRT " << sequential);
  CHECK(naive > 2 * 0.05 * experiments);  // well above alpha: about 0.2 with 20 looks
  CHECK(sequential <= 0.05 * experiments);
  CHECK(final_only >= 25);  // one look is still a valid test (Binomial(1000, 0.05), 99.9 %)
  CHECK(final_only <= 80);
}

TEST_CASE("the SRM check flags a 50/50 split delivered 52/48 at 20,000 users",
          "[experiment][stats]") {
  const SrmResult r = srm_check({10400, 9600}, {0.5, 0.5});
  INFO("chi-square " << r.chi_square << ", p " << r.p_value);
  CHECK(r.mismatch);
  CHECK_FALSE(srm_check({10050, 9950}, {0.5, 0.5}).mismatch);  // 50.25/49.75 is chance
}

TEST_CASE("statistics reject bad input with clear errors", "[experiment][stats][errors]") {
  Moments one;
  one.add(1);
  CHECK_THROWS_WITH(welch_t_test(one, one), Catch::Contains("at least 2 values"));
  CHECK_THROWS_WITH(normal_quantile(1), Catch::Contains("p must be in (0, 1), got 1"));
  CHECK_THROWS_WITH(two_proportion_z_test(5, 4, 1, 10),
                    Catch::Contains("successes must be in [0, n]"));
  CHECK_THROWS_WITH(t_test_sample_size(0, 0.8), Catch::Contains("non-zero"));
  CHECK_THROWS_WITH(proportion_sample_size(0.1, 0.1, 0.8), Catch::Contains("equal"));
  CHECK_THROWS_WITH(welch_t_test(1, 1, 10, 2, 1, 10, 1.5),
                    Catch::Contains("alpha must be in (0, 1)"));
}
