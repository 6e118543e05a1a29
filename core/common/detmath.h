// Deterministic elementary functions. libm's exp/log differ in the last bit between glibc (native)
// and musl (Emscripten), so anything that must be bit-identical on both targets (the synthetic
// shop, seeded initialisation) uses these: only +, -, *, / and sqrt, which IEEE 754 rounds exactly,
// and frexp/ldexp, which are exact. The core is compiled with -ffp-contract=off so that no
// compiler fuses a*b+c differently on one target.
#pragma once

namespace recsys::detmath {

// Natural logarithm, x > 0; relative error below 1e-15. Returns -inf for 0 and NaN for x < 0.
double log(double x);
// e^x; relative error below 1e-15. Overflows to +inf above ~709.78, underflows to 0.
double exp(double x);
// x^y = exp(y * log(x)) for x > 0.
double pow(double x, double y);
// Logistic function 1 / (1 + e^-x), computed without overflow.
double sigmoid(double x);

}  // namespace recsys::detmath
