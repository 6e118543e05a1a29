#include "io/safetensors.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <set>

#include "common/check.h"
#include "common/sort.h"
#include "data/json_options.h"
#include "data/json_text.h"

namespace recsys::io {

namespace {
constexpr std::uint64_t kMaxHeader = 100u << 20;  // the reference implementation's limit

int dtype_size(const std::string& dtype) {
  static const std::map<std::string, int> sizes{
      {"BOOL", 1}, {"U8", 1},  {"I8", 1},  {"F8_E5M2", 1}, {"F8_E4M3", 1},
      {"I16", 2},  {"U16", 2}, {"F16", 2}, {"BF16", 2},    {"I32", 4},
      {"U32", 4},  {"F32", 4}, {"I64", 8}, {"U64", 8},     {"F64", 8}};
  auto it = sizes.find(dtype);
  return it == sizes.end() ? 0 : it->second;
}

bool is_little_endian() {
  const std::uint16_t one = 1;
  unsigned char b;
  std::memcpy(&b, &one, 1);
  return b == 1;
}
}  // namespace

std::uint16_t float_to_half(float f) {
  std::uint32_t x;
  std::memcpy(&x, &f, 4);
  const std::uint32_t sign = (x >> 16) & 0x8000u, exp = (x >> 23) & 0xffu;
  std::uint32_t mant = x & 0x7fffffu;
  if (exp == 0xff) return static_cast<std::uint16_t>(sign | 0x7c00u | (mant ? 0x200u : 0u));
  const int e = static_cast<int>(exp) - 127 + 15;
  if (e >= 31) return static_cast<std::uint16_t>(sign | 0x7c00u);
  std::uint32_t shift = 13, h;
  if (e <= 0) {  // a subnormal half (or zero): the implicit bit joins the mantissa
    if (e < -10) return static_cast<std::uint16_t>(sign);
    mant |= 0x800000u;
    shift = static_cast<std::uint32_t>(14 - e);
    h = mant >> shift;
  } else {
    h = (static_cast<std::uint32_t>(e) << 10) | (mant >> 13);
  }
  const std::uint32_t rem = mant & ((1u << shift) - 1), halfway = 1u << (shift - 1);
  if (rem > halfway || (rem == halfway && (h & 1u))) ++h;  // a carry may reach the exponent: right
  return static_cast<std::uint16_t>(sign | h);
}

float half_to_float(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  const std::uint32_t exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu;
  if (exp == 0) {
    const float v = std::ldexp(static_cast<float>(mant), -24);
    return sign ? -v : v;
  }
  const std::uint32_t x =
      exp == 31 ? sign | 0x7f800000u | (mant << 13) : sign | ((exp + 112) << 23) | (mant << 13);
  float f;
  std::memcpy(&f, &x, 4);
  return f;
}

std::int64_t Tensor::elements() const {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

namespace {
// Element i of stored little-endian bytes (both targets are little-endian).
float f32_at(const char* p, std::size_t i) {
  float v;
  std::memcpy(&v, p + 4 * i, 4);
  return v;
}
float f16_at(const char* p, std::size_t i) {
  return half_to_float(static_cast<std::uint16_t>(static_cast<unsigned char>(p[2 * i]) |
                                                  (static_cast<unsigned char>(p[2 * i + 1]) << 8)));
}
float i8_at(const char* p, std::size_t i) { return static_cast<float>(static_cast<std::int8_t>(p[i])); }

// Calls f(i, value) for every element of t, the dtype dispatched once (not per element).
template <class F>
void each_value(const Tensor& t, F&& f) {
  if (!t.data.empty() || t.raw.empty()) {
    for (std::size_t i = 0; i < t.data.size(); ++i) f(i, t.data[i]);
    return;
  }
  const char* p = t.raw.data();
  const auto n = static_cast<std::size_t>(t.elements());
  if (t.dtype == "F16") {
    for (std::size_t i = 0; i < n; ++i) f(i, f16_at(p, i));
  } else if (t.dtype == "I8") {
    for (std::size_t i = 0; i < n; ++i) f(i, i8_at(p, i));
  } else {
    for (std::size_t i = 0; i < n; ++i) f(i, f32_at(p, i));
  }
}
}  // namespace

float Tensor::value(std::size_t i) const {
  RECSYS_CHECK(i < static_cast<std::size_t>(elements()) && (!raw.empty() || i < data.size()),
               "safetensors: tensor '", name, "' (", dtype, "): no value at element ", i);
  if (!data.empty() || raw.empty()) return data[i];
  if (dtype == "F16") return f16_at(raw.data(), i);
  if (dtype == "I8") return i8_at(raw.data(), i);
  return f32_at(raw.data(), i);
}

void Tensor::values(float* out) const {
  if (data.empty() && !raw.empty() && dtype == "F32") {
    std::memcpy(out, raw.data(), static_cast<std::size_t>(elements()) * 4);
    return;
  }
  each_value(*this, [out](std::size_t i, float x) { out[i] = x; });
}

std::int64_t Tensor::first_non_finite() const {
  std::int64_t first = -1;
  if (dtype == "I8") return first;  // integers
  each_value(*this, [&](std::size_t i, float x) {
    if (first < 0 && !std::isfinite(x)) first = static_cast<std::int64_t>(i);
  });
  return first;
}

const Tensor* Safetensors::find(std::string_view name) const {
  for (const auto& t : tensors)
    if (t.name == name) return &t;
  return nullptr;
}

std::string write_safetensors(const std::vector<Tensor>& tensors,
                              const std::map<std::string, std::string>& metadata) {
  RECSYS_CHECK(is_little_endian(), "safetensors: big-endian hosts are not supported");
  JsonObject header;  // written as text (data/json_text.h), keys in byte order
  if (!metadata.empty()) {
    JsonObject m;
    for (const auto& [key, value] : metadata) m.add(key, value);
    header.add("__metadata__", m);
  }
  std::set<std::string_view> names;
  std::uint64_t offset = 0;
  for (const auto& t : tensors) {
    RECSYS_CHECK(t.dtype == "F32" || t.dtype == "F16" || t.dtype == "I8", "safetensors: tensor '",
                 t.name, "' has dtype ", t.dtype, ", only F32, F16 and I8 are written");
    RECSYS_CHECK(!t.name.empty() && t.name != "__metadata__", "safetensors: bad tensor name '",
                 t.name, "'");
    RECSYS_CHECK(names.insert(t.name).second, "safetensors: duplicate tensor name '", t.name, "'");
    RECSYS_CHECK(t.elements() == static_cast<std::int64_t>(t.data.size()), "safetensors: tensor '",
                 t.name, "' has ", t.data.size(), " values for its shape");
    if (t.dtype == "I8")
      for (std::size_t i = 0; i < t.data.size(); ++i)
        RECSYS_CHECK(
            t.data[i] == std::nearbyint(t.data[i]) && t.data[i] >= -128 && t.data[i] <= 127,
            "safetensors: I8 tensor '", t.name, "' has value ", t.data[i], " at ", i,
            ", not an integer in -128 .. 127");
    const std::uint64_t bytes = t.data.size() * static_cast<std::uint64_t>(dtype_size(t.dtype));
    JsonObject entry;
    entry.add("dtype", t.dtype)
        .add("shape", t.shape)
        .add("data_offsets", std::vector<std::int64_t>{static_cast<std::int64_t>(offset),
                                                       static_cast<std::int64_t>(offset + bytes)});
    header.add(t.name, entry);
    offset += bytes;
  }
  std::string h = header.text();
  while (h.size() % 8) h.push_back(' ');
  std::string out(8, '\0');
  const std::uint64_t n = h.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  out += h;
  out.reserve(out.size() + offset);
  for (const auto& t : tensors) {
    if (t.dtype == "F32") {
      out.append(reinterpret_cast<const char*>(t.data.data()), t.data.size() * sizeof(float));
    } else if (t.dtype == "F16") {
      for (float v : t.data) {
        const std::uint16_t h = float_to_half(v);
        out.push_back(static_cast<char>(h & 0xff));
        out.push_back(static_cast<char>(h >> 8));
      }
    } else {
      for (float v : t.data) out.push_back(static_cast<char>(static_cast<std::int8_t>(v)));
    }
  }
  return out;
}

Safetensors read_safetensors(std::string_view bytes, const std::string& source, bool decode) {
  RECSYS_CHECK(is_little_endian(), "safetensors: big-endian hosts are not supported");
  RECSYS_CHECK_FORMAT(bytes.size() >= 8, source, ": truncated: ", bytes.size(),
                      " bytes, not even the 8-byte header size");
  std::uint64_t n = 0;
  for (int i = 0; i < 8; ++i)
    n |= static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
  RECSYS_CHECK_FORMAT(n <= kMaxHeader, source, ": header size ", n, " is over the 100 MB limit");
  RECSYS_CHECK_FORMAT(n <= bytes.size() - 8, source, ": truncated: the header needs ", n,
                      " bytes but only ", bytes.size() - 8, " follow");
  const std::string_view header_text = bytes.substr(8, n);
  RECSYS_CHECK_FORMAT(!header_text.empty() && header_text[0] == '{', source,
                      ": the header does not start with '{'");
  Json header;
  try {
    header = parse_json_text(header_text);
  } catch (const JsonError& e) {  // parse_error, and out_of_range for a number that overflows
    RECSYS_FAIL(Format, source, ": the header is not valid JSON: ", e.what());
  }
  RECSYS_CHECK_FORMAT(header.is_object(), source, ": the header is not a JSON object");
  const std::uint64_t data_size = bytes.size() - 8 - n;
  const char* data = bytes.data() + 8 + n;

  Safetensors out;
  struct Range {
    std::uint64_t begin, end;
    std::size_t index;
  };
  std::vector<Range> ranges;
  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string& name = it.key();
    const auto& v = it.value();
    if (name == "__metadata__") {
      RECSYS_CHECK_FORMAT(v.is_object(), source, ": __metadata__ must be an object");
      for (auto m = v.begin(); m != v.end(); ++m) {
        RECSYS_CHECK_FORMAT(m.value().is_string(), source, ": __metadata__ '", m.key(),
                            "' must be a string");
        out.metadata[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    RECSYS_CHECK_FORMAT(
        v.is_object() && v.contains("dtype") && v.contains("shape") && v.contains("data_offsets"),
        source, ": tensor '", name, "' needs dtype, shape and data_offsets");
    Tensor t;
    t.name = name;
    RECSYS_CHECK_FORMAT(v["dtype"].is_string(), source, ": tensor '", name,
                        "': dtype must be a string");
    t.dtype = v["dtype"].get<std::string>();
    const int elem = dtype_size(t.dtype);
    RECSYS_CHECK_FORMAT(elem > 0, source, ": tensor '", name, "': unknown dtype '", t.dtype, "'");
    RECSYS_CHECK_FORMAT(v["shape"].is_array(), source, ": tensor '", name,
                        "': shape must be an array");
    std::uint64_t count = 1;
    for (const auto& d : v["shape"]) {
      RECSYS_CHECK_FORMAT(d.is_number_unsigned(), source, ": tensor '", name, "': bad dimension ",
                          json_text(d));
      const std::uint64_t dim = d.get<std::uint64_t>();
      RECSYS_CHECK_FORMAT(dim == 0 || count <= std::numeric_limits<std::uint64_t>::max() / dim / 8,
                          source, ": tensor '", name, "': shape overflows");
      count *= dim;
      t.shape.push_back(static_cast<std::int64_t>(dim));
    }
    const auto& off = v["data_offsets"];
    RECSYS_CHECK_FORMAT(off.is_array() && off.size() == 2 && off[0].is_number_unsigned() &&
                            off[1].is_number_unsigned(),
                        source, ": tensor '", name, "': data_offsets must be [begin, end]");
    const std::uint64_t b = off[0].get<std::uint64_t>(), e = off[1].get<std::uint64_t>();
    RECSYS_CHECK_FORMAT(b <= e, source, ": tensor '", name, "': data_offsets [", b, ", ", e,
                        "] are reversed");
    RECSYS_CHECK_FORMAT(e - b == count * static_cast<std::uint64_t>(elem), source, ": tensor '",
                        name, "': ", e - b, " bytes for a ", t.dtype, " tensor of ", count,
                        " values");
    RECSYS_CHECK_FORMAT(e <= data_size, source, ": truncated: tensor '", name, "' ends at byte ", e,
                        " of the data but the file holds ", data_size);
    ranges.push_back(Range{b, e, out.tensors.size()});
    out.tensors.push_back(std::move(t));
  }
  // The ranges must tile the data exactly: no gap, no overlap, nothing after the last tensor.
  {
    std::vector<std::size_t> order(ranges.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    sort_indices(order, [&ranges](std::size_t a, std::size_t b) {
      const Range &x = ranges[a], &y = ranges[b];
      return x.begin < y.begin || (x.begin == y.begin && x.end < y.end);
    });
    ranges = in_order(ranges.data(), order);
  }
  std::uint64_t expect = 0;
  for (const auto& r : ranges) {
    RECSYS_CHECK_FORMAT(r.begin == expect, source, ": tensor '", out.tensors[r.index].name,
                        "' starts at byte ", r.begin, " of the data, expected ", expect,
                        r.begin < expect ? " (overlap)" : " (gap)");
    expect = r.end;
  }
  RECSYS_CHECK_FORMAT(expect == data_size, source, ": ", data_size - expect,
                      " unexpected bytes after the last tensor (the file is too large)");
  // F32, F16 and I8 data into floats; other dtypes keep their shape but no values (callers
  // reject them by dtype).
  for (const auto& r : ranges) {
    Tensor& t = out.tensors[r.index];
    const char* src = data + r.begin;
    if (!decode) {
      if (t.dtype == "F32" || t.dtype == "F16" || t.dtype == "I8")
        t.raw = std::string_view(src, static_cast<std::size_t>(r.end - r.begin));
    } else if (t.dtype == "F32") {
      t.data.resize(static_cast<std::size_t>((r.end - r.begin) / 4));
      if (!t.data.empty()) std::memcpy(t.data.data(), src, r.end - r.begin);
    } else if (t.dtype == "F16") {
      t.data.resize(static_cast<std::size_t>((r.end - r.begin) / 2));
      for (std::size_t i = 0; i < t.data.size(); ++i)
        t.data[i] = half_to_float(
            static_cast<std::uint16_t>(static_cast<unsigned char>(src[2 * i]) |
                                       (static_cast<unsigned char>(src[2 * i + 1]) << 8)));
    } else if (t.dtype == "I8") {
      t.data.resize(static_cast<std::size_t>(r.end - r.begin));
      for (std::size_t i = 0; i < t.data.size(); ++i)
        t.data[i] = static_cast<float>(static_cast<std::int8_t>(src[i]));
    }
  }
  std::vector<Tensor> ordered;
  for (const auto& r : ranges) ordered.push_back(std::move(out.tensors[r.index]));
  out.tensors = std::move(ordered);
  return out;
}

}  // namespace recsys::io
