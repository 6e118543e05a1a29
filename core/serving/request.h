// The request path's plain data: what a caller asks (RecommendRequest) and what it gets back
// (Recommendation, with its Explanation). No JSON here: the CLI renders these as JSON
// (cli/render.h) and the wasm bindings hand them to JS as typed arrays (wasm/bindings.cpp).
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "strategy/strategy_config.h"

namespace recsys {

struct RecommendRequest {
  std::string user_id;  // "" = anonymous (a session's user id is used when set)
  std::string scene = "default";
  int k = 10;                       // [1, 1000]
  std::optional<double> diversity;  // λ in [0, 1]; unset: the scene's
  std::string item_id;  // the product of a product page (default: the session's last viewed)
  std::vector<std::string> categories, brands;  // allow-lists (empty: any)
  std::vector<std::string> exclude;             // item ids never returned
  double price_min = 0, price_max = std::numeric_limits<double>::infinity();
};

// The candidate sources that proposed an item, in the order they proposed it (each once).
class SourceList {
 public:
  void add(SourceKind s);
  bool contains(SourceKind s) const;
  int size() const { return count_; }
  SourceKind operator[](int i) const { return kinds_[static_cast<std::size_t>(i)]; }
  // "personal+trending"
  std::string label() const;
  // The list in one integer: the count in bits 0-3, then 3 bits per source in order. What the
  // wasm bindings hand to JS, which decodes it with the source names.
  std::uint32_t code() const;
  bool operator==(const SourceList& o) const;

 private:
  std::uint8_t count_ = 0;
  std::array<SourceKind, kNumSources> kinds_{};
};

struct Explanation {
  SourceList sources;
  float retrieval_score = 0;            // the proposing source's own score
  float p_click = -1, p_purchase = -1;  // the ranker's probabilities (-1 without a ranker)
  float relevance = 0;                  // objective score before diversity, normalised to [0, 1]
  float diversity_adjustment = 0;       // final_score - relevance
  float final_score = 0;
};

struct Recommendation {
  std::int32_t item = 0;  // index in the model's items (Recommender::item_id, catalog_row)
  std::int32_t rank = 0;  // 1-based position in the list
  Explanation explanation;
  float score() const { return explanation.final_score; }
};

}  // namespace recsys
