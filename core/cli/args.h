// Minimal "--name value" / "--flag" parsing for the CLI; unknown options are errors.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

namespace recsys::cli {

class Args {
 public:
  // options: names that take a value; flags: names without one (both without the leading --).
  Args(const std::vector<std::string>& argv, const std::set<std::string>& options,
       const std::set<std::string>& flags);
  bool has(const std::string& name) const { return values_.count(name) > 0; }
  std::string get(const std::string& name, const std::string& fallback = "") const;
  long long get_int(const std::string& name, long long fallback) const;
  double get_double(const std::string& name, double fallback) const;

 private:
  std::map<std::string, std::string> values_;
};

}  // namespace recsys::cli
