// The shared test fixture: the default synthetic shop (10,000 users, 5,000 items, 100,000 events)
// and a default-preset two-tower model trained on its leave-last-out train part (2 epochs). Built
// once per test binary: under ctest, the setup test writes the model to --fixture-dir and every
// other test process loads it; run by hand, the first use trains it in memory. Also the tests'
// small helpers.
#pragma once

#include <memory>
#include <string>

#include "common/check.h"

#include "data/split.h"
#include "data/synthetic.h"
#include "retrieval/two_tower.h"

namespace recsys::test {

struct ShopFixture {
  SyntheticShop shop;                    // data and hidden truth
  Split split;                           // leave_last_out(first_interactions(events), 1, 1)
  std::shared_ptr<TwoTowerModel> model;  // trained on split.train
};

const ShopFixture& default_fixture();

void set_fixture_dir(const std::string& dir);

// The kind of the recsys::Error that f throws; ErrorKind::Internal when it throws none or
// something else (which no test expects, so the CHECK comparing the kind fails).
template <class F>
ErrorKind kind_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.kind();
  } catch (...) {
  }
  return ErrorKind::Internal;
}

}  // namespace recsys::test
