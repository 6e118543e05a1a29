#include "common/sort.h"

#include <algorithm>

namespace recsys {

void sort_indices(std::size_t* first, std::size_t* last, IndexLess less, const void* context) {
  std::sort(first, last,
            [less, context](std::size_t a, std::size_t b) { return less(context, a, b); });
}

void partial_sort_indices(std::size_t* first, std::size_t* middle, std::size_t* last,
                          IndexLess less, const void* context) {
  std::partial_sort(first, middle, last,
                    [less, context](std::size_t a, std::size_t b) { return less(context, a, b); });
}

}  // namespace recsys
