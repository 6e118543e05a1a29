// The hot matrix products of training, behind one small header: today Eigen on both targets (its
// GEMM is auto-vectorised under -msimd128 and meets the training targets, see README), and the
// place where a hand-written wasm_simd128.h path would go (TOOLCHAIN.md B). Shapes: row-major,
// documented per call. kernels::portable holds plain-loop references that tests compare against.
#pragma once

#include "nn/tensor.h"

namespace recsys::nn::kernels {

// C (m×n) = A (m×k) · B (k×n)            [accumulate: C += ...]
void matmul(const Matrix& A, const Matrix& B, Matrix& C, bool accumulate = false);
// C (m×n) = A (m×k) · Bᵀ, B is n×k
void matmul_bt(const Matrix& A, const Matrix& B, Matrix& C, bool accumulate = false);
// C (k×n) = Aᵀ · B, A is m×k, B is m×n
void matmul_at(const Matrix& A, const Matrix& B, Matrix& C, bool accumulate = false);
// Name of the implementation in use: "eigen" or "wasm-simd128".
const char* backend();

// Reference implementations (plain loops over Eigen), used by tests.
namespace portable {
void matmul(const Matrix& A, const Matrix& B, Matrix& C, bool accumulate = false);
void matmul_bt(const Matrix& A, const Matrix& B, Matrix& C, bool accumulate = false);
void matmul_at(const Matrix& A, const Matrix& B, Matrix& C, bool accumulate = false);
}  // namespace portable

}  // namespace recsys::nn::kernels
