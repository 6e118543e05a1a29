// A small LRU cache of recommendation results, keyed by a string that holds everything the
// result depends on (user or session id and version, scene, parameters, model generation).
// Values are plain structs (no text), so a hit is one copy.
#pragma once

#include <cstdint>
#include <list>
#include <string>
#include <unordered_map>
#include <utility>

namespace recsys {

template <class Value>
class LruCache {
 public:
  explicit LruCache(std::size_t capacity = 256) : capacity_(capacity) {}
  // The cached value, moved to the front; null on a miss. Counts hits and misses.
  const Value* get(const std::string& key) {
    auto it = index_.find(key);
    if (it == index_.end()) {
      ++misses_;
      return nullptr;
    }
    ++hits_;
    order_.splice(order_.begin(), order_, it->second);
    return &it->second->second;
  }
  void put(const std::string& key, Value value) {
    if (capacity_ == 0) return;
    auto it = index_.find(key);
    if (it != index_.end()) {
      it->second->second = std::move(value);
      order_.splice(order_.begin(), order_, it->second);
      return;
    }
    order_.emplace_front(key, std::move(value));
    index_[key] = order_.begin();
    if (order_.size() > capacity_) {
      index_.erase(order_.back().first);
      order_.pop_back();
    }
  }
  void clear() {
    order_.clear();
    index_.clear();
  }
  std::size_t size() const { return order_.size(); }
  std::size_t capacity() const { return capacity_; }
  std::uint64_t hits() const { return hits_; }
  std::uint64_t misses() const { return misses_; }
  double hit_ratio() const {
    return hits_ + misses_ ? static_cast<double>(hits_) / static_cast<double>(hits_ + misses_) : 0;
  }

 private:
  std::size_t capacity_;
  std::list<std::pair<std::string, Value>> order_;
  std::unordered_map<std::string, typename std::list<std::pair<std::string, Value>>::iterator>
      index_;
  std::uint64_t hits_ = 0, misses_ = 0;
};

}  // namespace recsys
