// RECSYS_LOOP marks a function that holds a loop run once per load: over every item, user or
// event of a model file, a shop file or a recommender's data.
//
// Why: a WebAssembly engine first runs baseline code (V8's Liftoff) and tiers a function up to
// its optimising compiler once the function's loops have run long enough; there is no
// on-stack replacement, so the optimised code serves the function's next call only. A loader or a
// constructor that runs once and holds such a loop inline is compiled a second time for nothing,
// and a large one is expensive to compile: on a cold Recommend page in this machine's Chromium,
// TwoTowerFile::load_parsed took 435 ms of a background core, the model's other loaders and the
// recommender's constructor 60-100 ms each (1.35 s in all, against the page's main thread for the
// 2 cores; --js-flags=--trace-wasm-compilation-times). With the loop in a small function of its
// own, the loop's code is what tiers up, it is cheap to compile, and every later call uses it
// (210-255 ms in all after this change, the same page, in the LTO-linked build too).
//
// noinline keeps the compiler from folding the loop back into its caller; the serving engine's
// link keeps Binaryen from doing so (it inlines every function with a single caller unless told
// otherwise: RECSYS_ONE_CALLER_INLINE in CMakeLists.txt, and common/eigen_inline.h).
#pragma once

#define RECSYS_LOOP __attribute__((noinline))
