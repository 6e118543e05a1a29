#include "eval/scorers.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <Eigen/Cholesky>

#include "common/check.h"
#include "common/hash.h"
#include "common/rng.h"
#include "strategy/sources.h"

namespace recsys::eval {

std::vector<std::int32_t> Scorer::top_k(std::int32_t, int, const std::vector<std::int32_t>&) const {
  RECSYS_FAIL(State, "evaluate: ", name(), " scores items, it serves no lists");
}

namespace {

class RandomScorer : public Scorer {
 public:
  RandomScorer(std::int32_t n, std::uint64_t seed) : n_(n), seed_(seed) {}
  std::string name() const override { return "random"; }
  std::int32_t num_items() const override { return n_; }
  void score(const std::vector<std::int32_t>& users, nn::Matrix& s) const override {
    s.resize(static_cast<Eigen::Index>(users.size()), n_);
    for (std::size_t r = 0; r < users.size(); ++r) {
      std::uint64_t state = seed_ * 0x9e3779b97f4a7c15ULL + static_cast<std::uint64_t>(users[r]);
      for (std::int32_t i = 0; i < n_; ++i)
        s(static_cast<Eigen::Index>(r), i) =
            static_cast<float>(splitmix64(state) >> 40) * 0x1.0p-24f;
    }
  }

 private:
  std::int32_t n_;
  std::uint64_t seed_;
};

class PopularityScorer : public Scorer {
 public:
  explicit PopularityScorer(const Interactions& fit) : counts_(1, fit.num_items()) {
    counts_.setZero();
    for (const auto& e : fit.events()) counts_(0, e.item) += 1;
  }
  std::string name() const override { return "popularity"; }
  std::int32_t num_items() const override { return static_cast<std::int32_t>(counts_.cols()); }
  void score(const std::vector<std::int32_t>& users, nn::Matrix& s) const override {
    s = counts_.replicate(static_cast<Eigen::Index>(users.size()), 1);
  }

 private:
  nn::Matrix counts_;
};

// Distinct items of each user, sorted.
std::vector<std::vector<std::int32_t>> user_items(const Interactions& fit) {
  std::vector<std::vector<std::int32_t>> items(static_cast<std::size_t>(fit.num_users()));
  for (std::int32_t u = 0; u < fit.num_users(); ++u) {
    for (const auto& e : fit.history(u)) items[u].push_back(e.item);
    std::sort(items[u].begin(), items[u].end());
    items[u].erase(std::unique(items[u].begin(), items[u].end()), items[u].end());
  }
  return items;
}

class ItemKnnScorer : public Scorer {
 public:
  ItemKnnScorer(const Interactions& fit, const ItemKnnOptions& o)
      : n_(fit.num_items()), user_items_(user_items(fit)) {
    RECSYS_CHECK(o.neighbours >= 1, "item-kNN: neighbours must be >= 1, got ", o.neighbours);
    RECSYS_CHECK(o.shrink >= 0, "item-kNN: shrink must be >= 0, got ", o.shrink);
    neighbours_ = ItemNeighbours(fit, ItemNeighboursOptions{o.neighbours, o.shrink});
  }
  std::string name() const override { return "itemknn"; }
  std::int32_t num_items() const override { return n_; }
  void score(const std::vector<std::int32_t>& users, nn::Matrix& s) const override {
    s.setZero(static_cast<Eigen::Index>(users.size()), n_);
    for (std::size_t r = 0; r < users.size(); ++r)
      for (std::int32_t i : user_items_[users[r]])
        for (const auto& [sim, j] : neighbours_.of(i)) s(static_cast<Eigen::Index>(r), j) += sim;
  }

 private:
  std::int32_t n_;
  std::vector<std::vector<std::int32_t>> user_items_;
  ItemNeighbours neighbours_;
};

class AlsScorer : public Scorer {
 public:
  AlsScorer(const Interactions& fit, const AlsOptions& o) : n_(fit.num_items()) {
    RECSYS_CHECK(o.factors >= 1 && o.factors <= 1024, "ALS: factors must be in [1, 1024], got ",
                 o.factors);
    RECSYS_CHECK(o.iterations >= 1, "ALS: iterations must be >= 1, got ", o.iterations);
    RECSYS_CHECK(o.regularization > 0, "ALS: regularization must be > 0, got ", o.regularization);
    RECSYS_CHECK(o.alpha >= 0, "ALS: alpha must be >= 0, got ", o.alpha);
    const int k = o.factors;
    // Confidence per (user, item): 1 + alpha · count.
    struct Entry {
      std::int32_t other;
      double confidence;
    };
    std::vector<std::vector<Entry>> by_user(static_cast<std::size_t>(fit.num_users())),
        by_item(static_cast<std::size_t>(n_));
    for (std::int32_t u = 0; u < fit.num_users(); ++u) {
      std::vector<std::int32_t> items;
      for (const auto& e : fit.history(u)) items.push_back(e.item);
      std::sort(items.begin(), items.end());
      for (std::size_t a = 0; a < items.size();) {
        std::size_t b = a;
        while (b < items.size() && items[b] == items[a]) ++b;
        const double c = 1 + o.alpha * static_cast<double>(b - a);
        by_user[u].push_back(Entry{items[a], c});
        by_item[items[a]].push_back(Entry{u, c});
        a = b;
      }
    }
    Rng rng(o.seed, 31);
    auto init = [&](Eigen::Index rows) {
      Eigen::MatrixXd m(rows, k);
      for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = 0.01 * rng.normal();
      return m;
    };
    Eigen::MatrixXd X = init(fit.num_users()), Y = init(n_);
    // One half-step: solve every row of A given B: a = (BᵀB + Bᵀ(C - I)B + λI)⁻¹ Bᵀ C p.
    auto solve = [&](Eigen::MatrixXd& A, const Eigen::MatrixXd& B,
                     const std::vector<std::vector<Entry>>& rows) {
      const Eigen::MatrixXd BtB = B.transpose() * B;
      for (std::size_t r = 0; r < rows.size(); ++r) {
        Eigen::MatrixXd M = BtB;
        M.diagonal().array() += o.regularization;
        Eigen::VectorXd rhs = Eigen::VectorXd::Zero(k);
        for (const auto& e : rows[r]) {
          const auto b = B.row(e.other).transpose();
          M.noalias() += (e.confidence - 1) * b * b.transpose();
          rhs.noalias() += e.confidence * b;
        }
        A.row(static_cast<Eigen::Index>(r)) = M.ldlt().solve(rhs).transpose();
      }
    };
    for (int it = 0; it < o.iterations; ++it) {
      solve(X, Y, by_user);
      solve(Y, X, by_item);
    }
    users_ = X.cast<float>();
    items_ = Y.cast<float>();
  }
  std::string name() const override { return "mf"; }
  std::int32_t num_items() const override { return n_; }
  void score(const std::vector<std::int32_t>& users, nn::Matrix& s) const override {
    nn::Matrix U(static_cast<Eigen::Index>(users.size()), users_.cols());
    for (std::size_t r = 0; r < users.size(); ++r)
      U.row(static_cast<Eigen::Index>(r)) = users_.row(users[r]);
    s.noalias() = U * items_.transpose();
  }
  const nn::Matrix* item_embeddings() const override { return &items_; }

 private:
  std::int32_t n_;
  nn::Matrix users_, items_;
};

// EASE (Steck, WWW 2019): B = I - P diag(1 / diag(P)) with P = (XᵀX + λI)⁻¹ on the binary
// user-item matrix X, diag(B) = 0; score(u, j) = Σ over the user's distinct items i of B(i, j).
class EaseScorer : public Scorer {
 public:
  EaseScorer(const Interactions& fit, const EaseOptions& o)
      : n_(fit.num_items()), user_items_(user_items(fit)), B_(ease_weights(fit, o.lambda)) {}
  std::string name() const override { return "ease"; }
  std::int32_t num_items() const override { return n_; }
  void score(const std::vector<std::int32_t>& users, nn::Matrix& s) const override {
    s.setZero(static_cast<Eigen::Index>(users.size()), n_);
    for (std::size_t r = 0; r < users.size(); ++r)
      for (std::int32_t i : user_items_[users[r]]) s.row(static_cast<Eigen::Index>(r)) += B_.row(i);
  }

 private:
  std::int32_t n_;
  std::vector<std::vector<std::int32_t>> user_items_;
  nn::Matrix B_;
};

// The user's own items by how often the user had them (ties: the more recent first), then every
// other item by popularity: every own item scores above 1, every other item below 1.
class PersonalFrequencyScorer : public Scorer {
 public:
  explicit PersonalFrequencyScorer(const Interactions& fit) : fit_(fit), popular_(fit.num_items()) {
    double top = 0;
    std::vector<double> counts(static_cast<std::size_t>(fit.num_items()), 0);
    for (const auto& e : fit.events()) top = std::max(top, ++counts[e.item]);
    for (std::int32_t i = 0; i < fit.num_items(); ++i)
      popular_[i] = static_cast<float>(0.5 * counts[i] / (top + 1));
  }
  std::string name() const override { return "personal-frequency"; }
  std::int32_t num_items() const override { return static_cast<std::int32_t>(popular_.size()); }
  void score(const std::vector<std::int32_t>& users, nn::Matrix& s) const override {
    s.resize(static_cast<Eigen::Index>(users.size()), num_items());
    for (std::size_t r = 0; r < users.size(); ++r) {
      auto row = s.row(static_cast<Eigen::Index>(r));
      for (std::int32_t i = 0; i < num_items(); ++i) row(i) = popular_[i];
      std::vector<std::int32_t> own;  // time-ordered
      for (const auto& e : fit_.history(users[r])) own.push_back(e.item);
      for (const auto& [i, f] : frequency_recency(own)) row(i) = static_cast<float>(f);
    }
  }

 private:
  const Interactions& fit_;
  std::vector<float> popular_;
};

class TwoTowerScorer : public Scorer {
 public:
  TwoTowerScorer(std::shared_ptr<const TwoTowerModel> model, const Interactions& fit,
                 const Vocabulary& data_items, const PersonaliseOptions* personalise)
      : model_(std::move(model)), fit_(fit) {
    if (personalise) {
      personalise->validate();
      personalise_ = *personalise;
    }
    RECSYS_CHECK(model_, "two-tower scorer: no model");
    // Data item index -> model item index (-1 when the model does not know the item).
    data_to_model_.resize(static_cast<std::size_t>(data_items.size()));
    model_to_data_.assign(static_cast<std::size_t>(model_->num_items()), -1);
    std::int32_t known = 0;
    for (std::int32_t i = 0; i < data_items.size(); ++i) {
      data_to_model_[i] = model_->items().find(data_items.token(i));
      if (data_to_model_[i] >= 0) {
        model_to_data_[data_to_model_[i]] = i;
        ++known;
      }
    }
    RECSYS_CHECK(known > 0, "two-tower scorer: the model knows none of the data's items");
    nn::Matrix& V = model_items_;
    model_->item_embeddings(V);
    items_ = nn::Matrix::Zero(data_items.size(), V.cols());
    for (std::int32_t i = 0; i < data_items.size(); ++i)
      if (data_to_model_[i] >= 0) items_.row(i) = V.row(data_to_model_[i]);
    unknown_ = std::vector<char>(static_cast<std::size_t>(data_items.size()), 0);
    for (std::int32_t i = 0; i < data_items.size(); ++i) unknown_[i] = data_to_model_[i] < 0;
  }
  std::string name() const override { return "two-tower " + model_->config().preset; }
  std::int32_t num_items() const override { return static_cast<std::int32_t>(items_.rows()); }
  void score(const std::vector<std::int32_t>& users, nn::Matrix& s) const override {
    std::vector<UserQuery> queries;
    queries.reserve(users.size());
    const auto& cfg = model_->config();
    const auto n = static_cast<std::size_t>(cfg.history_distinct ? 8 * cfg.history_length
                                                                 : cfg.history_length);
    for (std::int32_t u : users) {
      UserQuery q;
      q.user = model_->users().find(fit_.users().token(u));
      const auto h = fit_.history(u);
      for (std::size_t t = h.size() > n ? h.size() - n : 0; t < h.size(); ++t)
        if (data_to_model_[h[t].item] >= 0) q.history.push_back(data_to_model_[h[t].item]);
      queries.push_back(std::move(q));
    }
    nn::Matrix U;
    model_->user_embeddings(queries, U);
    if (personalise_.steps > 0)
      for (std::size_t r = 0; r < users.size(); ++r) {
        std::vector<std::int32_t> items;  // the whole fit history, in model items
        for (const auto& e : fit_.history(users[r]))
          if (data_to_model_[e.item] >= 0) items.push_back(data_to_model_[e.item]);
        if (items.empty()) continue;
        const UserAdapter a =
            personalise_user(*model_, model_items_, queries[r].user, items, personalise_);
        float* u = U.row(static_cast<Eigen::Index>(r)).data();
        const auto x = adapt_user_vector(u, a.delta, static_cast<int>(U.cols()), cfg.l2_normalize);
        std::copy(x.begin(), x.end(), u);
      }
    s.noalias() = U * items_.transpose();
    // Items the model does not know cannot be recommended.
    for (std::int32_t i = 0; i < num_items(); ++i)
      if (unknown_[i]) s.col(i).setConstant(-std::numeric_limits<float>::infinity());
  }
  const nn::Matrix* item_embeddings() const override { return &items_; }

 private:
  std::shared_ptr<const TwoTowerModel> model_;
  const Interactions& fit_;
  std::vector<std::int32_t> data_to_model_, model_to_data_;
  std::vector<char> unknown_;
  nn::Matrix items_;
  nn::Matrix model_items_;             // the model's item vectors, in its own item order
  PersonaliseOptions personalise_{0};  // steps 0: no adapter
};

class PipelineScorer : public Scorer {
 public:
  PipelineScorer(std::shared_ptr<const TwoTowerModel> model,
                 std::shared_ptr<const RankingModel> ranker, const Interactions& fit,
                 const Catalog& catalog, const RecommenderOptions& options, std::string scene,
                 std::shared_ptr<const CandidateRanker> candidate_ranker)
      : fit_(fit), scene_(std::move(scene)) {
    RECSYS_CHECK(model, "pipeline scorer: no model");
    RECSYS_CHECK(catalog.size() == fit.num_items(), "pipeline scorer: the catalog has ",
                 catalog.size(), " items, the data ", fit.num_items());
    RECSYS_CHECK(options.strategy.scenes.count(scene_) > 0, "pipeline scorer: unknown scene '",
                 scene_, "'");
    Dataset data;
    data.name = "fit";
    data.catalog = catalog;
    data.interactions = fit;
    RecommenderOptions o = options;
    o.cache_capacity = 0;
    recommender_ = std::make_unique<Recommender>(std::move(model), data, o, std::move(ranker));
    if (candidate_ranker) recommender_->set_candidate_ranker(std::move(candidate_ranker));
    known_.assign(static_cast<std::size_t>(catalog.size()), 0);
    for (std::int32_t i = 0; i < catalog.size(); ++i)
      known_[i] = recommender_->item_index(catalog.item_ids().token(i)) >= 0;
    name_ = std::string("pipeline ") + scene_ +
            (recommender_->has_candidate_ranker() ? " + candidate ranker"
             : recommender_->has_ranker()         ? " + ranker"
                                                  : "");
  }
  std::string name() const override { return name_; }
  std::int32_t num_items() const override { return fit_.num_items(); }
  void score(const std::vector<std::int32_t>&, nn::Matrix&) const override {
    RECSYS_FAIL(State, "evaluate: the pipeline serves lists; use the full protocol");
  }
  bool serves_lists() const override { return true; }
  std::vector<std::int32_t> top_k(std::int32_t user, int k,
                                  const std::vector<std::int32_t>& exclude) const override {
    std::vector<std::int32_t> out;
    for (const auto& r : recommender_->compute(request(user, k, exclude)))
      out.push_back(recommender_->catalog_row(r.item));
    return out;
  }
  std::vector<std::pair<std::string, std::vector<std::int32_t>>> source_candidates(
      std::int32_t user, int quota, const std::vector<std::int32_t>& exclude) const override {
    const ServingState& st = recommender_->state();
    const RecommendRequest req = request(user, 1, exclude);  // k = 1: no filling from trending
    ResolvedRequest r = resolve_request(st, req, nullptr);
    const ItemFilter eligible = eligible_items(st, req, r);
    const std::vector<float> u = user_vector(st, r);
    // The similar source's anchor: the user's most recent item (it has none without a product).
    if (r.state.logged_items && !r.state.logged_items->empty())
      r.anchor = r.state.logged_items->back();
    std::vector<std::pair<std::string, std::vector<std::int32_t>>> out;
    auto rows = [&](const std::vector<Candidate>& cands, const SourceKind* only) {
      std::vector<std::int32_t> v;
      for (const auto& c : cands)
        if (!only || c.sources.contains(*only)) v.push_back(recommender_->catalog_row(c.item));
      return v;
    };
    const SceneConfig* scene = r.scene;
    for (int k = 0; k < kNumSources; ++k) {
      const auto kind = static_cast<SourceKind>(k);
      // The item-item sources exist only where a scene of the strategy uses them.
      if ((kind == SourceKind::Neighbours && st.item_neighbours.num_items() == 0) ||
          (kind == SourceKind::Ease && st.ease_neighbours.num_items() == 0))
        continue;
      SceneConfig one = *scene;
      one.sources = {SourceQuota{kind, quota}};
      r.scene = &one;
      out.emplace_back(source_name(kind), rows(gather_candidates(st, r, eligible, u), &kind));
    }
    r.scene = scene;
    r.anchor = -1;
    out.emplace_back("all", rows(gather_candidates(st, r, eligible, u), nullptr));
    return out;
  }

 private:
  // The request a page would send for this user: the scene, k, the exclusions as filters.
  RecommendRequest request(std::int32_t user, int k, const std::vector<std::int32_t>& exclude) const {
    RecommendRequest req;
    req.user_id = fit_.users().token(user);
    req.scene = scene_;
    req.k = k;
    const Vocabulary& ids = recommender_->catalog().item_ids();
    for (std::int32_t i : exclude)
      if (known_[i]) req.exclude.push_back(ids.token(i));
    return req;
  }

  const Interactions& fit_;
  std::string scene_, name_;
  std::unique_ptr<Recommender> recommender_;
  std::vector<char> known_;  // catalog rows the model serves
};

}  // namespace

std::unique_ptr<Scorer> make_random(std::int32_t num_items, std::uint64_t seed) {
  RECSYS_CHECK(num_items > 0, "random scorer: num_items must be > 0");
  return std::make_unique<RandomScorer>(num_items, seed);
}
std::unique_ptr<Scorer> make_popularity(const Interactions& fit) {
  return std::make_unique<PopularityScorer>(fit);
}
std::unique_ptr<Scorer> make_item_knn(const Interactions& fit, const ItemKnnOptions& o) {
  return std::make_unique<ItemKnnScorer>(fit, o);
}
std::unique_ptr<Scorer> make_als(const Interactions& fit, const AlsOptions& o) {
  return std::make_unique<AlsScorer>(fit, o);
}
std::unique_ptr<Scorer> make_ease(const Interactions& fit, const EaseOptions& o) {
  return std::make_unique<EaseScorer>(fit, o);
}
std::unique_ptr<Scorer> make_personal_frequency(const Interactions& fit) {
  return std::make_unique<PersonalFrequencyScorer>(fit);
}
std::unique_ptr<Scorer> make_pipeline(std::shared_ptr<const TwoTowerModel> model,
                                      std::shared_ptr<const RankingModel> ranker,
                                      const Interactions& fit, const Catalog& catalog,
                                      const RecommenderOptions& options, std::string scene,
                                      std::shared_ptr<const CandidateRanker> candidate_ranker) {
  return std::make_unique<PipelineScorer>(std::move(model), std::move(ranker), fit, catalog,
                                          options, std::move(scene), std::move(candidate_ranker));
}
std::unique_ptr<Scorer> make_two_tower(std::shared_ptr<const TwoTowerModel> model,
                                       const Interactions& fit, const Vocabulary& data_items,
                                       const PersonaliseOptions* personalise) {
  return std::make_unique<TwoTowerScorer>(std::move(model), fit, data_items, personalise);
}

}  // namespace recsys::eval
