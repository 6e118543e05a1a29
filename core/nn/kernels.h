// The hot loops of training and search, behind one small header. Matrix products use Eigen on both
// targets (its GEMM is auto-vectorised under -msimd128). Dot products and scans, which Eigen does
// not vectorise under WebAssembly (TOOLCHAIN.md B: its GEMV stays scalar), have hand-written
// wasm_simd128.h paths in the wasm build and Eigen / plain loops natively. Shapes: row-major,
// documented per call. kernels::portable holds plain-loop references that tests compare against.
#pragma once

#include <cstdint>

#include "nn/tensor.h"

namespace recsys::nn::kernels {

// C (m×n) = A (m×k) · B (k×n)            [accumulate: C += ...]
// Natively on x86-64 (not with RECSYS_PORTABLE_FLOATS), where the CPU has AVX2 and FMA, a kernel of
// fused multiply-adds (kernels.cpp) rather than Eigen's GEMM of the build's baseline SSE2.
void matmul(const Matrix& A, const Matrix& B, Matrix& C, bool accumulate = false);
// Rows [r0, r0 + n) of C (sized m×n before) = those rows of A · B, with matmul's arithmetic (the
// pieces of a product that threads share): with the FMA kernel the bits of those rows of one
// matmul, for any rows; with Eigen's product (wasm, portable floats, CPUs without FMA) for the
// shapes whose blocking does not depend on the row count, when r0 is a multiple of 8 (the
// training shapes, tested).
void matmul_rows(const Matrix& A, const Matrix& B, Matrix& C, Eigen::Index r0, Eigen::Index n);
// Whether matmul runs the AVX2 / FMA kernel (the CPU has them and allow_fma_gemm did not turn it
// off); allow_fma_gemm(false) goes back to Eigen's product (tests, benchmarks' baselines).
bool fma_gemm_active();
void allow_fma_gemm(bool allowed);
// C (m×n) = A (m×k) · Bᵀ, B is n×k
void matmul_bt(const Matrix& A, const Matrix& B, Matrix& C, bool accumulate = false);
// C (k×n) = Aᵀ · B, A is m×k, B is m×n
void matmul_at(const Matrix& A, const Matrix& B, Matrix& C, bool accumulate = false);
// Where rows [0, n) are cut in two for two threads: near the middle, at a multiple of 8, so that a
// product over each half gives every element the sums of one product over all the rows (the
// kernels' row chunks start at multiples of 8 for the same reason, kernels.cpp).
inline Eigen::Index half_rows(Eigen::Index n) {
  const Eigen::Index h = (n / 2 + 7) / 8 * 8;
  return h < n ? h : n;
}
// <a, b> over d floats.
float dot(const float* a, const float* b, int d);
// y (n) = x (k) · W (k × n, row-major): each y[j] = Σ_p x[p] · W[p][j] added in p order, from
// +0, on every target (the same bits natively and in wasm, whatever the SIMD width): a product
// computed one row at a time gives the bits of any other row-at-a-time call.
void vec_mat(const float* x, int k, const float* W, int n, float* y);
// Y (m × n) = X (m × k, row-major) · W (k × n, row-major), every row the bits that vec_mat gives
// it; in wasm four rows at a time, so that each row of W is loaded once for four rows of X. A
// small function that V8 optimises quickly, where Eigen's GEMM is several large ones (the item
// tower's 5,000 rows on a cold page: README, "First page").
void mat_mat(const float* X, int m, int k, const float* W, int n, float* Y);
// Y (m × n) += b (n) on every row, then max(Y, 0) when relu.
void bias_act(float* Y, int m, int n, const float* b, bool relu);
// out[r] = <items row r, q> for r in [0, n); items is n × d.
void scores(const float* items, std::int64_t n, int d, const float* q, float* out);
// Whether none of the n floats is NaN or infinite (a check that every index build makes over its
// vectors: Eigen's allFinite() runs x - x == 0 element by element, slow on a cold page).
bool all_finite(const float* x, std::int64_t n);
// A table of int8 codes (rows × cols, row-major) as floats: out = float(code) · scale, with one
// scale per row (by_row) or per column. Exact conversion and one rounding: the bits of the
// scalar loop on every target.
void dequantize_i8(const std::int8_t* codes, std::int64_t rows, int cols, const float* scale,
                   bool by_row, float* out);
// <a, b> over d int8 values, exactly, in int32.
std::int32_t dot_i8(const std::int8_t* a, const std::int8_t* b, int d);
// out[r] = <items row r, q> for int8 rows.
void scores_i8(const std::int8_t* items, std::int64_t n, int d, const std::int8_t* q,
               std::int32_t* out);
// out[r] = <items row r, q> · scale[r] for int8 rows and query with values in [-63, 63] (the
// int8 index's 7-bit codes; the SIMD path accumulates in int16 and relies on that bound).
void scores_i8_scaled(const std::int8_t* items, std::int64_t n, int d, const std::int8_t* q,
                      const float* scale, float* out);
// Several queries against the same int8 rows: out[q * ld + r] = <items row r, queries row q> ·
// scale[r] for q in [0, m) (queries m × d, codes in [-63, 63]). Rows are read once per pair of
// queries: the batch path of the int8 index.
void scores_i8_scaled_multi(const std::int8_t* items, std::int64_t n, int d,
                            const std::int8_t* queries, int m, const float* scale, float* out,
                            std::int64_t ld);

// Upper bounds of int8 scores from four bits of each code (the int8 index's single-query pass
// reads half the bytes of the codes). A code c in [-63, 63] is 16 h + l with h = floor(c / 16) in
// [-4, 3] and l in [0, 15]; a row keeps u = h + 4 (in [0, 7]) per code, packed two to a byte:
// nibble_stride(d) bytes per row (a multiple of 16), dimension 32 i + j (j < 16) in the low four
// bits of byte 16 i + j and dimension 32 i + 16 + j in the high four, dimensions past d as 0.
// Then for codes q of a query (in [-63, 63]),
//   <q, c> = 16 <q, u> - 64 Σ q + Σ q_j l_j <= 16 <q, u> + bias(q), bias = 15 Σ_{q_j > 0} q_j - 64
//   Σ q,
// and since converting to float and multiplying by a positive scale never reverse an order,
// f32(16 <q, u> + bias) · s >= f32(<q, c>) · s: at least the row's score in scores_i8_scaled_multi
// (the same bits on every target). Integers stay in int32 for d <= kNibbleMaxDim.
inline constexpr int kNibbleMaxDim = 65536;
inline int nibble_stride(int d) {
  return (d + 31) / 32 * 16;
}
// codes (n × d, values in [-63, 63]) → n × nibble_stride(d) bytes.
void pack_nibbles(const std::int8_t* codes, std::int64_t n, int d, std::uint8_t* out);
// bias(q) over the d codes of q.
std::int32_t nibble_bias(const std::int8_t* q, int d);
// out[r] = f32(16 <q, u_r> + bias) · scale[r] for the n rows of `nibbles` (nibble_stride(d) bytes
// each); q holds the query's codes padded with zeros to 2 · nibble_stride(d).
void nibble_bounds(const std::uint8_t* nibbles, std::int64_t n, int d, const std::int8_t* q,
                   std::int32_t bias, const float* scale, float* out);

// The number of x[0 .. n) with x[j] >= t, and the first j in [from, n) with x[j] >= t (n if none):
// the passes over a scan's scores that look for the few that reach a threshold.
std::int64_t count_at_least(const float* x, std::int64_t n, float t);
std::int64_t next_at_least(const float* x, std::int64_t from, std::int64_t n, float t);

// An int8 scan that the host provides for an instruction this compiler cannot emit (wasm's
// relaxed integer dot product, wasm/relaxed-i8.mjs): out[r] = <items row r, q> · scale[r] for the
// rows [0, done) that it returns (a multiple of 4), with exactly the bits of
// scores_i8_scaled_multi; q_u7 holds the query's codes (in [-63, 63]) plus 64. 0 declines. Used
// by scores_i8_scaled_multi for d a multiple of 16; the rows it leaves are scored here.
using I8ScanHook = std::int64_t (*)(const std::int8_t* items, std::int64_t n, int d,
                                    const std::uint8_t* q_u7, const float* scale, float* out);
// Set once at start-up, before any scan (nullptr: none).
void set_i8_scan_hook(I8ScanHook hook);
I8ScanHook i8_scan_hook();

// Panel layout for float scans: items in groups of kPanel, each group stored dimension-major
// ([d][kPanel]: element j of its 32 items, then element j + 1, ...), the last group padded
// with zeros. A scan then needs no horizontal sums, and a tile of queries shares every load of
// the items (the register-blocked GEMM of the exact index's batches). The kernels work on
// sub-panels of 8 items (two SIMD registers per row); one query takes the four sub-panels of a
// group at once, eight independent chains of adds reading 128 contiguous bytes per dimension
// (groups of 8 read as four streams 2 KB apart took 1.8x as long from memory, natively).
// Every score is Σ_j q[j] · x[j] added in j order, the order of portable::dot, on every
// target: the same bits natively and in wasm.
inline constexpr int kPanel = 32;
inline constexpr int kSubPanel = 8;
// Floats that n items of d dimensions take in panel layout.
std::int64_t panel_floats(std::int64_t n, int d);
// rows (n × d, row-major) → panels (panel_floats(n, d) floats). In place when rows == panels
// (a buffer of panel_floats(n, d) floats whose first n · d hold the rows).
void pack_panels(const float* rows, std::int64_t n, int d, float* panels);
// Scores of m queries (m × d, row-major, any m) against `count` consecutive panels:
// out[q * ld + i] for the i-th item of those panels (i < count · kPanel, padding included).
void panel_scores(const float* panels, std::int64_t count, int d, const float* queries, int m,
                  float* out, std::int64_t ld);

// Name of the dot-product implementation: "wasm-simd128" or "eigen".
const char* backend();

// Reference implementations (plain loops over Eigen), used by tests.
namespace portable {
float dot(const float* a, const float* b, int d);
std::int32_t dot_i8(const std::int8_t* a, const std::int8_t* b, int d);
void matmul(const Matrix& A, const Matrix& B, Matrix& C, bool accumulate = false);
void matmul_bt(const Matrix& A, const Matrix& B, Matrix& C, bool accumulate = false);
void matmul_at(const Matrix& A, const Matrix& B, Matrix& C, bool accumulate = false);
}  // namespace portable

}  // namespace recsys::nn::kernels
