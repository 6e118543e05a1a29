// Included first in every source of the WebAssembly core that the full and serving engines link
// (recsys_core_lto) and of the one the wasm unit tests link (CMakeLists.txt). Eigen's coefficient
// accessors and packet loops are EIGEN_STRONG_INLINE, a plain `inline` that -Os leaves as calls.
// Binaryen used to inline them at link, as it inlines every function with a single caller; the
// serving engine's link no longer does that for functions over a few bytes (common/tiering.h),
// so they are always inlined by the compiler instead, where they are used (without this, 10,000
// warm recommend() calls took 1.38x as long in Node 20, whose V8 does not inline them either).
#pragma once

#define EIGEN_STRONG_INLINE inline __attribute__((always_inline))
