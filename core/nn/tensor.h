// Dense float32 matrices for the neural-network code: row-major, one example per row.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <vector>

namespace recsys::nn {

using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowVector = Eigen::Matrix<float, 1, Eigen::Dynamic, Eigen::RowMajor>;
using MatrixMap = Eigen::Map<Matrix>;
using ConstMatrixMap = Eigen::Map<const Matrix>;

}  // namespace recsys::nn
