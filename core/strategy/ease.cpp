// EASE's closed form, in a file of its own: the serving engine (wasm/bindings.cpp with
// RECSYS_SERVE_ONLY) defines ease_neighbours itself, as an error, so that the linker leaves this
// file, and the Cholesky solver it brings (17 KB of wasm), out of that engine.
#include <Eigen/Cholesky>

#include <algorithm>
#include <vector>

#include "common/check.h"
#include "strategy/sources.h"

namespace recsys {

nn::Matrix ease_weights(const Interactions& logs, double lambda) {
  RECSYS_CHECK(lambda > 0 && std::isfinite(lambda), "EASE: lambda must be > 0, got ", lambda);
  const std::int32_t n = logs.num_items();
  RECSYS_CHECK(n <= 20000, "EASE: the closed form needs an items × items matrix; ", n,
               " items is above the limit of 20,000");
  Eigen::MatrixXd G = Eigen::MatrixXd::Zero(n, n);
  std::vector<std::int32_t> items;
  for (std::int32_t u = 0; u < logs.num_users(); ++u) {
    items.clear();
    for (const auto& e : logs.history(u)) items.push_back(e.item);
    std::sort(items.begin(), items.end());
    items.erase(std::unique(items.begin(), items.end()), items.end());
    for (std::int32_t i : items)
      for (std::int32_t j : items) G(i, j) += 1;
  }
  G.diagonal().array() += lambda;
  // P = G⁻¹ from the Cholesky factor: G = L Lᵀ, P = L⁻ᵀ L⁻¹.
  const Eigen::LLT<Eigen::MatrixXd> llt(G);
  RECSYS_CHECK(llt.info() == Eigen::Success, "EASE: the Gram matrix is not positive definite");
  G.setIdentity();
  llt.matrixL().solveInPlace(G);  // L⁻¹
  const Eigen::MatrixXd P = G.transpose() * G.triangularView<Eigen::Lower>();
  nn::Matrix B(n, n);
  for (Eigen::Index j = 0; j < n; ++j) {
    const double d = P(j, j);
    for (Eigen::Index i = 0; i < n; ++i) B(i, j) = i == j ? 0.0f : static_cast<float>(-P(i, j) / d);
  }
  return B;
}

ItemNeighbours ease_neighbours(const Interactions& logs, double lambda, int neighbours) {
  return ItemNeighbours::from_weights(ease_weights(logs, lambda), neighbours);
}

}  // namespace recsys
