// Seeded random numbers that are bit-identical natively and in WebAssembly: PCG32 (O'Neill 2014,
// pcg32_random_r) seeded through splitmix64, and our own distributions. Never std::*_distribution:
// libstdc++ and libc++ produce different sequences from the same engine.
#pragma once

#include <cstdint>
#include <vector>

namespace recsys {

// splitmix64 step (Steele, Lea, Flood 2014): used to derive seeds and stream ids.
std::uint64_t splitmix64(std::uint64_t& state);

class Rng {
 public:
  // seed picks the starting point, stream picks one of 2^63 independent sequences.
  explicit Rng(std::uint64_t seed = 0x853c49e6748fea9bULL, std::uint64_t stream = 0);
  // The reference seeding pcg32_srandom_r(initstate, initseq), for known-answer tests.
  static Rng pcg32(std::uint64_t initstate, std::uint64_t initseq);

  std::uint32_t next_u32();
  std::uint64_t next_u64();
  // Uniform on [0, 1) with 53 random bits.
  double uniform();
  // Uniform on [lo, hi).
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Uniform integer in [0, n), unbiased (Lemire's multiply-and-reject). n must be > 0.
  std::uint32_t below(std::uint32_t n);
  // Standard normal, Marsaglia's polar method.
  double normal();
  double normal(double mean, double stddev) { return mean + stddev * normal(); }
  // Exponential with the given mean.
  double exponential(double mean);
  // Gamma(shape, scale = 1), Marsaglia & Tsang 2000; shape > 0.
  double gamma(double shape);
  bool bernoulli(double p) { return uniform() < p; }
  // Index drawn with probability proportional to weights[i] (non-negative, positive sum).
  std::size_t categorical(const std::vector<double>& weights);
  // Index from a cumulative-weight table (cdf non-decreasing, cdf.back() > 0): binary search.
  std::size_t from_cdf(const std::vector<double>& cdf);
  // Fisher-Yates shuffle.
  template <class T>
  void shuffle(std::vector<T>& v) {
    for (std::size_t i = v.size(); i > 1; --i) {
      const std::size_t j = below(static_cast<std::uint32_t>(i));
      std::swap(v[i - 1], v[j]);
    }
  }

 private:
  void seed_raw(std::uint64_t initstate, std::uint64_t initseq);

  std::uint64_t state_ = 0;
  std::uint64_t inc_ = 0;
  double spare_normal_ = 0;
  bool has_spare_ = false;
};

}  // namespace recsys
