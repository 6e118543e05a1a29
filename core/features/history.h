// The user's history as a feature: which recent items the user tower pools, and with which
// weights. A known user's logged items and the session's events, oldest first, are one history;
// the pooled items are the most recent history_length (optionally distinct) ones, weighted
// decay^k for the k-th most recent and normalised to sum to 1.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace recsys {

// Appends to `out`, most recent first, the pooled items of items[0..n) (oldest first): the last
// `length`, or with `distinct` the last `length` distinct ones.
void select_history(const std::int32_t* items, std::size_t n, int length, bool distinct,
                    std::vector<std::int32_t>& out);
// w[k] = decay^k / sum over the n pooled items.
void history_weights(std::size_t n, float decay, std::vector<float>& w);

}  // namespace recsys
