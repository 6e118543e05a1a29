// The candidate ranker: a small MLP that scores the candidates the scene's sources propose, from
// features of the candidate and the user (each source's normalised score, presence and reciprocal
// rank; the two-tower score; popularity and trend; price against the user's price level; the
// user's affinity to the item's category and brand; how often and how recently the user had the
// item; the user's activity). Trained for the task it serves: at a cut inside the fit period, the
// candidates the scene proposes from the logs before the cut are labelled by whether the user had
// them in the window after it (sigmoid cross-entropy, Adam). Its probability becomes the
// candidate's relevance in score_candidates.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "data/dataset.h"
#include "nn/adam.h"
#include "nn/layers.h"
#include "serving/stages.h"

namespace recsys {

struct RecommenderOptions;

struct CandidateRankerConfig {
  std::vector<int> hidden = {32, 16};
  int epochs = 6;
  int batch_size = 256;
  float learning_rate = 3e-3f;
  double window_days = 30;  // the label window: the last window_days of the fit logs
  // "window": the cut is window_days before the logs' last event, the labels what each user had
  // after it (for temporal evaluation); "last": each user's own last event is the label and the
  // events before it the history (for leave-last-out evaluation).
  std::string holdout = "window";
  std::uint64_t seed = 11;
  // The training candidates exclude the items each user had before the cut (the explore
  // protocol); off: they may come back (repeat).
  bool exclude_seen = true;
  // "listwise": softmax cross-entropy over each user's candidates (the held-out items share the
  // target); "pointwise": sigmoid cross-entropy per candidate.
  std::string objective = "listwise";
  void validate() const;
  // Merges onto `base`: {"hidden", "epochs", "batch_size", "learning_rate", "window_days",
  // "holdout", "seed", "exclude_seen", "objective"}; unknown keys and bad values are errors naming them.
  static CandidateRankerConfig from_json(std::string_view json,
                                         const CandidateRankerConfig& base);
  static CandidateRankerConfig from_json(std::string_view json);
};

class CandidateRanker {
 public:
  static constexpr int kFeatures = 3 * kNumSources + 13;
  static std::vector<std::string> feature_names();

  CandidateRanker(const CandidateRankerConfig& config, std::vector<float> mean,
                  std::vector<float> scale);
  // X (candidates × kFeatures): the raw features of each candidate for the request.
  static void features(const ServingState& s, const ResolvedRequest& r,
                       const std::vector<float>& user, const std::vector<Candidate>& candidates,
                       nn::Matrix& X);
  // P(the user has the candidate next), one per row of raw features.
  void predict(const nn::Matrix& X, std::vector<float>& out) const;
  // One epoch of minibatch Adam; groups: the first row of each user's candidates (ascending),
  // the batches are whole users for the listwise objective. Returns the mean loss.
  float train_epoch(const nn::Matrix& X, const std::vector<float>& labels,
                    const std::vector<std::size_t>& groups, Rng& rng);
  const CandidateRankerConfig& config() const { return config_; }

  // What it was fitted for, kept in model files: the scene whose candidates it saw and the
  // strategy (JSON) that defined the scene; the cut and the size of its training set.
  struct Fitted {
    std::string scene, strategy_json;
    std::int64_t cut = 0, examples = 0, positives = 0;
    std::int32_t users = 0;
  };
  const Fitted& fitted() const { return fitted_; }
  void set_fitted(Fitted f) { fitted_ = std::move(f); }

  // Model files (io/two_tower_file.h): the tensors by name (candidate_ranker/mean, /scale, then
  // candidate_ranker/dense_L/kernel and /bias) and the manifest's entry {"config", "features",
  // "scene", "strategy", "fit"}.
  std::vector<std::pair<std::string, nn::Matrix*>> tensors();
  std::string manifest_json() const;
  // A ranker of the manifest entry's shape with zero weights (fill them through tensors()); an
  // entry of another feature list (another version of the product) is an error naming both.
  static std::shared_ptr<CandidateRanker> from_manifest_json(std::string_view json,
                                                             const std::string& where);

 private:
  void standardise(const nn::Matrix& X, nn::Matrix& Z) const;
  // Forward and backward over rows of Z with the logits' gradient from `loss`; one Adam step.
  template <class Loss>
  float step(const nn::Matrix& Z, const std::vector<std::size_t>& rows, Loss&& loss);
  CandidateRankerConfig config_;
  nn::Matrix mean_, scale_;  // 1 × kFeatures: Z = (X - mean) · scale
  std::vector<nn::Dense> layers_;  // hidden ReLU layers, then one logit
  std::vector<nn::AdamSlot> slots_;  // W and b of each layer
  std::unique_ptr<nn::Adam> adam_;
  Fitted fitted_;
};

struct CandidateRankerFit {
  std::shared_ptr<CandidateRanker> ranker;
  std::int64_t examples = 0, positives = 0;
  std::int32_t users = 0;
  std::int64_t cut = 0;  // the cut's timestamp
  std::vector<double> epoch_losses;
};

// The cut of a fit: window_days before the last event of the logs (which must not be empty).
std::int64_t candidate_ranker_cut(const Interactions& logs, double window_days);

// The logs a fit's candidates and features come from: the events before the cut (holdout
// "window"), or all but each user's last event ("last").
Interactions candidate_ranker_history(const Interactions& logs, const CandidateRankerConfig& config);

// Fits a candidate ranker for `scene` of a Recommender over `model` with these options, on
// `data` (the catalog and the fit logs): the cut is window_days before the logs' last event (or,
// with holdout "last", each user's last event).
// `features_model` (optional) is a two-tower trained only on the logs before the cut, so that the
// personal features of the training rows are not inflated by the window they are labelled from;
// without it the serving model is used.
CandidateRankerFit fit_candidate_ranker(std::shared_ptr<const TwoTowerModel> model,
                                        const Dataset& data, const RecommenderOptions& options,
                                        const std::string& scene,
                                        const CandidateRankerConfig& config,
                                        std::shared_ptr<const TwoTowerModel> features_model = nullptr);

}  // namespace recsys
