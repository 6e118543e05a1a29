#!/usr/bin/python3
"""Reference values for the special functions of the experiment statistics
(core/experiment/distributions.h), computed with mpmath at 40 significant digits (Debian:
apt-get install python3-mpmath): exact values, not another double-precision library's (SciPy 1.10's
t quantiles are off by up to 2e-11 and its noncentral t returns garbage for noncentrality 25).
Across the ranges the statistics reach and beyond: tiny and huge arguments, far tails, degrees of
freedom from 0.5 to 1e9. Writes the C++ table that tests/cpp/test_distributions.cpp checks:

    /usr/bin/python3 tests/reference/distributions_reference.py > tests/cpp/distributions_reference.inc
"""
import mpmath as mp

mp.mp.dps = 40
rows = []


def emit(name, *values):
    rows.append('  {"%s", {%s}},' % (name, ", ".join(repr(float(v)) for v in values)))


def betainc(a, b, x):
    # I_x(a, b); where mpmath's own series does not converge, by the series of positive terms
    # I_z(p, q) = z^p (1 - z)^q / (p B(p, q)) 2F1(p + q, 1; p + 1; z) on the side z = min(x, 1 - x)
    # (the other side as the complement: at 40 digits the subtraction costs nothing).
    a, b, x = mp.mpf(a), mp.mpf(b), mp.mpf(x)
    try:
        return mp.betainc(a, b, 0, x, regularized=True)
    except (mp.libmp.libhyper.NoConvergence, ValueError):
        pass
    def series(p, q, z):
        return z ** p * (1 - z) ** q / (p * mp.beta(p, q)) * mp.hyp2f1(p + q, 1, p + 1, z, maxterms=10 ** 8)
    return series(a, b, x) if x <= 0.5 else 1 - series(b, a, 1 - x)


def t_cdf(t, df):
    t, df = mp.mpf(t), mp.mpf(df)
    if t == 0:
        return mp.mpf(1) / 2
    tail = betainc(df / 2, mp.mpf(1) / 2, df / (df + t * t)) / 2
    return tail if t < 0 else 1 - tail


def solve(f, p, guess):
    # The x with f(x) = p for increasing f: a bracket grown from the guess, then the Illinois
    # method to a relative width of 1e-32.
    lo, hi, step = mp.mpf(guess) - 1, mp.mpf(guess) + 1, 1
    while f(lo) > p:
        step *= 2
        lo = guess - step
    step = 1
    while f(hi) < p:
        step *= 2
        hi = guess + step
    flo, fhi, side = f(lo) - p, f(hi) - p, 0
    for _ in range(400):
        if hi - lo <= mp.mpf(10) ** -32 * max(abs(lo), abs(hi)):
            break
        x = (lo * fhi - hi * flo) / (fhi - flo)
        if not lo < x < hi:
            x = (lo + hi) / 2
        fx = f(x) - p
        if fx == 0:
            return x
        if fx < 0:
            lo, flo = x, fx
            if side == -1:
                fhi /= 2
            side = -1
        else:
            hi, fhi = x, fx
            if side == 1:
                flo /= 2
            side = 1
    return (lo + hi) / 2


def nct_cdf(t, df, delta):
    # Lenth's Poisson mixture of incomplete betas (AS 243), summed in 40-digit arithmetic.
    t, df, delta = mp.mpf(t), mp.mpf(df), mp.mpf(delta)
    if t < 0:
        return 1 - nct_cdf(-t, df, -delta)
    x = t * t / (t * t + df)
    lam = delta * delta / 2
    total = mp.ncdf(-delta)
    j = 0
    s = mp.mpf(0)
    while True:
        p = mp.exp(-lam) * lam ** j / mp.factorial(j)
        q = delta * mp.exp(-lam) * lam ** j / (mp.sqrt(2) * mp.gamma(j + mp.mpf(3) / 2))
        term = p * betainc(j + mp.mpf(1) / 2, df / 2, x) + \
            q * betainc(j + 1, df / 2, x)
        s += term
        if j > lam and abs(p) + abs(q) < mp.mpf(10) ** -45:
            break
        j += 1
    return total + s / 2


for x in (1e-10, 0.1, 0.5, 1, 1.5, 2.5, 3.7, 10, 14.999, 15, 15.5, 100, 12345.6, 1e8, 1e15):
    emit("log_gamma", x, mp.loggamma(x))
for a, b in ((0.5, 0.5), (0.3, 0.7), (2.5, 14.9), (1, 20), (20, 30), (15, 1e3), (0.5, 1e6),
             (3.5, 1e9), (1e6, 1e6), (40, 4e6), (1e-3, 5)):
    emit("log_beta", a, b, mp.log(mp.beta(a, b)))
for a in (0.5, 1, 2.5, 10, 100, 1e4):
    for b in (0.5, 3, 40, 1e5):
        for x in (1e-5, 0.01, 0.3, 0.5, 0.9, 0.999):
            emit("ibeta", a, b, x, betainc(a, b, x))
for a in (0.5, 1, 3, 10, 50, 500, 5000):
    for x in (0.01, 0.5, 1, 5, 20, 100, 600, 5500):
        emit("gamma_q", a, x, mp.gammainc(a, x, mp.inf, regularized=True))
for p in (1e-300, 1e-100, 1e-20, 1e-8, 0.001, 0.025, 0.2, 0.4999, 0.6, 0.975, 0.999999):
    emit("normal_quantile", p, solve(mp.ncdf, mp.mpf(p), float(mp.sqrt(2) * mp.erfinv(2 * mp.mpf(p) - 1)) if 1e-15 < p < 1 - 1e-15 else -37.0))
for z in (-37, -20, -8, -1.5, 0.3, 5):
    emit("normal_cdf", z, mp.ncdf(z))
for df in (0.5, 1, 1.5, 2, 3, 7.5, 30, 1000, 1e5, 1e7, 1e9):
    for t in (-40, -5, -1.96, -0.1, 0.3, 2.5, 12):
        emit("t_cdf", t, df, t_cdf(t, df))
    for p in (1e-12, 1e-6, 0.001, 0.025, 0.3, 0.6, 0.975, 0.999999):
        from scipy import stats  # a starting point only
        emit("t_quantile", p, df, solve(lambda t: t_cdf(t, df), mp.mpf(p), float(stats.t.ppf(p, df))))
for t, df in ((100, 2e4), (-300, 1e5), (9, 2e4), (-3000, 1e7)):  # tails where the t is not normal
    emit("t_cdf", t, df, t_cdf(t, df))
for df in (1, 2, 3, 10, 50, 500):
    for x in (0.01, 1, 3.84, 10.5, 40, 900):
        emit("chi2_sf", x, df, mp.gammainc(mp.mpf(df) / 2, mp.mpf(x) / 2, mp.inf, regularized=True))
for df in (2, 10, 58, 1000, 1e5, 1e6, 1.5e7, 1e8):
    for t in (0.5, 1.96, 2.5, 4):
        for delta in (-3, -0.5, 0.3, 1, 2.8, 8, 25):
            emit("nct_cdf", t, df, delta, nct_cdf(t, df, delta))

print("// Generated by tests/reference/distributions_reference.py with mpmath %s at 40 digits; do not" % mp.__version__)
print("// edit: rerun the script. Each entry: the function's name, its arguments, the exact value.")
print("#include <string>\n#include <utility>\n#include <vector>\n")
print("namespace distributions_reference {")
print("const std::vector<std::pair<std::string, std::vector<double>>> kValues{")
print("\n".join(rows))
print("};")
print("}  // namespace distributions_reference")
