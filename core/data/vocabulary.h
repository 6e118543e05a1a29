// Vocabulary: raw string ids (item ids, user ids, category names) <-> dense indices 0..n-1,
// in first-seen order. The index is an open-addressing table of indices into the tokens (no node
// or string copy per token, lookups by string_view): a page's shop and model build three of them,
// 25,000 tokens, on its first recommendations' path.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace recsys {

class Vocabulary {
 public:
  Vocabulary() = default;
  explicit Vocabulary(std::vector<std::string> tokens);  // throws on a duplicate token

  // Index of token, adding it if new.
  std::int32_t add(const std::string& token);
  // Index of token, or -1 when absent.
  std::int32_t find(std::string_view token) const;
  bool contains(std::string_view token) const { return find(token) >= 0; }
  // Index of token; throws an Error naming `what` and the token when absent.
  std::int32_t at(std::string_view token, std::string_view what) const;
  // Token of index; throws when out of range.
  const std::string& token(std::int32_t index) const;
  std::int32_t size() const { return static_cast<std::int32_t>(tokens_.size()); }
  bool empty() const { return tokens_.empty(); }
  const std::vector<std::string>& tokens() const { return tokens_; }

 private:
  // The slot where token is, or the empty slot (-1) where it would go; slots_ is not empty.
  std::size_t probe(std::string_view token) const;
  // Sized for n tokens (at most half full), every token placed again.
  void rehash(std::size_t n);

  std::vector<std::string> tokens_;
  std::vector<std::int32_t> slots_;  // a power of two of them; -1 empty, else an index into tokens_
};

}  // namespace recsys
