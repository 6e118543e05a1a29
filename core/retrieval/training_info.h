// What a training run reports about the model it made: stored in the model manifest's "training"
// object (io/two_tower_file.h reads and writes it) and shown by the CLI and the pages.
#pragma once

#include <cstdint>
#include <string>

namespace recsys {

struct TrainingInfo {
  std::string dataset;
  std::int32_t epochs = 0;      // epochs run
  std::int32_t best_epoch = 0;  // the epoch whose weights the model holds
  std::int64_t examples_per_epoch = 0;
  double final_loss = 0;
  double validation_recall_at_10 = -1;  // -1 when not measured
  double popularity_recall_at_10 = -1;
  double seconds = 0;
};

}  // namespace recsys
