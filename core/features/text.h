// Text features: the words of an item title for the item tower's bag-of-words (hashed, then
// averaged).
#pragma once

#include <string>
#include <vector>

namespace recsys {

// Lower-case runs of ASCII letters and digits (other bytes split words), at most 32.
std::vector<std::string> title_words(const std::string& title);

}  // namespace recsys
