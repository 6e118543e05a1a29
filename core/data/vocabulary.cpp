#include "data/vocabulary.h"

#include "common/check.h"

namespace recsys {

Vocabulary::Vocabulary(std::vector<std::string> tokens) {
  index_.reserve(tokens.size());
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const bool inserted = index_.emplace(tokens[i], static_cast<std::int32_t>(i)).second;
    RECSYS_CHECK(inserted, "vocabulary: duplicate token '", tokens[i], "'");
  }
  tokens_ = std::move(tokens);
}

std::int32_t Vocabulary::add(const std::string& token) {
  auto [it, inserted] = index_.emplace(token, size());
  if (inserted) tokens_.push_back(token);
  return it->second;
}

std::int32_t Vocabulary::find(std::string_view token) const {
  // C++17 unordered_map has no heterogeneous lookup; the copy is cheap next to the hash.
  auto it = index_.find(std::string(token));
  return it == index_.end() ? -1 : it->second;
}

std::int32_t Vocabulary::at(std::string_view token, std::string_view what) const {
  const std::int32_t i = find(token);
  RECSYS_CHECK_FOUND(i >= 0, "unknown ", what, " '", token, "'");
  return i;
}

const std::string& Vocabulary::token(std::int32_t index) const {
  RECSYS_CHECK(index >= 0 && index < size(), "vocabulary index ", index, " out of range [0, ",
               size(), ")");
  return tokens_[static_cast<std::size_t>(index)];
}

}  // namespace recsys
