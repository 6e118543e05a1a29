// safetensors (https://github.com/huggingface/safetensors): an 8-byte little-endian header size N,
// an N-byte JSON header {"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__":
// {string: string}}, then the tensor bytes, little-endian and row-major. The reader treats the
// file as hostile: every size and offset is checked, and the data must be covered exactly.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace recsys::io {

struct Tensor {
  std::string name;
  // F32, F16 and I8 values are read into (and written from) floats: F16 widened exactly, I8 as the
  // integers -128 .. 127; other dtypes keep their shape but no values.
  std::string dtype = "F32";
  std::vector<std::int64_t> shape;
  std::vector<float> data;  // row-major; empty when read with decode = false (see raw)
  // The stored bytes, little-endian, when read with decode = false: a view into the bytes that
  // were read, valid while they are.
  std::string_view raw{};
  std::int64_t elements() const;
  // Element i as a float (from data, else decoded from raw: F16 widened, I8 as an integer).
  float value(std::size_t i) const;
  // All elements() values into out, as value() gives them.
  void values(float* out) const;
  // The first element that is not finite (NaN, ±inf), or -1; I8 values are integers: -1.
  std::int64_t first_non_finite() const;
};

struct Safetensors {
  std::vector<Tensor> tensors;  // in data order
  std::map<std::string, std::string> metadata;
  const Tensor* find(std::string_view name) const;
};

// Serialises the tensors in the given order (header padded with spaces to a multiple of 8).
// IEEE 754 binary16 <-> binary32: round to nearest, ties to even (overflow gives infinity, NaN
// stays NaN); every half widens exactly.
std::uint16_t float_to_half(float f);
float half_to_float(std::uint16_t h);

// Writes F32, F16 (rounded from the floats) and I8 (the floats must be integers in -128 .. 127).
std::string write_safetensors(const std::vector<Tensor>& tensors,
                              const std::map<std::string, std::string>& metadata = {});
// Parses and validates a whole file; errors name `source` and the problem. decode = false leaves
// the values in the file (Tensor::raw) for the caller to read once into where they go: a model
// load then touches no second copy of its weights.
Safetensors read_safetensors(std::string_view bytes,
                             const std::string& source = "model.safetensors", bool decode = true);

}  // namespace recsys::io
