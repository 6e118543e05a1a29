#include "nn/kernels.h"

#include "common/check.h"

#include <vector>

#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
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

void matmul(const Matrix& A, const Matrix& B, Matrix& C, bool accumulate) {
  RECSYS_CHECK(A.cols() == B.rows(), "matmul: inner dimensions ", A.cols(), " and ", B.rows());
  if (accumulate)
    C.noalias() += A * B;
  else
    C.noalias() = A * B;
}

void matmul_bt(const Matrix& A, const Matrix& B, Matrix& C, bool accumulate) {
  RECSYS_CHECK(A.cols() == B.cols(), "matmul_bt: inner dimensions ", A.cols(), " and ", B.cols());
  if (accumulate)
    C.noalias() += A * B.transpose();
  else
    C.noalias() = A * B.transpose();
}

void matmul_at(const Matrix& A, const Matrix& B, Matrix& C, bool accumulate) {
  RECSYS_CHECK(A.rows() == B.rows(), "matmul_at: outer dimensions ", A.rows(), " and ", B.rows());
  if (accumulate)
    C.noalias() += A.transpose() * B;
  else
    C.noalias() = A.transpose() * B;
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

namespace {
#ifdef __wasm_simd128__
inline std::int32_t hsum_i32(v128_t v) {
  return wasm_i32x4_extract_lane(v, 0) + wasm_i32x4_extract_lane(v, 1) +
         wasm_i32x4_extract_lane(v, 2) + wasm_i32x4_extract_lane(v, 3);
}
#endif
}  // namespace

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
  // Codes are within [-63, 63] (the int8 index quantises to 7 bits), so a product fits in 12 bits
  // and eight of them in an int16 lane: products accumulate in int16 for four 16-byte chunks
  // before one widening add into int32. Four rows at a time share each load of the query.
  std::int64_t r = 0;
  if (d % 16 == 0) {
    const int chunks = d / 16;
    for (; r + 4 <= n; r += 4) {
      const std::int8_t* a = items + r * d;
      v128_t s0 = wasm_i32x4_splat(0), s1 = s0, s2 = s0, s3 = s0;
      for (int c0 = 0; c0 < chunks; c0 += 4) {
        v128_t h0 = wasm_i16x8_splat(0), h1 = h0, h2 = h0, h3 = h0;
        const int c1 = c0 + 4 < chunks ? c0 + 4 : chunks;
        for (int c = c0; c < c1; ++c) {
          const v128_t qv = wasm_v128_load(q + 16 * c);
          const v128_t v0 = wasm_v128_load(a + 16 * c), v1 = wasm_v128_load(a + d + 16 * c),
                       v2 = wasm_v128_load(a + 2 * d + 16 * c),
                       v3 = wasm_v128_load(a + 3 * d + 16 * c);
          h0 = wasm_i16x8_add(h0, wasm_i16x8_add(wasm_i16x8_extmul_low_i8x16(v0, qv),
                                                 wasm_i16x8_extmul_high_i8x16(v0, qv)));
          h1 = wasm_i16x8_add(h1, wasm_i16x8_add(wasm_i16x8_extmul_low_i8x16(v1, qv),
                                                 wasm_i16x8_extmul_high_i8x16(v1, qv)));
          h2 = wasm_i16x8_add(h2, wasm_i16x8_add(wasm_i16x8_extmul_low_i8x16(v2, qv),
                                                 wasm_i16x8_extmul_high_i8x16(v2, qv)));
          h3 = wasm_i16x8_add(h3, wasm_i16x8_add(wasm_i16x8_extmul_low_i8x16(v3, qv),
                                                 wasm_i16x8_extmul_high_i8x16(v3, qv)));
        }
        s0 = wasm_i32x4_add(s0, wasm_i32x4_extadd_pairwise_i16x8(h0));
        s1 = wasm_i32x4_add(s1, wasm_i32x4_extadd_pairwise_i16x8(h1));
        s2 = wasm_i32x4_add(s2, wasm_i32x4_extadd_pairwise_i16x8(h2));
        s3 = wasm_i32x4_add(s3, wasm_i32x4_extadd_pairwise_i16x8(h3));
      }
      out[r] = static_cast<float>(hsum_i32(s0)) * scale[r];
      out[r + 1] = static_cast<float>(hsum_i32(s1)) * scale[r + 1];
      out[r + 2] = static_cast<float>(hsum_i32(s2)) * scale[r + 2];
      out[r + 3] = static_cast<float>(hsum_i32(s3)) * scale[r + 3];
    }
  }
  for (; r < n; ++r) out[r] = static_cast<float>(dot_i8(items + r * d, q, d)) * scale[r];
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

}  // namespace recsys::nn::kernels
