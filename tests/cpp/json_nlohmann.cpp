#include "json_nlohmann.h"

#include "data/json_text.h"

namespace recsys {

Json from_nlohmann(const nlohmann::json& j) {
  using T = nlohmann::json::value_t;
  switch (j.type()) {
    case T::boolean:
      return Json(j.get<bool>());
    case T::number_integer:
      return Json(j.get<std::int64_t>());
    case T::number_unsigned:
      return Json(j.get<std::uint64_t>());
    case T::number_float:
      return Json(j.get<double>());
    case T::string:
      return Json(j.get<std::string>());
    case T::array: {
      Json::Array out;
      out.reserve(j.size());
      for (const auto& v : j) out.push_back(from_nlohmann(v));
      return Json(std::move(out));
    }
    case T::object: {
      Json::Object out;
      out.reserve(j.size());
      for (auto it = j.begin(); it != j.end(); ++it) out.emplace_back(it.key(), from_nlohmann(*it));
      return Json::object(std::move(out));
    }
    case T::binary:
    case T::discarded:
      throw JsonError("type_error", 317, "cannot write a binary or discarded value as JSON text");
    case T::null:
    default:
      return Json();
  }
}

nlohmann::json to_nlohmann(const Json& j) {
  switch (j.type()) {
    case Json::Type::Boolean:
      return j.get<bool>();
    case Json::Type::Integer:
      return j.get<std::int64_t>();
    case Json::Type::Unsigned:
      return j.get<std::uint64_t>();
    case Json::Type::Float:
      return j.get<double>();
    case Json::Type::String:
      return j.string();
    case Json::Type::Array: {
      nlohmann::json out = nlohmann::json::array();
      for (const Json& v : j.elements()) out.push_back(to_nlohmann(v));
      return out;
    }
    case Json::Type::Object: {
      nlohmann::json out = nlohmann::json::object();
      for (const auto& [key, v] : j.members()) out[key] = to_nlohmann(v);
      return out;
    }
    case Json::Type::Null:
    default:
      return nullptr;
  }
}

std::string json_text(const nlohmann::json& j) {
  return json_text(from_nlohmann(j));
}

}  // namespace recsys
