// A JSON value as the core reads it: parse_json_text (data/json_text.h) builds it, json_text writes
// it. It reads as nlohmann_json's DOM did (the same number kinds, keys in byte order, the last of
// repeated keys, get<T>() with the same conversions and errors): that DOM and the templates it
// instantiated were 21 KB of the serving engine's code; this is a tagged union of 16 bytes whose
// few functions are compiled once (README, "Size").
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace recsys {

// A JSON error, with the text nlohmann_json gives the same error, e.g. "[json.exception.
// parse_error.101] parse error at line 1, column 2: syntax error: ..." or "[json.exception.
// type_error.302] type must be string, but is number". kind: parse_error, type_error,
// out_of_range or invalid_iterator.
class JsonError : public std::runtime_error {
 public:
  JsonError(std::string_view kind, int id, std::string_view message);
  int id;
};

class Json {
 public:
  // nlohmann_json's value kinds, in its order.
  enum class Type : std::uint8_t { Null, Object, Array, String, Boolean, Integer, Unsigned, Float };
  using Member = std::pair<std::string, Json>;
  using Array = std::vector<Json>;
  using Object = std::vector<Member>;  // sorted by key (byte order), each key once

  Json() noexcept : u_(0) {}
  Json(std::nullptr_t) noexcept : u_(0) {}
  Json(bool b) noexcept : type_(Type::Boolean), b_(b) {}
  template <class Int,
            std::enable_if_t<std::is_integral_v<Int> && !std::is_same_v<Int, bool>, int> = 0>
  Json(Int v) noexcept {
    if constexpr (std::is_signed_v<Int>) {
      type_ = Type::Integer;
      i_ = v;
    } else {
      type_ = Type::Unsigned;
      u_ = v;
    }
  }
  Json(double v) noexcept : type_(Type::Float), d_(v) {}
  Json(std::string s);
  Json(const char* s) : Json(std::string(s)) {}
  Json(Array elements);
  // An object of these members, in any order; of repeated keys the last counts.
  static Json object(Object members = {});
  static Json array(Array elements = {}) { return Json(std::move(elements)); }

  Json(const Json& other);
  Json(Json&& other) noexcept : type_(other.type_), u_(other.u_) { other.type_ = Type::Null; }
  Json& operator=(const Json& other) { return *this = Json(other); }
  Json& operator=(Json&& other) noexcept {
    std::swap(type_, other.type_);
    std::swap(u_, other.u_);
    return *this;
  }
  ~Json() { release(); }

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::Null; }
  bool is_boolean() const { return type_ == Type::Boolean; }
  bool is_number() const { return type_ >= Type::Integer; }
  bool is_number_integer() const { return type_ == Type::Integer || type_ == Type::Unsigned; }
  bool is_number_unsigned() const { return type_ == Type::Unsigned; }
  bool is_number_float() const { return type_ == Type::Float; }
  bool is_string() const { return type_ == Type::String; }
  bool is_array() const { return type_ == Type::Array; }
  bool is_object() const { return type_ == Type::Object; }
  // "null", "object", "array", "string", "boolean" or "number".
  const char* type_name() const;

  // Members of an object, elements of an array; 0 for null, 1 for any other value.
  std::size_t size() const;
  bool empty() const { return size() == 0; }

  bool contains(std::string_view key) const { return find(key) != nullptr; }
  // The member's value, or nullptr (also when this is not an object).
  const Json* find(std::string_view key) const;
  // The member's value; a null value when it is missing or this is not an object.
  const Json& operator[](std::string_view key) const;
  // The member's value: out_of_range 403 when it is missing, type_error 304 on a non-object.
  const Json& at(std::string_view key) const;
  const Json& operator[](const char* key) const { return (*this)[std::string_view(key)]; }
  // An element of an array, i < size() (type_error 302 on a non-array).
  const Json& operator[](std::size_t i) const { return elements()[i]; }
  const Json& operator[](int i) const { return elements()[static_cast<std::size_t>(i)]; }

  // The value as T: bool from a boolean; any arithmetic type from a number, and but for double,
  // long long and unsigned long long from a boolean (a static_cast, as nlohmann_json's get<T>());
  // std::string from a string; std::vector<U> from an array of what U reads. Anything else is
  // type_error 302 ("type must be number, but is string").
  template <class T>
  T get() const {
    if constexpr (std::is_same_v<T, bool>) {
      if (type_ != Type::Boolean) type_error("boolean");
      return b_;
    } else if constexpr (std::is_arithmetic_v<T>) {
      switch (type_) {
        case Type::Integer:
          return static_cast<T>(i_);
        case Type::Unsigned:
          return static_cast<T>(u_);
        case Type::Float:
          return static_cast<T>(d_);
        case Type::Boolean:
          // As nlohmann_json: its own number types (double, long long, unsigned long long) are
          // not read from a boolean, other arithmetic types are.
          if constexpr (!std::is_same_v<T, double> && !std::is_same_v<T, long long> &&
                        !std::is_same_v<T, unsigned long long>)
            return static_cast<T>(b_);
          type_error("number");
        default:
          type_error("number");
      }
    } else if constexpr (std::is_same_v<T, std::string>) {
      return string();
    } else {
      if (type_ != Type::Array) type_error("array");
      T out;
      out.reserve(a_->size());
      for (const Json& v : *a_) out.push_back(v.get<typename T::value_type>());
      return out;
    }
  }
  // The member's value as T, or def when it is missing (type_error 306 on a non-object), as
  // nlohmann_json's value(key, default).
  template <class T>
  T value(std::string_view key, const T& def) const {
    if (type_ != Type::Object) value_on_non_object();
    const Json* v = find(key);
    return v ? v->get<T>() : def;
  }
  std::string value(std::string_view key, const char* def) const {
    return value(key, std::string(def));
  }
  // The string (type_error 302 on another kind).
  const std::string& string() const;
  const Array& elements() const;  // an array's (type_error 302 on another kind)
  const Object& members() const;  // an object's (type_error 302 on another kind)

  // Iterates an array's elements or an object's members' values (key() names the member); a
  // null value has none, any other value is its one element, as in nlohmann_json.
  class const_iterator {
   public:
    const Json& operator*() const { return value(); }
    const Json* operator->() const { return &value(); }
    const Json& value() const;
    const std::string& key() const;  // invalid_iterator 207 unless iterating an object
    const_iterator& operator++() {
      ++i_;
      return *this;
    }
    bool operator==(const const_iterator& o) const { return i_ == o.i_; }
    bool operator!=(const const_iterator& o) const { return i_ != o.i_; }

   private:
    friend class Json;
    const_iterator(const Json* j, std::size_t i) : j_(j), i_(i) {}
    const Json* j_;
    std::size_t i_;
  };
  const_iterator begin() const { return const_iterator(this, 0); }
  const_iterator end() const { return const_iterator(this, size()); }

 private:
  [[noreturn]] void type_error(const char* expected) const;
  [[noreturn]] void value_on_non_object() const;
  void release() noexcept;

  Type type_ = Type::Null;
  union {
    bool b_;
    std::int64_t i_;
    std::uint64_t u_;
    double d_;
    std::string* s_;
    Array* a_;
    Object* o_;
  };
};

}  // namespace recsys
