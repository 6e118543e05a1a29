// Two-tower model files: the weights as safetensors (model.safetensors) and a JSON manifest
// (manifest.json) holding the format version, preset, config, vocabularies, hashing spec, price
// normalisation, the item features the item tower reads, and training metadata. Save -> load is
// bit-exact. The tensor names and shapes are documented in docs/model-format.md so that towers
// trained elsewhere (PyTorch, TFRS) can be exported into this format.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ranking/ranking_model.h"
#include "retrieval/training_info.h"
#include "retrieval/two_tower.h"
#include "serving/candidate_ranker.h"

namespace recsys {

// TrainingInfo as JSON (the manifest's "training" object) and back; unknown keys are ignored.
std::string training_info_json(const TrainingInfo& info);
TrainingInfo training_info_from_json(std::string_view json);

struct ModelFiles {
  std::string weights;   // model.safetensors bytes
  std::string manifest;  // manifest.json text
};

// The newest format version this build reads: 1 (float32 weights), 2 (adds "precision": f16 or
// int8 weights), 3 (a user table that holds only the rows known users reach, with the tensor
// user/id_embedding.kept; docs/model-format.md). Files are written at the lowest version that
// holds them.
constexpr int kTwoTowerFormatVersion = 3;
// The largest files load() reads (a file from an untrusted place is refused before parsing).
constexpr std::uint64_t kMaxWeightsBytes = 2048ull << 20;
constexpr std::uint64_t kMaxManifestBytes = 512ull << 20;

class TwoTowerFile {
 public:
  // With a ranker, its tensors (ranking/...) join the weights and the manifest gets "ranking":
  // {"config", "item_counts"} (a ranker belongs to the model it was trained on). With a candidate
  // ranker, its tensors (candidate_ranker/...) join them and the manifest gets
  // "candidate_ranker": {"config", "features", "scene", "strategy", "fit"}.
  // precision: "f32" (bit-exact round trip), "f16" or "int8" (the two-tower tensors quantised,
  // docs/model-format.md; loading dequantises them to floats).
  // prune_user_rows: a file for serving, whose hashed user table (config user_buckets > 0) holds
  // only the rows that the model's users and the anonymous row reach, with the tensor
  // user/id_embedding.kept (format version 3). Every user and anonymous request gets the same
  // vectors and lists from it; the rows left out (never read when serving: an unknown user is
  // refused or served as anonymous) load as zeros. With nothing to leave out (user_buckets 0, or
  // every row reached) the file is the one written without it.
  static ModelFiles save(const TwoTowerModel& model, const TrainingInfo& info = TrainingInfo(),
                         RankingModel* ranker = nullptr,
                         const CandidateRanker* candidate_ranker = nullptr,
                         const std::string& precision = "f32", bool prune_user_rows = false);
  // Validates everything (format, version, config, vocabularies, every tensor's name, dtype and
  // shape, the file's size) before returning; a bad file is an Error and no model is built.
  static TwoTowerModel load(std::string_view weights, std::string_view manifest,
                            const std::string& source = "model");
  // The ranker stored with a model (loaded from the same files), or null when there is none.
  static std::shared_ptr<RankingModel> load_ranker(std::string_view weights,
                                                   std::string_view manifest,
                                                   std::shared_ptr<const TwoTowerModel> model,
                                                   const std::string& source = "model");
  // The candidate ranker stored with a model, or null when there is none; every tensor's name,
  // dtype and shape and the feature list are checked first.
  static std::shared_ptr<CandidateRanker> load_candidate_ranker(std::string_view weights,
                                                                std::string_view manifest,
                                                                const std::string& source = "model");
  // The training metadata of a manifest.
  static TrainingInfo training_info(std::string_view manifest);

  // load, load_ranker and load_candidate_ranker in one pass over the files: the manifest and the
  // weights are parsed and validated once (what the JS API's loadModel calls). Null ranker /
  // candidate when the files have none.
  struct LoadedModel {
    std::shared_ptr<TwoTowerModel> model;
    std::shared_ptr<RankingModel> ranker;
    std::shared_ptr<CandidateRanker> candidate;
  };
  static LoadedModel load_all(std::string_view weights, std::string_view manifest,
                              const std::string& source = "model");

 private:
  struct Parsed;  // the manifest and the weights of one load (two_tower_file.cpp)
  // The size limits, then the manifest parsed; the weights are read on first use.
  static Parsed parse_files(std::string_view weights, std::string_view manifest,
                            const std::string& source);
  static TwoTowerModel load_parsed(Parsed& p);
  static std::shared_ptr<RankingModel> load_ranker_parsed(Parsed& p,
                                                          std::shared_ptr<const TwoTowerModel> model);
  static std::shared_ptr<CandidateRanker> load_candidate_ranker_parsed(Parsed& p);
};

}  // namespace recsys
