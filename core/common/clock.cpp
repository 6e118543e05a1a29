#include "common/clock.h"

#include <time.h>

#include <chrono>

namespace recsys {

double monotonic_seconds() {
#ifdef CLOCK_MONOTONIC
  // POSIX (performance.now() under WebAssembly), read without a throwing wrapper.
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
#else
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
#endif
}

}  // namespace recsys
