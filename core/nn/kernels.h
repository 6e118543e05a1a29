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
// <a, b> over d floats.
float dot(const float* a, const float* b, int d);
// out[r] = <items row r, q> for r in [0, n); items is n × d.
void scores(const float* items, std::int64_t n, int d, const float* q, float* out);
// <a, b> over d int8 values, exactly, in int32.
std::int32_t dot_i8(const std::int8_t* a, const std::int8_t* b, int d);
// out[r] = <items row r, q> for int8 rows.
void scores_i8(const std::int8_t* items, std::int64_t n, int d, const std::int8_t* q,
               std::int32_t* out);
// out[r] = <items row r, q> · scale[r] for int8 rows and query with values in [-63, 63] (the
// int8 index's 7-bit codes; the SIMD path accumulates in int16 and relies on that bound).
void scores_i8_scaled(const std::int8_t* items, std::int64_t n, int d, const std::int8_t* q,
                      const float* scale, float* out);
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
