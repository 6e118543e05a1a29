#include "data/json_value.h"

#include "common/sort.h"

namespace recsys {

namespace {
std::string error_text(std::string_view kind, int id, std::string_view message) {
  std::string s = "[json.exception.";
  s.append(kind);
  s.push_back('.');
  s.append(std::to_string(id));
  s.append("] ");
  s.append(message);
  return s;
}

// Every error of a Json value, through one function: its message is the pieces in order.
[[noreturn]] __attribute__((noinline)) void fail(const char* kind, int id, std::string_view a,
                                                 std::string_view b = {}, std::string_view c = {},
                                                 std::string_view d = {}) {
  std::string message(a);
  message.append(b).append(c).append(d);
  throw JsonError(kind, id, message);
}

const Json& null_value() {
  static const Json null;
  return null;
}
}  // namespace

JsonError::JsonError(std::string_view kind, int id, std::string_view message)
    : std::runtime_error(error_text(kind, id, message)), id(id) {}

Json::Json(std::string s) : type_(Type::String), s_(new std::string(std::move(s))) {}

Json::Json(Array elements) : type_(Type::Array), a_(new Array(std::move(elements))) {}

Json Json::object(Object members) {
  // Sorted by key, the last of repeated keys kept: a stable order, then each run's last member.
  bool sorted = true;
  for (std::size_t i = 1; i < members.size() && sorted; ++i)
    sorted = members[i - 1].first < members[i].first;
  if (!sorted) {
    const std::vector<std::size_t> order = stable_order(
        members.size(),
        [&](std::size_t a, std::size_t b) { return members[a].first < members[b].first; });
    Object out;
    out.reserve(members.size());
    for (std::size_t k = 0; k < order.size(); ++k) {
      if (k + 1 < order.size() && members[order[k + 1]].first == members[order[k]].first) continue;
      out.push_back(std::move(members[order[k]]));
    }
    members.swap(out);
  }
  Json j;
  j.type_ = Type::Object;
  j.o_ = new Object(std::move(members));
  return j;
}

Json::Json(const Json& other) : type_(other.type_), u_(other.u_) {
  if (type_ == Type::String)
    s_ = new std::string(*other.s_);
  else if (type_ == Type::Array)
    a_ = new Array(*other.a_);
  else if (type_ == Type::Object)
    o_ = new Object(*other.o_);
}

void Json::release() noexcept {
  if (type_ == Type::String)
    delete s_;
  else if (type_ == Type::Array)
    delete a_;
  else if (type_ == Type::Object)
    delete o_;
  type_ = Type::Null;
}

const char* Json::type_name() const {
  switch (type_) {
    case Type::Null:
      return "null";
    case Type::Object:
      return "object";
    case Type::Array:
      return "array";
    case Type::String:
      return "string";
    case Type::Boolean:
      return "boolean";
    default:
      return "number";
  }
}

std::size_t Json::size() const {
  if (type_ == Type::Null) return 0;
  if (type_ == Type::Array) return a_->size();
  if (type_ == Type::Object) return o_->size();
  return 1;
}

const Json* Json::find(std::string_view key) const {
  if (type_ != Type::Object) return nullptr;
  std::size_t lo = 0, hi = o_->size();
  while (lo < hi) {
    const std::size_t mid = lo + (hi - lo) / 2;
    const int c = std::string_view((*o_)[mid].first).compare(key);
    if (c == 0) return &(*o_)[mid].second;
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return nullptr;
}

const Json& Json::operator[](std::string_view key) const {
  const Json* v = find(key);
  return v ? *v : null_value();
}

const Json& Json::at(std::string_view key) const {
  if (type_ != Type::Object) fail("type_error", 304, "cannot use at() with ", type_name());
  const Json* v = find(key);
  if (!v) fail("out_of_range", 403, "key '", key, "' not found");
  return *v;
}

void Json::type_error(const char* expected) const {
  fail("type_error", 302, "type must be ", expected, ", but is ", type_name());
}

void Json::value_on_non_object() const {
  fail("type_error", 306, "cannot use value() with ", type_name());
}

const std::string& Json::string() const {
  if (type_ != Type::String) type_error("string");
  return *s_;
}

const Json::Array& Json::elements() const {
  if (type_ != Type::Array) type_error("array");
  return *a_;
}

const Json::Object& Json::members() const {
  if (type_ != Type::Object) type_error("object");
  return *o_;
}

const Json& Json::const_iterator::value() const {
  if (j_->type_ == Type::Array) return (*j_->a_)[i_];
  if (j_->type_ == Type::Object) return (*j_->o_)[i_].second;
  return *j_;
}

const std::string& Json::const_iterator::key() const {
  if (j_->type_ != Type::Object)
    fail("invalid_iterator", 207, "cannot use key() for non-object iterators");
  return (*j_->o_)[i_].first;
}

}  // namespace recsys
