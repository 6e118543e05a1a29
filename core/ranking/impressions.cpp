#include "ranking/impressions.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "common/check.h"
#include "common/detmath.h"

namespace recsys {

std::vector<Impression> simulate_impressions(
    const SyntheticTruth& truth, const std::vector<std::vector<std::int32_t>>& candidates,
    const ImpressionOptions& o) {
  RECSYS_CHECK(o.users >= 1 && o.slates_per_user >= 1 && o.slate_size >= 1,
               "impressions: sizes must be >= 1");
  RECSYS_CHECK(o.examination_decay >= 0, "impressions: examination_decay must be >= 0");
  RECSYS_CHECK(static_cast<std::int32_t>(candidates.size()) == truth.num_users(),
               "impressions: ", candidates.size(), " candidate lists for ", truth.num_users(),
               " users");
  Rng rng(o.seed, 61);
  std::vector<std::int32_t> users;
  for (std::int32_t u = 0; u < truth.num_users(); ++u)
    if (!candidates[u].empty()) users.push_back(u);
  rng.shuffle(users);
  if (static_cast<std::int32_t>(users.size()) > o.users)
    users.resize(static_cast<std::size_t>(o.users));
  std::sort(users.begin(), users.end());
  std::vector<Impression> out;
  std::vector<std::int32_t> slate;
  for (std::int32_t u : users) {
    for (int s = 0; s < o.slates_per_user; ++s) {
      slate = candidates[u];
      rng.shuffle(slate);
      slate.resize(std::min<std::size_t>(slate.size(), static_cast<std::size_t>(o.slate_size)));
      const auto scene = static_cast<Scene>(rng.below(kNumScenes));
      for (std::size_t p = 0; p < slate.size(); ++p) {
        Impression im;
        im.user = u;
        im.item = slate[p];
        im.scene = scene;
        im.position = static_cast<std::int32_t>(p);
        const double examine = detmath::pow(1.0 + static_cast<double>(p), -o.examination_decay);
        im.clicked = rng.bernoulli(examine * truth.click_probability(u, slate[p])) ? 1.0f : 0.0f;
        im.purchased =
            im.clicked > 0 && rng.bernoulli(truth.purchase_probability(u, slate[p])) ? 1.0f : 0.0f;
        out.push_back(im);
      }
    }
  }
  return out;
}

std::vector<Impression> impressions_from_logs(const Interactions& logs, int negatives,
                                              std::uint64_t seed, std::int32_t max_users) {
  RECSYS_CHECK(negatives >= 0, "impressions: negatives must be >= 0, got ", negatives);
  RECSYS_CHECK(logs.num_items() > 0, "impressions: no items");
  Rng rng(seed, 62);
  std::vector<Impression> out;
  std::vector<char> had(static_cast<std::size_t>(logs.num_items()), 0);
  std::vector<std::int32_t> users;
  for (std::int32_t u = 0; u < logs.num_users(); ++u) users.push_back(u);
  if (max_users > 0 && static_cast<std::int32_t>(users.size()) > max_users) {
    rng.shuffle(users);
    users.resize(static_cast<std::size_t>(max_users));
    std::sort(users.begin(), users.end());
  }
  for (std::int32_t u : users) {
    const auto h = logs.history(u);
    if (h.empty()) continue;
    for (const auto& e : h) had[e.item] = 1;
    std::int32_t available = 0;
    for (char c : had) available += !c;
    for (const auto& e : h) {
      Impression im;
      im.user = u;
      im.item = e.item;
      im.clicked = 1;
      im.purchased = e.event == Event::Purchase ? 1.0f : 0.0f;
      out.push_back(im);
      for (int k = 0; k < negatives && available > 0;) {
        const auto i =
            static_cast<std::int32_t>(rng.below(static_cast<std::uint32_t>(logs.num_items())));
        if (had[i]) continue;
        Impression neg;
        neg.user = u;
        neg.item = i;
        out.push_back(neg);
        ++k;
      }
    }
    for (const auto& e : h) had[e.item] = 0;
  }
  return out;
}

}  // namespace recsys
