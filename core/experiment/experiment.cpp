#include "experiment/experiment.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <mutex>
#include <thread>

#include "common/check.h"
#include "common/hash.h"
#include "data/json_options.h"
#include "data/json_text.h"
#include "data/json_value.h"

namespace recsys::experiment {

// ---------------------------------------------------------------------------------------------
// Configuration

std::vector<ArmConfig> ExperimentConfig::default_arms() {
  std::vector<ArmConfig> arms(4);
  arms[0].name = "model";  // two-tower retrieval + ranker, the default scene
  arms[1].name = "popularity";
  arms[1].use_ranker = false;
  arms[1].strategy.scenes["default"] =
      SceneConfig{Scene::Default, {{SourceKind::Popular, 100}}, false, 0.0, 0};
  arms[2].name = "diversified";
  arms[2].diversity = 0.3;
  arms[3].name = "random";
  arms[3].random = true;
  return arms;
}

void ExperimentConfig::validate() const {
  RECSYS_CHECK(arms.size() >= 2 && arms.size() <= 8, "experiment: needs 2 to 8 arms, got ",
               arms.size());
  for (std::size_t a = 0; a < arms.size(); ++a) {
    RECSYS_CHECK(!arms[a].name.empty(), "experiment: arm ", a, " has no name");
    for (std::size_t b = 0; b < a; ++b)
      RECSYS_CHECK(arms[b].name != arms[a].name, "experiment: two arms are named '", arms[a].name,
                   "'");
    RECSYS_CHECK(std::isfinite(arms[a].weight) && arms[a].weight > 0, "experiment: arm '",
                 arms[a].name, "': weight must be > 0, got ", arms[a].weight);
    RECSYS_CHECK(!arms[a].diversity || (*arms[a].diversity >= 0 && *arms[a].diversity <= 1),
                 "experiment: arm '", arms[a].name, "': diversity must be in [0, 1], got ",
                 arms[a].diversity.value_or(0));
    if (!arms[a].random) {
      arms[a].strategy.validate();
      RECSYS_CHECK(arms[a].strategy.scenes.count(arms[a].scene), "experiment: arm '", arms[a].name,
                   "': unknown scene '", arms[a].scene, "'");
    }
  }
  RECSYS_CHECK(sessions >= 10 && sessions <= 100000000,
               "experiment: sessions must be in [10, 1e8], got ", sessions);
  RECSYS_CHECK(alpha > 0 && alpha < 0.5, "experiment: alpha must be in (0, 0.5), got ", alpha);
  RECSYS_CHECK(pre_sessions >= 0 && pre_sessions <= 10,
               "experiment: pre_sessions must be in [0, 10], got ", pre_sessions);
  simulator.validate();
  if (bandit.enabled) {
    bandit.bandit.validate();
    RECSYS_CHECK(bandit.sessions >= 1 && bandit.sessions <= 100000000,
                 "experiment: bandit sessions must be in [1, 1e8], got ", bandit.sessions);
  }
  if (ope.enabled) {
    RECSYS_CHECK(ope.epsilon > 0 && ope.epsilon <= 1,
                 "experiment: ope epsilon must be in (0, 1], got ", ope.epsilon);
    RECSYS_CHECK(ope.sessions >= 10 && ope.sessions <= 100000000,
                 "experiment: ope sessions must be in [10, 1e8], got ", ope.sessions);
    auto has = [&](const std::string& n) {
      return std::any_of(arms.begin(), arms.end(), [&](const ArmConfig& a) { return a.name == n; });
    };
    RECSYS_CHECK_FOUND(has(ope.logging), "experiment: ope logging arm '", ope.logging,
                       "' is not an arm");
    RECSYS_CHECK_FOUND(has(ope.target), "experiment: ope target arm '", ope.target,
                       "' is not an arm");
  }
}

ExperimentConfig ExperimentConfig::from_json(std::string_view text) {
  ExperimentConfig c;
  for_each_json_field(text, "experiment", [&](const JsonField& f) {
    const std::string& k = f.key();
    const Json& v = f.value();
    if (k == "arms") {
      f.require(v.is_array(), "an array of arms");
      c.arms.clear();
      for (std::size_t i = 0; i < v.size(); ++i) {
        const std::string where = "experiment: arms[" + std::to_string(i) + "]";
        RECSYS_CHECK_TYPE(v[i].is_object(), where, " must be an object, got ", json_text(v[i]));
        ArmConfig a;
        for (auto it = v[i].begin(); it != v[i].end(); ++it) {
          const JsonField g(where, it.key(), it.value());
          if (g.key() == "name")
            a.name = g.string();
          else if (g.key() == "random")
            a.random = g.boolean();
          else if (g.key() == "scene")
            a.scene = g.string();
          else if (g.key() == "diversity")
            a.diversity = g.number();
          else if (g.key() == "use_ranker")
            a.use_ranker = g.boolean();
          else if (g.key() == "strategy") {
            g.require(g.value().is_object(), "an object");
            a.strategy = StrategyConfig::from_json(json_text(g.value()));
          } else if (g.key() == "weight")
            a.weight = g.number();
          else
            g.unknown();
        }
        c.arms.push_back(a);
      }
    } else if (k == "salt")
      c.salt = f.string();
    else if (k == "pre_sessions")
      c.pre_sessions = f.integer(0);
    else if (k == "sessions")
      c.sessions = f.integer(10);
    else if (k == "alpha")
      c.alpha = f.number();
    else if (k == "seed")
      c.seed = static_cast<std::uint64_t>(f.integer(0));
    else if (k == "simulator") {
      f.require(v.is_object(), "an object");
      for (auto it = v.begin(); it != v.end(); ++it) {
        const JsonField g("experiment: simulator", it.key(), it.value());
        if (g.key() == "slate_size")
          c.simulator.slate_size = g.integer(1);
        else if (g.key() == "max_slates")
          c.simulator.max_slates = g.integer(1);
        else if (g.key() == "position_bias")
          c.simulator.position_bias = g.number();
        else if (g.key() == "continue_after_click")
          c.simulator.continue_after_click = g.number();
        else if (g.key() == "continue_after_none")
          c.simulator.continue_after_none = g.number();
        else
          g.unknown();
      }
    } else if (k == "bandit") {
      if (v.is_boolean() && !v.get<bool>()) {
        c.bandit.enabled = false;
        return;
      }
      f.require(v.is_object(), "an object or false");
      for (auto it = v.begin(); it != v.end(); ++it) {
        const JsonField g("experiment: bandit", it.key(), it.value());
        if (g.key() == "policy") {
          const std::string p = g.string();
          RECSYS_CHECK(parse_bandit_policy(p, c.bandit.bandit.policy),
                       "experiment: bandit: unknown policy '", p,
                       "' (expected epsilon_greedy, ucb1 or thompson)");
        } else if (g.key() == "reward") {
          const std::string r = g.string();
          RECSYS_CHECK(r == "clicks" || r == "revenue",
                       "experiment: bandit: reward must be clicks or revenue, got '", r, "'");
          c.bandit.revenue = r == "revenue";
        } else if (g.key() == "epsilon")
          c.bandit.bandit.epsilon = g.number();
        else if (g.key() == "sessions")
          c.bandit.sessions = g.integer(1);
        else
          g.unknown();
      }
    } else if (k == "ope") {
      if (v.is_boolean() && !v.get<bool>()) {
        c.ope.enabled = false;
        return;
      }
      f.require(v.is_object(), "an object or false");
      for (auto it = v.begin(); it != v.end(); ++it) {
        const JsonField g("experiment: ope", it.key(), it.value());
        if (g.key() == "logging")
          c.ope.logging = g.string();
        else if (g.key() == "target")
          c.ope.target = g.string();
        else if (g.key() == "epsilon")
          c.ope.epsilon = g.number();
        else if (g.key() == "sessions")
          c.ope.sessions = g.integer(10);
        else
          g.unknown();
      }
    } else
      f.unknown();
  });
  c.bandit.bandit.bernoulli = !c.bandit.revenue;
  c.validate();
  return c;
}

int assign_arm(std::string_view salt, std::string_view user, const std::vector<double>& weights) {
  RECSYS_CHECK(!weights.empty(), "assign_arm: no arms");
  Fnv1a h;
  h.bytes(salt.data(), salt.size());
  h.bytes(":", 1);
  h.bytes(user.data(), user.size());
  std::uint64_t x = h.value();
  x = splitmix64(x);
  const double u = static_cast<double>(x >> 11) * 0x1.0p-53;
  double total = 0;
  for (double w : weights) total += w;
  double cum = 0;
  for (std::size_t a = 0; a < weights.size(); ++a) {
    cum += weights[a] / total;
    if (u < cum) return static_cast<int>(a);
  }
  return static_cast<int>(weights.size()) - 1;
}

// ---------------------------------------------------------------------------------------------
// State

namespace {
// Random streams: A/B session s, bandit session t, OPE session t, the bandit's own draws, and
// user u's pre-period.
constexpr std::uint64_t kAbStream = 0, kBanditStream = 1, kOpeStream = 2, kPolicyStream = 3,
                        kPreStream = 4;
Rng stream(std::uint64_t seed, std::uint64_t part, std::int64_t index) {
  return Rng(seed, 5 * static_cast<std::uint64_t>(index) + part);
}

// The mixture SPRT of one comparison: tau^2 fixed at the first look with 100 users per arm
// (from that look's variance scaled to the planned size), the running minimum of the p-value
// over looks (one look per step), and the last confidence sequence.
struct Sequential {
  double tau2 = 0;
  double min_p = 1;
  double ci_low = 0, ci_high = 0;
  bool started = false;
  void look(double d, double v, double n_c, double n_t, double planned_per_arm, double alpha) {
    if (tau2 == 0 && n_c >= 100 && n_t >= 100 && v > 0)
      tau2 = msprt_tau2(v * std::min(n_c, n_t) / planned_per_arm, alpha);
    if (tau2 <= 0) return;
    const SequentialResult r = msprt(d, v, tau2, alpha);
    min_p = std::min(min_p, r.p_value);
    ci_low = r.ci_low;
    ci_high = r.ci_high;
    started = true;
  }
};

struct ArmStats {
  Moments ctr;  // (clicks, impressions) per user
  Moments aov;  // (revenue, purchases) per user
  Moments rpu;  // (revenue, pre-period revenue) per user
  Moments cpu;  // (clicks, pre-period clicks) per user
  double users = 0, converted = 0, carted = 0;
  double sessions = 0, impressions = 0, clicks = 0, carts = 0, purchases = 0, revenue = 0;
};
}  // namespace

struct Experiment::Impl {
  Dataset data;
  std::vector<std::unique_ptr<Recommender>> recommenders;
  std::vector<Arm> arms;
  std::unique_ptr<Simulator> sim;
  std::shared_ptr<const RankingModel> ranker;
  std::vector<double> weights;
  std::vector<double> pre_revenue, pre_clicks;  // per user: the CUPED covariates
  std::vector<std::vector<char>> shown;         // per arm: catalog rows served
  std::vector<double> shown_count;
  std::vector<Sequential> sequential_ctr, sequential_rpu;          // per arm (against arm 0)
  std::vector<double> ab_sessions, ab_click_sessions, ab_revenue;  // per arm, per session
  std::vector<std::string> history;  // the report's chart points, each as JSON text
  // Bandit.
  std::unique_ptr<Bandit> bandit;
  std::vector<std::string> bandit_history;
  // OPE.
  int logging = 0, target = 0;
  Moments ips, dr, snips, dm, truth;
  std::vector<double> ope_counts;
};

Experiment::Experiment(std::shared_ptr<const TwoTowerModel> model,
                       std::shared_ptr<const RankingModel> ranker, const Dataset& data,
                       ExperimentConfig config)
    : config_(std::move(config)), truth_(data.truth), impl_(std::make_unique<Impl>()) {
  config_.validate();
  RECSYS_CHECK(model, "experiment: no model");
  RECSYS_CHECK_STATE(truth_ != nullptr,
                     "experiment: the dataset has no hidden truth (use the synthetic shop)");
  Impl& s = *impl_;
  s.data = data;
  s.ranker = ranker;
  for (const ArmConfig& a : config_.arms) {
    Arm arm;
    arm.name = a.name;
    arm.scene = a.scene;
    arm.diversity = a.diversity;
    if (!a.random) {
      // Arms with the same strategy and ranker setting share a Recommender.
      const std::string key = a.strategy.to_json() + (a.use_ranker ? "+ranker" : "");
      const Recommender* shared = nullptr;
      for (std::size_t b = 0; b < s.arms.size(); ++b) {
        const ArmConfig& o = config_.arms[b];
        if (!o.random && o.strategy.to_json() + (o.use_ranker ? "+ranker" : "") == key)
          shared = s.arms[b].recommender;
      }
      if (!shared) {
        RecommenderOptions o;
        o.strategy = a.strategy;
        o.use_ranker = a.use_ranker;
        o.cache_capacity = 0;
        s.recommenders.push_back(std::make_unique<Recommender>(model, s.data, o, ranker));
        shared = s.recommenders.back().get();
      }
      arm.recommender = shared;
    }
    s.arms.push_back(arm);
    s.weights.push_back(a.weight);
  }
  s.sim = std::make_unique<Simulator>(*truth_, s.data.catalog, s.data.interactions.users(),
                                      config_.simulator);
  const std::int32_t n_users = s.data.interactions.num_users();
  users_.assign(static_cast<std::size_t>(n_users), UserTotals{});
  s.pre_revenue.assign(static_cast<std::size_t>(n_users), 0);
  s.pre_clicks.assign(static_cast<std::size_t>(n_users), 0);
  if (config_.pre_sessions == 0)  // the logs as the pre-period
    for (std::int32_t u = 0; u < n_users; ++u)
      for (const auto& e : s.data.interactions.history(u)) {
        if (e.event == Event::Purchase)
          s.pre_revenue[u] += s.data.catalog.price(e.item) * e.quantity;
        if (e.event == Event::Click) s.pre_clicks[u] += 1;
      }
  const std::size_t A = s.arms.size();
  s.shown.assign(A, std::vector<char>(static_cast<std::size_t>(s.data.catalog.size()), 0));
  s.shown_count.assign(A, 0);
  s.sequential_ctr.assign(A, Sequential{});
  s.sequential_rpu.assign(A, Sequential{});
  s.ab_sessions.assign(A, 0);
  s.ab_click_sessions.assign(A, 0);
  s.ab_revenue.assign(A, 0);
  if (config_.bandit.enabled) {
    BanditConfig b = config_.bandit.bandit;
    b.bernoulli = !config_.bandit.revenue;
    s.bandit = std::make_unique<Bandit>(static_cast<int>(A), b);
  }
  if (config_.ope.enabled) {
    for (std::size_t a = 0; a < A; ++a) {
      if (s.arms[a].name == config_.ope.logging) s.logging = static_cast<int>(a);
      if (s.arms[a].name == config_.ope.target) s.target = static_cast<int>(a);
    }
    s.ope_counts.assign(A, 0);
  }
}

Experiment::~Experiment() = default;

bool Experiment::done() const {
  return ab_done_ >= config_.sessions &&
         (!config_.bandit.enabled || bandit_done_ >= config_.bandit.sessions) &&
         (!config_.ope.enabled || ope_done_ >= config_.ope.sessions);
}

void Experiment::step(std::int64_t n) {
  RECSYS_CHECK(n >= 1, "experiment: step needs n >= 1, got ", n);
  run_ab(n);
  run_bandit(n);
  run_ope(n);
  snapshot();
}

namespace {
// Runs f(0 .. n-1), natively on every core (each index's work is independent and writes only its
// own slot); in WebAssembly, where the engine has no threads, in a loop.
template <class F>
void parallel_for(std::int64_t n, F&& f) {
#ifndef __EMSCRIPTEN__
  const unsigned cores = std::max(1u, std::min(8u, std::thread::hardware_concurrency()));
  if (cores > 1 && n >= 16) {
    std::atomic<std::int64_t> next{0};
    std::vector<std::thread> pool;
    std::exception_ptr error;
    std::mutex error_mutex;
    for (unsigned t = 0; t < cores; ++t)
      pool.emplace_back([&] {
        try {
          for (std::int64_t i; (i = next.fetch_add(1)) < n;) f(i);
        } catch (...) {
          const std::lock_guard<std::mutex> lock(error_mutex);
          if (!error) error = std::current_exception();
        }
      });
    for (auto& t : pool) t.join();
    if (error) std::rethrow_exception(error);
    return;
  }
#endif
  for (std::int64_t i = 0; i < n; ++i) f(i);
}
}  // namespace

void Experiment::run_ab(std::int64_t n) {
  Impl& s = *impl_;
  const std::int64_t begin = ab_done_, end = std::min(config_.sessions, ab_done_ + n);
  if (end <= begin) return;
  // Who comes and to which arm, in session order; the users new to the test get a pre-period.
  struct Job {
    std::int32_t user;
    int arm;
    Rng rng;
    SessionResult result;
  };
  std::vector<Job> jobs;
  std::vector<std::int32_t> new_users;
  std::vector<char> queued(users_.size(), 0);
  for (std::int64_t i = begin; i < end; ++i) {
    Rng rng = stream(config_.seed, kAbStream, i);
    const auto user =
        static_cast<std::int32_t>(rng.below(static_cast<std::uint32_t>(s.sim->num_users())));
    const int arm = assign_arm(config_.salt, s.data.interactions.users().token(user), s.weights);
    jobs.push_back(Job{user, arm, rng, {}});
    if (config_.pre_sessions > 0 && users_[static_cast<std::size_t>(user)].arm < 0 &&
        !queued[static_cast<std::size_t>(user)]) {
      queued[static_cast<std::size_t>(user)] = 1;
      new_users.push_back(user);
    }
  }
  // Each user's pre-period under the control, from the user's own stream.
  std::vector<std::pair<double, double>> pre(new_users.size());
  parallel_for(static_cast<std::int64_t>(new_users.size()), [&](std::int64_t k) {
    Rng rng = stream(config_.seed, kPreStream, new_users[static_cast<std::size_t>(k)]);
    for (int r = 0; r < config_.pre_sessions; ++r) {
      const SessionResult p = s.sim->run(s.arms[0], new_users[static_cast<std::size_t>(k)], rng);
      pre[static_cast<std::size_t>(k)].first += p.revenue;
      pre[static_cast<std::size_t>(k)].second += p.clicks;
    }
  });
  for (std::size_t k = 0; k < new_users.size(); ++k) {
    s.pre_revenue[static_cast<std::size_t>(new_users[k])] = pre[k].first;
    s.pre_clicks[static_cast<std::size_t>(new_users[k])] = pre[k].second;
  }
  parallel_for(static_cast<std::int64_t>(jobs.size()), [&](std::int64_t k) {
    Job& j = jobs[static_cast<std::size_t>(k)];
    j.result = s.sim->run(s.arms[static_cast<std::size_t>(j.arm)], j.user, j.rng);
  });
  for (const Job& j : jobs) {
    const SessionResult& r = j.result;
    UserTotals& t = users_[static_cast<std::size_t>(j.user)];
    t.arm = j.arm;
    t.sessions += 1;
    t.impressions += r.impressions;
    t.clicks += r.clicks;
    t.carts += r.carts;
    t.purchases += r.purchases;
    t.revenue += r.revenue;
    const auto a = static_cast<std::size_t>(j.arm);
    s.ab_sessions[a] += 1;
    s.ab_click_sessions[a] += r.clicks > 0;
    s.ab_revenue[a] += r.revenue;
    auto& shown = s.shown[a];
    for (std::int32_t row : r.served)
      if (!shown[static_cast<std::size_t>(row)]) {
        shown[static_cast<std::size_t>(row)] = 1;
        s.shown_count[a] += 1;
      }
  }
  ab_done_ = end;
}

void Experiment::run_bandit(std::int64_t n) {
  Impl& s = *impl_;
  if (!s.bandit) return;
  const std::int64_t end = std::min(config_.bandit.sessions, bandit_done_ + n);
  for (; bandit_done_ < end; ++bandit_done_) {
    Rng policy = stream(config_.seed, kPolicyStream, bandit_done_);
    const int arm = s.bandit->choose(policy);
    Rng rng = stream(config_.seed, kBanditStream, bandit_done_);
    const auto user =
        static_cast<std::int32_t>(rng.below(static_cast<std::uint32_t>(s.sim->num_users())));
    const SessionResult r = s.sim->run(s.arms[static_cast<std::size_t>(arm)], user, rng);
    s.bandit->update(arm, config_.bandit.revenue ? r.revenue : (r.clicks > 0 ? 1.0 : 0.0));
  }
}

namespace {
// The ranker's expected clicks of a slate (catalog rows) for a user: sum_p examine(p) P(click),
// the doubly robust estimate's reward model; 0 without a ranker.
double predicted_clicks(const Recommender& rec, const RankingModel* ranker, const Simulator& sim,
                        std::int32_t user, const Vocabulary& users,
                        const std::vector<std::int32_t>& rows) {
  if (!ranker || rows.empty()) return 0;
  const ServingState& st = rec.state();
  std::vector<std::int32_t> items;
  for (std::int32_t row : rows) {
    const std::int32_t m = st.data_to_model[static_cast<std::size_t>(row)];
    items.push_back(m >= 0 ? m : 0);
  }
  const std::vector<float> u = rec.user_embedding(users.token(user), nullptr);
  std::vector<RankingPrediction> p;
  ranker->predict(u.data(), items, Scene::Default, {}, p);
  double e = 0;
  for (std::size_t k = 0; k < p.size(); ++k) e += sim.examine(static_cast<int>(k) + 1) * p[k].click;
  return e;
}
}  // namespace

void Experiment::run_ope(std::int64_t n) {
  Impl& s = *impl_;
  if (!config_.ope.enabled) return;
  const std::size_t A = s.arms.size();
  const double eps = config_.ope.epsilon;
  // A strategy arm's recommender serves as the reward model (the model's ranker scores items).
  const Recommender* model_rec = nullptr;
  for (const auto& a : s.arms)
    if (a.recommender) model_rec = a.recommender;
  // The reward model: the experiment's ranker (whether or not the arms re-rank with it).
  const RankingModel* ranker = s.ranker.get();
  const Vocabulary& users = s.data.interactions.users();
  const Arm& target = s.arms[static_cast<std::size_t>(s.target)];
  const double pi_target = (s.target == s.logging ? 1 - eps : 0) + eps / static_cast<double>(A);
  const std::int64_t begin = ope_done_, end = std::min(config_.ope.sessions, ope_done_ + n);
  if (end <= begin) return;
  struct Logged {
    int arm = 0;
    double ips = 0, dr = 0, dm = 0, truth = 0, w = 0;
  };
  std::vector<Logged> logged(static_cast<std::size_t>(end - begin));
  parallel_for(end - begin, [&](std::int64_t k) {
    Rng rng = stream(config_.seed, kOpeStream, begin + k);
    const auto user =
        static_cast<std::int32_t>(rng.below(static_cast<std::uint32_t>(s.sim->num_users())));
    int arm = s.logging;
    if (rng.uniform() < eps) arm = static_cast<int>(rng.below(static_cast<std::uint32_t>(A)));
    Rng target_rng = rng;  // the random arm's draws, should it be the target
    const SessionResult r = s.sim->run(s.arms[static_cast<std::size_t>(arm)], user, rng);
    const std::vector<std::int32_t> target_slate =
        arm == s.target ? r.first_slate : s.sim->first_slate(target, user, target_rng);
    const double reward = r.first_slate_clicks;
    Logged& l = logged[static_cast<std::size_t>(k)];
    l.arm = arm;
    l.w = arm == s.target ? 1 / pi_target : 0;
    const double rhat_target =
        model_rec ? predicted_clicks(*model_rec, ranker, *s.sim, user, users, target_slate) : 0;
    const double rhat_logged =
        arm == s.target ? rhat_target
        : model_rec     ? predicted_clicks(*model_rec, ranker, *s.sim, user, users, r.first_slate)
                        : 0;
    l.ips = l.w * reward;
    l.dr = rhat_target + l.w * (reward - rhat_logged);
    l.dm = rhat_target;
    l.truth = s.sim->expected_clicks(user, target_slate);
  });
  for (const Logged& l : logged) {
    s.ope_counts[static_cast<std::size_t>(l.arm)] += 1;
    s.ips.add(l.ips);
    s.snips.add(l.ips, l.w);
    s.dr.add(l.dr);
    s.dm.add(l.dm);
    s.truth.add(l.truth);
  }
  ope_done_ = end;
}

// ---------------------------------------------------------------------------------------------
// Report

namespace {
// The report is written as text member by member (data/json_text.h: byte for byte what
// nlohmann_json's DOM wrote, keys in byte order): the DOM built with initializer lists cost the
// full engine about 4 KB gzipped here and brought nlohmann_json's DOM into it.
JsonObject interval(double value, double lo, double hi) {
  JsonObject o;
  o.add("value", value).add("ciLow", lo).add("ciHigh", hi);
  return o;
}

JsonObject test_json(const TestResult& t) {
  JsonObject o;
  o.add("control", t.control)
      .add("treatment", t.treatment)
      .add("difference", t.difference)
      .add("relative", t.relative)
      .add("ciLow", t.ci_low)
      .add("ciHigh", t.ci_high)
      .add("statistic", t.statistic)
      .add("pValue", t.p_value);
  if (std::isfinite(t.df))
    o.add("df", t.df);
  else
    o.add_text("df", "null");
  return o;
}

void add_sequential(JsonObject& o, const Sequential& q) {
  if (!q.started)
    o.add("sequentialP", 1.0).add_text("sequentialCi", "[null,null]");
  else
    o.add("sequentialP", q.min_p).add("sequentialCi", std::vector<double>{q.ci_low, q.ci_high});
}

std::string array_text(const std::vector<std::string>& elements) {
  JsonArray a;
  for (const std::string& e : elements) a.add_text(e);
  return a.text();
}

// Per-arm totals and per-user moments, users in index order (deterministic sums).
std::vector<ArmStats> collect(const std::vector<UserTotals>& users, std::size_t arms,
                              const std::vector<double>& pre_revenue,
                              const std::vector<double>& pre_clicks) {
  std::vector<ArmStats> st(arms);
  for (std::size_t u = 0; u < users.size(); ++u) {
    const UserTotals& t = users[u];
    if (t.arm < 0) continue;
    ArmStats& a = st[static_cast<std::size_t>(t.arm)];
    a.ctr.add(t.clicks, t.impressions);
    a.aov.add(t.revenue, t.purchases);
    a.rpu.add(t.revenue, pre_revenue[u]);
    a.cpu.add(t.clicks, pre_clicks[u]);
    a.users += 1;
    a.converted += t.purchases > 0;
    a.carted += t.carts > 0;
    a.sessions += t.sessions;
    a.impressions += t.impressions;
    a.clicks += t.clicks;
    a.carts += t.carts;
    a.purchases += t.purchases;
    a.revenue += t.revenue;
  }
  return st;
}

bool comparable(const ArmStats& c, const ArmStats& t) {
  return c.users >= 2 && t.users >= 2 && c.ctr.mean_x > 0 && t.ctr.mean_x > 0;
}
}  // namespace

void Experiment::snapshot() {
  Impl& s = *impl_;
  const std::size_t A = s.arms.size();
  // One look of the sequential tests.
  const std::vector<ArmStats> st = collect(users_, A, s.pre_revenue, s.pre_clicks);
  const double planned_per_arm = static_cast<double>(config_.sessions) / static_cast<double>(A);
  for (std::size_t a = 1; a < A; ++a) {
    const ArmStats &c = st[0], &t = st[a];
    if (!comparable(c, t)) continue;
    const RatioEstimate rc = delta_method_ratio(c.ctr), rt = delta_method_ratio(t.ctr);
    s.sequential_ctr[a].look(rt.value - rc.value, rc.variance + rt.variance, c.users, t.users,
                             planned_per_arm, config_.alpha);
    s.sequential_rpu[a].look(t.rpu.mean - c.rpu.mean,
                             c.rpu.variance() / c.users + t.rpu.variance() / t.users, c.users,
                             t.users, planned_per_arm, config_.alpha);
  }
  // One point of the charts: per arm the CTR and revenue per user with intervals, and the
  // first comparison's fixed-horizon and always-valid p-values.
  const Json r = parse_json_text(report_json());
  JsonArray arms;
  for (const Json& a : r["arms"].elements()) {
    JsonObject arm;
    arm.add_text("ctr", json_text(a["ctr"]))
        .add_text("revenuePerUser", json_text(a["revenuePerUser"]));
    arms.add(arm);
  }
  JsonObject point;
  point.add("sessions", ab_done_).add_text("arms", arms.text());
  const Json& comparisons = r["comparisons"];
  if (!comparisons.empty()) {
    const Json& ctr = comparisons[0]["ctr"];
    point.add_text("pValue", json_text(ctr["pValue"]))
        .add_text("sequentialP", json_text(ctr["sequentialP"]));
  }
  s.history.push_back(point.text());
  if (s.bandit) {
    const Bandit& b = *s.bandit;
    JsonObject look;
    look.add("sessions", bandit_done_).add("pulls", b.pulls()).add("totalReward", b.total_reward());
    s.bandit_history.push_back(look.text());
  }
}

std::string Experiment::report_json() const {
  const Impl& s = *impl_;
  const std::size_t A = s.arms.size();
  const std::vector<ArmStats> st = collect(users_, A, s.pre_revenue, s.pre_clicks);
  const double alpha = config_.alpha;
  const double z = normal_quantile(1 - alpha / 2);
  JsonObject out;
  out.add("sessions", ab_done_)
      .add("plannedSessions", config_.sessions)
      .add("alpha", alpha)
      .add("seed", config_.seed)
      .add("salt", config_.salt)
      .add("done", done());
  JsonArray arms;
  for (std::size_t a = 0; a < A; ++a) {
    const ArmStats& x = st[a];
    JsonObject arm;
    arm.add("name", s.arms[a].name)
        .add("users", x.users)
        .add("sessions", x.sessions)
        .add("impressions", x.impressions)
        .add("clicks", x.clicks)
        .add("carts", x.carts)
        .add("purchases", x.purchases)
        .add("revenue", x.revenue)
        .add("coverage", s.shown_count[a] / static_cast<double>(s.data.catalog.size()));
    const bool enough = x.users >= 2;
    auto proportion = [&](double k) {
      const double p = x.users > 0 ? k / x.users : 0;
      const double se = x.users > 0 ? std::sqrt(p * (1 - p) / x.users) : 0;
      return interval(p, p - z * se, p + z * se);
    };
    if (enough && x.ctr.mean_x > 0) {
      const RatioEstimate c = delta_method_ratio(x.ctr);
      arm.add("ctr", interval(c.value, c.value - z * std::sqrt(c.variance),
                              c.value + z * std::sqrt(c.variance)));
    } else {
      arm.add("ctr", interval(0, 0, 0));
    }
    arm.add("conversion", proportion(x.converted));
    arm.add("cartRate", proportion(x.carted));
    const double se_rpu = enough ? std::sqrt(x.rpu.variance() / x.users) : 0;
    arm.add("revenuePerUser",
            interval(x.rpu.mean, x.rpu.mean - z * se_rpu, x.rpu.mean + z * se_rpu));
    const double se_cpu = enough ? std::sqrt(x.cpu.variance() / x.users) : 0;
    arm.add("clicksPerUser",
            interval(x.cpu.mean, x.cpu.mean - z * se_cpu, x.cpu.mean + z * se_cpu));
    if (enough && x.aov.mean_x > 0) {
      const RatioEstimate o = delta_method_ratio(x.aov);
      arm.add("aov", interval(o.value, o.value - z * std::sqrt(o.variance),
                              o.value + z * std::sqrt(o.variance)));
    } else {
      arm.add("aov", interval(0, 0, 0));
    }
    arms.add(arm);
  }
  out.add_text("arms", arms.text());

  // Each arm against the control (the first arm).
  JsonArray comps;
  std::vector<std::string> warnings;
  const ArmStats& c = st[0];
  const bool final = ab_done_ >= config_.sessions;
  for (std::size_t a = 1; a < A; ++a) {
    const ArmStats& t = st[a];
    if (!comparable(c, t)) continue;
    JsonObject cmp;
    cmp.add("arm", s.arms[a].name).add("control", s.arms[0].name);
    // CTR (ratio, delta method) with its always-valid p-value.
    JsonObject jc = test_json(ratio_z_test(c.ctr, t.ctr, alpha));
    add_sequential(jc, s.sequential_ctr[a]);
    cmp.add("ctr", jc);
    cmp.add("conversion",
            test_json(two_proportion_z_test(c.converted, c.users, t.converted, t.users, alpha)));
    cmp.add("cartRate",
            test_json(two_proportion_z_test(c.carted, c.users, t.carted, t.users, alpha)));
    // Revenue and clicks per user: Welch, CUPED, the mixture SPRT, the users for 80 % power.
    for (const auto& [key, mc, mt, seq] :
         {std::make_tuple("revenuePerUser", &c.rpu, &t.rpu, &s.sequential_rpu[a]),
          std::make_tuple("clicksPerUser", &c.cpu, &t.cpu,
                          static_cast<const Sequential*>(nullptr))}) {
      const TestResult w = welch_t_test(*mc, *mt, alpha);
      JsonObject j = test_json(w);
      if (mc->variance_x() > 0 || mt->variance_x() > 0) {
        const CupedResult cu = cuped_test(*mc, *mt, alpha);
        JsonObject cuped;
        cuped.add("pValue", cu.test.p_value)
            .add("ciLow", cu.test.ci_low)
            .add("ciHigh", cu.test.ci_high)
            .add("theta", cu.theta)
            .add("varianceReduction", cu.variance_reduction);
        j.add("cuped", cuped);
      }
      const double sd = std::sqrt((mc->variance() + mt->variance()) / 2);
      if (sd > 0 && w.difference != 0) {
        const double d = std::fabs(w.difference) / sd;
        if (d > 1e-4)
          j.add("usersFor80Power", std::ceil(t_test_sample_size(d, 0.8, alpha)));
        else
          j.add_text("usersFor80Power", "null");
      }
      if (seq) add_sequential(j, *seq);
      cmp.add(key, j);
    }
    if (c.aov.mean_x > 0 && t.aov.mean_x > 0 && c.users >= 2 && t.users >= 2)
      cmp.add("aov", test_json(ratio_z_test(c.aov, t.aov, alpha)));
    else
      cmp.add_text("aov", "null");
    comps.add(cmp);
  }
  out.add_text("comparisons", comps.text());
  if (!final && ab_done_ > 0)
    warnings.push_back("fixed-horizon p-values read at " + std::to_string(ab_done_) + " of the " +
                       std::to_string(config_.sessions) +
                       " planned sessions are not valid yet: read the sequential p-values "
                       "(always valid) until the planned size");
  // Sample-ratio mismatch over the users assigned so far.
  std::vector<double> counts;
  for (const auto& x : st) counts.push_back(x.users);
  double total = 0;
  for (double n : counts) total += n;
  if (total > 0) {
    const SrmResult srm = srm_check(counts, s.weights);
    JsonObject j;
    j.add("chiSquare", srm.chi_square)
        .add("pValue", srm.p_value)
        .add("mismatch", srm.mismatch)
        .add("users", counts)
        .add("weights", s.weights);
    out.add("srm", j);
    if (srm.mismatch)
      warnings.push_back("sample-ratio mismatch (p = " + format_readable(srm.p_value) +
                         "): the split is broken, do not read the results");
  }
  out.add("warnings", warnings);
  out.add_text("history", array_text(s.history));

  if (s.bandit) {
    const Bandit& b = *s.bandit;
    std::vector<double> means;
    for (int a = 0; a < b.arms(); ++a) means.push_back(b.mean(a));
    // Regret against the best arm in hindsight: each arm's value per session from the A/B test
    // (independent sessions) when it has 30 sessions, else the bandit's own mean.
    std::vector<double> value(A, 0);
    for (std::size_t a = 0; a < A; ++a) {
      const double n = s.ab_sessions[a];
      value[a] = n >= 30 ? (config_.bandit.revenue ? s.ab_revenue[a] : s.ab_click_sessions[a]) / n
                         : b.mean(static_cast<int>(a));
    }
    const double best = *std::max_element(value.begin(), value.end());
    JsonObject jb;
    jb.add("policy", bandit_policy_name(b.config().policy))
        .add("reward", config_.bandit.revenue ? "revenue" : "clicks")
        .add("sessions", bandit_done_)
        .add("plannedSessions", config_.bandit.sessions)
        .add("pulls", b.pulls())
        .add("means", means)
        .add("totalReward", b.total_reward())
        .add("regret", best * b.steps() - b.total_reward())
        .add_text("history", array_text(s.bandit_history));
    out.add("bandit", jb);
  }
  if (config_.ope.enabled) {
    const double n = s.ips.n;
    JsonObject jo;
    jo.add("logging", s.arms[static_cast<std::size_t>(s.logging)].name)
        .add("target", s.arms[static_cast<std::size_t>(s.target)].name)
        .add("epsilon", config_.ope.epsilon)
        .add("sessions", ope_done_)
        .add("plannedSessions", config_.ope.sessions)
        .add("counts", s.ope_counts);
    if (n >= 2) {
      auto est = [&](const Moments& m) {
        const double se = std::sqrt(m.variance() / m.n);
        return interval(m.mean, m.mean - z * se, m.mean + z * se);
      };
      jo.add("truth", est(s.truth));
      jo.add("ips", est(s.ips));
      jo.add("dr", est(s.dr));
      jo.add("dm", est(s.dm));  // the reward model alone (the direct method)
      if (s.snips.mean_x > 0) {
        const RatioEstimate r = delta_method_ratio(s.snips);
        jo.add("snips", interval(r.value, r.value - z * std::sqrt(r.variance),
                                 r.value + z * std::sqrt(r.variance)));
      }
    }
    out.add("ope", jo);
  }
  return out.text();
}

}  // namespace recsys::experiment
