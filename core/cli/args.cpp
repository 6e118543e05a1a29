#include "cli/args.h"

#include "common/check.h"
#include "data/parse.h"

namespace recsys::cli {

Args::Args(const std::vector<std::string>& argv, const std::set<std::string>& options,
           const std::set<std::string>& flags) {
  for (std::size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    RECSYS_CHECK(a.size() > 2 && a[0] == '-' && a[1] == '-', "unexpected argument '", a, "'");
    std::string name = a.substr(2), value;
    const auto eq = name.find('=');
    if (eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      RECSYS_CHECK(options.count(name), "unknown option '--", name, "'");
    } else if (flags.count(name)) {
      value = "1";
    } else {
      RECSYS_CHECK(options.count(name), "unknown option '--", name, "'");
      RECSYS_CHECK(i + 1 < argv.size(), "option '--", name, "' needs a value");
      value = argv[++i];
    }
    values_[name] = value;
  }
}

std::string Args::get(const std::string& name, const std::string& fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : it->second;
}

long long Args::get_int(const std::string& name, long long fallback) const {
  auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  std::int64_t v = 0;
  RECSYS_CHECK(try_parse_int64(it->second, v), "option '--", name, "': '", it->second,
               "' is not an integer");
  return v;
}

double Args::get_double(const std::string& name, double fallback) const {
  auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  double v = 0;
  RECSYS_CHECK(try_parse_double(it->second, v), "option '--", name, "': '", it->second,
               "' is not a number");
  return v;
}

}  // namespace recsys::cli
