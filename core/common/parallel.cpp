#include "common/parallel.h"

#include <exception>
#include <vector>

#include "common/check.h"

#if !defined(__EMSCRIPTEN__) || defined(__EMSCRIPTEN_PTHREADS__)
#define RECSYS_HAVE_THREADS 1
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#endif

namespace recsys::parallel {

namespace {

#if defined(__wasm__) && !defined(__wasm_atomics__)
// WebAssembly without atomics has one thread; a thread_local there would need the atomics
// feature once bulk memory is on (wasm-ld refuses thread-local storage without it).
bool in_loop = false;
#else
thread_local bool in_loop = false;
#endif

struct InLoop {
  bool was;
  InLoop() : was(in_loop) { in_loop = true; }
  ~InLoop() { in_loop = was; }
};

// Runs task(i) for i claimed from `next` until none is left; records the first error per task.
template <class Next>
void drain(Next& next, int count, const FunctionRef<void(int)>& task,
           std::vector<std::exception_ptr>& errors) {
  for (int i = next(); i < count; i = next()) {
    try {
      task(i);
    } catch (...) {
      errors[static_cast<std::size_t>(i)] = std::current_exception();
    }
  }
}

void rethrow_first(const std::vector<std::exception_ptr>& errors) {
  for (const auto& e : errors)
    if (e) std::rethrow_exception(e);
}

#ifdef RECSYS_HAVE_THREADS
// Helpers wait for a new generation: a short spin (loops of one training step follow each other
// within microseconds), then a condition variable. The caller claims tasks too, then waits for the
// helpers still running one.
class Pool {
 public:
  ~Pool() { resize(0); }

  int helpers() const { return static_cast<int>(workers_.size()); }

  void resize(int n) {
    if (n == helpers()) return;
    stop_.store(true);
    generation_.fetch_add(1);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      wake_.notify_all();
    }
    for (auto& t : workers_) t.join();
    workers_.clear();
    stop_.store(false);
    // Each helper starts from the generation of now: a loop posted before it runs is not missed.
    const std::uint64_t now = generation_.load();
    for (int k = 0; k < n; ++k) workers_.emplace_back([this, now] { work(now); });
  }

  // The hand-off takes no lock: the job is written, then the generation is bumped (a release);
  // a spinning helper sees it within a few hundred nanoseconds. A lock here made the helper block
  // on a contended mutex, and in wasm a futex wake-up takes longer than the loop itself.
  void run(int count, const FunctionRef<void(int)>& task) {
    std::vector<std::exception_ptr> errors(static_cast<std::size_t>(count));
    task_ = &task;
    errors_ = &errors;
    count_ = count;
    next_.store(0);
    active_.store(helpers());
    generation_.fetch_add(1);
    if (sleepers_.load() > 0) {  // sequentially consistent with the helper's check: no lost wake-up
      std::lock_guard<std::mutex> lock(mutex_);
      wake_.notify_all();
    }
    {
      InLoop guard;
      auto next = [this] { return next_.fetch_add(1); };
      drain(next, count, task, errors);
    }
    // Wait until every helper has left this generation (so that task_ and errors can go).
    if (!spin_until([this] { return active_.load() == 0; })) {
      std::unique_lock<std::mutex> lock(mutex_);
      caller_waiting_.store(true);
      done_.wait(lock, [this] { return active_.load() == 0; });
      caller_waiting_.store(false);
    }
    rethrow_first(errors);
  }

 private:
  void work(std::uint64_t seen) {
    in_loop = true;
    for (;;) {
      if (!spin_until([&] { return generation_.load() != seen; })) {
        std::unique_lock<std::mutex> lock(mutex_);
        sleepers_.fetch_add(1);
        wake_.wait(lock, [&] { return generation_.load() != seen; });
        sleepers_.fetch_sub(1);
      }
      seen = generation_.load();
      if (stop_.load()) return;
      auto next = [this] { return next_.fetch_add(1); };
      drain(next, count_, *task_, *errors_);
      if (active_.fetch_sub(1) == 1 && caller_waiting_.load()) {
        std::lock_guard<std::mutex> lock(mutex_);
        done_.notify_all();
      }
    }
  }

  // Polls ready() for up to 300 µs (the gap between the loops of a training step, or a batch's
  // serial part, is shorter: a helper that sleeps costs a futex wake-up and a scheduling delay).
  template <class Ready>
  static bool spin_until(const Ready& ready) {
    using clock = std::chrono::steady_clock;
    const auto until = clock::now() + std::chrono::microseconds(300);
    for (;;) {
      for (int i = 0; i < 256; ++i)
        if (ready()) return true;
      if (clock::now() > until) return ready();
    }
  }

  std::vector<std::thread> workers_;
  std::mutex mutex_;  // only for sleeping and waking
  std::condition_variable wake_, done_;
  std::atomic<std::uint64_t> generation_{0};
  std::atomic<int> next_{0}, active_{0}, sleepers_{0};
  std::atomic<bool> stop_{false}, caller_waiting_{false};
  // The job of the current generation: written before the generation's bump, read after.
  const FunctionRef<void(int)>* task_ = nullptr;
  std::vector<std::exception_ptr>* errors_ = nullptr;
  int count_ = 0;
};

Pool& pool() {
  static Pool p;
  return p;
}
#endif

int thread_count = 1;

}  // namespace

bool supported() {
#ifdef RECSYS_HAVE_THREADS
  return true;
#else
  return false;
#endif
}

int max_threads() { return supported() ? kMaxThreads : 1; }

int threads() { return thread_count; }

void set_threads(int n) {
  RECSYS_CHECK(n >= 1 && n <= max_threads(), "threads must be in [1, ", max_threads(), "], got ",
               n, supported() ? "" : " (this engine is built without threads)");
  RECSYS_CHECK_STATE(!in_loop, "set_threads: called from inside a parallel loop");
#ifdef RECSYS_HAVE_THREADS
  pool().resize(n - 1);
#endif
  thread_count = n;
}

void for_tasks(int count, const FunctionRef<void(int)>& task) {
  if (count <= 0) return;
#ifdef RECSYS_HAVE_THREADS
  if (thread_count > 1 && count > 1 && !in_loop) {
    pool().run(count, task);
    return;
  }
#endif
  std::vector<std::exception_ptr> errors(static_cast<std::size_t>(count));
  InLoop guard;
  int i = 0;
  auto next = [&i] { return i++; };
  drain(next, count, task, errors);
  rethrow_first(errors);
}

bool by_pieces() {
  return thread_count == 2 && !in_loop;
}

void for_pieces(int count, const FunctionRef<void(int)>& piece) {
  if (by_pieces()) {
    for_tasks(count, piece);
    return;
  }
  for (int i = 0; i < count; ++i) piece(i);
}

void side_by_side(const FunctionRef<void()>& a, const FunctionRef<void()>& b) {
  for_pieces(2, [&](int t) { t == 0 ? a() : b(); });
}

void for_chunks(std::int64_t n, std::int64_t align, std::int64_t min_chunk,
                const FunctionRef<void(std::int64_t, std::int64_t)>& body) {
  if (n <= 0) return;
  align = std::max<std::int64_t>(align, 1);
  std::int64_t chunks = std::min<std::int64_t>(thread_count, n / std::max<std::int64_t>(min_chunk, 1));
  if (chunks <= 1 || in_loop) {
    InLoop guard;
    body(0, n);
    return;
  }
  // Equal chunks, each boundary rounded up to a multiple of align.
  std::vector<std::int64_t> cut{0};
  for (std::int64_t c = 1; c < chunks; ++c) {
    std::int64_t b = (n * c / chunks + align - 1) / align * align;
    if (b > cut.back() && b < n) cut.push_back(b);
  }
  cut.push_back(n);
  for_tasks(static_cast<int>(cut.size() - 1),
            [&](int c) { body(cut[static_cast<std::size_t>(c)], cut[static_cast<std::size_t>(c) + 1]); });
}

}  // namespace recsys::parallel
