#include "ranking/fit.h"

#include "common/check.h"
#include "retrieval/index.h"

namespace recsys {

RankerFit fit_ranker(std::shared_ptr<const TwoTowerModel> model, const Dataset& data,
                     const Interactions& logs, const RankingConfig& config,
                     const ImpressionOptions& io) {
  RECSYS_CHECK(model, "fit_ranker: no model");
  RECSYS_CHECK(logs.num_items() == model->num_items(), "fit_ranker: the logs have ",
               logs.num_items(), " items, the model ", model->num_items());
  // One embedding per logs user, from its id and its logged items.
  std::vector<UserQuery> queries;
  for (std::int32_t u = 0; u < logs.num_users(); ++u) {
    UserQuery q;
    q.user = model->users().find(logs.users().token(u));
    for (const auto& e : logs.history(u)) q.history.push_back(e.item);
    queries.push_back(std::move(q));
  }
  nn::Matrix users;
  model->user_embeddings(queries, users);
  std::vector<double> counts(static_cast<std::size_t>(model->num_items()), 0);
  for (const auto& e : logs.events()) counts[e.item] += 1;
  RankerFit fit;
  std::vector<Impression> impressions;
  if (data.truth && data.truth->num_users() == logs.num_users() &&
      data.truth->num_items() == model->num_items()) {
    nn::Matrix V;
    model->item_embeddings(V);
    auto index = make_index(IndexOptions{});
    index->build(V);
    std::vector<std::vector<ScoredItem>> top;
    index->search(users.data(), static_cast<std::int32_t>(users.rows()), 100, nullptr, top);
    std::vector<std::vector<std::int32_t>> candidates(top.size());
    for (std::size_t u = 0; u < top.size(); ++u)
      for (const auto& s : top[u]) candidates[u].push_back(s.item);
    impressions = simulate_impressions(*data.truth, candidates, io);
    fit.impressions_source = "synthetic truth";
  } else {
    impressions = impressions_from_logs(logs, 4, io.seed, io.users);
    fit.impressions_source = "logs";
  }
  fit.ranker = std::make_shared<RankingModel>(config, model, counts);
  fit.report = fit.ranker->fit(impressions, users, 0.2);
  return fit;
}

}  // namespace recsys
