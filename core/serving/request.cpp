#include "serving/request.h"

namespace recsys {

void SourceList::add(SourceKind s) {
  if (contains(s) || count_ >= kNumSources) return;
  kinds_[count_++] = s;
}

bool SourceList::contains(SourceKind s) const {
  for (int i = 0; i < count_; ++i)
    if (kinds_[static_cast<std::size_t>(i)] == s) return true;
  return false;
}

std::string SourceList::label() const {
  std::string out;
  for (int i = 0; i < count_; ++i) {
    if (i) out += '+';
    out += source_name(kinds_[static_cast<std::size_t>(i)]);
  }
  return out;
}

std::uint32_t SourceList::code() const {
  std::uint32_t c = count_;
  for (int i = 0; i < count_; ++i)
    c |= static_cast<std::uint32_t>(kinds_[static_cast<std::size_t>(i)]) << (4 + 3 * i);
  return c;
}

bool SourceList::operator==(const SourceList& o) const {
  if (count_ != o.count_) return false;
  for (int i = 0; i < count_; ++i)
    if (kinds_[static_cast<std::size_t>(i)] != o.kinds_[static_cast<std::size_t>(i)]) return false;
  return true;
}

}  // namespace recsys
