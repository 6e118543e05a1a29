// Neural-network building blocks: finite-difference gradient checks for every layer and loss,
// hand-computed loss values, Adam's first step, kernels against their portable reference.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "common/check.h"
#include "common/parallel.h"
#include "common/rng.h"
#include "nn/adam.h"
#include "nn/kernels.h"
#include "nn/layers.h"
#include "nn/losses.h"

using namespace recsys;
using namespace recsys::nn;

namespace {
Matrix random_matrix(int r, int c, Rng& rng, float scale = 1.0f) {
  Matrix m(r, c);
  for (Eigen::Index i = 0; i < m.size(); ++i)
    m.data()[i] = static_cast<float>(rng.uniform(-scale, scale));
  return m;
}

// Central differences of f over every element of x (restored afterwards), compared with the
// analytic gradient g by the relative error |num - ana| / max(|num| + |ana|, 1e-3), worst case.
double gradient_error(Matrix& x, const Matrix& g, const std::function<double()>& f,
                      double h = 1e-3) {
  double worst = 0;
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    const float saved = x.data()[i];
    x.data()[i] = static_cast<float>(saved + h);
    const double up = f();
    x.data()[i] = static_cast<float>(saved - h);
    const double down = f();
    x.data()[i] = saved;
    const double num = (up - down) / (2 * h);
    const double ana = g.data()[i];
    worst = std::max(worst, std::fabs(num - ana) / std::max(std::fabs(num) + std::fabs(ana), 1e-3));
  }
  return worst;
}
}  // namespace

TEST_CASE("Dense forward and gradients (ReLU and linear)", "[nn][gradcheck]") {
  for (auto act : {Activation::Linear, Activation::Relu}) {
    Rng rng(3);
    Dense layer(5, 4, act, rng);
    layer.b = random_matrix(1, 4, rng, 0.5f);
    Matrix X = random_matrix(6, 5, rng);
    const Matrix R = random_matrix(6, 4, rng);  // loss = sum(Y .* R)
    auto loss = [&]() {
      Matrix Y;
      layer.forward(X, Y);
      return static_cast<double>((Y.array() * R.array()).sum());
    };
    Matrix Y, dX;
    layer.forward(X, Y);
    // Forward against a hand loop.
    for (int r = 0; r < 6; ++r)
      for (int j = 0; j < 4; ++j) {
        float z = layer.b(0, j);
        for (int k = 0; k < 5; ++k) z += X(r, k) * layer.W(k, j);
        if (act == Activation::Relu) z = std::max(z, 0.0f);
        CHECK(Y(r, j) == Approx(z).margin(1e-6));
      }
    Matrix dY = R;
    layer.backward(X, Y, dY, &dX);
    CHECK(gradient_error(layer.W, layer.grad_W, loss) < 1e-2);
    CHECK(gradient_error(layer.b, layer.grad_b, loss) < 1e-2);
    CHECK(gradient_error(X, dX, loss) < 1e-2);
  }
}

TEST_CASE("Keras glorot-uniform init stays within its limit and bias starts at zero", "[nn]") {
  Rng rng(1);
  Dense layer(64, 128, Activation::Relu, rng);
  const float limit = std::sqrt(6.0f / (64 + 128));
  CHECK(layer.W.maxCoeff() <= limit);
  CHECK(layer.W.minCoeff() >= -limit);
  CHECK(layer.W.maxCoeff() > 0.9f * limit);
  CHECK(layer.b.isZero());
}

TEST_CASE("embedding lookups gather rows and sum sparse gradients of repeated ids",
          "[nn][gradcheck]") {
  Rng rng(4);
  Embedding e(6, 3, rng);
  const std::vector<std::int32_t> ids{2, 5, 2, 0};
  Matrix out;
  e.lookup(ids, out);
  CHECK(out.row(2) == e.table.row(2));
  const Matrix R = random_matrix(4, 3, rng);
  e.accumulate(ids, R);
  CHECK(e.grad_rows.size() == 3);
  CHECK(e.grad_at(2, 1) == Approx(R(0, 1) + R(2, 1)));
  CHECK(e.grad_at(5, 0) == Approx(R(1, 0)));
  CHECK(e.grad_at(1, 0) == 0);
  // Finite differences of sum(lookup .* R) over the whole table.
  Matrix dense = Matrix::Zero(6, 3);
  for (int r = 0; r < 6; ++r)
    for (int c = 0; c < 3; ++c) dense(r, c) = e.grad_at(r, c);
  auto loss = [&]() {
    Matrix o;
    e.lookup(ids, o);
    return static_cast<double>((o.array() * R.array()).sum());
  };
  CHECK(gradient_error(e.table, dense, loss) < 1e-2);
  e.clear_grad();
  CHECK(e.grad_rows.empty());
  CHECK(e.grad_at(2, 1) == 0);
  CHECK_THROWS_WITH(e.lookup({6}, out), Catch::Contains("id 6 out of range"));
}

TEST_CASE("L2 normalisation and its gradient", "[nn][gradcheck]") {
  Rng rng(5);
  Matrix X = random_matrix(4, 5, rng);
  const Matrix R = random_matrix(4, 5, rng);
  Matrix Y, dX;
  RowVector norms;
  l2_normalize_rows(X, Y, norms);
  for (int r = 0; r < 4; ++r) CHECK(Y.row(r).norm() == Approx(1.0f));
  l2_normalize_backward(Y, norms, R, dX);
  auto loss = [&]() {
    Matrix y;
    RowVector n;
    l2_normalize_rows(X, y, n);
    return static_cast<double>((y.array() * R.array()).sum());
  };
  CHECK(gradient_error(X, dX, loss) < 1e-2);
}

TEST_CASE("in-batch softmax loss equals hand-computed values", "[nn][loss]") {
  Matrix U(2, 2), V(2, 2);
  U << 1, 0, 0, 1;
  V << 1, 0, 1, 1;
  // logits = U Vᵀ = [[1, 1], [0, 1]]: row 0 -> log 2, row 1 -> log(1 + e) - 1.
  InBatchSoftmaxOptions o;
  CHECK(in_batch_softmax_loss(U, V, {1, 2}, o, nullptr, nullptr) ==
        Approx((std::log(2.0) + std::log(1 + std::exp(1.0)) - 1) / 2));
  // Temperature 0.5 doubles the logits: [[2, 2], [0, 2]].
  o.temperature = 0.5f;
  CHECK(in_batch_softmax_loss(U, V, {1, 2}, o, nullptr, nullptr) ==
        Approx((std::log(2.0) + std::log(1 + std::exp(2.0)) - 2) / 2));
  // Log-Q: subtract log q_j from column j; q = (0.5, 0.25).
  o.temperature = 1;
  o.log_q = {std::log(0.5f), std::log(0.25f)};
  CHECK(in_batch_softmax_loss(U, V, {1, 2}, o, nullptr, nullptr) ==
        Approx((std::log(3.0) + std::log(1 + std::exp(-1.0 - std::log(2.0)))) / 2));
  // Accidental hits: both rows hold item 7, so each row's only negative is masked: loss 0.
  o.log_q.clear();
  o.mask_accidental_hits = true;
  CHECK(in_batch_softmax_loss(U, V, {7, 7}, o, nullptr, nullptr) == Approx(0).margin(1e-7));
  CHECK_THROWS_WITH(in_batch_softmax_loss(U, Matrix(1, 2), {1}, o, nullptr, nullptr),
                    Catch::Contains("candidates are 1 x 2"));
  CHECK_THROWS_WITH(in_batch_softmax_loss(U, Matrix(3, 2), {1, 2}, o, nullptr, nullptr),
                    Catch::Contains("masking needs one item id per candidate, got 2"));
  // An extra negative (row 2 of V, item 9): logits [[1, 1, 0], [0, 1, 2]].
  Matrix V3(3, 2);
  V3 << 1, 0, 1, 1, 0, 2;
  o.mask_accidental_hits = false;
  CHECK(
      in_batch_softmax_loss(U, V3, {1, 2, 9}, o, nullptr, nullptr) ==
      Approx((std::log(2 + std::exp(-1.0)) + std::log(1 + std::exp(1.0) + std::exp(2.0)) - 1) / 2));
  // Masked when it is row 1's positive (item 2): row 1 keeps [0, 1].
  o.mask_accidental_hits = true;
  CHECK(in_batch_softmax_loss(U, V3, {1, 2, 2}, o, nullptr, nullptr) ==
        Approx((std::log(2 + std::exp(-1.0)) + std::log(1 + std::exp(1.0)) - 1) / 2));
}

TEST_CASE("in-batch softmax gradients match finite differences", "[nn][gradcheck]") {
  Rng rng(6);
  Matrix U = random_matrix(5, 3, rng), V = random_matrix(5, 3, rng);
  // Variant 3: three extra negatives (one of them row 1's positive, item 2).
  Matrix V8 = random_matrix(8, 3, rng);
  for (int variant = 0; variant < 4; ++variant) {
    InBatchSoftmaxOptions o;
    if (variant >= 1) o.temperature = 0.3f;
    if (variant >= 2) {
      o.log_q = {-1.0f, -2.0f, -1.0f, -3.0f, -0.5f};
      o.mask_accidental_hits = true;
    }
    std::vector<std::int32_t> items{1, 2, 1, 3, 4};
    if (variant == 3) {
      items.insert(items.end(), {5, 2, 6});
      o.log_q.insert(o.log_q.end(), {-4.0f, -2.0f, -4.0f});
      V = V8;
    }
    Matrix dU, dV;
    in_batch_softmax_loss(U, V, items, o, &dU, &dV);
    auto loss = [&]() {
      return static_cast<double>(in_batch_softmax_loss(U, V, items, o, nullptr, nullptr));
    };
    CHECK(gradient_error(U, dU, loss) < 1e-2);
    CHECK(gradient_error(V, dV, loss) < 1e-2);
  }
}

TEST_CASE("sigmoid cross-entropy value and gradient", "[nn][loss][gradcheck]") {
  const std::vector<float> labels{1, 0, 1, 0};
  std::vector<float> logits{0.5f, -1.0f, -30.0f, 40.0f}, d;
  const float loss = sigmoid_cross_entropy(logits, labels, &d);
  const double expected =
      (std::log1p(std::exp(-0.5)) + std::log1p(std::exp(-1.0)) +
       (30 + std::log1p(std::exp(-30.0))) + (40 + std::log1p(std::exp(-40.0)))) /
      4;
  CHECK(loss == Approx(expected));
  for (std::size_t i = 0; i < 2; ++i) {
    const float h = 1e-3f;
    auto l2 = logits;
    l2[i] += h;
    const float up = sigmoid_cross_entropy(l2, labels, nullptr);
    l2[i] -= 2 * h;
    const float down = sigmoid_cross_entropy(l2, labels, nullptr);
    CHECK(d[i] == Approx((up - down) / (2 * h)).epsilon(1e-2));
  }
  CHECK(std::isfinite(d[3]));
  CHECK(d[3] == Approx(0.25));  // σ(40) - 0, over n = 4
}

TEST_CASE("Adam's first step and lazy row updates", "[nn][adam]") {
  Adam adam(AdamConfig{0.1f});
  Matrix p(1, 2), g(1, 2);
  p << 1, -1;
  g << 0.5, -2;
  AdamSlot slot;
  adam.begin_step();
  adam.update(p, g, slot);
  // After one step m/sqrt(v) = sign(g), lr_t = 0.1 * sqrt(0.001) / 0.1: each moves by ~lr.
  CHECK(p(0, 0) == Approx(0.9).epsilon(1e-4));
  CHECK(p(0, 1) == Approx(-0.9).epsilon(1e-4));
  CHECK(slot.m(0, 0) == Approx(0.05));
  CHECK(slot.v(0, 1) == Approx(0.004).epsilon(1e-4));
  // Lazy: only the listed rows move, and only their moments change.
  Matrix table = Matrix::Ones(3, 2);
  Matrix rg(1, 2);
  rg << 1, 1;
  AdamSlot ts;
  adam.update_rows(table, {1}, rg, ts);
  CHECK(table(0, 0) == 1);
  CHECK(table(2, 1) == 1);
  CHECK(table(1, 0) < 1);
  CHECK(ts.m.row(0).isZero());
  CHECK_THROWS_WITH(Adam(AdamConfig{-1.0f}), Catch::Contains("learning rate"));
}

TEST_CASE("matrix kernels agree with their portable reference", "[nn][kernels]") {
  Rng rng(8);
  for (int trial = 0; trial < 4; ++trial) {
    const int m = 1 + trial * 7, k = 3 + trial * 13, n = 2 + trial * 11;
    const Matrix A = random_matrix(m, k, rng), B = random_matrix(k, n, rng),
                 Bt = random_matrix(n, k, rng), A2 = random_matrix(k, m, rng),
                 C0 = random_matrix(k, n, rng);
    Matrix C1, C2;
    kernels::matmul(A, B, C1);
    kernels::portable::matmul(A, B, C2);
    CHECK((C1 - C2).cwiseAbs().maxCoeff() < 1e-4f);
    kernels::matmul_bt(A, Bt, C1);
    kernels::portable::matmul_bt(A, Bt, C2);
    CHECK((C1 - C2).cwiseAbs().maxCoeff() < 1e-4f);
    kernels::matmul_at(A2, C0, C1);
    kernels::portable::matmul_at(A2, C0, C2);
    CHECK((C1 - C2).cwiseAbs().maxCoeff() < 1e-4f);
    Matrix acc1 = C1, acc2 = C2;
    kernels::matmul_at(A2, C0, acc1, true);
    kernels::portable::matmul_at(A2, C0, acc2, true);
    CHECK((acc1 - acc2).cwiseAbs().maxCoeff() < 1e-4f);
  }
  Matrix out;
  CHECK_THROWS_WITH(kernels::matmul(Matrix(2, 3), Matrix(4, 2), out),
                    Catch::Contains("inner dimensions"));
}

TEST_CASE("matmul's FMA kernel and Eigen's product agree, and matmul_rows gives matmul's bits",
          "[nn][kernels]") {
  // Natively on x86-64 with AVX2 and FMA, matmul runs its own kernel (16, 8 and masked columns,
  // 4 rows and 1); elsewhere both runs below are Eigen's product.
  INFO("FMA kernel active: " << kernels::fma_gemm_active());
  Rng rng(31);
  const int shapes[][3] = {{1, 1, 1},      {3, 5, 7},  {4, 65, 217}, {9, 217, 64},
                           {100, 65, 217}, {5, 3, 16}, {6, 17, 25},  {13, 64, 9}};
  for (const auto& sh : shapes) {
    const int m = sh[0], k = sh[1], n = sh[2];
    INFO("shape " << m << "x" << k << "x" << n);
    const Matrix A = random_matrix(m, k, rng), B = random_matrix(k, n, rng),
                 C0 = random_matrix(m, n, rng);
    Matrix ref, fast, slow;
    kernels::portable::matmul(A, B, ref);
    kernels::matmul(A, B, fast);
    kernels::allow_fma_gemm(false);
    CHECK_FALSE(kernels::fma_gemm_active());
    kernels::matmul(A, B, slow);
    kernels::allow_fma_gemm(true);
    CHECK((fast - ref).cwiseAbs().maxCoeff() < 1e-4f);
    CHECK((slow - ref).cwiseAbs().maxCoeff() < 1e-4f);
    Matrix acc = C0, acc_ref = C0;
    kernels::matmul(A, B, acc, true);
    kernels::portable::matmul(A, B, acc_ref, true);
    CHECK((acc - acc_ref).cwiseAbs().maxCoeff() < 1e-4f);
    // Rows in pieces that start at multiples of 8, as threads take them: with the FMA kernel the
    // same bits, for every shape (each element's sum does not depend on the rows around it);
    // Eigen's product blocks its sums by the operands' sizes, so there only the training shapes
    // keep their bits ("matrix kernels give the same bits on any thread count").
    Matrix pieces = Matrix::Constant(m, n, 7.0f);
    for (int r0 = 0; r0 < m; r0 += 8) kernels::matmul_rows(A, B, pieces, r0, std::min(8, m - r0));
    if (kernels::fma_gemm_active())
      CHECK(std::memcmp(pieces.data(), fast.data(), sizeof(float) * fast.size()) == 0);
    else
      CHECK((pieces - fast).cwiseAbs().maxCoeff() < 1e-4f);
  }
  Matrix C(2, 2);
  CHECK_THROWS_WITH(kernels::matmul_rows(Matrix(2, 3), Matrix(3, 2), C, 1, 2),
                    Catch::Contains("rows [1, 3)"));
  Matrix wrong = Matrix::Zero(3, 3);
  CHECK_THROWS_WITH(kernels::matmul(Matrix::Zero(2, 3), Matrix::Zero(3, 2), wrong, true),
                    Catch::Contains("accumulating into 3 x 3, expected 2 x 2"));
  CHECK(wrong.rows() == 3);  // left as it was
}

TEST_CASE("all_finite finds a NaN or an infinity at any position", "[nn][kernels]") {
  const float specials[] = {std::numeric_limits<float>::quiet_NaN(),
                            std::numeric_limits<float>::infinity(),
                            -std::numeric_limits<float>::infinity()};
  for (int n : {1, 3, 15, 16, 17, 40}) {
    // Finite extremes pass: the largest, the smallest denormal, -0.
    std::vector<float> x(static_cast<std::size_t>(n), std::numeric_limits<float>::max());
    x[0] = -0.0f;
    x.back() = std::numeric_limits<float>::denorm_min();
    CHECK(kernels::all_finite(x.data(), n));
    for (int at = 0; at < n; ++at)
      for (float bad : specials) {
        std::vector<float> y = x;
        y[static_cast<std::size_t>(at)] = bad;
        INFO("n " << n << " at " << at << " value " << bad);
        CHECK_FALSE(kernels::all_finite(y.data(), n));
      }
  }
  CHECK(kernels::all_finite(nullptr, 0));
}

TEST_CASE("dequantize_i8: every code times its row's or column's scale, the scalar bits",
          "[nn][kernels]") {
  Rng rng(13);
  for (int cols : {1, 7, 15, 16, 17, 32, 33, 64}) {
    const int rows = 5;
    std::vector<std::int8_t> codes(static_cast<std::size_t>(rows * cols));
    for (std::size_t i = 0; i < codes.size(); ++i)  // codes across the range, -128 and 127 too
      codes[i] = static_cast<std::int8_t>(
          static_cast<int>((i * 37 + static_cast<std::size_t>(cols)) % 256) - 128);
    codes[0] = -128;
    codes[1 % codes.size()] = 127;
    std::vector<float> row_scale(rows), col_scale(static_cast<std::size_t>(cols));
    for (auto& x : row_scale) x = static_cast<float>(rng.uniform() * 0.1 + 1e-3);
    for (auto& x : col_scale) x = static_cast<float>(rng.uniform() * 0.1 + 1e-3);
    for (bool by_row : {true, false}) {
      std::vector<float> out(codes.size(), -1.0f);
      kernels::dequantize_i8(codes.data(), rows, cols, by_row ? row_scale.data() : col_scale.data(),
                             by_row, out.data());
      for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c) {
          const auto i = static_cast<std::size_t>(r * cols + c);
          const float want = static_cast<float>(codes[i]) * (by_row ? row_scale[r] : col_scale[c]);
          INFO("cols " << cols << " by_row " << by_row << " at " << r << ", " << c);
          CHECK(std::memcmp(&want, &out[i], sizeof want) == 0);
        }
    }
  }
}

TEST_CASE("vec_mat adds each column's products in order, from +0, for every width",
          "[nn][kernels]") {
  Rng rng(12);
  // Widths around the SIMD blocks (16 and 4 columns) and their tails.
  for (int n : {1, 3, 4, 5, 15, 16, 17, 20, 33, 217}) {
    const int k = 1 + n % 7 * 13;
    const Matrix W = random_matrix(k, n, rng), x = random_matrix(1, k, rng);
    std::vector<float> y(static_cast<std::size_t>(n), 1.0f);
    kernels::vec_mat(x.data(), k, W.data(), n, y.data());
    for (int j = 0; j < n; ++j) {
      float s = 0;
      for (int p = 0; p < k; ++p) s += x(0, p) * W(p, j);
      INFO("n " << n << " column " << j);
      CHECK(std::memcmp(&s, &y[j], sizeof s) == 0);
    }
  }
  // -0 products sum to +0, as a scalar loop from 0 gives.
  const float zeros[2] = {-0.0f, 0.0f}, w[2] = {1.0f, -1.0f};
  float y = -1;
  kernels::vec_mat(zeros, 1, w, 1, &y);
  CHECK(!std::signbit(y));
}

TEST_CASE("mat_mat gives every row vec_mat's bits, whatever the row count and width; infer matches forward",
          "[nn][kernels]") {
  Rng rng(13);
  // Row counts around the 4-row blocks, widths around the 8- and 16-column blocks and their tails.
  for (int m : {1, 3, 4, 5, 8, 13}) {
    for (int n : {1, 3, 7, 8, 9, 16, 17, 64, 130}) {
      const int k = 1 + (m * 7 + n) % 11 * 6;
      const Matrix X = random_matrix(m, k, rng), W = random_matrix(k, n, rng);
      std::vector<float> Y(static_cast<std::size_t>(m) * n, 1.0f), y(static_cast<std::size_t>(n));
      kernels::mat_mat(X.data(), m, k, W.data(), n, Y.data());
      for (int r = 0; r < m; ++r) {
        kernels::vec_mat(X.data() + static_cast<std::ptrdiff_t>(r) * k, k, W.data(), n, y.data());
        INFO("m " << m << " n " << n << " row " << r);
        CHECK(std::memcmp(y.data(), Y.data() + static_cast<std::ptrdiff_t>(r) * n,
                          sizeof(float) * n) == 0);
      }
    }
  }
  // A layer's inference is its forward pass up to the order of the sums.
  Dense layer(53, 128, Activation::Relu, rng);
  const Matrix X = random_matrix(37, 53, rng);
  Matrix a, b;
  layer.forward(X, a);
  layer.infer(X, b);
  REQUIRE(a.rows() == b.rows());
  REQUIRE(a.cols() == b.cols());
  CHECK((a - b).cwiseAbs().maxCoeff() <= 1e-5f * (1.0f + a.cwiseAbs().maxCoeff()));
  CHECK((b.array() >= 0.0f).all());
}

TEST_CASE("Adam's lazy catch-up equals the dense (Keras) update of an embedding table",
          "[nn][adam]") {
  // Gradients of order 1, so that the epsilon the catch-up neglects does not matter.
  Rng rng(12);
  Matrix dense_table = random_matrix(20, 4, rng), lazy_table = dense_table;
  Adam dense(AdamConfig{0.01f}), lazy(AdamConfig{0.01f});
  AdamSlot ds, ls;
  for (int step = 0; step < 60; ++step) {
    std::vector<std::int32_t> rows;
    for (std::int32_t r = 0; r < 20; ++r)
      if (rng.uniform() < 0.15) rows.push_back(r);
    const Matrix g = random_matrix(static_cast<int>(rows.size()), 4, rng);
    dense.begin_step();
    lazy.begin_step();
    dense.update_all_rows(dense_table, rows, g, ds);
    lazy.update_rows_catch_up(lazy_table, rows, g, ls);
  }
  CHECK((dense_table - lazy_table).cwiseAbs().maxCoeff() > 0);  // pending rows still lag
  lazy.flush(lazy_table, ls);
  const float diff = (dense_table - lazy_table).cwiseAbs().maxCoeff();
  INFO("max |dense - lazy| = " << diff);
  CHECK(diff < 1e-5f);
  // And the moments agree too.
  CHECK((ds.m - ls.m).cwiseAbs().maxCoeff() < 1e-6f);
  CHECK((ds.v - ls.v).cwiseAbs().maxCoeff() < 1e-6f);
}

TEST_CASE("Adam's row updates in ranges give the bits of one call over all the rows",
          "[nn][adam]") {
  // What two training threads do with a big embedding table (trainer.cpp): prepare_rows(), then
  // each half of the gradient rows; lazily and with the catch-up.
  Rng rng(31);
  for (bool catch_up : {false, true}) {
    INFO((catch_up ? "catch-up" : "lazy"));
    Matrix whole = random_matrix(200, 8, rng), halves = whole;
    Adam a(AdamConfig{0.01f}), b(AdamConfig{0.01f});
    AdamSlot sa, sb;
    for (int step = 0; step < 30; ++step) {
      std::vector<std::int32_t> rows;
      for (std::int32_t r = 0; r < 200; ++r)
        if (rng.uniform() < 0.4) rows.push_back(r);
      const Matrix g = random_matrix(static_cast<int>(rows.size()), 8, rng);
      const auto n = static_cast<std::int64_t>(rows.size()), h = n / 2;
      a.begin_step();
      b.begin_step();
      b.prepare_rows(halves, sb, catch_up);
      if (catch_up) {
        a.update_rows_catch_up(whole, rows, g, sa);
        b.update_rows_catch_up(halves, rows, g, sb, h, n);  // either order
        b.update_rows_catch_up(halves, rows, g, sb, 0, h);
      } else {
        a.update_rows(whole, rows, g, sa);
        b.update_rows(halves, rows, g, sb, h, n);
        b.update_rows(halves, rows, g, sb, 0, h);
      }
    }
    if (catch_up) {
      a.flush(whole, sa);
      b.flush(halves, sb);
    }
    CHECK(whole == halves);
    CHECK(sa.m == sb.m);
    CHECK(sa.v == sb.v);
    CHECK(sa.row_step == sb.row_step);
    // Ranges outside the rows, a gradient of another shape, or an unprepared slot are refused.
    const std::vector<std::int32_t> rows{1, 2, 3};
    const Matrix g = random_matrix(3, 8, rng);
    CHECK_THROWS_WITH(b.update_rows(halves, rows, g, sb, 2, 4),
                      Catch::Contains("rows [2, 4) out of range [0, 3)"));
    const Matrix g5 = random_matrix(3, 5, rng);
    if (catch_up)
      CHECK_THROWS_WITH(b.update_rows_catch_up(halves, rows, g5, sb, 0, 3),
                        Catch::Contains("the gradient is 3 x 5"));
    else
      CHECK_THROWS_WITH(b.update_rows(halves, rows, g5, sb, 0, 3),
                        Catch::Contains("the gradient is 3 x 5"));
    AdamSlot fresh;
    CHECK_THROWS_WITH(b.update_rows(halves, rows, g, fresh, 0, 3),
                      Catch::Contains("prepare_rows() must come before"));
  }
}

TEST_CASE("matrix kernels give the same bits on any thread count", "[nn][kernels][threads]") {
  if (!parallel::supported()) {
    // The single-thread wasm build: one thread only (the pthread build is checked in Chromium,
    // tests/e2e/threads.spec.mjs).
    CHECK_THROWS_WITH(parallel::set_threads(2), Catch::Contains("built without threads"));
    return;
  }
  Rng rng(21);
  // Sizes around the chunk boundaries (multiples of 8, odd tails) and the training shapes.
  const int shapes[][3] = {{128, 64, 128}, {128, 128, 128}, {256, 33, 128}, {77, 129, 65},
                           {64, 300, 96},  {1000, 64, 24},  {40, 512, 40},  {129, 17, 200}};
  for (const auto& s : shapes) {
    const int m = s[0], k = s[1], n = s[2];
    const Matrix A = random_matrix(m, k, rng), B = random_matrix(k, n, rng),
                 Bt = random_matrix(n, k, rng), A2 = random_matrix(k, m, rng),
                 B2 = random_matrix(k, n, rng), C0 = random_matrix(m, n, rng);
    auto all = [&] {
      std::vector<Matrix> out(4);
      kernels::matmul(A, B, out[0]);
      kernels::matmul_bt(A, Bt, out[1]);
      kernels::matmul_at(A2, B2, out[2]);
      out[3] = C0;
      kernels::matmul(A, B, out[3], true);
      return out;
    };
    parallel::set_threads(1);
    const auto one = all();
    for (int t : {2, 3}) {
      parallel::set_threads(t);
      const auto many = all();
      for (std::size_t i = 0; i < one.size(); ++i) {
        INFO("shape " << m << "x" << k << "x" << n << ", kernel " << i << ", threads " << t);
        REQUIRE(one[i].rows() == many[i].rows());
        CHECK(std::memcmp(one[i].data(), many[i].data(), sizeof(float) * one[i].size()) == 0);
      }
    }
    parallel::set_threads(1);
  }
}

TEST_CASE("the thread pool: chunks cover the range, errors come back, nesting runs inline",
          "[threads]") {
  CHECK_THROWS_WITH(parallel::set_threads(0), Catch::Contains("threads must be in [1, "));
  CHECK_THROWS_WITH(parallel::set_threads(parallel::max_threads() + 1),
                    Catch::Contains("got " + std::to_string(parallel::max_threads() + 1)));
  CHECK(parallel::threads() == 1);
  const int t = parallel::supported() ? 2 : 1;
  parallel::set_threads(t);
  std::vector<int> hits(1000, 0);
  std::vector<std::pair<std::int64_t, std::int64_t>> chunks(4);
  std::atomic<int> calls{0};
  parallel::for_chunks(1000, 8, 10, [&](std::int64_t b, std::int64_t e) {
    if (b > 0) CHECK(b % 8 == 0);
    for (std::int64_t i = b; i < e; ++i) ++hits[static_cast<std::size_t>(i)];
    ++calls;
  });
  CHECK(std::count(hits.begin(), hits.end(), 1) == 1000);
  CHECK(calls == t);
  // A range too small for two chunks runs as one call.
  calls = 0;
  parallel::for_chunks(15, 8, 10, [&](std::int64_t b, std::int64_t e) {
    CHECK((b == 0 && e == 15));
    ++calls;
  });
  CHECK(calls == 1);
  // The error of the first failing task, by position, comes back; every task still ran.
  std::atomic<int> ran{0};
  CHECK_THROWS_WITH(parallel::for_tasks(6,
                                        [&](int i) {
                                          ++ran;
                                          if (i == 2 || i == 4)
                                            RECSYS_FAIL(Range, "task ", i, " failed");
                                        }),
                    "task 2 failed");
  CHECK(ran == 6);
  // Inside a loop, loops run inline and set_threads refuses.
  std::atomic<int> inner{0};
  parallel::for_tasks(2, [&](int) {
    parallel::for_chunks(100, 1, 1, [&](std::int64_t b, std::int64_t e) {
      CHECK((b == 0 && e == 100));
      ++inner;
    });
    CHECK_THROWS_WITH(parallel::set_threads(1), Catch::Contains("inside a parallel loop"));
  });
  CHECK(inner == 2);
  // The pool keeps working across many short loops (the training pattern).
  std::int64_t sum = 0;
  for (int r = 0; r < 2000; ++r) {
    std::vector<std::int64_t> part(2, 0);
    parallel::for_tasks(2, [&](int i) { part[static_cast<std::size_t>(i)] = r + i; });
    sum += part[0] + part[1];
  }
  CHECK(sum == 2 * (1999 * 2000 / 2) + 2000);
  parallel::set_threads(1);
}
