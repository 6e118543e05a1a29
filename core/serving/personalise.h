// On-device personalisation: a per-user adapter δ on the user tower's output, fitted with a few
// Adam steps on the user's own events while every weight of the model stays frozen (so the item
// vectors and the index are untouched and serving stays as fast). The served user vector is
// u' = normalize(u + δ) (or u + δ for a model without L2-normalised outputs), u the tower's
// embedding of the user's id and history.
//
// The loss is the model's own training objective, restricted to this user: for each of the user's
// last P items p_t (P <= max_positives), the tower's embedding u_t of the history before it is
// adapted, u'_t = normalize(u_t + δ), and L = mean_t [logsumexp_i(⟨u'_t, v_i⟩ / T) − ⟨u'_t,
// v_{p_t}⟩ / T] over every item i of the catalog (a full softmax: no sampling, the same result on
// every run), plus l2 · ‖δ‖², which keeps the adapter near the pooled user. So δ learns what
// predicts this user's next item from their earlier ones, as the towers were trained to, not the
// items seen.
#pragma once

#include <cstdint>
#include <vector>

#include "nn/tensor.h"
#include "retrieval/two_tower.h"

namespace recsys {

struct PersonaliseOptions {
  int steps = 20;
  float learning_rate = 0.05f;
  float l2 = 0.0f;
  int max_positives = 20;  // the most recent items of the history that the loss reads
  // Checks every field, naming the bad one and its value.
  void validate() const;
};

struct UserAdapter {
  std::vector<float> delta;   // dim floats
  std::vector<float> losses;  // before each step, then after the last one (steps + 1 values)
};

// The adapted user vector (dim floats).
std::vector<float> adapt_user_vector(const float* u, const std::vector<float>& delta, int dim,
                                     bool l2_normalize);

// Fits δ from `start` (empty = zeros): row t of `prefix_users` is u_t, the user tower's embedding
// of the history before positives[t] (item indices into item_vectors' rows). Deterministic;
// O(steps · P · items · dim).
UserAdapter fit_user_adapter(const nn::Matrix& item_vectors, const nn::Matrix& prefix_users,
                             const std::vector<std::int32_t>& positives,
                             const std::vector<float>& start, const PersonaliseOptions& options,
                             float temperature, bool l2_normalize);

// The adapter's loss at δ (empty = zeros), and its gradient into *gradient when given (dim
// floats): what each step of fit_user_adapter computes, for tests and callers that fit otherwise.
float adapter_loss(const nn::Matrix& item_vectors, const nn::Matrix& prefix_users,
                   const std::vector<std::int32_t>& positives, const std::vector<float>& delta,
                   float l2_weight, float temperature, bool l2_normalize,
                   std::vector<float>* gradient = nullptr);

// The adapter of a user (model user index, -1 = anonymous) whose items are `items` (model item
// indices, oldest first): u_t from the model's user tower for each of the last max_positives
// positions, then fit_user_adapter against `item_vectors` (the model's).
UserAdapter personalise_user(const TwoTowerModel& model, const nn::Matrix& item_vectors,
                             std::int32_t user, const std::vector<std::int32_t>& items,
                             const PersonaliseOptions& options);

// The positions fit_user_adapter reads from a history of n items (oldest first): the last
// min(n, max_positives), each with the n' < its position items before it. Returns the first.
std::size_t first_adapter_position(std::size_t n, const PersonaliseOptions& options);

}  // namespace recsys
