// Resolves the CLI's --data argument to a dataset: "synthetic", "online-retail" (the committed
// extract in data/online_retail, or the raw UCI CSV when given as a file), or a folder holding
// catalog.(csv|json) + interactions.(csv|json).
#pragma once

#include <string>

#include "data/dataset.h"
#include "data/synthetic.h"

namespace recsys::cli {

// Reads a whole file; ".gz" files are decompressed with zlib. Throws naming the path.
std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& text);
void make_dirs(const std::string& path);
bool file_exists(const std::string& path);

// Folder holding the default data (data/ in the source tree, or $RECSYS_DATA).
std::string data_dir();

Dataset load_dataset(const std::string& spec, const SyntheticConfig& synthetic = SyntheticConfig());

}  // namespace recsys::cli
