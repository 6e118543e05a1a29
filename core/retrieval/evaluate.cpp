#include "retrieval/evaluate.h"

#include <algorithm>
#include <numeric>

#include "common/check.h"
#include "common/rng.h"
#include "retrieval/topk.h"

namespace recsys {

namespace {
std::vector<std::int32_t> evaluated_users(const Interactions& train, const Interactions& heldout,
                                          const RecallOptions& o) {
  RECSYS_CHECK(o.k >= 1, "recall: k must be >= 1, got ", o.k);
  RECSYS_CHECK(o.max_users >= 1, "recall: max_users must be >= 1, got ", o.max_users);
  RECSYS_CHECK(train.num_users() == heldout.num_users(),
               "recall: train and held-out data have different users (", train.num_users(), " vs ",
               heldout.num_users(), ")");
  std::vector<std::int32_t> users;
  for (std::int32_t u = 0; u < heldout.num_users(); ++u)
    if (!heldout.history(u).empty()) users.push_back(u);
  if (static_cast<std::int32_t>(users.size()) > o.max_users) {
    Rng rng(o.seed, 11);
    rng.shuffle(users);
    users.resize(static_cast<std::size_t>(o.max_users));
    std::sort(users.begin(), users.end());
  }
  return users;
}

void mark_seen(const Interactions& train, std::int32_t u, std::vector<char>& seen, bool on) {
  for (const auto& e : train.history(u)) seen[e.item] = on;
}
}  // namespace

RecallResult model_recall(const TwoTowerModel& model, const Interactions& train,
                          const Interactions& heldout, const RecallOptions& o) {
  RECSYS_CHECK(train.num_items() == model.num_items(), "recall: the data has ", train.num_items(),
               " items but the model ", model.num_items());
  const auto users = evaluated_users(train, heldout, o);
  RecallResult r;
  if (users.empty()) return r;
  nn::Matrix V, U;
  model.item_embeddings(V);
  std::vector<char> seen(static_cast<std::size_t>(model.num_items()), 0);
  constexpr std::size_t kChunk = 256;
  std::int32_t hits = 0;
  for (std::size_t b = 0; b < users.size(); b += kChunk) {
    const std::size_t e = std::min(users.size(), b + kChunk);
    std::vector<UserQuery> queries;
    for (std::size_t j = b; j < e; ++j) {
      UserQuery q;
      q.user = users[j] < model.num_users() ? users[j] : -1;
      const auto h = train.history(users[j]);
      const std::size_t n = std::min<std::size_t>(h.size(), model.config().history_length);
      for (std::size_t t = h.size() - n; t < h.size(); ++t) q.history.push_back(h[t].item);
      queries.push_back(std::move(q));
    }
    model.user_embeddings(queries, U);
    const nn::Matrix scores = U * V.transpose();
    for (std::size_t j = b; j < e; ++j) {
      const std::int32_t u = users[j];
      if (o.exclude_seen) mark_seen(train, u, seen, true);
      const std::int32_t target = heldout.history(u)[0].item;
      const auto top =
          top_k_of_scores(scores.row(static_cast<Eigen::Index>(j - b)).data(), model.num_items(),
                          o.k, o.exclude_seen ? seen : std::vector<char>{});
      for (const auto& s : top) hits += s.item == target;
      if (o.exclude_seen) mark_seen(train, u, seen, false);
    }
  }
  r.users = static_cast<std::int32_t>(users.size());
  r.recall = static_cast<double>(hits) / r.users;
  return r;
}

RecallResult popularity_recall(const Interactions& train, const Interactions& heldout,
                               const RecallOptions& o) {
  const auto users = evaluated_users(train, heldout, o);
  RecallResult r;
  if (users.empty()) return r;
  std::vector<float> counts(static_cast<std::size_t>(train.num_items()), 0);
  for (const auto& e : train.events()) counts[e.item] += 1;
  std::vector<char> seen(counts.size(), 0);
  std::int32_t hits = 0;
  for (std::int32_t u : users) {
    if (o.exclude_seen) mark_seen(train, u, seen, true);
    const auto top = top_k_of_scores(counts.data(), train.num_items(), o.k,
                                     o.exclude_seen ? seen : std::vector<char>{});
    const std::int32_t target = heldout.history(u)[0].item;
    for (const auto& s : top) hits += s.item == target;
    if (o.exclude_seen) mark_seen(train, u, seen, false);
  }
  r.users = static_cast<std::int32_t>(users.size());
  r.recall = static_cast<double>(hits) / r.users;
  return r;
}

}  // namespace recsys
