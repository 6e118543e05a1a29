// Feature scaling shared by the models: in-place standardisation of a per-item feature (the
// ranking model's log price and log popularity).
#pragma once

#include <vector>

namespace recsys {

// v[i] = (v[i] - mean) / max(sd, 1e-6), with the population standard deviation (in double).
void standardise(std::vector<float>& v);

}  // namespace recsys
