#include "data/vocabulary.h"

#include "common/check.h"

namespace recsys {

namespace {
// FNV-1a over the bytes, then a multiply-xorshift so that the low bits (the slot) depend on all.
std::uint64_t hash_of(std::string_view s) {
  std::uint64_t h = 14695981039346656037ull;
  for (const char c : s) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  h ^= h >> 32;
  h *= 0xd6e8feb86659fd93ull;
  return h ^ (h >> 32);
}
}  // namespace

std::size_t Vocabulary::probe(std::string_view token) const {
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = hash_of(token) & mask;; i = (i + 1) & mask) {
    const std::int32_t t = slots_[i];
    if (t < 0 || tokens_[static_cast<std::size_t>(t)] == token) return i;
  }
}

void Vocabulary::rehash(std::size_t n) {
  std::size_t size = 16;
  while (size < 2 * n) size *= 2;
  slots_.assign(size, -1);
  for (std::size_t i = 0; i < tokens_.size(); ++i)
    slots_[probe(tokens_[i])] = static_cast<std::int32_t>(i);
}

Vocabulary::Vocabulary(std::vector<std::string> tokens) {
  tokens_.reserve(tokens.size());
  rehash(tokens.size());
  for (auto& t : tokens) {
    const std::size_t slot = probe(t);
    RECSYS_CHECK(slots_[slot] < 0, "vocabulary: duplicate token '", t, "'");
    slots_[slot] = size();
    tokens_.push_back(std::move(t));
  }
}

std::int32_t Vocabulary::add(const std::string& token) {
  if (slots_.empty()) rehash(0);
  std::size_t slot = probe(token);
  if (slots_[slot] >= 0) return slots_[slot];
  if (2 * (tokens_.size() + 1) > slots_.size()) {
    rehash(tokens_.size() + 1);
    slot = probe(token);
  }
  tokens_.push_back(token);  // first: if it throws, the table still holds only what tokens_ does
  slots_[slot] = size() - 1;
  return slots_[slot];
}

std::int32_t Vocabulary::find(std::string_view token) const {
  if (slots_.empty()) return -1;
  return slots_[probe(token)];
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
