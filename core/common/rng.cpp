#include "common/rng.h"

#include <cmath>

#include "common/check.h"
#include "common/detmath.h"

namespace recsys {

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

Rng::Rng(std::uint64_t seed, std::uint64_t stream) {
  std::uint64_t s = seed;
  seed_raw(splitmix64(s), stream);
}

Rng Rng::pcg32(std::uint64_t initstate, std::uint64_t initseq) {
  Rng r;
  r.seed_raw(initstate, initseq);
  return r;
}

void Rng::seed_raw(std::uint64_t initstate, std::uint64_t initseq) {
  inc_ = (initseq << 1u) | 1u;
  state_ = 0;
  next_u32();
  state_ += initstate;
  next_u32();
  has_spare_ = false;
}

std::uint32_t Rng::next_u32() {
  const std::uint64_t old = state_;
  state_ = old * 6364136223846793005ULL + inc_;
  const auto xorshifted = static_cast<std::uint32_t>(((old >> 18u) ^ old) >> 27u);
  const auto rot = static_cast<std::uint32_t>(old >> 59u);
  return (xorshifted >> rot) | (xorshifted << ((32u - rot) & 31u));
}

std::uint64_t Rng::next_u64() {
  const std::uint64_t hi = next_u32();
  return (hi << 32) | next_u32();
}

double Rng::uniform() {
  return static_cast<double>(next_u64() >> 11) * 0x1.0p-53;
}

std::uint32_t Rng::below(std::uint32_t n) {
  RECSYS_CHECK(n > 0, "Rng::below: n must be positive, got ", n);
  std::uint64_t m = static_cast<std::uint64_t>(next_u32()) * n;
  auto low = static_cast<std::uint32_t>(m);
  if (low < n) {
    const std::uint32_t threshold = (0u - n) % n;
    while (low < threshold) {
      m = static_cast<std::uint64_t>(next_u32()) * n;
      low = static_cast<std::uint32_t>(m);
    }
  }
  return static_cast<std::uint32_t>(m >> 32);
}

double Rng::normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_normal_;
  }
  double u, v, s;
  do {
    u = 2 * uniform() - 1;
    v = 2 * uniform() - 1;
    s = u * u + v * v;
  } while (s >= 1 || s == 0);
  const double f = std::sqrt(-2 * detmath::log(s) / s);
  spare_normal_ = v * f;
  has_spare_ = true;
  return u * f;
}

double Rng::exponential(double mean) {
  // 1 - uniform() is in (0, 1], so the log is finite.
  return -mean * detmath::log(1 - uniform());
}

double Rng::gamma(double shape) {
  RECSYS_CHECK(shape > 0, "Rng::gamma: shape must be positive, got ", shape);
  if (shape < 1) {
    // Boost: Gamma(a) = Gamma(a + 1) * U^(1/a).
    const double g = gamma(shape + 1);
    return g * detmath::pow(1 - uniform(), 1 / shape);
  }
  const double d = shape - 1.0 / 3;
  const double c = 1 / std::sqrt(9 * d);
  for (;;) {
    double x, v;
    do {
      x = normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const double u = 1 - uniform();
    if (u < 1 - 0.0331 * x * x * x * x) return d * v;
    if (detmath::log(u) < 0.5 * x * x + d * (1 - v + detmath::log(v))) return d * v;
  }
}

std::size_t Rng::categorical(const std::vector<double>& weights) {
  RECSYS_CHECK(!weights.empty(), "Rng::categorical: weights are empty");
  double total = 0;
  for (double w : weights) total += w;
  RECSYS_CHECK(total > 0, "Rng::categorical: weights must have a positive sum, got ", total);
  double r = uniform() * total;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    r -= weights[i];
    if (r < 0) return i;
  }
  // Rounding left r >= 0: return the last index with positive weight.
  for (std::size_t i = weights.size(); i-- > 0;)
    if (weights[i] > 0) return i;
  return weights.size() - 1;
}

std::size_t Rng::from_cdf(const std::vector<double>& cdf) {
  RECSYS_CHECK(!cdf.empty() && cdf.back() > 0,
               "Rng::from_cdf: the table must end in a positive total");
  const double r = uniform() * cdf.back();
  std::size_t lo = 0, hi = cdf.size() - 1;
  while (lo < hi) {  // first index with cdf[i] > r
    const std::size_t mid = (lo + hi) / 2;
    if (cdf[mid] > r)
      hi = mid;
    else
      lo = mid + 1;
  }
  return lo;
}

}  // namespace recsys
