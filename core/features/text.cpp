#include "features/text.h"

namespace recsys {

std::vector<std::string> title_words(const std::string& title) {
  std::vector<std::string> words;
  std::string cur;
  for (char c : title) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z');
    if (alnum) {
      cur.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
    } else if (!cur.empty()) {
      words.push_back(std::move(cur));
      cur.clear();
    }
  }
  if (!cur.empty()) words.push_back(std::move(cur));
  if (words.size() > 32) words.resize(32);
  return words;
}

}  // namespace recsys
