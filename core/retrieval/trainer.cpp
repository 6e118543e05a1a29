#include "retrieval/trainer.h"

#include <cmath>
#include <numeric>

#include "common/check.h"
#include "common/clock.h"
#include "common/parallel.h"

namespace recsys {

Trainer::Trainer(TwoTowerModel& model, Interactions train, TrainerOptions options,
                 Validator validator)
    : model_(model),
      train_(std::move(train)),
      options_(options),
      validator_(std::move(validator)),
      adam_(nn::AdamConfig{model.config().learning_rate}),
      anon_rng_(model.config().seed, 13),
      negative_rng_(model.config().seed, 17) {
  RECSYS_CHECK(train_.num_items() == model.num_items(), "trainer: the training data has ",
               train_.num_items(), " items but the model ", model.num_items());
  RECSYS_CHECK(train_.num_users() == model.num_users(), "trainer: the training data has ",
               train_.num_users(), " users but the model ", model.num_users());
  RECSYS_CHECK(!train_.empty(), "trainer: no training events");
  RECSYS_CHECK(options_.early_stopping_patience >= 0,
               "trainer: early_stopping_patience must be >= 0, got ",
               options_.early_stopping_patience);
  params_ = model_.parameters();
  slots_.resize(params_.size());
  const auto& ev = train_.events();
  examples_.reserve(ev.size());
  std::vector<std::int32_t> last_user(static_cast<std::size_t>(model.num_items()), -1);
  for (std::size_t k = 0; k < ev.size(); ++k) {
    const bool is_new = last_user[ev[k].item] != ev[k].user;  // events are grouped by user
    last_user[ev[k].item] = ev[k].user;
    if (options_.new_items_only && !is_new) continue;
    examples_.push_back(Example{ev[k].user, ev[k].item, static_cast<std::int64_t>(k)});
  }
  RECSYS_CHECK(!examples_.empty(), "trainer: no training examples");
  // Log-Q: the probability that an item is sampled into a batch is its share of the examples.
  std::vector<double> counts(static_cast<std::size_t>(model.num_items()), 0);
  for (const auto& e : examples_) counts[e.item] += 1;
  log_q_.resize(counts.size());
  for (std::size_t i = 0; i < counts.size(); ++i)
    log_q_[i] = static_cast<float>(std::log(std::max(counts[i], 0.5) / examples_.size()));
}

std::int64_t Trainer::steps_per_epoch() const {
  const std::int64_t b = model_.config().batch_size;
  return (static_cast<std::int64_t>(examples_.size()) + b - 1) / b;
}

TrainingBatch Trainer::make_batch(const std::vector<std::int64_t>& ids, Rng* anonymous_rng,
                                  Rng* negative_rng) const {
  TrainingBatch b;
  const auto& cfg = model_.config();
  const auto& ev = train_.events();
  const auto& offsets = train_.offsets();
  if (cfg.has_history()) b.history_offsets.push_back(0);
  std::vector<std::int32_t> history;
  for (std::int64_t id : ids) {
    const Example& x = examples_[static_cast<std::size_t>(id)];
    const bool anonymous =
        anonymous_rng && cfg.anonymous_rate > 0 && anonymous_rng->uniform() < cfg.anonymous_rate;
    b.users.push_back(anonymous ? -1 : x.user);
    b.items.push_back(x.item);
    if (cfg.log_q_correction) b.log_q.push_back(log_q_[x.item]);
    if (cfg.has_history()) {
      // The user's events before this one, most recent first.
      const std::int64_t first = offsets[x.user];
      // The items of the user's earlier events, oldest first (a window wide enough for the
      // distinct selection), then the model picks what it pools.
      const std::int64_t window =
          cfg.history_distinct ? 8 * cfg.history_length : cfg.history_length;
      history.clear();
      for (std::int64_t k = std::max(first, x.event - window); k < x.event; ++k)
        history.push_back(ev[static_cast<std::size_t>(k)].item);
      model_.select_history(history.data(), history.size(), b.history_items);
      b.history_offsets.push_back(static_cast<std::int32_t>(b.history_items.size()));
    }
  }
  const int M = cfg.uniform_negatives;
  if (M > 0 && negative_rng) {
    // Mixed negatives: M items drawn uniformly. The candidates then come from a mixture, so each
    // one's log-Q is the log of its expected count among them: B · P(item) + M / N.
    const auto N = static_cast<std::uint32_t>(model_.num_items());
    for (int k = 0; k < M; ++k)
      b.negatives.push_back(static_cast<std::int32_t>(negative_rng->below(N)));
    if (cfg.log_q_correction) {
      const double B = static_cast<double>(b.items.size()), uniform = M / static_cast<double>(N);
      b.log_q.clear();
      for (std::int32_t i : b.candidates())
        b.log_q.push_back(static_cast<float>(std::log(B * std::exp(double{log_q_[i]}) + uniform)));
    }
  }
  return b;
}

void Trainer::start_epoch() {
  ++epoch_;
  order_.resize(examples_.size());
  std::iota(order_.begin(), order_.end(), 0);
  Rng shuffle_rng(model_.config().seed, 1000 + static_cast<std::uint64_t>(epoch_));
  shuffle_rng.shuffle(order_);
  cursor_ = 0;
  epoch_loss_ = 0;
  epoch_steps_ = 0;
  epoch_seconds_ = 0;
}

const EpochReport& Trainer::current_epoch() const {
  RECSYS_CHECK_STATE(!history_.empty(), "trainer: no epoch has finished yet");
  if (restored_ && best_epoch_ > 0) return history_[static_cast<std::size_t>(best_epoch_ - 1)];
  return history_.back();
}

void Trainer::flush() {
  if (model_.config().embedding_optimizer != "adam") return;
  for (std::size_t k = 0; k < params_.size(); ++k)
    if (params_[k].embedding) adam_.flush(*params_[k].value, slots_[k]);
}

void Trainer::snapshot() {
  best_params_.clear();
  for (const auto& p : params_) best_params_.push_back(*p.value);
}

void Trainer::restore() {
  for (std::size_t k = 0; k < params_.size() && k < best_params_.size(); ++k)
    *params_[k].value = best_params_[k];
}

void Trainer::finish_epoch(StepReport& report) {
  EpochReport e;
  e.epoch = epoch_;
  e.mean_loss = epoch_steps_ ? epoch_loss_ / epoch_steps_ : 0;
  e.seconds = epoch_seconds_;
  e.examples = static_cast<std::int64_t>(examples_.size());
  const bool validate = has_validation();
  if (validate) e.validation_recall = validation_score();
  history_.push_back(e);
  report.finished_epochs.push_back(e);
  if (validate) {
    if (e.validation_recall > best_recall_) {
      best_recall_ = e.validation_recall;
      best_epoch_ = e.epoch;
      epochs_since_best_ = 0;
      if (options_.restore_best && options_.early_stopping_patience > 0) snapshot();
    } else if (++epochs_since_best_ >= options_.early_stopping_patience &&
               options_.early_stopping_patience > 0) {
      stopped_early_ = true;
      done_ = true;
      if (options_.restore_best) {
        restore();
        restored_ = true;
      }
    }
  }
  if (epoch_ >= model_.config().epochs) done_ = true;
}

StepReport Trainer::train_steps(std::int64_t n) {
  RECSYS_CHECK(n >= 1, "train_steps: n must be >= 1, got ", n);
  model_.weights_changed();
  StepReport r;
  double loss_sum = 0, train_seconds = 0;
  const std::size_t B = static_cast<std::size_t>(model_.config().batch_size);
  std::vector<std::int64_t> ids;
  while (r.steps < n && !done_) {
    if (epoch_ == 0 || cursor_ >= order_.size()) start_epoch();
    const double t0 = monotonic_seconds();
    const std::size_t end = std::min(order_.size(), cursor_ + B);
    ids.assign(order_.begin() + static_cast<std::ptrdiff_t>(cursor_),
               order_.begin() + static_cast<std::ptrdiff_t>(end));
    const TrainingBatch batch = make_batch(ids, &anon_rng_, &negative_rng_);
    const float loss = model_.compute_gradients(batch);
    RECSYS_CHECK_STATE(std::isfinite(loss), "training diverged: the loss is ", loss, " at step ",
                       total_steps_ + 1, " (try a lower learning rate)");
    adam_.begin_step();
    const bool lazy = model_.config().embedding_optimizer == "lazy_adam";
    // The tensors update independently: pieces of one hand-off (parallel.h). An embedding table
    // with 64 or more gradient rows (the seed model's user ids, a catch-up each; the default
    // model's hashed ids) is two pieces, one per half of its rows, so that neither thread waits on
    // it alone. (The rows are distinct: the halves touch different rows of the table and slot.)
    pieces_.clear();
    const bool halves = parallel::by_pieces();
    for (std::size_t k = 0; k < params_.size(); ++k) {
      const auto& p = params_[k];
      const auto rows = p.embedding ? static_cast<std::int64_t>(p.embedding->grad_rows.size()) : 0;
      if (p.embedding && halves && rows >= 64) {
        adam_.prepare_rows(*p.value, slots_[k], !lazy);
        pieces_.push_back({k, 0, rows / 2});
        pieces_.push_back({k, rows / 2, rows});
      } else {
        pieces_.push_back({k, 0, -1});  // the whole tensor (split inside across 3+ threads)
      }
    }
    parallel::for_pieces(static_cast<int>(pieces_.size()), [&](int t) {
      const Piece& piece = pieces_[static_cast<std::size_t>(t)];
      auto& p = params_[piece.param];
      nn::AdamSlot& slot = slots_[piece.param];
      if (!p.embedding) {
        adam_.update(*p.value, *p.dense_grad, slot);
        return;
      }
      const auto& rows = p.embedding->grad_rows;
      const nn::Matrix& grad = p.embedding->grad;
      if (piece.end < 0 && lazy)
        adam_.update_rows(*p.value, rows, grad, slot);
      else if (piece.end < 0)
        adam_.update_rows_catch_up(*p.value, rows, grad, slot);
      else if (lazy)
        adam_.update_rows(*p.value, rows, grad, slot, piece.begin, piece.end);
      else
        adam_.update_rows_catch_up(*p.value, rows, grad, slot, piece.begin, piece.end);
    });
    const double dt = monotonic_seconds() - t0;
    train_seconds += dt;
    epoch_seconds_ += dt;
    cursor_ = end;
    if (cursor_ >= order_.size()) flush();  // validation reads every row
    loss_sum += loss;
    epoch_loss_ += loss;
    ++epoch_steps_;
    ++total_steps_;
    ++r.steps;
    r.examples += static_cast<std::int64_t>(ids.size());
    if (cursor_ >= order_.size()) finish_epoch(r);
  }
  flush();  // between calls the model's weights are up to date
  r.mean_loss = r.steps ? loss_sum / r.steps : 0;
  r.seconds = train_seconds;
  r.examples_per_second = train_seconds > 0 ? r.examples / train_seconds : 0;
  r.epoch = epoch_;
  r.step_in_epoch = epoch_steps_;
  r.steps_per_epoch = steps_per_epoch();
  r.total_steps = total_steps_;
  r.done = done_;
  r.stopped_early = stopped_early_;
  return r;
}

StepReport Trainer::train_epoch() {
  if (epoch_ == 0 || cursor_ >= order_.size()) return train_steps(steps_per_epoch());
  return train_steps(steps_per_epoch() - epoch_steps_);
}

}  // namespace recsys
