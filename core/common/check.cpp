#include "common/check.h"

namespace recsys {

const char* error_kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::Type:
      return "type";
    case ErrorKind::Range:
      return "range";
    case ErrorKind::NotFound:
      return "not_found";
    case ErrorKind::State:
      return "state";
    case ErrorKind::Format:
      return "format";
    case ErrorKind::Internal:
      return "internal";
  }
  return "internal";
}

std::vector<std::string> error_kind_names() {
  std::vector<std::string> out;
  for (int k = 0; k < kNumErrorKinds; ++k)
    out.push_back(error_kind_name(static_cast<ErrorKind>(k)));
  return out;
}

}  // namespace recsys
