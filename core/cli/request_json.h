// The CLI's JSON edge of the request path: a request and session events read from JSON in the
// JS API's shape, and recommendations written in the shape recommender.recommend() returns in
// JS, so that `recsys recommend --json` and the page can be compared field by field.
#pragma once

#include <string>
#include <string_view>

#include "serving/recommender.h"

namespace recsys::cli {

// {"userId", "scene", "k", "diversity", "itemId", "filters": {"categories", "brands", "exclude",
//  "priceMin", "priceMax"}}; unknown keys and wrong types are errors.
RecommendRequest request_from_json(std::string_view json);
// [{"itemId", "event", "timestamp"}] (timestamp: seconds; default: the previous event's) tracked
// into the session; the session is unchanged when any entry is bad.
void track_events_json(const Recommender& recommender, Session& session, std::string_view json);
// [{id, title, category, brand, price, rank, score, explanation: {source, retrievalScore,
//  relevance, diversityAdjustment, finalScore, pClick?, pPurchase?}}]
std::string recommendations_json(const Recommender& recommender,
                                 const std::vector<Recommendation>& list, int indent = -1);

}  // namespace recsys::cli
