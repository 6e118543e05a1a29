// One libFuzzer executable per target (RECSYS_FUZZ_TARGET names it; CMakeLists.txt, npm run fuzz).
#include <cstdlib>
#include <cstring>

#include "targets.h"

#ifndef RECSYS_FUZZ_TARGET
#error "RECSYS_FUZZ_TARGET must name a target of tests/fuzz/targets.h"
#endif

namespace {
recsys::fuzz::Target find() {
  for (const auto& t : recsys::fuzz::targets())
    if (std::strcmp(t.name, RECSYS_FUZZ_TARGET) == 0) return t.run;
  std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
  static const recsys::fuzz::Target run = find();
  run(data, size);
  return 0;
}
