#!/usr/bin/python3
"""Reference values for the experiment statistics (core/experiment/stats.h), from SciPy and
statsmodels (Debian: apt-get install python3-scipy python3-statsmodels). Writes the C++ table that
tests/cpp/test_experiment_stats.cpp checks to 1e-6:

    /usr/bin/python3 tests/reference/stats_reference.py > tests/cpp/stats_reference.inc

Formulas without a library function (the delta method, CUPED's adjustment, the mixture SPRT) are
computed here from their definitions with NumPy, and their p-values and quantiles with SciPy.
"""
import math
import numpy as np
import scipy
import statsmodels
from scipy import stats
from statsmodels.stats.power import NormalIndPower, TTestIndPower
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

ALPHA = 0.05
out = []


def emit(name, *values):
    out.append("  {\"%s\", {%s}}," % (name, ", ".join("%.17g" % v for v in values)))


def sample(seed, n, loc, scale, kind="normal"):
    rng = np.random.default_rng(seed)
    if kind == "lognormal":  # revenue-like: many zeros, a long tail
        x = rng.lognormal(loc, scale, n)
        x[rng.random(n) < 0.7] = 0
        return x
    return rng.normal(loc, scale, n)


# Distribution functions.
for z in (-3.5, -1.96, -0.5, 0.0, 0.3, 1.0, 2.5758293035489):
    emit("normal_cdf %g" % z, z, stats.norm.cdf(z))
for p in (0.001, 0.025, 0.3, 0.5, 0.975, 0.999):
    emit("normal_quantile %g" % p, p, stats.norm.ppf(p))
for t, df in ((-2.5, 3), (0.7, 7.5), (1.96, 30), (3.1, 1.5), (-0.2, 1000)):
    emit("t_cdf %g %g" % (t, df), t, df, stats.t.cdf(t, df))
for p, df in ((0.975, 4), (0.995, 12.3), (0.6, 2.2), (0.025, 80)):
    emit("t_quantile %g %g" % (p, df), p, df, stats.t.ppf(p, df))
for x, df in ((3.84, 1), (10.5, 3), (0.2, 2), (40, 20)):
    emit("chi2_sf %g %g" % (x, df), x, df, stats.chi2.sf(x, df))

# Welch's t-test from samples: the C++ side gets the same samples (written below).
samples = {}
for name, (sc, nc, lc, sdc, st, nt, lt, sdt, kind) in {
    "welch normal": (1, 300, 10.0, 2.0, 2, 250, 10.4, 3.0, "normal"),
    "welch small": (3, 5, 1.0, 1.0, 4, 7, 2.0, 0.5, "normal"),
    "welch revenue": (5, 600, 3.0, 1.0, 6, 650, 3.05, 1.0, "lognormal"),
}.items():
    c, t = sample(sc, nc, lc, sdc, kind), sample(st, nt, lt, sdt, kind)
    samples[name] = (c, t)
    r = stats.ttest_ind(t, c, equal_var=False)
    a, b = c.var(ddof=1) / len(c), t.var(ddof=1) / len(t)
    df = (a + b) ** 2 / (a * a / (len(c) - 1) + b * b / (len(t) - 1))
    q = stats.t.ppf(1 - ALPHA / 2, df)
    d = t.mean() - c.mean()
    emit(name, r.statistic, df, r.pvalue, d - q * math.sqrt(a + b), d + q * math.sqrt(a + b))

# Two proportions: pooled z (proportions_ztest), unpooled Wald interval.
for sc, nc, st, nt in ((120, 2400, 150, 2450), (30, 200, 31, 210), (5000, 100000, 5150, 100200)):
    z, p = proportions_ztest([st, sc], [nt, nc])
    lo, hi = confint_proportions_2indep(st, nt, sc, nc, method="wald", compare="diff", alpha=ALPHA)
    emit("proportions %d/%d %d/%d" % (sc, nc, st, nt), sc, nc, st, nt, z, p, lo, hi)

# Ratio metric (clicks / impressions per user) by the delta method, and the z test of two.
ratio = {}
for name, (seed, n, rate_c, rate_t) in {"ratio ctr": (11, 600, 0.05, 0.056)}.items():
    rng = np.random.default_rng(seed)
    xc = rng.integers(5, 60, n).astype(float)
    yc = rng.binomial(xc.astype(int), rate_c).astype(float)
    xt = rng.integers(5, 60, n + 37).astype(float)
    yt = rng.binomial(xt.astype(int), rate_t).astype(float)
    ratio[name] = (yc, xc, yt, xt)

    def delta(y, x):
        mx, my = x.mean(), y.mean()
        cov = np.cov(y, x, ddof=1)[0, 1]
        var = (y.var(ddof=1) / mx**2 - 2 * my * cov / mx**3 + my**2 * x.var(ddof=1) / mx**4) / len(y)
        return my / mx, var

    rc, vc = delta(yc, xc)
    rt, vt = delta(yt, xt)
    z = (rt - rc) / math.sqrt(vc + vt)
    emit(name, rc, vc, rt, vt, z, 2 * stats.norm.sf(abs(z)))

# Sample-ratio mismatch.
for counts, weights in (([10000, 10000], [1, 1]), ([10400, 9600], [1, 1]), ([5020, 4980, 10100], [1, 1, 2])):
    total = sum(counts)
    r = stats.chisquare(counts, [total * w / sum(weights) for w in weights])
    emit("srm %s" % "/".join(map(str, counts)), r.statistic, r.pvalue)

# CUPED with a correlated pre-period covariate.
rng = np.random.default_rng(21)
n = 500
xc = rng.gamma(2.0, 5.0, n)
yc = 0.8 * xc + rng.normal(0, 4, n)
xt = rng.gamma(2.0, 5.0, n + 50)
yt = 0.8 * xt + rng.normal(0, 4, n + 50) + 0.6
cuped = (yc, xc, yt, xt)
x_all, y_all = np.concatenate([xc, xt]), np.concatenate([yc, yt])
theta = np.cov(y_all, x_all, ddof=1)[0, 1] / x_all.var(ddof=1)
ac, at = yc - theta * (xc - x_all.mean()), yt - theta * (xt - x_all.mean())
r = stats.ttest_ind(at, ac, equal_var=False)
before = (len(yc) - 1) * yc.var(ddof=1) + (len(yt) - 1) * yt.var(ddof=1)
after = (len(ac) - 1) * ac.var(ddof=1) + (len(at) - 1) * at.var(ddof=1)
emit("cuped", theta, 1 - after / before, r.statistic, r.pvalue)

# Power and sample sizes.
for d, nobs in ((0.2, 100), (0.05, 3000), (0.5, 20)):
    emit("t power %g %g" % (d, nobs), d, nobs, TTestIndPower().power(d, nobs, ALPHA, ratio=1.0))
for d, power in ((0.2, 0.8), (0.05, 0.9), (0.5, 0.8)):
    emit("t sample size %g %g" % (d, power), d, power, TTestIndPower().solve_power(d, None, ALPHA, power, ratio=1.0))
for pc, pt, nobs in ((0.05, 0.055, 20000), (0.2, 0.25, 500)):
    h = 2 * math.asin(math.sqrt(pt)) - 2 * math.asin(math.sqrt(pc))
    emit("p power %g %g %g" % (pc, pt, nobs), pc, pt, nobs, NormalIndPower().power(h, nobs, ALPHA, ratio=1.0))
for pc, pt, power in ((0.05, 0.055, 0.8), (0.2, 0.25, 0.9)):
    h = 2 * math.asin(math.sqrt(pt)) - 2 * math.asin(math.sqrt(pc))
    emit("p sample size %g %g %g" % (pc, pt, power), pc, pt, power, NormalIndPower().solve_power(h, None, ALPHA, power, ratio=1.0))

# The mixture SPRT on the "welch normal" samples, from its definition.
c, t = samples["welch normal"]
v = c.var(ddof=1) / len(c) + t.var(ddof=1) / len(t)
tau2 = 0.04
d = t.mean() - c.mean()
log_lambda = 0.5 * math.log(v / (v + tau2)) + tau2 * d * d / (2 * v * (v + tau2))
half = math.sqrt(v * (v + tau2) / tau2 * (2 * math.log(1 / ALPHA) + math.log((v + tau2) / v)))
emit("msprt", tau2, math.exp(log_lambda), min(1.0, math.exp(-log_lambda)), d - half, d + half)


def arr(name, a):
    return "const std::vector<double> %s{%s};" % (name, ", ".join("%.17g" % x for x in a))


print("// Generated by tests/reference/stats_reference.py with SciPy %s and statsmodels %s;"
      % (scipy.__version__, statsmodels.__version__))
print("// do not edit: rerun the script. Each entry: a name and the values the test reads.")
print("#include <string>\n#include <utility>\n#include <vector>\n")
print("namespace stats_reference {")
print("const std::vector<std::pair<std::string, std::vector<double>>> kValues{")
print("\n".join(out))
print("};")
for name, (c, t) in samples.items():
    key = name.replace(" ", "_")
    print(arr(key + "_c", c))
    print(arr(key + "_t", t))
print(arr("ratio_yc", ratio["ratio ctr"][0]))
print(arr("ratio_xc", ratio["ratio ctr"][1]))
print(arr("ratio_yt", ratio["ratio ctr"][2]))
print(arr("ratio_xt", ratio["ratio ctr"][3]))
print(arr("cuped_yc", cuped[0]))
print(arr("cuped_xc", cuped[1]))
print(arr("cuped_yt", cuped[2]))
print(arr("cuped_xt", cuped[3]))
print("}  // namespace stats_reference")
