#include "serving/candidate_ranker.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "common/check.h"
#include "data/json_options.h"
#include "nn/adam.h"
#include "nn/losses.h"
#include "serving/recommender.h"

namespace recsys {

void CandidateRankerConfig::validate() const {
  RECSYS_CHECK(!hidden.empty() && hidden.size() <= 4, "candidate ranker: 1 to 4 hidden layers, got ",
               hidden.size());
  for (int h : hidden)
    RECSYS_CHECK(h >= 1 && h <= 1024, "candidate ranker: a hidden layer of ", h,
                 " units (expected 1 to 1024)");
  RECSYS_CHECK(epochs >= 1 && epochs <= 100, "candidate ranker: epochs must be in [1, 100], got ",
               epochs);
  RECSYS_CHECK(batch_size >= 1 && batch_size <= 65536,
               "candidate ranker: batch_size must be in [1, 65536], got ", batch_size);
  RECSYS_CHECK(learning_rate > 0 && learning_rate <= 1,
               "candidate ranker: learning_rate must be in (0, 1], got ", learning_rate);
  RECSYS_CHECK(window_days > 0 && window_days <= 3650,
               "candidate ranker: window_days must be in (0, 3650], got ", window_days);
  RECSYS_CHECK(holdout == "window" || holdout == "last",
               "candidate ranker: holdout must be window or last, got '", holdout, "'");
  RECSYS_CHECK(objective == "listwise" || objective == "pointwise",
               "candidate ranker: objective must be listwise or pointwise, got '", objective, "'");
}

CandidateRankerConfig CandidateRankerConfig::from_json(std::string_view json,
                                                       const CandidateRankerConfig& base) {
  CandidateRankerConfig c = base;
  for_each_json_field(json, "candidate ranker", [&](const JsonField& f) {
    const std::string& k = f.key();
    if (k == "hidden") {
      f.require(f.value().is_array(), "an array of layer widths");
      c.hidden.clear();
      for (const auto& h : f.value()) {
        f.require(recsys::is_int32(h),
                  "an array of layer widths");
        c.hidden.push_back(h.get<int>());
      }
    } else if (k == "epochs") {
      c.epochs = f.integer(1);
    } else if (k == "batch_size") {
      c.batch_size = f.integer(1);
    } else if (k == "learning_rate") {
      c.learning_rate = static_cast<float>(f.number());
    } else if (k == "window_days") {
      c.window_days = f.number();
    } else if (k == "holdout") {
      c.holdout = f.string();
    } else if (k == "seed") {
      c.seed = static_cast<std::uint64_t>(f.integer(0));
    } else if (k == "exclude_seen") {
      c.exclude_seen = f.boolean();
    } else if (k == "objective") {
      c.objective = f.string();
    } else {
      f.unknown();
    }
  });
  c.validate();
  return c;
}

CandidateRankerConfig CandidateRankerConfig::from_json(std::string_view json) {
  return from_json(json, CandidateRankerConfig());
}

std::vector<std::string> CandidateRanker::feature_names() {
  std::vector<std::string> f;
  for (const auto& s : source_names()) {
    f.push_back(s + "_score");
    f.push_back(s + "_present");
    f.push_back(s + "_reciprocal_rank");
  }
  for (const char* n : {"log_popularity", "log_trending", "two_tower_score", "log_price",
                        "user_log_price", "price_vs_user", "category_affinity", "brand_affinity",
                        "log_repeat_count", "had_item", "item_recency", "log_history_length",
                        "trend_ratio"})
    f.emplace_back(n);
  return f;
}

CandidateRanker::CandidateRanker(const CandidateRankerConfig& config, std::vector<float> mean,
                                 std::vector<float> scale)
    : config_(config) {
  config_.validate();
  RECSYS_CHECK(mean.size() == kFeatures && scale.size() == kFeatures,
               "candidate ranker: ", mean.size(), " feature means for ", kFeatures, " features");
  mean_ = Eigen::Map<const nn::Matrix>(mean.data(), 1, kFeatures);
  scale_ = Eigen::Map<const nn::Matrix>(scale.data(), 1, kFeatures);
  Rng rng(config_.seed, 3);
  int in = kFeatures;
  for (int h : config_.hidden) {
    layers_.emplace_back(in, h, nn::Activation::Relu, rng);
    in = h;
  }
  layers_.emplace_back(in, 1, nn::Activation::Linear, rng);
  slots_.resize(2 * layers_.size());
  nn::AdamConfig ac;
  ac.learning_rate = config_.learning_rate;
  adam_ = std::make_unique<nn::Adam>(ac);
}

void CandidateRanker::features(const ServingState& s, const ResolvedRequest& r,
                               const std::vector<float>& user,
                               const std::vector<Candidate>& candidates, nn::Matrix& X) {
  const TwoTowerModel& m = *s.model;
  const auto n = static_cast<Eigen::Index>(candidates.size());
  X.setZero(n, kFeatures);
  // The user's history (logs, then the session): counts, last position, categories, brands and
  // mean log price.
  std::vector<std::int32_t> own;
  if (r.state.logged_items) own = *r.state.logged_items;
  own.insert(own.end(), r.state.session_items.begin(), r.state.session_items.end());
  std::unordered_map<std::int32_t, std::pair<int, std::size_t>> had;  // item -> (count, last)
  std::unordered_map<std::int32_t, int> categories, brands;
  double log_price = 0;
  for (std::size_t t = 0; t < own.size(); ++t) {
    auto& h = had[own[t]];
    ++h.first;
    h.second = t;
    ++categories[m.item_category()[own[t]]];
    ++brands[m.item_brand()[own[t]]];
    log_price += std::log1p(std::max(0.0, m.item_price()[own[t]]));
  }
  const double hist = static_cast<double>(own.size());
  if (hist > 0) log_price /= hist;
  const Eigen::Map<const nn::RowVector> u(user.data(), 1, static_cast<Eigen::Index>(user.size()));
  for (Eigen::Index c = 0; c < n; ++c) {
    const Candidate& cand = candidates[static_cast<std::size_t>(c)];
    const std::int32_t i = cand.item;
    auto x = X.row(c);
    for (int k = 0; k < kNumSources; ++k) {
      const auto sk = static_cast<std::size_t>(k);
      if (cand.source_rank[sk] <= 0) continue;
      x(3 * k) = cand.source_norm[sk];
      x(3 * k + 1) = 1;
      x(3 * k + 2) = 1.0f / static_cast<float>(cand.source_rank[sk]);
    }
    int f = 3 * kNumSources;
    const float pop = s.popular[static_cast<std::size_t>(i)];
    const float trend = s.trending[static_cast<std::size_t>(i)];
    x(f++) = std::log1p(std::max(0.0f, pop));
    x(f++) = std::log1p(std::max(0.0f, trend));
    x(f++) = u.dot(s.item_vectors->row(i));
    const double price = std::log1p(std::max(0.0, m.item_price()[i]));
    x(f++) = static_cast<float>(price);
    x(f++) = static_cast<float>(hist > 0 ? log_price : 0);
    x(f++) = static_cast<float>(hist > 0 ? price - log_price : 0);
    const auto cat = categories.find(m.item_category()[i]);
    x(f++) = static_cast<float>(hist > 0 && cat != categories.end() ? cat->second / hist : 0);
    const auto brand = brands.find(m.item_brand()[i]);
    x(f++) = static_cast<float>(hist > 0 && brand != brands.end() ? brand->second / hist : 0);
    const auto h = had.find(i);
    const bool owned = h != had.end();
    x(f++) = owned ? std::log1p(static_cast<float>(h->second.first)) : 0.0f;
    x(f++) = owned ? 1.0f : 0.0f;
    x(f++) = owned ? 1.0f / static_cast<float>(own.size() - h->second.second) : 0.0f;
    x(f++) = static_cast<float>(std::log1p(hist));
    x(f++) = trend / (pop + 1.0f);
  }
}

std::vector<std::pair<std::string, nn::Matrix*>> CandidateRanker::tensors() {
  std::vector<std::pair<std::string, nn::Matrix*>> t{{"candidate_ranker/mean", &mean_},
                                                     {"candidate_ranker/scale", &scale_}};
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    const std::string p = "candidate_ranker/dense_" + std::to_string(l);
    t.emplace_back(p + "/kernel", &layers_[l].W);
    t.emplace_back(p + "/bias", &layers_[l].b);
  }
  return t;
}

std::string CandidateRanker::manifest_json() const {
  const auto& c = config_;
  return JsonObject()
      .add("config", JsonObject()
                         .add("hidden", c.hidden)
                         .add("epochs", c.epochs)
                         .add("batch_size", c.batch_size)
                         .add("learning_rate", c.learning_rate)
                         .add("window_days", c.window_days)
                         .add("holdout", c.holdout)
                         .add("seed", c.seed)
                         .add("exclude_seen", c.exclude_seen)
                         .add("objective", c.objective))
      .add("features", feature_names())
      .add("scene", fitted_.scene)
      .add("fit", JsonObject()
                      .add("cut", fitted_.cut)
                      .add("examples", fitted_.examples)
                      .add("positives", fitted_.positives)
                      .add("users", fitted_.users))
      // The strategy as json_text writes it (keys in order, compact), whatever its own text.
      .add_text("strategy", fitted_.strategy_json.empty()
                                ? std::string("{}")
                                : json_text(parse_json_text(fitted_.strategy_json)))
      .text();
}

std::shared_ptr<CandidateRanker> CandidateRanker::from_manifest_json(std::string_view json,
                                                                     const std::string& where) {
  const Json j = parse_json_object(json, where);
  auto need = [&](const char* key, bool ok, const char* what) {
    RECSYS_CHECK_FORMAT(j.contains(key) && ok, where, ": '", key, "' must be ", what,
                        j.contains(key) ? ", got " + json_text(j[key]).substr(0, 60) : ", missing");
  };
  need("config", j.contains("config") && j["config"].is_object(), "an object");
  need("features", j.contains("features") && j["features"].is_array(), "an array of names");
  need("scene", j.contains("scene") && j["scene"].is_string(), "a string");
  need("strategy", j.contains("strategy") && j["strategy"].is_object(), "an object");
  std::vector<std::string> names;
  for (const auto& n : j["features"]) {
    RECSYS_CHECK_FORMAT(n.is_string(), where, ": 'features' must be an array of names, got ",
                        json_text(n).substr(0, 60));
    names.push_back(n.get<std::string>());
  }
  const auto ours = feature_names();
  if (names != ours) {
    std::string got, want;
    for (const auto& n : names) got += (got.empty() ? "" : ", ") + n;
    for (const auto& n : ours) want += (want.empty() ? "" : ", ") + n;
    RECSYS_FAIL(Format, where, ": the candidate ranker reads the features [", got.substr(0, 300),
                "], this version computes [", want.substr(0, 300), "]");
  }
  CandidateRankerConfig config;
  try {
    config = CandidateRankerConfig::from_json(json_text(j["config"]));
  } catch (const Error& e) {
    RECSYS_FAIL(Format, where, ": ", e.what());
  }
  auto r = std::make_shared<CandidateRanker>(config, std::vector<float>(kFeatures, 0.0f),
                                             std::vector<float>(kFeatures, 0.0f));
  for (auto& l : r->layers_) {
    l.W.setZero();
    l.b.setZero();
  }
  Fitted f;
  f.scene = j["scene"].get<std::string>();
  f.strategy_json = j["strategy"].empty() ? "" : json_text(j["strategy"]);
  if (!f.strategy_json.empty()) {
    try {
      StrategyConfig::from_json(f.strategy_json);  // checked now, not when a page serves it
    } catch (const Error& e) {
      RECSYS_FAIL(Format, where, ": its strategy: ", e.what());
    }
  }
  if (j.contains("fit") && j["fit"].is_object()) {
    const auto& fit = j["fit"];
    f.cut = fit.value("cut", std::int64_t{0});
    f.examples = fit.value("examples", std::int64_t{0});
    f.positives = fit.value("positives", std::int64_t{0});
    f.users = fit.value("users", std::int32_t{0});
  }
  r->fitted_ = std::move(f);
  return r;
}

void CandidateRanker::standardise(const nn::Matrix& X, nn::Matrix& Z) const {
  RECSYS_CHECK(X.cols() == kFeatures, "candidate ranker: ", X.cols(), " features, expected ",
               kFeatures);
  Z.resize(X.rows(), X.cols());
  for (Eigen::Index c = 0; c < X.cols(); ++c)
    Z.col(c) = (X.col(c).array() - mean_(0, c)) * scale_(0, c);
}

void CandidateRanker::predict(const nn::Matrix& X, std::vector<float>& out) const {
  nn::Matrix a, b;
  standardise(X, a);
  for (const auto& l : layers_) {
    l.forward(a, b);
    std::swap(a, b);
  }
  out.resize(static_cast<std::size_t>(a.rows()));
  for (Eigen::Index r = 0; r < a.rows(); ++r)
    out[static_cast<std::size_t>(r)] = 1.0f / (1.0f + std::exp(-a(r, 0)));
}

template <class Loss>
float CandidateRanker::step(const nn::Matrix& Z, const std::vector<std::size_t>& rows,
                            Loss&& loss) {
  std::vector<nn::Matrix> acts(layers_.size() + 1);
  acts[0].resize(static_cast<Eigen::Index>(rows.size()), kFeatures);
  for (std::size_t j = 0; j < rows.size(); ++j)
    acts[0].row(static_cast<Eigen::Index>(j)) = Z.row(static_cast<Eigen::Index>(rows[j]));
  for (std::size_t l = 0; l < layers_.size(); ++l) layers_[l].forward(acts[l], acts[l + 1]);
  std::vector<float> logits(rows.size()), dlogits(rows.size(), 0);
  for (std::size_t j = 0; j < rows.size(); ++j)
    logits[j] = acts.back()(static_cast<Eigen::Index>(j), 0);
  const float value = loss(logits, dlogits);
  nn::Matrix d(static_cast<Eigen::Index>(rows.size()), 1);
  for (std::size_t j = 0; j < rows.size(); ++j) d(static_cast<Eigen::Index>(j), 0) = dlogits[j];
  adam_->begin_step();
  for (std::size_t l = layers_.size(); l-- > 0;) {
    nn::Matrix dx;
    layers_[l].backward(acts[l], acts[l + 1], d, l > 0 ? &dx : nullptr);
    adam_->update(layers_[l].W, layers_[l].grad_W, slots_[2 * l]);
    adam_->update(layers_[l].b, layers_[l].grad_b, slots_[2 * l + 1]);
    d = std::move(dx);
  }
  return value;
}

float CandidateRanker::train_epoch(const nn::Matrix& X, const std::vector<float>& labels,
                                   const std::vector<std::size_t>& groups, Rng& rng) {
  RECSYS_CHECK(static_cast<std::size_t>(X.rows()) == labels.size(), "candidate ranker: ",
               X.rows(), " rows for ", labels.size(), " labels");
  nn::Matrix Z;
  standardise(X, Z);
  double total = 0;
  std::size_t batches = 0;
  const auto bs = static_cast<std::size_t>(config_.batch_size);
  if (config_.objective == "pointwise") {
    std::vector<std::size_t> order(labels.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    rng.shuffle(order);
    for (std::size_t b = 0; b < order.size(); b += bs) {
      const std::vector<std::size_t> rows(order.begin() + static_cast<std::ptrdiff_t>(b),
                                          order.begin() + static_cast<std::ptrdiff_t>(
                                                              std::min(order.size(), b + bs)));
      std::vector<float> y;
      for (std::size_t r : rows) y.push_back(labels[r]);
      total += step(Z, rows, [&](const std::vector<float>& logits, std::vector<float>& d) {
        return nn::sigmoid_cross_entropy(logits, y, &d);
      });
      ++batches;
    }
  } else {
    // Listwise: batches of whole users (about batch_size rows); each user's loss is the softmax
    // cross-entropy of its candidates against its held-out items, uniformly weighted.
    std::vector<std::size_t> users(groups.size());
    for (std::size_t g = 0; g < users.size(); ++g) users[g] = g;
    rng.shuffle(users);
    auto end_of = [&](std::size_t g) { return g + 1 < groups.size() ? groups[g + 1] : labels.size(); };
    for (std::size_t u = 0; u < users.size();) {
      std::vector<std::size_t> rows, starts;
      while (u < users.size() && (rows.empty() || rows.size() < bs)) {
        starts.push_back(rows.size());
        for (std::size_t r = groups[users[u]]; r < end_of(users[u]); ++r) rows.push_back(r);
        ++u;
      }
      total += step(Z, rows, [&](const std::vector<float>& logits, std::vector<float>& d) {
        double loss = 0;
        const auto n = static_cast<double>(starts.size());
        for (std::size_t g = 0; g < starts.size(); ++g) {
          const std::size_t a = starts[g], e = g + 1 < starts.size() ? starts[g + 1] : rows.size();
          float top = logits[a];
          for (std::size_t j = a; j < e; ++j) top = std::max(top, logits[j]);
          double z = 0, pos = 0;
          for (std::size_t j = a; j < e; ++j) {
            z += std::exp(static_cast<double>(logits[j] - top));
            pos += labels[rows[j]];
          }
          for (std::size_t j = a; j < e; ++j) {
            const double p = std::exp(static_cast<double>(logits[j] - top)) / z;
            const double y = labels[rows[j]] / pos;
            if (y > 0) loss -= y * std::log(std::max(p, 1e-30));
            d[j] = static_cast<float>((p - y) / n);
          }
        }
        return static_cast<float>(loss / n);
      });
      ++batches;
    }
  }
  return static_cast<float>(total / static_cast<double>(std::max<std::size_t>(batches, 1)));
}

std::int64_t candidate_ranker_cut(const Interactions& logs, double window_days) {
  RECSYS_CHECK(logs.size() > 0, "candidate ranker: no interactions to learn from");
  std::int64_t last = logs.events().front().timestamp;
  for (const auto& e : logs.events()) last = std::max(last, e.timestamp);
  return last - static_cast<std::int64_t>(window_days * 86400);
}

Interactions candidate_ranker_history(const Interactions& logs,
                                      const CandidateRankerConfig& config) {
  const bool last_out = config.holdout == "last";
  const auto cut = last_out ? 0 : candidate_ranker_cut(logs, config.window_days);
  std::vector<Interaction> before;
  for (std::int32_t user = 0; user < logs.num_users(); ++user) {
    const auto h = logs.history(user);
    for (std::size_t i = 0; i < h.size(); ++i)
      if (last_out ? i + 1 < h.size() : h[i].timestamp < cut) before.push_back(h[i]);
  }
  RECSYS_CHECK(!before.empty(), "candidate ranker: no interactions before the cut (",
               last_out ? std::string("each user's last event")
                        : format_readable(config.window_days) + " days before the last event",
               ")");
  return Interactions(logs.users(), logs.num_items(), std::move(before));
}

CandidateRankerFit fit_candidate_ranker(std::shared_ptr<const TwoTowerModel> model,
                                        const Dataset& data, const RecommenderOptions& options,
                                        const std::string& scene,
                                        const CandidateRankerConfig& config,
                                        std::shared_ptr<const TwoTowerModel> features_model) {
  config.validate();
  RECSYS_CHECK(model, "candidate ranker: no model");
  const Interactions& logs = data.interactions;
  const bool last_out = config.holdout == "last";
  const auto cut = last_out ? 0 : candidate_ranker_cut(logs, config.window_days);
  auto label = [&](const Interaction& e, std::size_t i, std::size_t n) {
    return last_out ? i + 1 == n : e.timestamp >= cut;
  };
  Dataset past;
  past.name = data.name + " before the cut";
  past.catalog = data.catalog;
  past.interactions = candidate_ranker_history(logs, config);
  RecommenderOptions o = options;
  o.cache_capacity = 0;
  const Recommender rec(features_model ? features_model : model, past, o, nullptr);
  const ServingState& st = rec.state();
  RECSYS_CHECK(st.strategy.scenes.count(scene) > 0, "candidate ranker: unknown scene '", scene,
               "'");
  CandidateRankerFit fit;
  fit.cut = cut;
  nn::Matrix X(0, CandidateRanker::kFeatures);
  std::vector<float> labels;
  std::vector<nn::Matrix> blocks;
  std::vector<std::size_t> groups;  // first row of each user
  std::vector<char> next(static_cast<std::size_t>(st.num_items()), 0);
  for (std::int32_t user = 0; user < logs.num_users(); ++user) {
    const auto h = logs.history(user);
    std::vector<std::int32_t> after, had;
    for (std::size_t i = 0; i < h.size(); ++i) {
      const std::int32_t m = st.data_to_model[h[i].item];
      if (m < 0) continue;
      (label(h[i], i, h.size()) ? after : had).push_back(m);
    }
    if (had.empty() || after.empty()) continue;
    RecommendRequest req;
    req.user_id = logs.users().token(user);
    req.scene = scene;
    req.k = 1;
    if (config.exclude_seen) {
      std::sort(had.begin(), had.end());
      had.erase(std::unique(had.begin(), had.end()), had.end());
      for (std::int32_t m : had) req.exclude.push_back(st.model->items().token(m));
    }
    const ResolvedRequest r = resolve_request(st, req, nullptr);
    const ItemFilter eligible = eligible_items(st, req, r);
    const std::vector<float> u = user_vector(st, r);
    const std::vector<Candidate> cands = gather_candidates(st, r, eligible, u);
    for (std::int32_t m : after) next[static_cast<std::size_t>(m)] = 1;
    std::int64_t pos = 0;
    for (const auto& c : cands) pos += next[static_cast<std::size_t>(c.item)];
    if (pos > 0) {  // users none of whose candidates came next say nothing about the order
      nn::Matrix B;
      CandidateRanker::features(st, r, u, cands, B);
      groups.push_back(labels.size());
      blocks.push_back(std::move(B));
      for (const auto& c : cands) labels.push_back(next[static_cast<std::size_t>(c.item)]);
      fit.positives += pos;
      ++fit.users;
    }
    for (std::int32_t m : after) next[static_cast<std::size_t>(m)] = 0;
  }
  RECSYS_CHECK(fit.positives > 0, "candidate ranker: no user had any of its candidates ",
               last_out ? std::string("as its last event")
                        : "in the " + format_readable(config.window_days) + "-day window after the cut");
  X.resize(static_cast<Eigen::Index>(labels.size()), CandidateRanker::kFeatures);
  Eigen::Index row = 0;
  for (const auto& B : blocks) {
    X.block(row, 0, B.rows(), B.cols()) = B;
    row += B.rows();
  }
  fit.examples = static_cast<std::int64_t>(labels.size());
  std::vector<float> mean(CandidateRanker::kFeatures), scale(CandidateRanker::kFeatures);
  for (int c = 0; c < CandidateRanker::kFeatures; ++c) {
    const double mu = X.col(c).cast<double>().mean();
    const double var = (X.col(c).cast<double>().array() - mu).square().mean();
    mean[static_cast<std::size_t>(c)] = static_cast<float>(mu);
    scale[static_cast<std::size_t>(c)] = var > 1e-12 ? static_cast<float>(1 / std::sqrt(var)) : 0.0f;
  }
  fit.ranker = std::make_shared<CandidateRanker>(config, mean, scale);
  Rng rng(config.seed, 7);
  for (int e = 0; e < config.epochs; ++e) fit.epoch_losses.push_back(fit.ranker->train_epoch(X, labels, groups, rng));
  CandidateRanker::Fitted fitted;
  fitted.scene = scene;
  fitted.strategy_json = options.strategy.to_json();
  fitted.cut = cut;
  fitted.examples = fit.examples;
  fitted.positives = fit.positives;
  fitted.users = fit.users;
  fit.ranker->set_fitted(std::move(fitted));
  return fit;
}

}  // namespace recsys
