// The fuzz targets (tests/fuzz/targets.h) over their committed seed corpus and every input that
// once crashed one (tests/fuzz/regressions/<target>/): each must run to the end — bad input is
// refused with a recsys::Error inside the target, nothing else may escape.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "targets.h"

namespace fs = std::filesystem;

TEST_CASE("the fuzz targets run their corpus and every past crash cleanly", "[fuzz]") {
  const fs::path root = fs::path(RECSYS_SOURCE_DIR) / "tests" / "fuzz";
  int inputs = 0;
  for (const auto& t : recsys::fuzz::targets()) {
    int mine = 0;
    for (const char* kind : {"corpus", "regressions"}) {
      const fs::path dir = root / kind / t.name;
      if (!fs::is_directory(dir)) continue;
      for (const auto& f : fs::directory_iterator(dir)) {
        std::ifstream in(f.path(), std::ios::binary);
        std::stringstream ss;
        ss << in.rdbuf();
        const std::string bytes = ss.str();
        INFO(t.name << ": " << f.path().filename().string());
        CHECK_NOTHROW(t.run(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
        ++mine;
      }
    }
    INFO("target " << t.name);
    CHECK(mine >= 1);  // every target has a seed
    inputs += mine;
  }
  CHECK(inputs >= 7);
}
