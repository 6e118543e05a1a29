// nlohmann_json's DOM and the core's Json value (data/json_value.h), each to the other, for the
// code that still builds documents with nlohmann_json (model files' manifests, experiment
// reports: the full engine and the command line, not the serving engine).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "data/json_value.h"

namespace recsys {

Json from_nlohmann(const nlohmann::json& j);
nlohmann::json to_nlohmann(const Json& j);
// j as json_text writes the same value (byte for byte nlohmann_json's dump()).
std::string json_text(const nlohmann::json& j);

}  // namespace recsys
