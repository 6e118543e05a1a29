#include "serving/personalise.h"

#include <algorithm>
#include <cmath>

#include "common/check.h"

namespace recsys {

void PersonaliseOptions::validate() const {
  RECSYS_CHECK(steps >= 1 && steps <= 10000,
               "personalise: steps must be an integer in [1, 10000], got ", steps);
  RECSYS_CHECK(std::isfinite(learning_rate) && learning_rate > 0 && learning_rate <= 10,
               "personalise: learningRate must be in (0, 10], got ", learning_rate);
  RECSYS_CHECK(std::isfinite(l2) && l2 >= 0, "personalise: l2 must be >= 0, got ", l2);
  RECSYS_CHECK(max_positives >= 1, "personalise: maxPositives must be >= 1, got ", max_positives);
}

std::vector<float> adapt_user_vector(const float* u, const std::vector<float>& delta, int dim,
                                     bool l2_normalize) {
  std::vector<float> x(u, u + dim);
  if (delta.empty()) return x;
  RECSYS_CHECK(static_cast<int>(delta.size()) == dim, "personalise: the adapter has ", delta.size(),
               " values, the model's vectors ", dim);
  for (int k = 0; k < dim; ++k) x[k] += delta[k];
  if (l2_normalize) {
    double n = 0;
    for (float v : x) n += static_cast<double>(v) * v;
    const float norm = std::max(static_cast<float>(std::sqrt(n)), 1e-6f);
    for (float& v : x) v /= norm;
  }
  return x;
}

std::size_t first_adapter_position(std::size_t n, const PersonaliseOptions& o) {
  return n > static_cast<std::size_t>(o.max_positives)
             ? n - static_cast<std::size_t>(o.max_positives)
             : 0;
}

UserAdapter personalise_user(const TwoTowerModel& model, const nn::Matrix& V, std::int32_t user,
                             const std::vector<std::int32_t>& items, const PersonaliseOptions& o) {
  o.validate();
  RECSYS_CHECK(!items.empty(), "personalise: the session has no events and its user no history");
  const std::size_t first = first_adapter_position(items.size(), o);
  std::vector<UserQuery> prefixes;
  std::vector<std::int32_t> positives;
  for (std::size_t t = first; t < items.size(); ++t) {
    UserQuery q;
    q.user = user;
    q.history.assign(items.begin(), items.begin() + static_cast<std::ptrdiff_t>(t));
    prefixes.push_back(std::move(q));
    positives.push_back(items[t]);
  }
  nn::Matrix U;
  model.user_embeddings(prefixes, U);
  return fit_user_adapter(V, U, positives, {}, o, model.config().temperature,
                          model.config().l2_normalize);
}

namespace {
void check_adapter_inputs(const nn::Matrix& V, const nn::Matrix& U,
                          const std::vector<std::int32_t>& positives,
                          const std::vector<float>& delta, float temperature) {
  const int d = static_cast<int>(V.cols());
  const auto n = static_cast<std::int32_t>(V.rows());
  const auto P = static_cast<Eigen::Index>(positives.size());
  RECSYS_CHECK(temperature > 0, "personalise: temperature must be > 0, got ", temperature);
  RECSYS_CHECK(P > 0, "personalise: no events to learn from");
  RECSYS_CHECK(U.rows() == P && U.cols() == d, "personalise: ", U.rows(), " x ", U.cols(),
               " prefix users for ", P, " positives of dim ", d);
  RECSYS_CHECK(delta.empty() || static_cast<int>(delta.size()) == d,
               "personalise: the adapter has ", delta.size(), " values, the model's vectors ", d);
  for (std::int32_t p : positives)
    RECSYS_CHECK(p >= 0 && p < n, "personalise: item index ", p, " is not in [0, ", n, ")");
}

// The loss at δ and, when grad is given, its gradient (inputs checked by the callers).
float loss_and_gradient(const nn::Matrix& V, const nn::Matrix& U,
                        const std::vector<std::int32_t>& positives, const std::vector<float>& delta,
                        float l2_weight, float temperature, bool l2_normalize,
                        std::vector<float>* grad) {
  const int d = static_cast<int>(V.cols());
  const auto n = static_cast<std::int32_t>(V.rows());
  const auto P = static_cast<Eigen::Index>(positives.size());
  std::vector<float> gt(static_cast<std::size_t>(d), 0.0f), y(gt), s(static_cast<std::size_t>(n));
  if (grad) grad->assign(static_cast<std::size_t>(d), 0.0f);
  const float inv_t = 1.0f / temperature;
  double loss = 0;
  for (Eigen::Index t = 0; t < P; ++t) {
    // Forward: x = u_t + δ, u' = x / ‖x‖, s_i = ⟨u', v_i⟩ / T.
    double nn2 = 0;
    for (int k = 0; k < d; ++k) {
      y[k] = U(t, k) + delta[k];
      nn2 += static_cast<double>(y[k]) * y[k];
    }
    const float norm = l2_normalize ? std::max(static_cast<float>(std::sqrt(nn2)), 1e-6f) : 1.0f;
    for (float& e : y) e /= norm;
    float mx = -3.4e38f;
    for (std::int32_t i = 0; i < n; ++i) {
      const float* r = V.row(i).data();
      float acc = 0;
      for (int k = 0; k < d; ++k) acc += r[k] * y[k];
      s[i] = acc * inv_t;
      mx = std::max(mx, s[i]);
    }
    double z = 0;
    for (std::int32_t i = 0; i < n; ++i) z += std::exp(static_cast<double>(s[i] - mx));
    loss += std::log(z) + mx - s[positives[t]];
    if (!grad) continue;
    // Backward: dL/ds_i = softmax_i − [i = p_t]; dL/du' = Σ_i (dL/ds_i) v_i / T; the norm.
    std::fill(gt.begin(), gt.end(), 0.0f);
    for (std::int32_t i = 0; i < n; ++i) {
      const float c = static_cast<float>(std::exp(static_cast<double>(s[i] - mx)) / z) -
                      (i == positives[t] ? 1.0f : 0.0f);
      const float* r = V.row(i).data();
      for (int k = 0; k < d; ++k) gt[k] += c * r[k];
    }
    float dot = 0;
    for (int k = 0; k < d; ++k) {
      gt[k] *= inv_t;
      dot += y[k] * gt[k];
    }
    for (int k = 0; k < d; ++k)
      (*grad)[k] += (l2_normalize ? (gt[k] - dot * y[k]) / norm : gt[k]) / static_cast<float>(P);
  }
  double l2 = 0;
  for (float e : delta) l2 += static_cast<double>(e) * e;
  if (grad)
    for (int k = 0; k < d; ++k) (*grad)[k] += 2 * l2_weight * delta[k];
  return static_cast<float>(loss / static_cast<double>(P) + l2_weight * l2);
}
}  // namespace

float adapter_loss(const nn::Matrix& V, const nn::Matrix& U,
                   const std::vector<std::int32_t>& positives, const std::vector<float>& delta,
                   float l2_weight, float temperature, bool l2_normalize,
                   std::vector<float>* gradient) {
  check_adapter_inputs(V, U, positives, delta, temperature);
  RECSYS_CHECK(std::isfinite(l2_weight) && l2_weight >= 0, "personalise: l2 must be >= 0, got ",
               l2_weight);
  const std::vector<float> zero(delta.empty() ? static_cast<std::size_t>(V.cols()) : 0, 0.0f);
  return loss_and_gradient(V, U, positives, delta.empty() ? zero : delta, l2_weight, temperature,
                           l2_normalize, gradient);
}

UserAdapter fit_user_adapter(const nn::Matrix& V, const nn::Matrix& U,
                             const std::vector<std::int32_t>& positives,
                             const std::vector<float>& start, const PersonaliseOptions& o,
                             float temperature, bool l2_normalize) {
  o.validate();
  check_adapter_inputs(V, U, positives, start, temperature);
  const int d = static_cast<int>(V.cols());
  UserAdapter out;
  out.delta = start.empty() ? std::vector<float>(static_cast<std::size_t>(d), 0.0f) : start;
  std::vector<float> m(static_cast<std::size_t>(d), 0.0f), v(m), g(m);
  constexpr float b1 = 0.9f, b2 = 0.999f, eps = 1e-7f;
  float p1 = 1, p2 = 1;
  for (int step = 0; step <= o.steps; ++step) {
    // The loss before each step (and after the last), with the gradient that the step follows.
    out.losses.push_back(loss_and_gradient(V, U, positives, out.delta, o.l2, temperature,
                                           l2_normalize, step < o.steps ? &g : nullptr));
    if (step == o.steps) break;
    // Adam.
    p1 *= b1;
    p2 *= b2;
    const float lr = o.learning_rate * std::sqrt(1 - p2) / (1 - p1);
    for (int k = 0; k < d; ++k) {
      m[k] = b1 * m[k] + (1 - b1) * g[k];
      v[k] = b2 * v[k] + (1 - b2) * g[k] * g[k];
      out.delta[k] -= lr * m[k] / (std::sqrt(v[k]) + eps);
    }
  }
  return out;
}

}  // namespace recsys
