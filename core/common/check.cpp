#include "common/check.h"

#include <charconv>

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

namespace detail {

Piece::Piece(long long v) : len_(0) {
  len_ = static_cast<int>(std::to_chars(buf_, buf_ + sizeof buf_, v).ptr - buf_);
}
Piece::Piece(unsigned long long v) : len_(0) {
  len_ = static_cast<int>(std::to_chars(buf_, buf_ + sizeof buf_, v).ptr - buf_);
}
Piece::Piece(double v) : len_(0) {
  const std::string s = format_readable(v);  // at most 24 bytes: "-2.2250738585072014e-308"
  len_ = static_cast<int>(s.copy(buf_, sizeof buf_));
}
Piece::Piece(float v) : len_(0) {
  const std::string s = format_readable(v);
  len_ = static_cast<int>(s.copy(buf_, sizeof buf_));
}

namespace {
std::string concat_pieces(std::initializer_list<Piece> pieces) {
  std::size_t n = 0;
  for (const auto& p : pieces) n += p.view().size();
  std::string out;
  out.reserve(n);
  for (const auto& p : pieces) out.append(p.view());
  return out;
}
}  // namespace

void throw_error(ErrorKind kind, std::initializer_list<Piece> pieces) {
  throw Error(kind, concat_pieces(pieces));
}

}  // namespace detail

std::vector<std::string> error_kind_names() {
  std::vector<std::string> out;
  for (int k = 0; k < kNumErrorKinds; ++k)
    out.push_back(error_kind_name(static_cast<ErrorKind>(k)));
  return out;
}

}  // namespace recsys
