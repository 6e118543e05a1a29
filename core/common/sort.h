// Sorting a list of indices by a comparison of what they index, with one instantiation of
// std::sort for the whole engine: every call site's comparison is reached through a function
// pointer. Each std::sort or std::stable_sort with a lambda of its own was 1.2-2.7 KB of wasm (its
// insertion sort, partition and merge helpers instantiated again); these call sites sort tens to
// thousands of indices off the hot loops, where an indirect call per comparison costs nothing that
// shows. Hot sorts (the top-K lists) keep their own std::sort.
#pragma once

#include <cstddef>
#include <vector>

namespace recsys {

using IndexLess = bool (*)(const void* context, std::size_t a, std::size_t b);

// Sorts [first, last) by less(context, a, b), which must be a strict weak order. Equal elements
// end in no particular order: a comparison that breaks ties by the index (a < b) makes the sort
// stable and the result unique.
void sort_indices(std::size_t* first, std::size_t* last, IndexLess less, const void* context);

// The first middle - first elements of [first, last) as a sort would leave them (the rest in no
// particular order), by less(context, a, b), a strict weak order.
void partial_sort_indices(std::size_t* first, std::size_t* middle, std::size_t* last,
                          IndexLess less, const void* context);

// order sorted by less(a, b), a callable on two indices.
template <class Less>
void sort_indices(std::vector<std::size_t>& order, const Less& less) {
  sort_indices(
      order.data(), order.data() + order.size(),
      [](const void* c, std::size_t a, std::size_t b) {
        return (*static_cast<const Less*>(c))(a, b);
      },
      &less);
}

// The m best (by less, a total order on indices) of 0, 1, ..., n - 1, in order (m is at most n).
template <class Less>
std::vector<std::size_t> best_indices(std::size_t n, std::size_t m, const Less& less) {
  std::vector<std::size_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = i;
  partial_sort_indices(
      order.data(), order.data() + m, order.data() + n,
      [](const void* c, std::size_t a, std::size_t b) {
        return (*static_cast<const Less*>(c))(a, b);
      },
      &less);
  order.resize(m);
  return order;
}

// The elements v[order[0]], v[order[1]], ...: a sort's or a selection's result from its indices.
template <class T>
std::vector<T> in_order(const T* v, const std::vector<std::size_t>& order) {
  std::vector<T> out;
  out.reserve(order.size());
  for (std::size_t i : order) out.push_back(v[i]);
  return out;
}

// 0, 1, ..., n - 1 sorted by less(a, b), then by the index: a stable sort of n elements by less.
template <class Less>
std::vector<std::size_t> stable_order(std::size_t n, const Less& less) {
  std::vector<std::size_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = i;
  sort_indices(order, [&less](std::size_t a, std::size_t b) {
    return less(a, b) || (!less(b, a) && a < b);
  });
  return order;
}

}  // namespace recsys
