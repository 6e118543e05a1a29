// A reference to a callable, for a parameter called before the function returns: no allocation
// and no type-erasure class per callable (std::function gives each lambda passed to it a class
// with a vtable, its type information and its name: the parallel loops' lambdas were 0.8 KB of the
// serving engine's gzipped wasm).
#pragma once

#include <memory>
#include <type_traits>
#include <utility>

namespace recsys {

template <class Signature>
class FunctionRef;

template <class R, class... Args>
class FunctionRef<R(Args...)> {
 public:
  // Refers to f, which must outlive every call (a lambda passed as an argument lives to the end
  // of the call it is passed to).
  template <class F, std::enable_if_t<!std::is_same_v<std::decay_t<F>, FunctionRef> &&
                                          std::is_invocable_r_v<R, F&, Args...>,
                                      int> = 0>
  FunctionRef(F&& f) noexcept  // NOLINT: implicit, as std::function's
      : object_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
        call_([](void* object, Args... args) -> R {
          return (*static_cast<std::remove_reference_t<F>*>(object))(std::forward<Args>(args)...);
        }) {}

  R operator()(Args... args) const { return call_(object_, std::forward<Args>(args)...); }

 private:
  void* object_;
  R (*call_)(void*, Args...);
};

}  // namespace recsys
