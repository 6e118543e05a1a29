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
void matmul(const Matrix& A, const Matrix& B, Matrix& C, bool accumulate = false);
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
