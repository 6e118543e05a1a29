#include "nn/kernels.h"

#include "common/check.h"

namespace recsys::nn::kernels {

namespace portable {
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

const char* backend() {
  return "eigen";
}

}  // namespace recsys::nn::kernels
