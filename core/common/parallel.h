// A small fork-join pool for the numeric kernels: the caller and threads() - 1 helpers split a
// loop into contiguous chunks. Every chunk computes what the one-thread loop computes for its
// range, in the same order, so results do not depend on the thread count (bit for bit; the
// kernels that use it are tested for that). Without thread support (the single-thread wasm
// engine) there is one thread and every loop runs inline.
#pragma once

#include <cstdint>

#include "common/function_ref.h"

namespace recsys::parallel {

// True when this build can run threads (native, and the wasm engine built with -pthread).
bool supported();
// The most threads set_threads accepts: 1 without thread support, else kMaxThreads.
int max_threads();
constexpr int kMaxThreads = 16;
// Threads used by parallel loops, the caller included (1 = everything inline; the default).
int threads();
// Sets the thread count (1 .. max_threads()); helpers start or stop here, not inside a loop.
// Not to be called from inside a parallel loop.
void set_threads(int n);

// Runs body(begin, end) over [0, n) split into at most threads() contiguous chunks whose
// boundaries are multiples of `align`, and returns when all are done. Runs inline when
// threads() == 1, n < 2 * min_chunk, or when called from inside a parallel loop. An exception
// thrown by a chunk is rethrown here (the first chunk's, by position).
void for_chunks(std::int64_t n, std::int64_t align, std::int64_t min_chunk,
                const FunctionRef<void(std::int64_t, std::int64_t)>& body);

// Runs the tasks task(0) .. task(count - 1) on the pool (the caller takes its share) and returns
// when all are done; inline under the same conditions as for_chunks.
void for_tasks(int count, const FunctionRef<void(int)>& task);

// Runs piece(0) .. piece(count - 1), independent pieces of one small step (the two towers of a
// training step, the tensors of an optimizer step). With threads() == 2 the two threads claim
// whole pieces one by one: one hand-off for the lot beats splitting each small kernel in two (a
// hand-off per kernel, packing done twice). Otherwise the pieces run one after the other, each
// splitting its own loops across threads(). Inside a piece loops run inline, and a piece computes
// what it computes alone, so results stay the same on any thread count.
void for_pieces(int count, const FunctionRef<void(int)>& piece);
// True when for_pieces shares its pieces between threads (threads() == 2, outside a loop): for a
// caller that cuts its work into pieces only then.
bool by_pieces();
// for_pieces over a() and b().
void side_by_side(const FunctionRef<void()>& a, const FunctionRef<void()>& b);

}  // namespace recsys::parallel
