// Catch2's main, plus one option of ours: --fixture-dir DIR, where the shared fixture
// (fixture.h) is read from, or written by the hidden test case "[.fixture-setup]". ctest passes
// it to every test, and runs the setup first (CTest fixtures, see CMakeLists.txt); run by hand,
// the binary builds the fixture in memory.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstring>
#include <vector>

#include "fixture.h"

int main(int argc, char** argv) {
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--fixture-dir") == 0 && i + 1 < argc) {
      recsys::test::set_fixture_dir(argv[++i]);
      continue;
    }
    args.push_back(argv[i]);
  }
  return Catch::Session().run(static_cast<int>(args.size()), args.data());
}
