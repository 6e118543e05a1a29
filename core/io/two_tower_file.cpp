#include "io/two_tower_file.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <type_traits>
#include <vector>

#include "common/check.h"
#include "common/tiering.h"
#include "data/json_options.h"
#include "data/json_text.h"
#include "data/json_value.h"
#include "io/manifest_arrays.h"
#include "io/safetensors.h"
#include "nn/kernels.h"

namespace recsys {

namespace {

// Every value of a stored tensor is finite, or a Format error naming the tensor and the element.
void check_finite(const io::Tensor& t, const std::string& source, const std::string& name) {
  const std::int64_t i = t.first_non_finite();
  RECSYS_CHECK_FORMAT(i < 0, source, "/model.safetensors: tensor '", name,
                      "' holds a non-finite value (", t.value(static_cast<std::size_t>(i)),
                      ") at element ", i);
}
constexpr const char* kFormat = "recsys-wasm.two-tower";

bool ends_with(const std::string& s, const char* tail) {
  const std::size_t n = std::char_traits<char>::length(tail);
  return s.size() >= n && s.compare(s.size() - n, n, tail) == 0;
}

// The precisions of docs/model-format.md: f32 (format version 1), f16 and int8 (version 2).
void check_precision(const std::string& precision, const char* where) {
  RECSYS_CHECK(precision == "f32" || precision == "f16" || precision == "int8", where,
               ": precision must be f32, f16 or int8, got '", precision, "'");
}
// int8: a table (and the attention's position rows) is scaled per row, a kernel (and Wq, Wk, Wv,
// read as x · W) per output column; 1-D tensors (biases) stay F32.
bool int8_per_row(const std::string& name) {
  return ends_with(name, "_embedding") || ends_with(name, "/history_position");
}

// The two-tower tensors at `precision`: F16 values (checked to fit), or I8 codes round(x / s) with
// s = max|x| / 127 per row or column, the scales as F32 tensors named NAME.scale after each.
std::vector<io::Tensor> at_precision(std::vector<io::Tensor> tensors,
                                     const std::string& precision) {
  if (precision == "f32") return tensors;
  std::vector<io::Tensor> out;
  for (auto& t : tensors) {
    if (precision == "f16") {
      for (std::size_t i = 0; i < t.data.size(); ++i)
        RECSYS_CHECK(std::fabs(t.data[i]) <= 65504.0f, "model files: tensor '", t.name, "' holds ",
                     t.data[i], " at element ", i, ", beyond f16's range (65504)");
      t.dtype = "F16";
      out.push_back(std::move(t));
      continue;
    }
    if (t.shape.size() != 2) {
      out.push_back(std::move(t));
      continue;
    }
    const std::int64_t rows = t.shape[0], cols = t.shape[1];
    const bool by_row = int8_per_row(t.name);
    io::Tensor scale{t.name + ".scale", "F32", {by_row ? rows : cols}, {}};
    scale.data.assign(static_cast<std::size_t>(scale.shape[0]), 0.0f);
    for (std::int64_t r = 0; r < rows; ++r)
      for (std::int64_t c = 0; c < cols; ++c) {
        float& m = scale.data[static_cast<std::size_t>(by_row ? r : c)];
        m = std::max(m, std::fabs(t.data[static_cast<std::size_t>(r * cols + c)]));
      }
    for (float& m : scale.data) m /= 127.0f;
    for (std::int64_t r = 0; r < rows; ++r)
      for (std::int64_t c = 0; c < cols; ++c) {
        const float s = scale.data[static_cast<std::size_t>(by_row ? r : c)];
        float& x = t.data[static_cast<std::size_t>(r * cols + c)];
        x = s > 0 ? std::clamp(std::nearbyint(x / s), -127.0f, 127.0f) : 0.0f;
      }
    t.dtype = "I8";
    out.push_back(std::move(t));
    out.push_back(std::move(scale));
  }
  return out;
}

JsonObject info_json(const TrainingInfo& i) {
  JsonObject j;
  j.add("dataset", i.dataset)
      .add("epochs", i.epochs)
      .add("best_epoch", i.best_epoch)
      .add("examples_per_epoch", i.examples_per_epoch)
      .add("final_loss", i.final_loss)
      .add("seconds", i.seconds);
  if (i.validation_recall_at_10 >= 0) j.add("validation_recall_at_10", i.validation_recall_at_10);
  if (i.popularity_recall_at_10 >= 0) j.add("popularity_recall_at_10", i.popularity_recall_at_10);
  return j;
}

// JSON text written by another writer, as nlohmann_json's dump() of its DOM wrote it: parsed
// and written again (keys in byte order, numbers in their shortest form).
std::string normalised(const std::string& text) {
  return json_text(parse_json_text(text));
}

// Whether v is an integer that T holds (nlohmann's get<int> would cast 1e300 or 1.5 silently;
// the first is undefined behaviour).
template <class T>
bool fits(const Json& v) {
  if (v.is_number_unsigned()) return v.get<std::uint64_t>() <= static_cast<std::uint64_t>(std::numeric_limits<T>::max());
  if (!v.is_number_integer()) return false;
  const auto x = v.get<std::int64_t>();
  return x >= static_cast<std::int64_t>(std::numeric_limits<T>::min()) &&
         x <= static_cast<std::int64_t>(std::numeric_limits<T>::max());
}

// A large array of the manifest: from the fast reader when it took it, else read from the JSON.
template <class T>
T take(std::optional<T>& fast, const Json& j, const char* key, const std::string& where);

template <class T>
struct is_int_vector : std::false_type {};
template <class I>
struct is_int_vector<std::vector<I>> : std::is_integral<I> {};

// The member key of j, which must be there. What get<T>() shares, out of its copies.
const Json& member(const Json& j, const char* key, const std::string& where) {
  const Json* v = j.find(key);
  RECSYS_CHECK_FORMAT(v, where, ": missing '", key, "'");
  return *v;
}

[[noreturn]] void not_an_integer(const Json& v, const char* key, const std::string& where,
                                 std::string_view index = {}) {
  RECSYS_FAIL(Format, where, ": '", key, "'", index, " must be an integer, got ",
              json_text(v).substr(0, 60));
}

[[noreturn]] void wrong_type(const Json& v, const char* key, const std::string& where) {
  RECSYS_FAIL(Format, where, ": '", key, "' has the wrong type: ", json_text(v).substr(0, 60));
}

template <class T>
T get(const Json& j, const char* key, const std::string& where) {
  const Json& v = member(j, key, where);
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    if (!fits<T>(v)) not_an_integer(v, key, where);
  } else if constexpr (is_int_vector<T>::value) {
    RECSYS_CHECK_FORMAT(v.is_array(), where, ": '", key, "' must be an array of integers");
    for (std::size_t i = 0; i < v.size(); ++i)
      if (!fits<typename T::value_type>(v[i]))
        not_an_integer(v[i], key, where, "[" + std::to_string(i) + "]");
  }
  try {
    return v.get<T>();
  } catch (const JsonError&) {
    wrong_type(v, key, where);
  }
}
template <class T>
T take(std::optional<T>& fast, const Json& j, const char* key, const std::string& where) {
  if (!fast) return get<T>(j, key, where);
  T v = std::move(*fast);
  fast.reset();
  return v;
}
}  // namespace

// The manifest and the weights of one load, each parsed once: load_all() builds the model, its
// ranker and its candidate ranker from them (the three loads used to parse both files each).
struct TwoTowerFile::Parsed {
  Json manifest;
  // The large arrays, when the fast reader took them out of the manifest (io/manifest_arrays.h);
  // each is moved out once by take() below.
  io::ManifestArrays arrays;
  std::string_view weights;
  std::string source;
  std::optional<io::Safetensors> st;
  // The weights file, read (and validated) on first use.
  const io::Safetensors& tensors() {
    // Not decoded: each value is read once, from the file's bytes into its parameter.
    if (!st) st = io::read_safetensors(weights, source + "/model.safetensors", /*decode=*/false);
    return *st;
  }
};

std::string training_info_json(const TrainingInfo& info) {
  return info_json(info).text();
}

TrainingInfo training_info_from_json(std::string_view json) {
  if (json.empty()) return TrainingInfo();
  const Json t = parse_json_object(json, "training info");
  TrainingInfo i;
  i.dataset = t.value("dataset", "");
  i.epochs = t.value("epochs", 0);
  i.best_epoch = t.value("best_epoch", i.epochs);
  i.examples_per_epoch = t.value("examples_per_epoch", std::int64_t{0});
  i.final_loss = t.value("final_loss", 0.0);
  i.seconds = t.value("seconds", 0.0);
  i.validation_recall_at_10 = t.value("validation_recall_at_10", -1.0);
  i.popularity_recall_at_10 = t.value("popularity_recall_at_10", -1.0);
  return i;
}

ModelFiles TwoTowerFile::save(const TwoTowerModel& model, const TrainingInfo& info,
                              RankingModel* ranker, const CandidateRanker* candidate_ranker,
                              const std::string& precision, bool prune_user_rows) {
  RECSYS_CHECK(!ranker || &ranker->retrieval() == &model,
               "model files: the ranker belongs to another model");
  check_precision(precision, "model files");
  auto& m = const_cast<TwoTowerModel&>(model);  // float_parameters() hands out mutable pointers
  std::vector<io::Tensor> tensors;
  JsonObject shapes;        // a name added again replaces its shape
  if (model.user_codes_) {  // a user table held as codes: its floats, first as parameters() has it
    const auto& c = *model.user_codes_;
    io::Tensor t;
    t.name = "user/id_embedding";
    t.shape = {c.rows, c.cols};
    t.data.resize(static_cast<std::size_t>(c.rows) * static_cast<std::size_t>(c.cols));
    c.dequantize(t.data.data());
    shapes.add(t.name, t.shape);
    tensors.push_back(std::move(t));
  }
  for (const auto& p : m.float_parameters()) {
    io::Tensor t;
    t.name = p.name;
    t.shape = {p.value->rows(), p.value->cols()};
    if (p.name.size() > 5 && p.name.compare(p.name.size() - 5, 5, "/bias") == 0)
      t.shape = {p.value->cols()};
    t.data.assign(p.value->data(), p.value->data() + p.value->size());
    shapes.add(t.name, t.shape);
    tensors.push_back(std::move(t));
  }
  // A serving file's user table: the rows the users and the anonymous row reach, in row order
  // (quantised per row below, as the whole table would be), and which rows they are.
  std::vector<char> kept;
  if (prune_user_rows && model.config_.user_buckets > 0) {
    kept.assign(static_cast<std::size_t>(model.anonymous_row_) + 1, 0);
    for (std::int32_t r : model.user_id_rows_) kept[static_cast<std::size_t>(r)] = 1;
    kept.back() = 1;
    if (std::count(kept.begin(), kept.end(), 1) == static_cast<std::ptrdiff_t>(kept.size()))
      kept.clear();  // every row reached: nothing to leave out
  }
  if (!kept.empty()) {
    io::Tensor& t = *std::find_if(tensors.begin(), tensors.end(), [](const io::Tensor& x) {
      return x.name == "user/id_embedding";
    });
    const std::int64_t cols = t.shape[1];
    std::vector<float> rows;
    for (std::size_t r = 0; r < kept.size(); ++r)
      if (kept[r])
        rows.insert(rows.end(), t.data.begin() + static_cast<std::ptrdiff_t>(r) * cols,
                    t.data.begin() + static_cast<std::ptrdiff_t>(r + 1) * cols);
    t.shape[0] = static_cast<std::int64_t>(rows.size()) / cols;
    t.data = std::move(rows);
    shapes.add(t.name, t.shape);
  }
  // The ranker's and the candidate ranker's tensors (small) stay F32 at every precision.
  tensors = at_precision(std::move(tensors), precision);
  if (!kept.empty()) {  // I8 0 / 1 per row of the whole table, after the table (and its scales)
    io::Tensor k{"user/id_embedding.kept", "I8", {static_cast<std::int64_t>(kept.size())}, {}};
    k.data.assign(kept.begin(), kept.end());
    auto at = std::find_if(tensors.begin(), tensors.end(),
                           [](const io::Tensor& x) { return x.name == "user/id_embedding"; });
    at += at + 1 != tensors.end() && (at + 1)->name == "user/id_embedding.scale" ? 2 : 1;
    shapes.add(k.name, k.shape);
    tensors.insert(at, std::move(k));
  }
  if (ranker)
    for (const auto& [name, tensor] : ranker->tensors()) {
      io::Tensor t;
      t.name = name;
      t.shape = {tensor->rows(), tensor->cols()};
      if (name.size() > 5 && name.compare(name.size() - 5, 5, "/bias") == 0)
        t.shape = {tensor->cols()};
      t.data.assign(tensor->data(), tensor->data() + tensor->size());
      shapes.add(t.name, t.shape);
      tensors.push_back(std::move(t));
    }
  if (candidate_ranker)
    for (const auto& [name, tensor] : const_cast<CandidateRanker*>(candidate_ranker)->tensors()) {
      io::Tensor t;
      t.name = name;
      t.shape = {tensor->cols()};  // mean, scale and biases are rows
      if (tensor->rows() > 1 || name.compare(name.size() - 7, 7, "/kernel") == 0)
        t.shape = {tensor->rows(), tensor->cols()};
      t.data.assign(tensor->data(), tensor->data() + tensor->size());
      shapes.add(t.name, t.shape);
      tensors.push_back(std::move(t));
    }
  // The manifest, written as text member by member (data/json_text.h; compact: the item and user
  // lists are long).
  JsonObject j;
  // f32 files stay readable by version-1 builds, f16 and int8 ones by version-2 builds.
  const int version = !kept.empty() ? 3 : precision == "f32" ? 1 : 2;
  j.add("format", kFormat).add("format_version", version);
  if (precision != "f32") j.add("precision", precision);
  j.add("preset", model.config_.preset);
  j.add_text("config", normalised(model.config_.to_json()));
  JsonObject items;
  items.add("ids", model.items_.tokens())
      .add("category", model.item_category_)
      .add("brand", model.item_brand_)
      .add("price", model.item_price_);
  if (model.config_.title_dim > 0) items.add("title", model.item_title_);  // only when read
  j.add("items", items);
  j.add("users", model.users_.tokens());
  j.add("categories", model.categories_.tokens());
  j.add("brands", model.brands_.tokens());
  const auto& c = model.config_;
  JsonObject user, item, hashing;
  user.add("buckets", c.user_buckets).add("hashes", model.user_slots()).add("seed", c.seed * 2 + 1);
  item.add("buckets", c.item_buckets).add("hashes", model.item_slots()).add("seed", c.seed * 2 + 2);
  hashing.add("function", "fnv1a64(seed_k, utf8 id) -> splitmix64 -> mod buckets")
      .add("user", user)
      .add("item", item);
  j.add("hashing", hashing);
  JsonObject price;
  price.add("feature", c.price_feature)
      .add("log_mean", model.price_.log_mean)
      .add("log_std", model.price_.log_std)
      .add("boundaries", model.price_.boundaries);
  j.add("price", price);
  j.add("tensors", shapes);
  j.add("training", info_json(info));
  if (ranker) {
    // Whole counts as JSON integers ("3", not "3.0"): a reader parses those without strtod.
    JsonArray counts;
    for (double c : ranker->item_counts())
      if (c == std::floor(c) && std::fabs(c) < 9007199254740992.0)
        counts.add_text(std::to_string(static_cast<std::int64_t>(c)));
      else
        counts.add_text(json_text(Json(c)));
    JsonObject ranking;
    ranking.add_text("config", normalised(ranker->config().to_json()))
        .add_text("item_counts", counts.text());
    j.add("ranking", ranking);
  }
  if (candidate_ranker)
    j.add_text("candidate_ranker", normalised(candidate_ranker->manifest_json()));
  ModelFiles f;
  f.weights = io::write_safetensors(
      tensors, {{"format", kFormat}, {"format_version", std::to_string(version)}});
  f.manifest = j.text();
  return f;
}

std::shared_ptr<RankingModel> TwoTowerFile::load_ranker(std::string_view weights,
                                                        std::string_view manifest,
                                                        std::shared_ptr<const TwoTowerModel> model,
                                                        const std::string& source) {
  RECSYS_CHECK(model, "load_ranker: no model");
  Parsed p{parse_json(manifest, source + "/manifest.json"), {}, weights, source, std::nullopt};
  return load_ranker_parsed(p, std::move(model));
}

std::shared_ptr<RankingModel> TwoTowerFile::load_ranker_parsed(
    Parsed& p, std::shared_ptr<const TwoTowerModel> model) {
  const std::string& source = p.source;
  const std::string where = source + "/manifest.json";
  const Json& j = p.manifest;
  if (!j.is_object() || !j.contains("ranking")) return nullptr;
  const auto& r = j["ranking"];
  RECSYS_CHECK_FORMAT(r.is_object() && r.contains("config") && r.contains("item_counts"), where,
                      ": 'ranking' needs config and item_counts");
  const auto counts = take(p.arrays.ranking_item_counts, r, "item_counts", where + " ranking");
  auto ranker = std::make_shared<RankingModel>(RankingConfig::from_json(json_text(r["config"])),
                                               model, counts,
                                               /*prepare_now=*/false);
  const io::Safetensors& st = p.tensors();
  for (auto& [name, tensor] : ranker->tensors()) {
    const io::Tensor* t = st.find(name);
    RECSYS_CHECK_FORMAT(t, source, "/model.safetensors: missing tensor '", name, "'");
    RECSYS_CHECK_FORMAT(t->dtype == "F32", source, "/model.safetensors: tensor '", name,
                        "' has dtype ", t->dtype, ", expected F32");
    RECSYS_CHECK_FORMAT(
        t->elements() == tensor->size() &&
            (t->shape.size() == 2 ? t->shape[0] == tensor->rows() && t->shape[1] == tensor->cols()
                                  : t->shape.size() == 1 && tensor->rows() == 1),
        source, "/model.safetensors: tensor '", name,
        "' does not have the shape of the ranking config");
    check_finite(*t, source, name);
    t->values(tensor->data());
  }
  ranker->prepare();
  return ranker;
}

std::shared_ptr<CandidateRanker> TwoTowerFile::load_candidate_ranker(std::string_view weights,
                                                                    std::string_view manifest,
                                                                    const std::string& source) {
  Parsed p{parse_json(manifest, source + "/manifest.json"), {}, weights, source, std::nullopt};
  return load_candidate_ranker_parsed(p);
}

std::shared_ptr<CandidateRanker> TwoTowerFile::load_candidate_ranker_parsed(Parsed& p) {
  const std::string& source = p.source;
  const std::string where = source + "/manifest.json";
  const Json& j = p.manifest;
  if (!j.is_object() || !j.contains("candidate_ranker")) return nullptr;
  auto ranker = CandidateRanker::from_manifest_json(json_text(j["candidate_ranker"]),
                                                    where + " candidate_ranker");
  const io::Safetensors& st = p.tensors();
  std::size_t stored = 0;
  for (const auto& t : st.tensors) stored += t.name.rfind("candidate_ranker/", 0) == 0;
  const auto tensors = ranker->tensors();
  RECSYS_CHECK_FORMAT(stored == tensors.size(), source, "/model.safetensors: ", stored,
                      " candidate_ranker tensors, its config has ", tensors.size());
  for (auto& [name, tensor] : tensors) {
    const io::Tensor* t = st.find(name);
    RECSYS_CHECK_FORMAT(t, source, "/model.safetensors: missing tensor '", name, "'");
    RECSYS_CHECK_FORMAT(t->dtype == "F32", source, "/model.safetensors: tensor '", name,
                        "' has dtype ", t->dtype, ", expected F32");
    const bool row = tensor->rows() == 1 && t->shape.size() == 1;
    RECSYS_CHECK_FORMAT(
        t->elements() == tensor->size() &&
            (row || (t->shape.size() == 2 && t->shape[0] == tensor->rows() &&
                     t->shape[1] == tensor->cols())),
        source, "/model.safetensors: tensor '", name,
        "' does not have the shape of the candidate ranker's config");
    check_finite(*t, source, name);
    t->values(tensor->data());
  }
  return ranker;
}

TrainingInfo TwoTowerFile::training_info(std::string_view manifest) {
  const Json j = parse_json(manifest, "manifest.json");
  if (!j.is_object() || !j.contains("training") || !j["training"].is_object())
    return TrainingInfo();
  return training_info_from_json(json_text(j["training"]));
}

TwoTowerFile::Parsed TwoTowerFile::parse_files(std::string_view weights,
                                               std::string_view manifest_text,
                                               const std::string& source) {
  const std::string where = source + "/manifest.json";
  // Files from anywhere: sizes are checked before anything is parsed, every field after.
  RECSYS_CHECK_FORMAT(manifest_text.size() <= kMaxManifestBytes, where, ": ",
                      manifest_text.size(), " bytes, over the ", kMaxManifestBytes >> 20,
                      " MiB limit");
  RECSYS_CHECK_FORMAT(weights.size() <= kMaxWeightsBytes, source, "/model.safetensors: ",
                      weights.size(), " bytes, over the ", kMaxWeightsBytes >> 20, " MiB limit");
  // The large arrays by the fast reader; anything it cannot vouch for, by the JSON reader alone.
  if (auto split = io::split_manifest(manifest_text))
    return Parsed{std::move(split->rest), std::move(split->arrays), weights, source, std::nullopt};
  return Parsed{parse_json_object(manifest_text, where), {}, weights, source, std::nullopt};
}

TwoTowerModel TwoTowerFile::load(std::string_view weights, std::string_view manifest_text,
                                 const std::string& source) {
  Parsed p = parse_files(weights, manifest_text, source);
  return load_parsed(p);
}

TwoTowerFile::LoadedModel TwoTowerFile::load_all(std::string_view weights,
                                                 std::string_view manifest_text,
                                                 const std::string& source) {
  Parsed p = parse_files(weights, manifest_text, source);
  LoadedModel out;
  out.model = std::make_shared<TwoTowerModel>(load_parsed(p));
  out.ranker = load_ranker_parsed(p, out.model);
  out.candidate = load_candidate_ranker_parsed(p);
  return out;
}

namespace {
// The model's loops over its items, each in a function of its own (common/tiering.h).
RECSYS_LOOP void check_item_indices(const std::vector<std::string>& ids,
                                    const std::vector<std::int32_t>& category,
                                    std::int32_t categories, const std::vector<std::int32_t>& brand,
                                    std::int32_t brands, const std::string& where) {
  for (std::size_t i = 0; i < ids.size(); ++i) {
    RECSYS_CHECK_FORMAT(category[i] >= 0 && category[i] < categories, where, ": item ", ids[i],
                        " has category index ", category[i], " out of range");
    RECSYS_CHECK_FORMAT(brand[i] >= 0 && brand[i] < brands, where, ": item ", ids[i],
                        " has brand index ", brand[i], " out of range");
  }
}

RECSYS_LOOP void price_columns(const PriceFeatures& price, const std::vector<double>& item_price,
                               const std::string& feature, std::vector<std::int32_t>& bucket,
                               std::vector<float>& value) {
  const std::size_t n = item_price.size();
  bucket.resize(n);
  value.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    bucket[i] = price.bucket(item_price[i]);
    value[i] = price.value(item_price[i], feature);
  }
}

// The rows of the whole user table (`rows` of them) that a serving file holds, from its
// user/id_embedding.kept (I8 of shape [rows], checked by the caller): slot[r] is row r's place
// among the held rows (held_rows of them), or -1. Each mark 0 or 1, every row in user_rows (the
// users' hashed rows, `slots` per user) and the anonymous row (the last) held.
RECSYS_LOOP std::vector<std::int32_t> kept_user_slots(const io::Tensor& kept, Eigen::Index rows,
                                                      const std::vector<std::int32_t>& user_rows,
                                                      int slots, const Vocabulary& users,
                                                      const std::string& name,
                                                      Eigen::Index& held_rows) {
  // The marks as stored (raw, an undecoded read) or as decoded.
  const auto mark = [&kept](Eigen::Index r) {
    return kept.raw.empty() ? static_cast<int>(kept.data[static_cast<std::size_t>(r)])
                            : static_cast<int>(static_cast<std::int8_t>(kept.raw[r]));
  };
  std::vector<std::int32_t> slot(static_cast<std::size_t>(rows));
  std::int32_t held = 0;
  for (Eigen::Index r = 0; r < rows; ++r) {
    const int v = mark(r);
    RECSYS_CHECK_FORMAT(v == 0 || v == 1, name, " holds ", v, " at element ", r,
                        " (0 or 1 expected)");
    slot[static_cast<std::size_t>(r)] = v == 1 ? held++ : -1;
  }
  for (std::size_t x = 0; x < user_rows.size(); ++x)
    RECSYS_CHECK_FORMAT(slot[static_cast<std::size_t>(user_rows[x])] >= 0, name, ": user '",
                        users.token(static_cast<std::int32_t>(x / static_cast<std::size_t>(slots))),
                        "' reaches row ", user_rows[x], ", which is not kept");
  RECSYS_CHECK_FORMAT(slot.back() >= 0, name, ": the anonymous row (", rows - 1, ") is not kept");
  held_rows = held;
  return slot;
}

// The held rows of `from` (cols floats each) to their rows of `to` (slot: kept_user_slots).
RECSYS_LOOP void scatter_rows(const std::vector<std::int32_t>& slot, const float* from,
                              Eigen::Index cols, float* to) {
  for (std::size_t r = 0; r < slot.size(); ++r)
    if (slot[r] >= 0)
      std::copy(from + slot[r] * cols, from + (slot[r] + 1) * cols,
                to + static_cast<Eigen::Index>(r) * cols);
}
}  // namespace

TwoTowerModel TwoTowerFile::load_parsed(Parsed& p) {
  const std::string& source = p.source;
  const std::string where = source + "/manifest.json";
  const Json& j = p.manifest;
  const auto format = get<std::string>(j, "format", where);
  RECSYS_CHECK_FORMAT(format == kFormat, where, ": format is '", format, "', expected '", kFormat,
                      "'");
  const int version = get<int>(j, "format_version", where);
  RECSYS_CHECK_FORMAT(version >= 1 && version <= kTwoTowerFormatVersion, where, ": format_version ",
                      version, " is not supported (this build reads 1 to ", kTwoTowerFormatVersion,
                      ")");
  RECSYS_CHECK_FORMAT(j.contains("config") && j["config"].is_object(), where, ": missing 'config'");
  const std::string precision = version >= 2 && j.contains("precision")
                                    ? get<std::string>(j, "precision", where)
                                    : std::string("f32");
  RECSYS_CHECK_FORMAT(precision == "f32" || precision == "f16" || precision == "int8", where,
                      ": precision must be f32, f16 or int8, got '", precision, "'");
  RECSYS_CHECK_FORMAT(version != 2 || j.contains("precision"), where,
                      ": format_version 2 needs 'precision'");  // 3: absent is f32

  TwoTowerModel m;
  // Features added after format version 1 are off in configs that predate them.
  // A file from before titles has no title_dim: it had none (0, not today's default).
  const Json& cfg = j["config"];  // an object (checked above)
  std::string cfg_text = json_text(cfg);
  if (!cfg.contains("title_dim"))
    cfg_text.insert(1, cfg.empty() ? "\"title_dim\":0" : "\"title_dim\":0,");
  m.config_ = TwoTowerConfig::from_json(cfg_text);
  RECSYS_CHECK_FORMAT(m.config_.user_buckets >= 0 && m.config_.item_buckets >= 0, where,
                      ": config has unresolved bucket counts (-1)");
  const auto& items = j.contains("items") ? j["items"] : Json();
  io::ManifestArrays& a = p.arrays;
  const auto ids = take(a.item_ids, items, "ids", where + " items");
  m.item_category_ = take(a.item_category, items, "category", where + " items");
  m.item_brand_ = take(a.item_brand, items, "brand", where + " items");
  m.item_price_ = take(a.item_price, items, "price", where + " items");
  if (items.contains("title"))
    m.item_title_ = take(a.item_title, items, "title", where + " items");
  else
    m.item_title_.assign(m.item_price_.size(), "");
  RECSYS_CHECK_FORMAT(m.item_title_.size() == m.item_price_.size(), where, ": items.title has ",
                      m.item_title_.size(), " entries for ", m.item_price_.size(), " items");
  RECSYS_CHECK_FORMAT(m.config_.title_dim == 0 || items.contains("title"), where,
                      ": config.title_dim needs items.title");
  RECSYS_CHECK_FORMAT(!ids.empty(), where, ": the model has no items");
  RECSYS_CHECK_FORMAT(m.item_category_.size() == ids.size() && m.item_brand_.size() == ids.size() &&
                          m.item_price_.size() == ids.size(),
                      where, ": items.ids, category, brand and price differ in length");
  m.items_ = Vocabulary(ids);
  m.users_ = Vocabulary(take(a.users, j, "users", where));
  m.categories_ = Vocabulary(get<std::vector<std::string>>(j, "categories", where));
  m.brands_ = Vocabulary(get<std::vector<std::string>>(j, "brands", where));
  check_item_indices(ids, m.item_category_, m.categories_.size(), m.item_brand_, m.brands_.size(),
                     where);
  const auto& price = j.contains("price") ? j["price"] : Json();
  m.price_.log_mean = get<double>(price, "log_mean", where + " price");
  m.price_.log_std = get<double>(price, "log_std", where + " price");
  m.price_.boundaries = get<std::vector<double>>(price, "boundaries", where + " price");
  RECSYS_CHECK_FORMAT(m.price_.log_std > 0, where, ": price.log_std must be > 0");
  RECSYS_CHECK_FORMAT(static_cast<int>(m.price_.boundaries.size()) ==
                          (m.config_.price_buckets > 0 ? m.config_.price_buckets - 1 : 0),
                      where, ": price.boundaries has ", m.price_.boundaries.size(), " entries for ",
                      m.config_.price_buckets, " buckets");
  price_columns(m.price_, m.item_price_, m.config_.price_feature, m.item_price_bucket_,
                m.item_price_value_);
  m.build_id_rows();
  m.build_title_words();
  // Every tensor with its shape, zero: the values are read below. An int8 file's user table
  // stays int8 (TwoTowerModel::user_codes_): init_weights leaves it out of parameters().
  const bool user_codes = precision == "int8";
  m.init_weights(false, user_codes);

  const io::Safetensors& st = p.tensors();
  // A serving file's user table (version 3, TwoTowerFile::save's prune_user_rows): the rows that
  // user/id_embedding.kept marks, which must include every row a user or the anonymous row
  // reaches; the others load as zeros.
  const io::Tensor* kept = st.find("user/id_embedding.kept");
  std::vector<std::int32_t> kept_slot;  // per row of the table: its place in the file, or -1
  Eigen::Index kept_rows = 0;
  if (kept) {
    const std::string name = source + "/model.safetensors: tensor 'user/id_embedding.kept'";
    RECSYS_CHECK_FORMAT(version >= 3, name, " needs format_version 3, the manifest has ", version);
    RECSYS_CHECK_FORMAT(m.config_.user_buckets > 0, name,
                        " needs hashed users (config user_buckets > 0)");
    const Eigen::Index rows = m.anonymous_row_ + 1;
    RECSYS_CHECK_FORMAT(kept->dtype == "I8" && kept->shape.size() == 1 && kept->shape[0] == rows,
                        name, " must be I8 of shape [", rows, "], got ", kept->dtype, " of ",
                        kept->shape.size(), " dimensions");
    kept_slot =
        kept_user_slots(*kept, rows, m.user_id_rows_, m.user_slots(), m.users_, name, kept_rows);
  }
  // Each tensor's name, shape and destination: its parameter's floats, or none for an int8
  // file's user table, whose codes and scales are kept as they are (first, as parameters()
  // lists it). `kept`: the tensor holds kept_rows of the destination's rows.
  struct Slot {
    std::string name;
    Eigen::Index rows, cols;
    float* out;
    bool kept = false;
  };
  std::vector<Slot> slots;
  const auto user_table_rows = [&](Eigen::Index rows) { return kept ? kept_rows : rows; };
  if (user_codes)
    slots.push_back({"user/id_embedding", user_table_rows(m.anonymous_row_ + 1),
                     m.config_.user_id_dim, nullptr, kept != nullptr});
  for (const auto& q : m.parameters()) {
    const bool table = kept && q.name == "user/id_embedding";
    slots.push_back({q.name, table ? user_table_rows(q.value->rows()) : q.value->rows(),
                     q.value->cols(), q.value->data(), table});
  }
  std::size_t scale_tensors = 0;  // int8: one NAME.scale per quantised tensor
  for (const Slot& p : slots) {
    const io::Tensor* t = st.find(p.name);
    RECSYS_CHECK_FORMAT(t, source, "/model.safetensors: missing tensor '", p.name, "'");
    const bool bias = p.rows == 1 && t->shape.size() == 1;
    const char* dtype = precision == "f16" ? "F16" : precision == "int8" && !bias ? "I8" : "F32";
    RECSYS_CHECK_FORMAT(t->dtype == dtype, source, "/model.safetensors: tensor '", p.name,
                        "' has dtype ", t->dtype, ", expected ", dtype, " (precision ", precision,
                        ")");
    const bool shape_ok =
        bias ? t->shape[0] == p.cols
             : (t->shape.size() == 2 && t->shape[0] == p.rows && t->shape[1] == p.cols);
    if (!shape_ok) {
      std::string got;
      for (auto d : t->shape) got += (got.empty() ? "" : ", ") + std::to_string(d);
      RECSYS_FAIL(
          Format, source, "/model.safetensors: tensor '", p.name, "' has shape [", got,
          "], expected [",
          bias ? std::to_string(p.cols) : std::to_string(p.rows) + ", " + std::to_string(p.cols),
          "]");
    }
    if (std::string(dtype) == "I8") {  // codes (integers, finite) · their row's or column's scale
      const std::string sname = p.name + ".scale";
      const io::Tensor* sc = st.find(sname);
      const bool by_row = int8_per_row(p.name);
      const Eigen::Index n = by_row ? p.rows : p.cols;
      RECSYS_CHECK_FORMAT(sc, source, "/model.safetensors: missing tensor '", sname, "'");
      RECSYS_CHECK_FORMAT(sc->dtype == "F32" && sc->shape.size() == 1 && sc->shape[0] == n, source,
                          "/model.safetensors: tensor '", sname, "' must be F32 of shape [", n,
                          "], got ", sc->dtype, " of ", sc->shape.size(), " dimensions");
      check_finite(*sc, source, sname);
      std::vector<float> scale(static_cast<std::size_t>(n));
      sc->values(scale.data());
      const auto* code = reinterpret_cast<const std::int8_t*>(t->raw.data());
      if (p.out) {
        // One pass over the codes, row-major, straight into the parameter (a SIMD kernel: this
        // file is compiled for size, and an embedding table can be a million codes).
        nn::kernels::dequantize_i8(code, p.rows, static_cast<int>(p.cols), scale.data(), by_row,
                                   p.out);
      } else {
        auto codes = std::make_shared<TwoTowerModel::Int8Rows>();
        codes->rows = static_cast<std::int32_t>(p.rows);
        codes->cols = static_cast<int>(p.cols);
        codes->by_row = by_row;
        codes->codes.assign(code, code + p.rows * p.cols);
        codes->scale = std::move(scale);
        if (p.kept) {  // the held rows as they are, found through the slots
          codes->rows = m.anonymous_row_ + 1;
          codes->slot = std::move(kept_slot);
        }
        m.user_codes_ = std::move(codes);
      }
      ++scale_tensors;
    } else {
      check_finite(*t, source, p.name);
      if (p.kept) {  // into the rows kept; the others stay zero (init_weights(false))
        std::vector<float> held(static_cast<std::size_t>(p.rows * p.cols));
        t->values(held.data());
        scatter_rows(kept_slot, held.data(), p.cols, p.out);
      } else {
        t->values(p.out);
      }
    }
  }
  std::size_t ranking_tensors = 0, candidate_tensors = 0;
  for (const auto& t : st.tensors) {
    ranking_tensors += t.name.rfind("ranking/", 0) == 0;
    candidate_tensors += t.name.rfind("candidate_ranker/", 0) == 0;
  }
  RECSYS_CHECK_FORMAT(
      ranking_tensors == 0 || j.contains("ranking"), source,
      "/model.safetensors: ranking tensors without a 'ranking' entry in the manifest");
  RECSYS_CHECK_FORMAT(candidate_tensors == 0 || j.contains("candidate_ranker"), source,
                      "/model.safetensors: candidate_ranker tensors without a 'candidate_ranker' "
                      "entry in the manifest");
  ranking_tensors += candidate_tensors + scale_tensors + (kept ? 1 : 0);
  RECSYS_CHECK_FORMAT(st.tensors.size() - ranking_tensors == slots.size(), source,
                      "/model.safetensors: ", st.tensors.size() - ranking_tensors,
                      " tensors, the model has ", slots.size(), " (unexpected extra tensors)");
  return m;
}

}  // namespace recsys
