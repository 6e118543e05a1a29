// nlohmann_json's DOM and the core's Json value (data/json_value.h), each to the other: for the
// tests that hold the core's JSON reader, writer and value to nlohmann_json's (the engines write
// their documents as text, data/json_text.h, and no longer link nlohmann_json).
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
