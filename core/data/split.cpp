#include "data/split.h"

#include <vector>

#include "common/check.h"
#include "data/parse.h"

namespace recsys {

Interactions first_interactions(const Interactions& data) {
  std::vector<Interaction> kept;
  std::vector<std::int32_t> last_user(static_cast<std::size_t>(data.num_items()), -1);
  for (std::int32_t u = 0; u < data.num_users(); ++u)
    for (const auto& e : data.history(u))
      if (last_user[e.item] != u) {
        last_user[e.item] = u;
        kept.push_back(e);
      }
  return Interactions(data.users(), data.num_items(), std::move(kept));
}

Split leave_last_out(const Interactions& data, int n_validation, int n_test) {
  RECSYS_CHECK(n_validation >= 0, "leave_last_out: n_validation must be >= 0, got ", n_validation);
  RECSYS_CHECK(n_test >= 1, "leave_last_out: n_test must be >= 1, got ", n_test);
  std::vector<Interaction> train, val, test;
  const auto need = static_cast<std::size_t>(n_validation + n_test + 1);
  for (std::int32_t u = 0; u < data.num_users(); ++u) {
    const auto h = data.history(u);
    if (h.size() < need) {
      train.insert(train.end(), h.begin(), h.end());
      continue;
    }
    const std::size_t test_from = h.size() - static_cast<std::size_t>(n_test);
    const std::size_t val_from = test_from - static_cast<std::size_t>(n_validation);
    train.insert(train.end(), h.begin(), h.begin() + val_from);
    val.insert(val.end(), h.begin() + val_from, h.begin() + test_from);
    test.insert(test.end(), h.begin() + test_from, h.end());
  }
  return Split{Interactions(data.users(), data.num_items(), std::move(train)),
               Interactions(data.users(), data.num_items(), std::move(val)),
               Interactions(data.users(), data.num_items(), std::move(test))};
}

Split temporal_split(const Interactions& data, std::int64_t validation_start,
                     std::int64_t test_start, std::int64_t test_end) {
  RECSYS_CHECK(validation_start <= test_start, "temporal_split: validation_start ",
               format_timestamp(validation_start), " is after test_start ",
               format_timestamp(test_start));
  RECSYS_CHECK(test_start < test_end, "temporal_split: test_start ", format_timestamp(test_start),
               " must be before test_end ", format_timestamp(test_end));
  std::vector<Interaction> train, val, test;
  for (const auto& e : data.events()) {
    if (e.timestamp < validation_start)
      train.push_back(e);
    else if (e.timestamp < test_start)
      val.push_back(e);
    else if (e.timestamp < test_end)
      test.push_back(e);
  }
  return Split{Interactions(data.users(), data.num_items(), std::move(train)),
               Interactions(data.users(), data.num_items(), std::move(val)),
               Interactions(data.users(), data.num_items(), std::move(test))};
}

void SplitSpec::validate() const {
  RECSYS_CHECK(kind == "none" || kind == "leave-last-out" || kind == "temporal",
               "split: expected none, leave-last-out or temporal, got '", kind, "'");
  if (kind == "temporal") {
    RECSYS_CHECK(validation_start <= test_start, "split: validation start ",
                 format_timestamp(validation_start), " is after the test start ",
                 format_timestamp(test_start));
    RECSYS_CHECK(test_start < test_end, "split: test start ", format_timestamp(test_start),
                 " must be before the test end ", format_timestamp(test_end));
  }
}

Split make_split(const Interactions& data, const SplitSpec& spec) {
  spec.validate();
  const Interactions x =
      spec.first_interactions && spec.kind != "leave-last-out" ? first_interactions(data) : data;
  if (spec.kind == "none")
    return Split{x, Interactions(x.users(), x.num_items(), {}),
                 Interactions(x.users(), x.num_items(), {})};
  if (spec.kind == "leave-last-out") return leave_last_out(first_interactions(x), 1, 1);
  return temporal_split(x, spec.validation_start, spec.test_start, spec.test_end);
}

Interactions merge(const Interactions& a, const Interactions& b) {
  RECSYS_CHECK(a.num_users() == b.num_users() && a.num_items() == b.num_items(),
               "merge: the interactions have different users or items");
  std::vector<Interaction> all(a.events());
  all.insert(all.end(), b.events().begin(), b.events().end());
  return Interactions(a.users(), a.num_items(), std::move(all));
}

}  // namespace recsys
