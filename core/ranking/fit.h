// Fits a ranking model for a trained two-tower model on a dataset: impressions simulated from the
// synthetic shop's truth (slates drawn from each user's two-tower top 100), or, for real logs,
// logged events against random unseen items.
#pragma once

#include <memory>

#include "data/dataset.h"
#include "ranking/ranking_model.h"

namespace recsys {

struct RankerFit {
  std::shared_ptr<RankingModel> ranker;
  RankingReport report;
  std::string impressions_source;  // "synthetic truth" or "logs"
};

// `logs`: the interactions the two-tower model was trained on (same users as the model).
RankerFit fit_ranker(std::shared_ptr<const TwoTowerModel> model, const Dataset& data,
                     const Interactions& logs, const RankingConfig& config = RankingConfig(),
                     const ImpressionOptions& impressions = {});

}  // namespace recsys
