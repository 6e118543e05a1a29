#include "nn/kernels.h"

#include "common/check.h"
#include "common/parallel.h"

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstring>
#include <vector>

#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && !defined(__EMSCRIPTEN__) && !defined(RECSYS_PORTABLE_FLOATS) && \
    (defined(__GNUC__) || defined(__clang__))
#define RECSYS_X86_FMA 1
#include <immintrin.h>
#endif

namespace recsys::nn::kernels {

namespace portable {
float dot(const float* a, const float* b, int d) {
  float s = 0;
  for (int i = 0; i < d; ++i) s += a[i] * b[i];
  return s;
}
std::int32_t dot_i8(const std::int8_t* a, const std::int8_t* b, int d) {
  std::int32_t s = 0;
  for (int i = 0; i < d; ++i)
    s += static_cast<std::int32_t>(a[i]) * static_cast<std::int32_t>(b[i]);
  return s;
}
void matmul(const Matrix& A, const Matrix& B, Matrix& C, bool accumulate) {
  RECSYS_CHECK(A.cols() == B.rows(), "matmul: inner dimensions ", A.cols(), " and ", B.rows());
  if (!accumulate) C.setZero(A.rows(), B.cols());
  for (Eigen::Index i = 0; i < A.rows(); ++i)
    for (Eigen::Index p = 0; p < A.cols(); ++p) {
      const float a = A(i, p);
      for (Eigen::Index j = 0; j < B.cols(); ++j) C(i, j) += a * B(p, j);
    }
}
void matmul_bt(const Matrix& A, const Matrix& B, Matrix& C, bool accumulate) {
  RECSYS_CHECK(A.cols() == B.cols(), "matmul_bt: inner dimensions ", A.cols(), " and ", B.cols());
  if (!accumulate) C.setZero(A.rows(), B.rows());
  for (Eigen::Index i = 0; i < A.rows(); ++i)
    for (Eigen::Index j = 0; j < B.rows(); ++j) {
      float s = 0;
      for (Eigen::Index p = 0; p < A.cols(); ++p) s += A(i, p) * B(j, p);
      C(i, j) += s;
    }
}
void matmul_at(const Matrix& A, const Matrix& B, Matrix& C, bool accumulate) {
  RECSYS_CHECK(A.rows() == B.rows(), "matmul_at: outer dimensions ", A.rows(), " and ", B.rows());
  if (!accumulate) C.setZero(A.cols(), B.cols());
  for (Eigen::Index r = 0; r < A.rows(); ++r)
    for (Eigen::Index i = 0; i < A.cols(); ++i) {
      const float a = A(r, i);
      for (Eigen::Index j = 0; j < B.cols(); ++j) C(i, j) += a * B(r, j);
    }
}
}  // namespace portable

bool all_finite(const float* x, std::int64_t n) {
  // A float is NaN or infinite when its exponent bits are all ones.
  constexpr std::uint32_t kExponent = 0x7f800000u;
  std::int64_t i = 0;
#ifdef __wasm_simd128__
  const v128_t e = wasm_i32x4_splat(static_cast<std::int32_t>(kExponent));
  v128_t bad = wasm_i32x4_splat(0);
  for (; i + 16 <= n; i += 16)
    for (int k = 0; k < 16; k += 4)
      bad = wasm_v128_or(bad, wasm_i32x4_eq(wasm_v128_and(wasm_v128_load(x + i + k), e), e));
  if (wasm_v128_any_true(bad)) return false;
#endif
  std::uint32_t any = 0;
  for (; i < n; ++i) {
    std::uint32_t bits;
    std::memcpy(&bits, x + i, sizeof bits);
    any |= static_cast<std::uint32_t>((bits & kExponent) == kExponent);
  }
  return any == 0;
}

void dequantize_i8(const std::int8_t* codes, std::int64_t rows, int cols, const float* scale,
                   bool by_row, float* out) {
  for (std::int64_t r = 0; r < rows; ++r, codes += cols, out += cols) {
    int c = 0;
#ifdef __wasm_simd128__
    // Sixteen codes at a time: widened to four i32x4, converted (exactly), one multiply each.
    const v128_t row_scale = wasm_f32x4_splat(by_row ? scale[r] : 0.0f);
    for (; c + 16 <= cols; c += 16) {
      const v128_t v = wasm_v128_load(codes + c);
      const v128_t lo = wasm_i16x8_extend_low_i8x16(v), hi = wasm_i16x8_extend_high_i8x16(v);
      const v128_t q[4] = {wasm_i32x4_extend_low_i16x8(lo), wasm_i32x4_extend_high_i16x8(lo),
                           wasm_i32x4_extend_low_i16x8(hi), wasm_i32x4_extend_high_i16x8(hi)};
      for (int k = 0; k < 4; ++k) {
        const v128_t s = by_row ? row_scale : wasm_v128_load(scale + c + 4 * k);
        wasm_v128_store(out + c + 4 * k, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(q[k]), s));
      }
    }
#endif
    for (; c < cols; ++c) out[c] = static_cast<float>(codes[c]) * (by_row ? scale[r] : scale[c]);
  }
}

void vec_mat(const float* x, int k, const float* W, int n, float* y) {
  int j = 0;
#ifdef __wasm_simd128__
  // Sixteen columns at a time in four registers; each lane adds its products in p order.
  for (; j + 16 <= n; j += 16) {
    v128_t y0 = wasm_f32x4_splat(0), y1 = y0, y2 = y0, y3 = y0;
    const float* w = W + j;
    for (int p = 0; p < k; ++p, w += n) {
      const v128_t a = wasm_f32x4_splat(x[p]);
      y0 = wasm_f32x4_add(y0, wasm_f32x4_mul(a, wasm_v128_load(w)));
      y1 = wasm_f32x4_add(y1, wasm_f32x4_mul(a, wasm_v128_load(w + 4)));
      y2 = wasm_f32x4_add(y2, wasm_f32x4_mul(a, wasm_v128_load(w + 8)));
      y3 = wasm_f32x4_add(y3, wasm_f32x4_mul(a, wasm_v128_load(w + 12)));
    }
    wasm_v128_store(y + j, y0);
    wasm_v128_store(y + j + 4, y1);
    wasm_v128_store(y + j + 8, y2);
    wasm_v128_store(y + j + 12, y3);
  }
  for (; j + 4 <= n; j += 4) {
    v128_t acc = wasm_f32x4_splat(0);
    const float* w = W + j;
    for (int p = 0; p < k; ++p, w += n)
      acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_f32x4_splat(x[p]), wasm_v128_load(w)));
    wasm_v128_store(y + j, acc);
  }
#endif
  // The rest (natively: every column, in a loop the compiler may vectorise across j, which
  // keeps each column's order).
  for (int c = j; c < n; ++c) y[c] = 0;
  for (int p = 0; p < k; ++p) {
    const float a = x[p];
    const float* w = W + static_cast<std::ptrdiff_t>(p) * n;
    for (int c = j; c < n; ++c) y[c] += a * w[c];
  }
}

namespace {
#ifdef __wasm_simd128__
// Four rows of Y from four rows of X (each k long, contiguous), eight columns at a time in eight
// registers; each lane adds its products in p order from +0, as vec_mat's do. A function of its
// own, called for every four rows: V8 optimises it after a few calls (its loops are small), where
// one call over all the rows would run as baseline code throughout (no on-stack replacement).
__attribute__((noinline)) void four_rows(const float* x0, int k, const float* W, int n, float* y0) {
  const float *x1 = x0 + k, *x2 = x1 + k, *x3 = x2 + k;
  float *y1 = y0 + n, *y2 = y1 + n, *y3 = y2 + n;
  int j = 0;
  for (; j + 8 <= n; j += 8) {
    v128_t a0 = wasm_f32x4_splat(0), b0 = a0, a1 = a0, b1 = a0, a2 = a0, b2 = a0, a3 = a0, b3 = a0;
    const float* w = W + j;
    for (int p = 0; p < k; ++p, w += n) {
      const v128_t w0 = wasm_v128_load(w), w1 = wasm_v128_load(w + 4);
      v128_t s = wasm_f32x4_splat(x0[p]);
      a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(s, w0));
      b0 = wasm_f32x4_add(b0, wasm_f32x4_mul(s, w1));
      s = wasm_f32x4_splat(x1[p]);
      a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(s, w0));
      b1 = wasm_f32x4_add(b1, wasm_f32x4_mul(s, w1));
      s = wasm_f32x4_splat(x2[p]);
      a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(s, w0));
      b2 = wasm_f32x4_add(b2, wasm_f32x4_mul(s, w1));
      s = wasm_f32x4_splat(x3[p]);
      a3 = wasm_f32x4_add(a3, wasm_f32x4_mul(s, w0));
      b3 = wasm_f32x4_add(b3, wasm_f32x4_mul(s, w1));
    }
    wasm_v128_store(y0 + j, a0);
    wasm_v128_store(y0 + j + 4, b0);
    wasm_v128_store(y1 + j, a1);
    wasm_v128_store(y1 + j + 4, b1);
    wasm_v128_store(y2 + j, a2);
    wasm_v128_store(y2 + j + 4, b2);
    wasm_v128_store(y3 + j, a3);
    wasm_v128_store(y3 + j + 4, b3);
  }
  for (int q = 0; q < 4 && j < n; ++q) {  // the last columns, a row at a time (vec_mat's order)
    const float* x = x0 + static_cast<std::ptrdiff_t>(q) * k;
    float* y = y0 + static_cast<std::ptrdiff_t>(q) * n;
    for (int c = j; c < n; ++c) {
      float acc = 0;
      for (int p = 0; p < k; ++p) acc += x[p] * W[static_cast<std::ptrdiff_t>(p) * n + c];
      y[c] = acc;
    }
  }
}
#endif
}  // namespace

void mat_mat(const float* X, int m, int k, const float* W, int n, float* Y) {
  int r = 0;
#ifdef __wasm_simd128__
  for (; r + 4 <= m; r += 4)
    four_rows(X + static_cast<std::ptrdiff_t>(r) * k, k, W, n,
              Y + static_cast<std::ptrdiff_t>(r) * n);
#endif
  for (; r < m; ++r)
    vec_mat(X + static_cast<std::ptrdiff_t>(r) * k, k, W, n,
            Y + static_cast<std::ptrdiff_t>(r) * n);
}

// Not inlined: its loop over every output would make its caller a function that V8 optimises
// (a large one, for a loop that runs once per call).
__attribute__((noinline)) void bias_act(float* Y, int m, int n, const float* b, bool relu) {
  for (int r = 0; r < m; ++r) {
    float* y = Y + static_cast<std::ptrdiff_t>(r) * n;
    for (int c = 0; c < n; ++c) {
      const float v = y[c] + b[c];
      y[c] = relu && !(v > 0.0f) ? 0.0f : v;
    }
  }
}

namespace {
// The rows of C in chunks across the threads (parallel.h). Eigen computes a row-major product as
// the column-major product of the transposes, so the rows of C are the columns of its kernel,
// taken in panels of nr (4) columns from the first: chunks that start at multiples of 8 give every
// element the same sums in the same order as one call over all the rows (tested bit for bit).
// Products under 2^17 multiply-adds stay on one thread (a fork-join costs a few microseconds).
template <class Body>
void by_rows(Eigen::Index rows, Eigen::Index work_per_row, const Body& body) {
  const std::int64_t work = static_cast<std::int64_t>(rows) * work_per_row;
  if (parallel::threads() == 1 || work < (std::int64_t{1} << 17)) {
    body(0, rows);
    return;
  }
  parallel::for_chunks(rows, 8, 32, [&](std::int64_t r0, std::int64_t r1) {
    body(static_cast<Eigen::Index>(r0), static_cast<Eigen::Index>(r1 - r0));
  });
}
}  // namespace

#ifdef RECSYS_X86_FMA
namespace {
// C (R rows, stride n) += A (R rows, stride k) · B (k × n), row-major, with AVX2 and FMA: R rows by
// 16 columns of C in 2R registers, then 8, then a masked tail. Each element is summed over p in
// order from its value in C, one fused multiply-add a step, whatever the rows around it: any split
// of the rows (threads) gives the same bits.
template <int R>
__attribute__((target("avx2,fma"))) void fma_rows(const float* A, int k, const float* B, int n,
                                                  float* C) {
  int j = 0;
  for (; j + 16 <= n; j += 16) {
    __m256 c0[R], c1[R];
    for (int r = 0; r < R; ++r) {
      c0[r] = _mm256_loadu_ps(C + r * n + j);
      c1[r] = _mm256_loadu_ps(C + r * n + j + 8);
    }
    for (int p = 0; p < k; ++p) {
      const float* b = B + static_cast<std::ptrdiff_t>(p) * n + j;
      const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
      for (int r = 0; r < R; ++r) {
        const __m256 a = _mm256_broadcast_ss(A + r * k + p);
        c0[r] = _mm256_fmadd_ps(a, b0, c0[r]);
        c1[r] = _mm256_fmadd_ps(a, b1, c1[r]);
      }
    }
    for (int r = 0; r < R; ++r) {
      _mm256_storeu_ps(C + r * n + j, c0[r]);
      _mm256_storeu_ps(C + r * n + j + 8, c1[r]);
    }
  }
  alignas(32) static const std::int32_t kMask[16] = {-1, -1, -1, -1, -1, -1, -1, -1,
                                                     0,  0,  0,  0,  0,  0,  0,  0};
  for (; j < n; j += 8) {
    const __m256i mask =
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kMask + 8 - std::min(8, n - j)));
    __m256 c[R];
    for (int r = 0; r < R; ++r) c[r] = _mm256_maskload_ps(C + r * n + j, mask);
    for (int p = 0; p < k; ++p) {
      const __m256 b = _mm256_maskload_ps(B + static_cast<std::ptrdiff_t>(p) * n + j, mask);
      for (int r = 0; r < R; ++r)
        c[r] = _mm256_fmadd_ps(_mm256_broadcast_ss(A + r * k + p), b, c[r]);
    }
    for (int r = 0; r < R; ++r) _mm256_maskstore_ps(C + r * n + j, mask, c[r]);
  }
}

// Rows [r0, r0 + m) of C += those rows of A · B: four rows at a time.
void fma_gemm(const Matrix& A, const Matrix& B, Matrix& C, Eigen::Index r0, Eigen::Index m) {
  const int k = static_cast<int>(A.cols()), n = static_cast<int>(B.cols());
  Eigen::Index i = r0;
  for (; i + 4 <= r0 + m; i += 4) fma_rows<4>(A.row(i).data(), k, B.data(), n, C.row(i).data());
  for (; i < r0 + m; ++i) fma_rows<1>(A.row(i).data(), k, B.data(), n, C.row(i).data());
}

// Whether this CPU runs AVX2 and FMA (asked once), and whether matmul may use them.
bool cpu_has_fma() {
  static const bool has = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  }();
  return has;
}
std::atomic<bool> g_fma_allowed{true};
}  // namespace
#endif

bool fma_gemm_active() {
#ifdef RECSYS_X86_FMA
  return cpu_has_fma() && g_fma_allowed.load(std::memory_order_relaxed);
#else
  return false;
#endif
}

void allow_fma_gemm(bool allowed) {
#ifdef RECSYS_X86_FMA
  g_fma_allowed.store(allowed, std::memory_order_relaxed);
#else
  (void)allowed;
#endif
}

void matmul_rows(const Matrix& A, const Matrix& B, Matrix& C, Eigen::Index r0, Eigen::Index n) {
  RECSYS_CHECK(A.cols() == B.rows() && C.rows() == A.rows() && C.cols() == B.cols() && r0 >= 0 &&
                   n >= 0 && r0 + n <= A.rows(),
               "matmul_rows: ", A.rows(), " x ", A.cols(), " · ", B.rows(), " x ", B.cols(),
               " into ", C.rows(), " x ", C.cols(), ", rows [", r0, ", ", r0 + n, ")");
#ifdef RECSYS_X86_FMA
  if (fma_gemm_active()) {
    C.middleRows(r0, n).setZero();
    fma_gemm(A, B, C, r0, n);
    return;
  }
#endif
  C.middleRows(r0, n).noalias() = A.middleRows(r0, n) * B;
}

void matmul(const Matrix& A, const Matrix& B, Matrix& C, bool accumulate) {
  RECSYS_CHECK(A.cols() == B.rows(), "matmul: inner dimensions ", A.cols(), " and ", B.rows());
  RECSYS_CHECK(!accumulate || (C.rows() == A.rows() && C.cols() == B.cols()),
               "matmul: accumulating into ", C.rows(), " x ", C.cols(), ", expected ", A.rows(),
               " x ", B.cols());
  if (!accumulate) C.resize(A.rows(), B.cols());
#ifdef RECSYS_X86_FMA
  if (fma_gemm_active()) {
    if (!accumulate) C.setZero();
    by_rows(A.rows(), A.cols() * B.cols(),
            [&](Eigen::Index r, Eigen::Index n) { fma_gemm(A, B, C, r, n); });
    return;
  }
#endif
  by_rows(A.rows(), A.cols() * B.cols(), [&](Eigen::Index r, Eigen::Index n) {
    if (accumulate)
      C.middleRows(r, n).noalias() += A.middleRows(r, n) * B;
    else
      C.middleRows(r, n).noalias() = A.middleRows(r, n) * B;
  });
}

void matmul_bt(const Matrix& A, const Matrix& B, Matrix& C, bool accumulate) {
  RECSYS_CHECK(A.cols() == B.cols(), "matmul_bt: inner dimensions ", A.cols(), " and ", B.cols());
  if (!accumulate) C.resize(A.rows(), B.rows());
  by_rows(A.rows(), A.cols() * B.rows(), [&](Eigen::Index r, Eigen::Index n) {
    if (accumulate)
      C.middleRows(r, n).noalias() += A.middleRows(r, n) * B.transpose();
    else
      C.middleRows(r, n).noalias() = A.middleRows(r, n) * B.transpose();
  });
}

void matmul_at(const Matrix& A, const Matrix& B, Matrix& C, bool accumulate) {
  RECSYS_CHECK(A.rows() == B.rows(), "matmul_at: outer dimensions ", A.rows(), " and ", B.rows());
  if (!accumulate) C.resize(A.cols(), B.cols());
  by_rows(A.cols(), A.rows() * B.cols(), [&](Eigen::Index r, Eigen::Index n) {
    if (accumulate)
      C.middleRows(r, n).noalias() += A.middleCols(r, n).transpose() * B;
    else
      C.middleRows(r, n).noalias() = A.middleCols(r, n).transpose() * B;
  });
}

#ifdef __wasm_simd128__
float dot(const float* a, const float* b, int d) {
  // Four independent accumulators hide the add latency; the tail runs scalar.
  v128_t s0 = wasm_f32x4_splat(0), s1 = s0, s2 = s0, s3 = s0;
  int i = 0;
  for (; i + 16 <= d; i += 16) {
    s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(wasm_v128_load(a + i), wasm_v128_load(b + i)));
    s1 = wasm_f32x4_add(s1, wasm_f32x4_mul(wasm_v128_load(a + i + 4), wasm_v128_load(b + i + 4)));
    s2 = wasm_f32x4_add(s2, wasm_f32x4_mul(wasm_v128_load(a + i + 8), wasm_v128_load(b + i + 8)));
    s3 = wasm_f32x4_add(s3, wasm_f32x4_mul(wasm_v128_load(a + i + 12), wasm_v128_load(b + i + 12)));
  }
  for (; i + 4 <= d; i += 4)
    s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(wasm_v128_load(a + i), wasm_v128_load(b + i)));
  const v128_t s = wasm_f32x4_add(wasm_f32x4_add(s0, s1), wasm_f32x4_add(s2, s3));
  float r = wasm_f32x4_extract_lane(s, 0) + wasm_f32x4_extract_lane(s, 1) +
            wasm_f32x4_extract_lane(s, 2) + wasm_f32x4_extract_lane(s, 3);
  for (; i < d; ++i) r += a[i] * b[i];
  return r;
}

std::int32_t dot_i8(const std::int8_t* a, const std::int8_t* b, int d) {
  // 16 int8 products per step: widen each half to int16, multiply-add pairs into int32 lanes.
  v128_t acc = wasm_i32x4_splat(0);
  int i = 0;
  for (; i + 16 <= d; i += 16) {
    const v128_t va = wasm_v128_load(a + i), vb = wasm_v128_load(b + i);
    acc = wasm_i32x4_add(acc, wasm_i32x4_dot_i16x8(wasm_i16x8_extend_low_i8x16(va),
                                                   wasm_i16x8_extend_low_i8x16(vb)));
    acc = wasm_i32x4_add(acc, wasm_i32x4_dot_i16x8(wasm_i16x8_extend_high_i8x16(va),
                                                   wasm_i16x8_extend_high_i8x16(vb)));
  }
  std::int32_t r = wasm_i32x4_extract_lane(acc, 0) + wasm_i32x4_extract_lane(acc, 1) +
                   wasm_i32x4_extract_lane(acc, 2) + wasm_i32x4_extract_lane(acc, 3);
  for (; i < d; ++i) r += static_cast<std::int32_t>(a[i]) * static_cast<std::int32_t>(b[i]);
  return r;
}

const char* backend() {
  return "wasm-simd128";
}
#else
#ifdef RECSYS_PORTABLE_FLOATS
// The wasm kernel's order of additions, lane for lane: sixteen partial sums, folded as it folds
// them, then the tail. The same floats in, the same float out, on any target.
float dot(const float* a, const float* b, int d) {
  float s[16] = {};
  int i = 0;
  for (; i + 16 <= d; i += 16)
    for (int l = 0; l < 16; ++l) s[l] += a[i + l] * b[i + l];
  for (; i + 4 <= d; i += 4)
    for (int l = 0; l < 4; ++l) s[l] += a[i + l] * b[i + l];
  float t[4];
  for (int l = 0; l < 4; ++l) t[l] = (s[l] + s[4 + l]) + (s[8 + l] + s[12 + l]);
  float r = t[0] + t[1] + t[2] + t[3];
  for (; i < d; ++i) r += a[i] * b[i];
  return r;
}
#else
float dot(const float* a, const float* b, int d) {
  return Eigen::Map<const Eigen::VectorXf>(a, d).dot(Eigen::Map<const Eigen::VectorXf>(b, d));
}
#endif

std::int32_t dot_i8(const std::int8_t* a, const std::int8_t* b, int d) {
  return portable::dot_i8(a, b, d);
}

const char* backend() {
  return "eigen";
}
#endif


void scores(const float* items, std::int64_t n, int d, const float* q, float* out) {
  // One row at a time, front to back: interleaving rows (to share the query loads) confuses the
  // hardware prefetcher once rows are 512 bytes or longer (measured: 3x slower at d = 128).
#if defined(__wasm_simd128__) || defined(RECSYS_PORTABLE_FLOATS)
  for (std::int64_t r = 0; r < n; ++r) out[r] = dot(items + r * d, q, d);
#else
  if (d % 8 != 0) {
    for (std::int64_t r = 0; r < n; ++r) out[r] = dot(items + r * d, q, d);
    return;
  }
  // Eight independent lanes: compilers vectorise them without reassociating the sum.
  for (std::int64_t r = 0; r < n; ++r) {
    const float* a = items + r * d;
    float s[8] = {};
    for (int j = 0; j < d; j += 8)
      for (int l = 0; l < 8; ++l) s[l] += a[j + l] * q[j + l];
    out[r] = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
  }
#endif
}

void scores_i8(const std::int8_t* items, std::int64_t n, int d, const std::int8_t* q,
               std::int32_t* out) {
  for (std::int64_t r = 0; r < n; ++r) out[r] = dot_i8(items + r * d, q, d);
}

void scores_i8_scaled(const std::int8_t* items, std::int64_t n, int d, const std::int8_t* q,
                      const float* scale, float* out) {
#ifdef __wasm_simd128__
  scores_i8_scaled_multi(items, n, d, q, 1, scale, out, 0);
#elif defined(__SSE2__)
  if (d % 16 != 0) {
    for (std::int64_t r = 0; r < n; ++r)
      out[r] = static_cast<float>(portable::dot_i8(items + r * d, q, d)) * scale[r];
    return;
  }
  // SSE2: the query sign-extended to int16 once; per row, 16 codes per step sign-extended and
  // multiplied pairwise into int32 lanes (pmaddwd), one horizontal sum at the end of the row.
  const int chunks = d / 16;
  std::vector<std::int16_t> q16(q, q + d);  // in the order that unpacklo / unpackhi produce
  const __m128i zero = _mm_setzero_si128();
  auto q16_at = [&](int half) {
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(q16.data() + 8 * half));
  };
  for (std::int64_t r = 0; r < n; ++r) {
    const std::int8_t* a = items + r * d;
    __m128i acc = zero;
    for (int c = 0; c < chunks; ++c) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(a + 16 * c));
      const __m128i sign = _mm_cmpgt_epi8(zero, v);
      acc = _mm_add_epi32(acc, _mm_madd_epi16(_mm_unpacklo_epi8(v, sign), q16_at(2 * c)));
      acc = _mm_add_epi32(acc, _mm_madd_epi16(_mm_unpackhi_epi8(v, sign), q16_at(2 * c + 1)));
    }
    acc = _mm_add_epi32(acc, _mm_shuffle_epi32(acc, 0x4E));
    acc = _mm_add_epi32(acc, _mm_shuffle_epi32(acc, 0xB1));
    out[r] = static_cast<float>(_mm_cvtsi128_si32(acc)) * scale[r];
  }
#else
  for (std::int64_t r = 0; r < n; ++r)
    out[r] = static_cast<float>(portable::dot_i8(items + r * d, q, d)) * scale[r];
#endif
}

namespace {
#ifdef __wasm_simd128__
// Four int32x4 partial sums → one vector of their four totals (a transposed reduction: six
// shuffles and three adds instead of sixteen lane extractions).
inline v128_t hsum4_i32(v128_t a, v128_t b, v128_t c, v128_t d) {
  const v128_t ab = wasm_i32x4_add(wasm_i32x4_shuffle(a, b, 0, 4, 1, 5),
                                   wasm_i32x4_shuffle(a, b, 2, 6, 3, 7));
  const v128_t cd = wasm_i32x4_add(wasm_i32x4_shuffle(c, d, 0, 4, 1, 5),
                                   wasm_i32x4_shuffle(c, d, 2, 6, 3, 7));
  return wasm_i32x4_add(wasm_i32x4_shuffle(ab, cd, 0, 1, 4, 5),
                        wasm_i32x4_shuffle(ab, cd, 2, 3, 6, 7));
}

// Rows r..r+3 against Q queries widened to int16 (q16 + t·d for query t): eight codes per step
// are loaded sign-extended to int16 (v128.load8x8_s) and multiplied pairwise into int32 lanes
// (i32x4.dot_i16x8_s, exact for any int8 values), so nothing accumulates in int16.
template <int Q>
inline void i8_tile4(const std::int8_t* a, int d, const std::int16_t* q16, const float* scale,
                     float* out, std::int64_t ld) {
  v128_t acc[Q][4];
  for (int t = 0; t < Q; ++t)
    for (int i = 0; i < 4; ++i) acc[t][i] = wasm_i32x4_splat(0);
  for (int c = 0; c < d; c += 8) {
    v128_t x[4];
    for (int i = 0; i < 4; ++i) x[i] = wasm_i16x8_load8x8(a + i * d + c);
    for (int t = 0; t < Q; ++t) {
      const v128_t qv = wasm_v128_load(q16 + t * d + c);
      for (int i = 0; i < 4; ++i) acc[t][i] = wasm_i32x4_add(acc[t][i], wasm_i32x4_dot_i16x8(x[i], qv));
    }
  }
  const v128_t s = wasm_v128_load(scale);
  for (int t = 0; t < Q; ++t)
    wasm_v128_store(out + t * ld, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(hsum4_i32(
                                                     acc[t][0], acc[t][1], acc[t][2], acc[t][3])),
                                                 s));
}
#endif
}  // namespace

namespace {
std::atomic<I8ScanHook> g_i8_hook{nullptr};
// The engine's own kernel (scores_i8_scaled_multi without the host's).
void scores_i8_multi_own(const std::int8_t* items, std::int64_t n, int d,
                         const std::int8_t* queries, int m, const float* scale, float* out,
                         std::int64_t ld);
}  // namespace

void set_i8_scan_hook(I8ScanHook hook) { g_i8_hook.store(hook); }
I8ScanHook i8_scan_hook() { return g_i8_hook.load(); }

void scores_i8_scaled_multi(const std::int8_t* items, std::int64_t n, int d,
                            const std::int8_t* queries, int m, const float* scale, float* out,
                            std::int64_t ld) {
  if (const I8ScanHook hook = g_i8_hook.load(); hook && d % 16 == 0 && n >= 4) {
    // The host's kernel query by query (rows stay in cache between the passes of a block); what
    // it leaves, here.
    std::vector<std::uint8_t> q_u7(static_cast<std::size_t>(d));
    for (int t = 0; t < m; ++t) {
      const std::int8_t* q = queries + static_cast<std::int64_t>(t) * d;
      for (int j = 0; j < d; ++j) q_u7[j] = static_cast<std::uint8_t>(q[j] + 64);
      const std::int64_t done = hook(items, n, d, q_u7.data(), scale, out + t * ld);
      if (done < n)
        scores_i8_multi_own(items + done * d, n - done, d, q, 1, scale + done,
                            out + t * ld + done, 0);
    }
    return;
  }
  scores_i8_multi_own(items, n, d, queries, m, scale, out, ld);
}

namespace {
void scores_i8_multi_own(const std::int8_t* items, std::int64_t n, int d,
                         const std::int8_t* queries, int m, const float* scale, float* out,
                         std::int64_t ld) {
#ifdef __wasm_simd128__
  std::int64_t r = 0;
  if (d % 8 == 0 && n >= 4) {
    // Queries widened to int16 once per call; rows in fours, queries in pairs.
    std::vector<std::int16_t> q16(queries, queries + static_cast<std::size_t>(m) * d);
    for (; r + 4 <= n; r += 4) {
      const std::int8_t* a = items + r * d;
      int t = 0;
      for (; t + 2 <= m; t += 2) i8_tile4<2>(a, d, q16.data() + t * d, scale + r, out + t * ld + r, ld);
      if (t < m) i8_tile4<1>(a, d, q16.data() + t * d, scale + r, out + t * ld + r, ld);
    }
  }
  for (; r < n; ++r)
    for (int t = 0; t < m; ++t)
      out[t * ld + r] = static_cast<float>(dot_i8(items + r * d, queries + t * d, d)) * scale[r];
#else
  for (int t = 0; t < m; ++t)
    scores_i8_scaled(items, n, d, queries + static_cast<std::int64_t>(t) * d, scale, out + t * ld);
#endif
}
}  // namespace

void pack_nibbles(const std::int8_t* codes, std::int64_t n, int d, std::uint8_t* out) {
  const int stride = nibble_stride(d);
  for (std::int64_t r = 0; r < n; ++r) {
    const std::int8_t* c = codes + r * d;
    std::uint8_t* o = out + r * stride;
    std::fill(o, o + stride, std::uint8_t{0});
    for (int j = 0; j < d; ++j) {
      const int u = (c[j] + 64) / 16;  // floor(c / 16) + 4, for c >= -64
      const int w = j % 32;
      o[16 * (j / 32) + (w & 15)] |= static_cast<std::uint8_t>(w < 16 ? u : u << 4);
    }
  }
}

std::int32_t nibble_bias(const std::int8_t* q, int d) {
  std::int32_t sum = 0, positive = 0;
  for (int j = 0; j < d; ++j) {
    sum += q[j];
    if (q[j] > 0) positive += q[j];
  }
  return 15 * positive - 64 * sum;
}

void nibble_bounds(const std::uint8_t* nibbles, std::int64_t n, int d, const std::int8_t* q,
                   std::int32_t bias, const float* scale, float* out) {
  const int stride = nibble_stride(d);
  const int vecs = stride / 16;
  std::int64_t r = 0;
#if defined(__wasm_simd128__) || defined(__SSE2__)
  // The query's codes as int16 in the order of the nibbles in int16 lanes (below).
  std::vector<std::int16_t> qp(static_cast<std::size_t>(2 * stride));
  for (int v = 0; v < vecs; ++v)
    for (int k = 0; k < 8; ++k) {
      std::int16_t* o = qp.data() + 32 * v + k;
      const std::int8_t* src = q + 32 * v + 2 * k;
      o[0] = src[0];
      o[8] = src[1];
      o[16] = src[16];
      o[24] = src[17];
    }
#endif
#ifdef __wasm_simd128__
  // Rows in fours. Sixteen bytes read as eight int16 lanes hold four nibbles each: lane k has
  // dimensions 2k and 2k + 1 (bits 0-3 and 8-11) and 2k + 16 and 2k + 17 (bits 4-7 and 12-15) of
  // the vector's 32. Each is masked out in place (one shift and one and), and multiplied pairwise
  // into int32 lanes (i32x4.dot_i16x8_s) by the query's codes in that order, widened to int16
  // once: no byte shuffles, every step one instruction on x86.
  const v128_t low4 = wasm_i16x8_splat(15), b = wasm_i32x4_splat(bias);
  for (; r + 4 <= n; r += 4) {
    const std::uint8_t* p = nibbles + r * stride;
    v128_t acc[4];
    for (int i = 0; i < 4; ++i) acc[i] = wasm_i32x4_splat(0);
    for (int v = 0; v < vecs; ++v) {
      const std::int16_t* qv = qp.data() + 32 * v;
      const v128_t q0 = wasm_v128_load(qv), q1 = wasm_v128_load(qv + 8),
                   q2 = wasm_v128_load(qv + 16), q3 = wasm_v128_load(qv + 24);
      for (int i = 0; i < 4; ++i) {
        const v128_t x = wasm_v128_load(p + i * stride + 16 * v);
        const v128_t s01 =
            wasm_i32x4_add(wasm_i32x4_dot_i16x8(wasm_v128_and(x, low4), q0),
                           wasm_i32x4_dot_i16x8(wasm_v128_and(wasm_u16x8_shr(x, 8), low4), q1));
        const v128_t s23 =
            wasm_i32x4_add(wasm_i32x4_dot_i16x8(wasm_v128_and(wasm_u16x8_shr(x, 4), low4), q2),
                           wasm_i32x4_dot_i16x8(wasm_u16x8_shr(x, 12), q3));
        acc[i] = wasm_i32x4_add(acc[i], wasm_i32x4_add(s01, s23));
      }
    }
    const v128_t bound =
        wasm_i32x4_add(wasm_i32x4_shl(hsum4_i32(acc[0], acc[1], acc[2], acc[3]), 4), b);
    wasm_v128_store(out + r,
                    wasm_f32x4_mul(wasm_f32x4_convert_i32x4(bound), wasm_v128_load(scale + r)));
  }
#elif defined(__SSE2__)
  // The wasm path's steps with SSE2's psrlw, pand and pmaddwd.
  const __m128i zero = _mm_setzero_si128(), low4 = _mm_set1_epi16(15), b = _mm_set1_epi32(bias);
  for (; r + 4 <= n; r += 4) {
    const std::uint8_t* p = nibbles + r * stride;
    __m128i acc[4] = {zero, zero, zero, zero};
    for (int v = 0; v < vecs; ++v) {
      const auto q_at = [&](int i) {
        return _mm_loadu_si128(reinterpret_cast<const __m128i*>(qp.data() + 32 * v + 8 * i));
      };
      const __m128i q0 = q_at(0), q1 = q_at(1), q2 = q_at(2), q3 = q_at(3);
      for (int i = 0; i < 4; ++i) {
        const __m128i x =
            _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i * stride + 16 * v));
        const __m128i s01 =
            _mm_add_epi32(_mm_madd_epi16(_mm_and_si128(x, low4), q0),
                          _mm_madd_epi16(_mm_and_si128(_mm_srli_epi16(x, 8), low4), q1));
        const __m128i s23 =
            _mm_add_epi32(_mm_madd_epi16(_mm_and_si128(_mm_srli_epi16(x, 4), low4), q2),
                          _mm_madd_epi16(_mm_srli_epi16(x, 12), q3));
        acc[i] = _mm_add_epi32(acc[i], _mm_add_epi32(s01, s23));
      }
    }
    // The four rows' totals (a transposed reduction).
    const __m128i t01 =
        _mm_add_epi32(_mm_unpacklo_epi32(acc[0], acc[1]), _mm_unpackhi_epi32(acc[0], acc[1]));
    const __m128i t23 =
        _mm_add_epi32(_mm_unpacklo_epi32(acc[2], acc[3]), _mm_unpackhi_epi32(acc[2], acc[3]));
    const __m128i sums = _mm_add_epi32(_mm_unpacklo_epi64(t01, t23), _mm_unpackhi_epi64(t01, t23));
    const __m128i bound = _mm_add_epi32(_mm_slli_epi32(sums, 4), b);
    _mm_storeu_ps(out + r, _mm_mul_ps(_mm_cvtepi32_ps(bound), _mm_loadu_ps(scale + r)));
  }
#endif
  for (; r < n; ++r) {
    const std::uint8_t* p = nibbles + r * stride;
    std::int32_t s = 0;
    for (int v = 0; v < vecs; ++v)
      for (int j = 0; j < 16; ++j)
        s += q[32 * v + j] * (p[16 * v + j] & 15) + q[32 * v + 16 + j] * (p[16 * v + j] >> 4);
    out[r] = static_cast<float>(16 * s + bias) * scale[r];
  }
}

std::int64_t count_at_least(const float* x, std::int64_t n, float t) {
  std::int64_t count = 0, j = 0;
#ifdef __wasm_simd128__
  // Lanes count down by one where x >= t (the comparison's mask is -1), sixteen values a step;
  // each lane's int32 total is drained before it could reach -2^31.
  const v128_t tv = wasm_f32x4_splat(t);
  while (j + 16 <= n) {
    v128_t acc = wasm_i32x4_splat(0);
    const std::int64_t end = j + std::min<std::int64_t>((n - j) / 16 * 16, std::int64_t{1} << 28);
    for (; j < end; j += 16) {
      const v128_t a = wasm_i32x4_add(wasm_f32x4_ge(wasm_v128_load(x + j), tv),
                                      wasm_f32x4_ge(wasm_v128_load(x + j + 4), tv));
      const v128_t b = wasm_i32x4_add(wasm_f32x4_ge(wasm_v128_load(x + j + 8), tv),
                                      wasm_f32x4_ge(wasm_v128_load(x + j + 12), tv));
      acc = wasm_i32x4_add(acc, wasm_i32x4_add(a, b));
    }
    count -= static_cast<std::int64_t>(wasm_i32x4_extract_lane(acc, 0)) +
             wasm_i32x4_extract_lane(acc, 1) + wasm_i32x4_extract_lane(acc, 2) +
             wasm_i32x4_extract_lane(acc, 3);
  }
#elif defined(__SSE2__)
  const __m128 tv = _mm_set1_ps(t);
  for (; j + 16 <= n; j += 16) {
    const int m = _mm_movemask_ps(_mm_cmpge_ps(_mm_loadu_ps(x + j), tv)) |
                  _mm_movemask_ps(_mm_cmpge_ps(_mm_loadu_ps(x + j + 4), tv)) << 4 |
                  _mm_movemask_ps(_mm_cmpge_ps(_mm_loadu_ps(x + j + 8), tv)) << 8 |
                  _mm_movemask_ps(_mm_cmpge_ps(_mm_loadu_ps(x + j + 12), tv)) << 12;
    count += __builtin_popcount(static_cast<unsigned>(m));
  }
#endif
  for (; j < n; ++j) count += x[j] >= t;
  return count;
}

std::int64_t next_at_least(const float* x, std::int64_t from, std::int64_t n, float t) {
  std::int64_t j = from;
#ifdef __wasm_simd128__
  const v128_t tv = wasm_f32x4_splat(t);
  for (; j + 16 <= n; j += 16) {
    const v128_t any = wasm_v128_or(wasm_v128_or(wasm_f32x4_ge(wasm_v128_load(x + j), tv),
                                                 wasm_f32x4_ge(wasm_v128_load(x + j + 4), tv)),
                                    wasm_v128_or(wasm_f32x4_ge(wasm_v128_load(x + j + 8), tv),
                                                 wasm_f32x4_ge(wasm_v128_load(x + j + 12), tv)));
    if (wasm_v128_any_true(any)) break;
  }
#elif defined(__SSE2__)
  const __m128 tv = _mm_set1_ps(t);
  for (; j + 16 <= n; j += 16) {
    const __m128 any = _mm_or_ps(
        _mm_or_ps(_mm_cmpge_ps(_mm_loadu_ps(x + j), tv), _mm_cmpge_ps(_mm_loadu_ps(x + j + 4), tv)),
        _mm_or_ps(_mm_cmpge_ps(_mm_loadu_ps(x + j + 8), tv),
                  _mm_cmpge_ps(_mm_loadu_ps(x + j + 12), tv)));
    if (_mm_movemask_ps(any)) break;
  }
#endif
  for (; j < n; ++j)
    if (x[j] >= t) return j;
  return n;
}

std::int64_t panel_floats(std::int64_t n, int d) {
  return (n + kPanel - 1) / kPanel * kPanel * static_cast<std::int64_t>(d);
}

void pack_panels(const float* rows, std::int64_t n, int d, float* panels) {
  // Panel p covers exactly the floats of rows [32p, 32p + 32): packing moves values within that
  // range only, so rows == panels (in place) works; one panel is copied aside first.
  const std::int64_t count = (n + kPanel - 1) / kPanel;
  std::vector<float> tmp(static_cast<std::size_t>(kPanel) * d);
  for (std::int64_t p = 0; p < count; ++p) {
    const std::int64_t first = p * kPanel;
    const std::int64_t have = std::min<std::int64_t>(kPanel, n - first);
    std::copy(rows + first * d, rows + (first + have) * d, tmp.begin());
    float* out = panels + first * d;
    for (int l = 0; l < kPanel; ++l)
      for (int j = 0; j < d; ++j) out[j * kPanel + l] = l < have ? tmp[l * d + j] : 0.0f;
  }
}

namespace {
// M queries × NP sub-panels (kSubPanel items each, kPanel floats apart per dimension, the next
// sub-panel kSubPanel floats on): M · NP · kSubPanel scores, each a chain of adds in j order.
template <int M, int NP>
inline void panel_tile(const float* p, int d, const float* q, float* out, std::int64_t ld) {
#ifdef __wasm_simd128__
  v128_t acc[M][NP][2];
  for (int t = 0; t < M; ++t)
    for (int u = 0; u < NP; ++u) acc[t][u][0] = acc[t][u][1] = wasm_f32x4_splat(0);
  for (int j = 0; j < d; ++j) {
    v128_t x[NP][2];
    for (int u = 0; u < NP; ++u) {
      x[u][0] = wasm_v128_load(p + j * kPanel + u * kSubPanel);
      x[u][1] = wasm_v128_load(p + j * kPanel + u * kSubPanel + 4);
    }
    for (int t = 0; t < M; ++t) {
      const v128_t s = wasm_v128_load32_splat(q + t * d + j);
      for (int u = 0; u < NP; ++u) {
        acc[t][u][0] = wasm_f32x4_add(acc[t][u][0], wasm_f32x4_mul(s, x[u][0]));
        acc[t][u][1] = wasm_f32x4_add(acc[t][u][1], wasm_f32x4_mul(s, x[u][1]));
      }
    }
  }
  for (int t = 0; t < M; ++t)
    for (int u = 0; u < NP; ++u) {
      wasm_v128_store(out + t * ld + u * kSubPanel, acc[t][u][0]);
      wasm_v128_store(out + t * ld + u * kSubPanel + 4, acc[t][u][1]);
    }
#else
  // GCC / Clang vector extensions, four lanes (SSE2, which every x86-64 has; wider types are
  // lowered poorly without AVX): two per sub-panel row, no reassociation, so each lane adds in j
  // order as the wasm path does.
  typedef float f4 __attribute__((vector_size(16)));
  f4 acc[M][NP][2];
  for (int t = 0; t < M; ++t)
    for (int u = 0; u < NP; ++u) acc[t][u][0] = acc[t][u][1] = f4{};
  for (int j = 0; j < d; ++j) {
    f4 x[NP][2];
    for (int u = 0; u < NP; ++u) {
      __builtin_memcpy(&x[u][0], p + j * kPanel + u * kSubPanel, sizeof(f4));
      __builtin_memcpy(&x[u][1], p + j * kPanel + u * kSubPanel + 4, sizeof(f4));
    }
    for (int t = 0; t < M; ++t) {
      const f4 s = f4{} + q[t * d + j];
      for (int u = 0; u < NP; ++u) {
        acc[t][u][0] += s * x[u][0];
        acc[t][u][1] += s * x[u][1];
      }
    }
  }
  for (int t = 0; t < M; ++t)
    for (int u = 0; u < NP; ++u) {
      __builtin_memcpy(out + t * ld + u * kSubPanel, &acc[t][u][0], sizeof(f4));
      __builtin_memcpy(out + t * ld + u * kSubPanel + 4, &acc[t][u][1], sizeof(f4));
    }
#endif
}

// Every group's sub-panels in tiles of NP (NP divides kPanel / kSubPanel).
template <int M, int NP>
void panel_run(const float* panels, std::int64_t count, int d, const float* q, float* out,
               std::int64_t ld) {
  static_assert((kPanel / kSubPanel) % NP == 0, "NP must divide the sub-panels of a group");
  const std::int64_t stride = static_cast<std::int64_t>(d) * kPanel;
  for (std::int64_t g = 0; g < count; ++g)
    for (int u = 0; u < kPanel / kSubPanel; u += NP)
      panel_tile<M, NP>(panels + g * stride + u * kSubPanel, d, q, out + g * kPanel + u * kSubPanel,
                        ld);
}
}  // namespace

void panel_scores(const float* panels, std::int64_t count, int d, const float* queries, int m,
                  float* out, std::int64_t ld) {
  // Tiles of four queries × one sub-panel (eight accumulators) for batches; one query runs the
  // four sub-panels of a group at a time, so that eight independent chains hide the add latency
  // while the group streams from memory in order.
  int t = 0;
  for (; t + 4 <= m; t += 4) panel_run<4, 1>(panels, count, d, queries + t * d, out + t * ld, ld);
  switch (m - t) {
    case 3: panel_run<3, 1>(panels, count, d, queries + t * d, out + t * ld, ld); break;
    case 2: panel_run<2, 2>(panels, count, d, queries + t * d, out + t * ld, ld); break;
    case 1: panel_run<1, 4>(panels, count, d, queries + t * d, out + t * ld, ld); break;
    default: break;
  }
}

}  // namespace recsys::nn::kernels
