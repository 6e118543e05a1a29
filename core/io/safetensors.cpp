#include "io/safetensors.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include <nlohmann/json.hpp>

#include "common/check.h"

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

std::int64_t Tensor::elements() const {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

const Tensor* Safetensors::find(std::string_view name) const {
  for (const auto& t : tensors)
    if (t.name == name) return &t;
  return nullptr;
}

std::string write_safetensors(const std::vector<Tensor>& tensors,
                              const std::map<std::string, std::string>& metadata) {
  RECSYS_CHECK(is_little_endian(), "safetensors: big-endian hosts are not supported");
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::uint64_t offset = 0;
  for (const auto& t : tensors) {
    RECSYS_CHECK(t.dtype == "F32", "safetensors: tensor '", t.name, "' has dtype ", t.dtype,
                 ", only F32 is written");
    RECSYS_CHECK(!t.name.empty() && t.name != "__metadata__", "safetensors: bad tensor name '",
                 t.name, "'");
    RECSYS_CHECK(!header.contains(t.name), "safetensors: duplicate tensor name '", t.name, "'");
    RECSYS_CHECK(t.elements() == static_cast<std::int64_t>(t.data.size()), "safetensors: tensor '",
                 t.name, "' has ", t.data.size(), " values for its shape");
    const std::uint64_t bytes = t.data.size() * sizeof(float);
    header[t.name] = {
        {"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string h = header.dump();
  while (h.size() % 8) h.push_back(' ');
  std::string out(8, '\0');
  const std::uint64_t n = h.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  out += h;
  out.reserve(out.size() + offset);
  for (const auto& t : tensors)
    out.append(reinterpret_cast<const char*>(t.data.data()), t.data.size() * sizeof(float));
  return out;
}

Safetensors read_safetensors(std::string_view bytes, const std::string& source) {
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
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(header_text.begin(), header_text.end());
  } catch (const nlohmann::json::exception& e) {  // parse_error, and out_of_range for a number that overflows
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
                          d.dump());
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
  std::sort(ranges.begin(), ranges.end(), [](const Range& x, const Range& y) {
    return x.begin < y.begin || (x.begin == y.begin && x.end < y.end);
  });
  std::uint64_t expect = 0;
  for (const auto& r : ranges) {
    RECSYS_CHECK_FORMAT(r.begin == expect, source, ": tensor '", out.tensors[r.index].name,
                        "' starts at byte ", r.begin, " of the data, expected ", expect,
                        r.begin < expect ? " (overlap)" : " (gap)");
    expect = r.end;
  }
  RECSYS_CHECK_FORMAT(expect == data_size, source, ": ", data_size - expect,
                      " unexpected bytes after the last tensor (the file is too large)");
  // Copy F32 data; other dtypes keep their shape but no values (callers reject them by dtype).
  for (const auto& r : ranges) {
    Tensor& t = out.tensors[r.index];
    if (t.dtype != "F32") continue;
    t.data.resize(static_cast<std::size_t>((r.end - r.begin) / 4));
    if (!t.data.empty()) std::memcpy(t.data.data(), data + r.begin, r.end - r.begin);
  }
  std::vector<Tensor> ordered;
  for (const auto& r : ranges) ordered.push_back(std::move(out.tensors[r.index]));
  out.tensors = std::move(ordered);
  return out;
}

}  // namespace recsys::io
