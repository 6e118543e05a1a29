// A monotonic clock in seconds, for the durations that training and evaluation report.
#pragma once

namespace recsys {

// Seconds from an arbitrary start, never going back: clock_gettime(CLOCK_MONOTONIC), which is
// performance.now() in WebAssembly. libc++'s steady_clock::now() wraps the same call in a check
// that throws system_error, and so links the error categories' messages and, through them, all
// of printf: 6 KB gzipped of the full engine.
double monotonic_seconds();

}  // namespace recsys
