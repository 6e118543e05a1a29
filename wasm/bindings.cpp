// The only file that includes Emscripten headers. It exposes the core to JS through Embind and
// holds no logic: every function forwards to recsys::, inside guarded(), which turns a C++
// exception into a JS error once: the core's error kind picks the class (type -> TypeError,
// range -> RangeError, not_found / state / format / internal -> Error) and becomes error.kind; the
// call returns normally and its invoker throws the error (wasm/invoker.js; TOOLCHAIN.md D).
// Recommendation lists cross as flat typed data (write_list), never
// as text.
// Compiled twice: the full engine (recsys.wasm), and with RECSYS_SERVE_ONLY the serving engine
// (recsys-serve.wasm: load data and models, recommend, sessions, indexes; no training, evaluation,
// shop generation or model saving), which the linker makes much smaller.
#include <emscripten/bind.h>
#include <emscripten/emscripten.h>

#include <malloc.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <new>
#include <string>
#include <string_view>
#include <type_traits>

#include "common/check.h"
#include "common/parallel.h"
#include "data/catalog.h"
#include "data/dataset.h"
#include "data/interactions.h"
#include "data/online_retail.h"
#include "data/shop_file.h"
#include "data/synthetic.h"
#include "eval/run.h"
#include "eval/training_job.h"
#include "experiment/experiment.h"
#include "features/scene.h"
#include "io/two_tower_file.h"
#include "nn/kernels.h"
#include "ranking/fit.h"
#include "retrieval/index.h"
#include "retrieval/topk.h"
#include "serving/candidate_ranker.h"
#include "serving/recommender.h"
#include "strategy/sources.h"
#include "strategy/strategy_config.h"

using namespace emscripten;

#ifdef RECSYS_SERVE_ONLY
// The serving engine fits no models, EASE's closed form (an items × items Cholesky solve) among
// them: defined here, this one keeps strategy/ease.cpp out of the link (sources.h).
recsys::ItemNeighbours recsys::ease_neighbours(const Interactions&, double, int) {
  RECSYS_FAIL(State,
              "strategy: the 'ease' source is not in the serving engine (it fits EASE's item-item "
              "weights when the recommender is built); create the full one with createRecsys() "
              "(engine: 'full')");
}
#endif

// Where the heap starts (after the static data and the stack): defined by the linker.
extern "C" unsigned char __heap_base;

namespace {

// A refused call's JS error, left for the function's invoker (wasm/invoker.js) to throw once the
// call has returned: no JS exception crosses the module's frames, so every C++ object of the call
// (the copies of its string arguments among them) is destroyed as on any return; the pthread
// engine's JS exceptions would skip their destructors.
EM_JS(void, recsys_set_js_error, (const char* cls, const char* kind, const char* msg), {
  const e = new globalThis[UTF8ToString(cls)](UTF8ToString(msg));
  e.kind = UTF8ToString(kind);
  Module['recsysPendingError'] = e;
});

// The relaxed-SIMD int8 scan (wasm/relaxed-i8.mjs): modules of one function, one per dimension,
// that the wrapper compiles on request (Module.recsysRelaxedI8(d), after checking one on a known
// case), instantiated here on the first scan of that dimension over this engine's memory. 0
// (declined) where it is absent, as in the pthread engine's Workers.
EM_JS(int, recsys_relaxed_i8_scan,
      (const void* items, int n, int d, const void* q, const void* scale, void* out), {
  const scans = Module['recsysRelaxedI8Scans'] || (Module['recsysRelaxedI8Scans'] = {});
  let scan = scans[d];
  if (scan === undefined) {
    const compile = Module['recsysRelaxedI8'];
    const kernel = compile ? compile(d) : null;
    scan = scans[d] =
        kernel ? new WebAssembly.Instance(kernel, {env: {memory: wasmMemory}}).exports.scan : null;
  }
  return scan ? scan(items, n, d, q, scale, out) : 0;
});

std::int64_t relaxed_i8_hook(const std::int8_t* items, std::int64_t n, int d,
                             const std::uint8_t* q_u7, const float* scale, float* out) {
  if (n > (1 << 30)) return 0;
  return recsys_relaxed_i8_scan(items, static_cast<int>(n), d, q_u7, scale, out);
}

const char* js_error_class(recsys::ErrorKind kind) {
  switch (kind) {
    case recsys::ErrorKind::Type:
      return "TypeError";
    case recsys::ErrorKind::Range:
      return "RangeError";
    default:
      return "Error";
  }
}

// What the last refused call threw, recorded inside its catch block (one copy for every bound
// function: guarded() below is only the try around f). Nothing here throws: a message that cannot
// be copied is reported as "out of memory".
std::string g_error_message;
const char* g_error_text = "";
recsys::ErrorKind g_error_kind = recsys::ErrorKind::Internal;

void record_message(const char* what, recsys::ErrorKind kind) noexcept {
  g_error_kind = kind;
  try {
    g_error_message = what;
    g_error_text = g_error_message.c_str();
  } catch (...) {
    g_error_text = "out of memory";
    g_error_kind = recsys::ErrorKind::Range;
  }
}

__attribute__((noinline)) void record_current_exception() noexcept {
  try {
    throw;
  } catch (const recsys::Error& e) {
    record_message(e.what(), e.kind());
  } catch (const std::bad_alloc&) {
    // As JS engines report a failed allocation: a RangeError.
    g_error_text = "out of memory";
    g_error_kind = recsys::ErrorKind::Range;
  } catch (const std::exception& e) {
    record_message(e.what(), recsys::ErrorKind::Internal);
  } catch (...) {
    g_error_text = "unknown C++ exception";
    g_error_kind = recsys::ErrorKind::Internal;
  }
}

__attribute__((noinline)) void raise_recorded_error() {
  recsys_set_js_error(js_error_class(g_error_kind), recsys::error_kind_name(g_error_kind),
                      g_error_text);
}

// What a refused call returns to its invoker, which then throws the recorded error instead.
template <class R>
R refused_value() {
  if constexpr (std::is_void_v<R>)
    return;
  else if constexpr (std::is_same_v<R, emscripten::val>)
    return emscripten::val::undefined();
  else
    return R{};
}

// Runs f; on a C++ exception records it, and returns a placeholder that the invoker discards
// for the JS error (wasm/invoker.js).
template <class F>
auto guarded(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (...) {
    record_current_exception();
  }
  raise_recorded_error();
  return refused_value<decltype(f())>();
}

// A recommendation list as one int32 buffer, floats stored bit for bit (JS reads the same words
// through HEAP32 and HEAPF32): [n, then per item: catalog row, rank, sources code, retrieval
// score, relevance, diversity adjustment, final score, p(click), p(purchase)]. Returns its
// address; the wrapper reads it at once (the next call may reuse it).
constexpr int kRecordWords = 9;
std::vector<std::int32_t>& list_buffer() {
  static std::vector<std::int32_t> words;
  return words;
}
std::int32_t float_word(float f) {
  std::int32_t w;
  std::memcpy(&w, &f, sizeof w);
  return w;
}
double write_list(const recsys::Recommender& r, const std::vector<recsys::Recommendation>& list) {
  auto& w = list_buffer();
  w.assign(1 + list.size() * kRecordWords, 0);
  w[0] = static_cast<std::int32_t>(list.size());
  std::size_t o = 1;
  for (const auto& x : list) {
    const auto& e = x.explanation;
    w[o++] = r.catalog_row(x.item);
    w[o++] = x.rank;
    w[o++] = static_cast<std::int32_t>(e.sources.code());
    for (float f : {e.retrieval_score, e.relevance, e.diversity_adjustment, e.final_score,
                    e.p_click, e.p_purchase})
      w[o++] = float_word(f);
  }
  return static_cast<double>(reinterpret_cast<std::uintptr_t>(w.data()));
}
// The same for a model's own top-k: [n, then per item: item index, score].
double write_scored(const std::vector<recsys::ScoredItem>& list) {
  auto& w = list_buffer();
  w.assign(1 + list.size() * 2, 0);
  w[0] = static_cast<std::int32_t>(list.size());
  for (std::size_t i = 0; i < list.size(); ++i) {
    w[1 + 2 * i] = list[i].item;
    w[2 + 2 * i] = float_word(list[i].score);
  }
  return static_cast<double>(reinterpret_cast<std::uintptr_t>(w.data()));
}

std::vector<std::string> strings_of(const val& v) {
  return v.isNull() || v.isUndefined() ? std::vector<std::string>{}
                                       : vecFromJSArray<std::string>(v);
}

val string_array(const std::vector<std::string>& v) {
  val a = val::array();
  for (std::size_t i = 0; i < v.size(); ++i) a.set(i, v[i]);
  return a;
}

// The request from the wrapper's positional arguments: the wrapper has checked the JS types
// (what C++ cannot see once converted); every value is checked by the core. NaN diversity:
// unset (the wrapper turns a NaN given by the caller into a TypeError first).
recsys::RecommendRequest request_of(const std::string& user, const std::string& scene, int k,
                                    double diversity, const std::string& item,
                                    const val& categories, const val& brands, const val& exclude,
                                    double price_min, double price_max) {
  recsys::RecommendRequest r;
  r.user_id = user;
  r.scene = scene;
  r.k = k;
  if (!std::isnan(diversity)) r.diversity = diversity;
  r.item_id = item;
  r.categories = strings_of(categories);
  r.brands = strings_of(brands);
  r.exclude = strings_of(exclude);
  r.price_min = price_min;
  r.price_max = price_max;
  return r;
}

using recsys::Catalog;
using recsys::Dataset;
using recsys::TrainingJob;
using recsys::TwoTowerModel;
using ModelPtr = std::shared_ptr<TwoTowerModel>;
using RankerPtr = std::shared_ptr<recsys::RankingModel>;
using recsys::Recommender;
using recsys::Session;

using CandidatePtr = std::shared_ptr<recsys::CandidateRanker>;

RankerPtr ranker_of(const val& v) {
  return v.isNull() || v.isUndefined() ? nullptr : v.as<RankerPtr>();
}
CandidatePtr candidate_of(const val& v) {
  return v.isNull() || v.isUndefined() ? nullptr : v.as<CandidatePtr>();
}

// Columns handed to JS as views that the wrapper copies at once (fresh typed arrays for the
// caller).
struct Columns {
  recsys::InteractionColumns x;
  std::vector<std::int32_t> category, brand;
  std::vector<double> price;
};
Columns& columns() {
  static Columns c;
  return c;
}
template <class T>
val view_of(const std::vector<T>& v) {
  return val(typed_memory_view(v.size(), v.data()));
}

// Query and result buffers of Index.search: JS writes queries in place and copies results out.
struct SearchBuffers {
  std::vector<float> queries, scores;
  std::vector<std::int32_t> ids;
};
SearchBuffers& search_buffers() {
  static SearchBuffers b;
  return b;
}

// Bytes the JS side placed in the heap (heapBytes() in api.mjs: _malloc and one HEAPU8.set),
// taken over here and freed on every path. Embind's std::string conversion of a Uint8Array copies
// it byte by byte in JS (about 40 ms per MB in V8), which dominated loading a model or a shop.bin
// (and embind's own invokers freed their copy of an argument only when the call returned).
class HeapBytes {
 public:
  HeapBytes(double ptr, double size)
      : p_(reinterpret_cast<char*>(static_cast<std::uintptr_t>(ptr))),
        n_(static_cast<std::size_t>(size)) {}
  HeapBytes(const HeapBytes&) = delete;
  HeapBytes& operator=(const HeapBytes&) = delete;
  ~HeapBytes() { std::free(p_); }
  std::string_view view() const { return {p_, n_}; }

 private:
  char* p_;
  std::size_t n_;
};

// The bytes of the last saved model: handed to JS as a view that the wrapper copies at once.
std::string& saved_weights() {
  static std::string bytes;
  return bytes;
}

}  // namespace

// The on-device adapter of a user ("" = anonymous) with these item ids (oldest first), as
// session.personalise() fits it, without a recommender (for a Worker): {adapter, losses}. The
// model's item vectors are computed once and kept while its weights stay the same (a Trainer bumps
// weights_version before it changes them).
struct Personaliser {
  ModelPtr model;
  std::uint64_t version = 0;
  bool ready = false;
  recsys::nn::Matrix item_vectors;
};

val personalise_fit(Personaliser& p, const std::string& user, const val& history, int steps,
                    double learning_rate, double l2) {
  return guarded([&] {
    const TwoTowerModel& m = *p.model;
    recsys::PersonaliseOptions o;
    o.steps = steps;
    o.learning_rate = static_cast<float>(learning_rate);
    o.l2 = static_cast<float>(l2);
    o.validate();
    std::int32_t u = -1;
    if (!user.empty()) {
      u = m.users().find(user);
      RECSYS_CHECK_FOUND(u >= 0, "personalise: unknown user '", user, "'");
    }
    std::vector<std::int32_t> items;
    for (const auto& id : strings_of(history)) {
      const std::int32_t i = m.items().find(id);
      RECSYS_CHECK_FOUND(i >= 0, "personalise: unknown item '", id, "'");
      items.push_back(i);
    }
    if (!p.ready || p.version != m.weights_version()) {
      m.item_embeddings(p.item_vectors);
      p.version = m.weights_version();
      p.ready = true;
    }
    const auto a = recsys::personalise_user(m, p.item_vectors, u, items, o);
    val out = val::object();
    val adapter = val::array(), losses = val::array();
    for (float x : a.delta) adapter.call<void>("push", x);
    for (float x : a.losses) losses.call<void>("push", x);
    out.set("adapter", adapter);
    out.set("losses", losses);
    return out;
  });
}

EMSCRIPTEN_BINDINGS(recsys) {
  class_<Catalog>("Catalog")
      .function("size", optional_override([](const Catalog& c) { return c.size(); }))
      .function("itemsJson", optional_override([](const Catalog& c, int offset, int limit) {
                  return guarded([&] { return c.to_json(offset, limit); });
                }))
      .function("toCsv", optional_override(
                             [](const Catalog& c) { return guarded([&] { return c.to_csv(); }); }))
      .function("find", optional_override(
                            [](const Catalog& c, const std::string& id) { return c.find(id); }));

  class_<Dataset>("Dataset")
      .function("statsJson", optional_override([](const Dataset& d) {
                  return guarded([&] { return recsys::summary_json(d); });
                }))
      .function("itemsJson", optional_override([](const Dataset& d, int offset, int limit) {
                  return guarded([&] { return d.catalog.to_json(offset, limit); });
                }))
      .function("catalogCsv", optional_override([](const Dataset& d) {
                  return guarded([&] { return d.catalog.to_csv(); });
                }))
      .function("interactionsCsv", optional_override([](const Dataset& d) {
                  return guarded([&] { return d.interactions.to_csv(d.catalog); });
                }))
      .function("numUsers",
                optional_override([](const Dataset& d) { return d.interactions.num_users(); }))
      .function("numItems", optional_override([](const Dataset& d) { return d.catalog.size(); }))
      .function("userIdsJson", optional_override([](const Dataset& d, int offset, int limit) {
                  return guarded([&] { return d.interactions.user_ids_json(offset, limit); });
                }))
      // Fills columns() from the dataset; columnView() then shows them.
      .function("prepareColumns", optional_override([](const Dataset& d) {
                  Columns& c = columns();
                  c.x = d.interactions.columns();
                  c.category = d.catalog.category_column();
                  c.brand = d.catalog.brand_column();
                  c.price = d.catalog.price_column();
                }))
      .function("numInteractions", optional_override([](const Dataset& d) {
                  return static_cast<double>(d.interactions.size());
                }));

  class_<TwoTowerModel>("TwoTowerModel")
      .smart_ptr<ModelPtr>("TwoTowerModelPtr")
      .function("numItems", optional_override([](const TwoTowerModel& m) { return m.num_items(); }))
      .function("numUsers", optional_override([](const TwoTowerModel& m) { return m.num_users(); }))
      .function("dim", optional_override([](const TwoTowerModel& m) { return m.dim(); }))
      .function("checksum", optional_override([](const TwoTowerModel& m) {
                  return recsys::checksum_hex(m.checksum());
                }))
      .function("configJson",
                optional_override([](const TwoTowerModel& m) { return m.config().to_json(); }))
#ifndef RECSYS_SERVE_ONLY
      // Saves into saved_weights() and returns the manifest; weightsView() then shows the bytes.
      .function("save", optional_override([](const TwoTowerModel& m, const std::string& info_json,
                                             const std::string& precision, bool prune_user_rows) {
                  return guarded([&] {
                    auto f =
                        recsys::TwoTowerFile::save(m, recsys::training_info_from_json(info_json),
                                                   nullptr, nullptr, precision, prune_user_rows);
                    saved_weights() = std::move(f.weights);
                    return f.manifest;
                  });
                }))
#endif
      // The model's own top-k as write_scored's buffer; itemId() names the items.
      .function("recommendTop",
                optional_override(
                    [](const TwoTowerModel& m, const std::string& user, const val& history, int k) {
                      return guarded([&] {
                        return write_scored(recsys::top_items(m, user, strings_of(history), k));
                      });
                    }))
      .function("itemId", optional_override([](const TwoTowerModel& m, int i) {
                  return guarded([&] { return m.items().token(i); });
                }));
  class_<Personaliser>("Personaliser").function("fit", &personalise_fit, allow_raw_pointers());
  function("createPersonaliser", optional_override([](ModelPtr m) {
             Personaliser p;
             p.model = std::move(m);
             return p;
           }));
  function("columnView", optional_override([](const std::string& name) {
             const Columns& c = columns();
             if (name == "user") return view_of(c.x.user);
             if (name == "item") return view_of(c.x.item);
             if (name == "quantity") return view_of(c.x.quantity);
             if (name == "timestamp") return view_of(c.x.timestamp);
             if (name == "event") return view_of(c.x.event);
             if (name == "category") return view_of(c.category);
             if (name == "brand") return view_of(c.brand);
             return view_of(c.price);
           }));
  function("releaseColumns", optional_override([]() { columns() = Columns(); }));
  function("savedWeightsView", optional_override([]() {
             return val(
                 typed_memory_view(saved_weights().size(),
                                   reinterpret_cast<const unsigned char*>(saved_weights().data())));
           }));
  function("releaseSavedWeights", optional_override([]() { std::string().swap(saved_weights()); }));

#ifndef RECSYS_SERVE_ONLY
  class_<TrainingJob>("TrainingJob")
      .function("trainSteps", optional_override([](TrainingJob& j, double n) {
                  return guarded([&] {
                    return recsys::step_report_json(j.train_steps(static_cast<std::int64_t>(n)));
                  });
                }))
      .function("done", optional_override([](const TrainingJob& j) { return j.done(); }))
      .function("model", optional_override([](const TrainingJob& j) { return j.model(); }))
      .function("infoJson", optional_override([](const TrainingJob& j) {
                  return guarded([&] { return recsys::training_info_json(j.info()); });
                }))
      .function("stepsPerEpoch", optional_override([](const TrainingJob& j) {
                  return static_cast<double>(j.trainer().steps_per_epoch());
                }))
      .function("examplesPerEpoch", optional_override([](const TrainingJob& j) {
                  return static_cast<double>(j.trainer().examples_per_epoch());
                }))
      .function("validationRecall", optional_override([](const TrainingJob& j) {
                  return guarded([&] { return j.validation_recall(); });
                }))
      .function("popularityRecall",
                optional_override([](const TrainingJob& j) { return j.popularity_recall(); }));
  function("createTrainingJob",
           optional_override([](const Dataset& d, const std::string& config_json,
                                const std::string& options_json) {
             return guarded([&] {
               return new TrainingJob(d, recsys::TwoTowerConfig::from_json(config_json),
                                      recsys::TrainingJobOptions::from_json(options_json));
             });
           }),
           allow_raw_pointers());
#endif

#ifndef RECSYS_SERVE_ONLY
  // request: eval::EvalRequest as JSON; model: null, or the two-tower model to evaluate (or the
  // pipeline's); ranker: null, or the pipeline's ranker.
  // features: null, or the two-tower a candidate ranker's training features come from.
  // candidate: null, or the fitted candidate ranker the pipeline serves with.
  function("evaluate", optional_override([](const Dataset& d, const std::string& request,
                                            val model, val ranker, val features, val candidate) {
             return guarded([&] {
               ModelPtr m, f;
               if (!model.isNull() && !model.isUndefined()) m = model.as<ModelPtr>();
               if (!features.isNull() && !features.isUndefined()) f = features.as<ModelPtr>();
               const auto run = recsys::eval::run_evaluation(
                   d, recsys::eval::EvalRequest::from_json(request), m, d.truth.get(),
                   ranker_of(ranker), f, candidate_of(candidate));
               return recsys::eval::report_json(run.report);
             });
           }));
#endif

  class_<recsys::RankingModel>("RankingModel").smart_ptr<RankerPtr>("RankingModelPtr");
  // The candidate ranker (serving/candidate_ranker.h) stored with a model; infoJson: its
  // manifest entry (config, features, scene, strategy, fit).
  class_<recsys::CandidateRanker>("CandidateRanker")
      .smart_ptr<CandidatePtr>("CandidateRankerPtr")
      .function("infoJson", optional_override([](const recsys::CandidateRanker& c) {
                  return guarded([&] { return c.manifest_json(); });
                }));
  // The model, its ranker and its candidate ranker from one parse of the files:
  // {model, ranker (or null), candidate (or null)}.
  function("loadModelAll",
           optional_override([](double weights_ptr, double weights_size, double manifest_ptr,
                                double manifest_size) {
             const HeapBytes weights(weights_ptr, weights_size);
             const HeapBytes manifest(manifest_ptr, manifest_size);
             return guarded([&] {
               auto all = recsys::TwoTowerFile::load_all(weights.view(), manifest.view(), "model");
               val out = val::object();
               out.set("model", val(ModelPtr(all.model)));
               out.set("ranker", all.ranker ? val(RankerPtr(all.ranker)) : val::null());
               out.set("candidate", all.candidate ? val(CandidatePtr(all.candidate)) : val::null());
               return out;
             });
           }));
#ifndef RECSYS_SERVE_ONLY
  // ranker, candidate: null or the model's.
  function("saveWithRanker",
           optional_override([](ModelPtr model, val ranker, val candidate,
                                const std::string& info_json, const std::string& precision,
                                bool prune_user_rows) {
             return guarded([&] {
               const RankerPtr r = ranker_of(ranker);
               const CandidatePtr c = candidate_of(candidate);
               auto f =
                   recsys::TwoTowerFile::save(*model, recsys::training_info_from_json(info_json),
                                              r.get(), c.get(), precision, prune_user_rows);
               saved_weights() = std::move(f.weights);
               return f.manifest;
             });
           }));
#endif

#ifndef RECSYS_SERVE_ONLY
  // Experiments over strategies on the synthetic shop (experiment/experiment.h); the report is
  // JSON (read once per step, not on the request path).
  class_<recsys::experiment::Experiment>("Experiment")
      .function("step", optional_override([](recsys::experiment::Experiment& e, double n) {
                  guarded([&] {
                    e.step(static_cast<std::int64_t>(n));
                    return 0;
                  });
                }))
      .function("done",
                optional_override([](const recsys::experiment::Experiment& e) { return e.done(); }))
      .function("abSessions", optional_override([](const recsys::experiment::Experiment& e) {
                  return static_cast<double>(e.ab_sessions());
                }))
      .function("reportJson", optional_override([](const recsys::experiment::Experiment& e) {
                  return guarded([&] { return e.report_json(); });
                }));
  function("createExperiment",
           optional_override(
               [](ModelPtr model, val ranker, const Dataset& d, const std::string& config) {
                 return guarded([&] {
                   return new recsys::experiment::Experiment(
                       model, ranker_of(ranker), d,
                       recsys::experiment::ExperimentConfig::from_json(config));
                 });
               }),
           allow_raw_pointers());
  // Power and sample sizes (experiment/stats.h).
  function("tTestPower", optional_override([](double d, double n, double alpha) {
             return guarded([&] { return recsys::experiment::t_test_power(d, n, alpha); });
           }));
  function(
      "tTestSampleSize", optional_override([](double d, double power, double alpha) {
        return guarded([&] { return recsys::experiment::t_test_sample_size(d, power, alpha); });
      }));
  function("proportionPower", optional_override([](double pc, double pt, double n, double alpha) {
             return guarded([&] { return recsys::experiment::proportion_power(pc, pt, n, alpha); });
           }));
  function("proportionSampleSize",
           optional_override([](double pc, double pt, double power, double alpha) {
             return guarded(
                 [&] { return recsys::experiment::proportion_sample_size(pc, pt, power, alpha); });
           }));
#endif

#ifndef RECSYS_SERVE_ONLY
  function("fitRanker", optional_override([](ModelPtr model, const Dataset& d) {
             return guarded([&] {
               // Logs = the dataset's events, mapped to the model's items and users by id.
               return recsys::fit_ranker(model, d, d.interactions).ranker;
             });
           }));
  // options: RecommenderOptions JSON (the strategy that defines `scene`); config:
  // CandidateRankerConfig JSON; features: null or the two-tower trained before the cut.
  // Returns {ranker, summary JSON}.
  function("fitCandidateRanker",
           optional_override([](ModelPtr model, const Dataset& d, const std::string& options,
                                const std::string& scene, const std::string& config, val features) {
             return guarded([&] {
               ModelPtr f;
               if (!features.isNull() && !features.isUndefined()) f = features.as<ModelPtr>();
               const auto fit = recsys::fit_candidate_ranker(
                   model, d, recsys::RecommenderOptions::from_json(options), scene,
                   recsys::CandidateRankerConfig::from_json(config), f);
               val o = val::object();
               o.set("ranker", fit.ranker);
               o.set("examples", static_cast<double>(fit.examples));
               o.set("positives", static_cast<double>(fit.positives));
               o.set("users", fit.users);
               o.set("cut", static_cast<double>(fit.cut));
               val losses = val::array();
               for (double l : fit.epoch_losses) losses.call<void>("push", l);
               o.set("epochLosses", losses);
               return o;
             });
           }));
#endif

  class_<Session>("Session")
      .function("version", optional_override(
                               [](const Session& s) { return static_cast<double>(s.version()); }))
      .function("size", optional_override([](const Session& s) {
                  return static_cast<double>(s.events().size());
                }))
      .function("userId", optional_override([](const Session& s) { return s.user_id(); }))
      .function("lastTimestamp", optional_override([](const Session& s) {
                  return s.events().empty() ? -1.0
                                            : static_cast<double>(s.events().back().timestamp);
                }))
      // The on-device adapter (serving/personalise.h): [] when there is none.
      .function("adapter", optional_override([](const Session& s) {
                  val out = val::array();
                  for (float x : s.adapter()) out.call<void>("push", x);
                  return out;
                }))
      .function("setAdapter", optional_override([](Session& s, val values) {
                  guarded([&] {
                    s.set_adapter(values.isNull() || values.isUndefined()
                                      ? std::vector<float>()
                                      : vecFromJSArray<float>(values));
                    return 0;
                  });
                }))
      .function("clear", optional_override([](Session& s) { s.clear(); }));

  class_<Recommender>("Recommender")
      // recommend / recommendSession return write_list's buffer; itemRecord() gives each row's
      // display fields once (the wrapper caches them).
      .function(
          "recommend",
          optional_override([](Recommender& r, const std::string& user, const std::string& scene,
                               int k, double diversity, const std::string& item, val categories,
                               val brands, val exclude, double price_min, double price_max) {
            return guarded([&] {
              return write_list(
                  r, r.recommend(request_of(user, scene, k, diversity, item, categories, brands,
                                            exclude, price_min, price_max)));
            });
          }))
      .function("recommendSession",
                optional_override([](Recommender& r, const Session& s, const std::string& user,
                                     const std::string& scene, int k, double diversity,
                                     const std::string& item, val categories, val brands,
                                     val exclude, double price_min, double price_max) {
                  return guarded([&] {
                    return write_list(
                        r, r.recommend(request_of(user, scene, k, diversity, item, categories,
                                                  brands, exclude, price_min, price_max),
                                       &s));
                  });
                }))
      .function("itemRecord", optional_override([](const Recommender& r, int row) {
                  return guarded([&] {
                    const Catalog& c = r.catalog();  // its accessors check the row
                    val o = val::object();
                    o.set("id", c.id(row));
                    o.set("title", c.title(row));
                    o.set("category", c.categories().token(c.category(row)));
                    o.set("brand", c.brands().token(c.brand(row)));
                    o.set("price", c.price(row));
                    return o;
                  });
                }))
      .function("createSession",
                optional_override([](const Recommender& r, const std::string& user) {
                  return guarded([&] { return r.create_session(user); });
                }))
      .function("track",
                optional_override([](const Recommender& r, Session& s, const std::string& item,
                                     const std::string& event, double timestamp) {
                  guarded([&] {
                    r.track(s, item, event, static_cast<std::int64_t>(timestamp));
                    return 0;
                  });
                }))
      // Fits the session's adapter; returns the loss curve (the adapter is on the session).
      .function("personalise", optional_override([](const Recommender& r, Session& s, int steps,
                                                    double learning_rate, double l2) {
                  return guarded([&] {
                    recsys::PersonaliseOptions o;
                    o.steps = steps;
                    o.learning_rate = static_cast<float>(learning_rate);
                    o.l2 = static_cast<float>(l2);
                    const auto a = r.personalise(s, o);
                    val losses = val::array();
                    for (float x : a.losses) losses.call<void>("push", x);
                    return losses;
                  });
                }))
      // A logged user's items (ids, time order), [] for an unknown or anonymous one.
      .function("userHistory", optional_override([](const Recommender& r, const std::string& user) {
                  val out = val::array();
                  const std::int32_t u = r.state().users.find(user);
                  if (u >= 0)
                    for (std::int32_t i : r.state().user_items[static_cast<std::size_t>(u)])
                      out.call<void>("push", r.item_id(i));
                  return out;
                }))
      .function("modelChecksum", optional_override([](const Recommender& r) {
                  return recsys::checksum_hex(r.model().checksum());
                }))
      // The session's events as [{itemId, event, timestamp}] (for saving a visit).
      .function("sessionEvents", optional_override([](const Recommender& r, const Session& s) {
                  return guarded([&] {
                    val out = val::array();
                    for (const auto& e : s.events()) {
                      val o = val::object();
                      o.set("itemId", r.item_id(e.item));
                      o.set("event", std::string(recsys::event_name(e.event)));
                      o.set("timestamp", static_cast<double>(e.timestamp));
                      out.call<void>("push", o);
                    }
                    return out;
                  });
                }))
      .function("prepare", optional_override([](const Recommender& r) {
                  guarded([&] { r.prepare(); });
                }))
      .function("stats", optional_override([](const Recommender& r) {
                  const auto st = r.stats();
                  val o = val::object();
                  o.set("requests", static_cast<double>(st.requests));
                  o.set("cacheHits", static_cast<double>(st.cache_hits));
                  o.set("cacheSize", static_cast<double>(st.cache_size));
                  o.set("cacheHitRatio", st.cache_hit_ratio);
                  o.set("index", st.index);
                  return o;
                }))
      // candidate: the new model's candidate ranker, or null (none).
      .function("reload",
                optional_override([](Recommender& r, ModelPtr model, val ranker, val candidate) {
                  guarded([&] {
                    r.reload(model, ranker_of(ranker));
                    r.set_candidate_ranker(candidate_of(candidate));
                    return 0;
                  });
                }));
  function("createRecommender",
           optional_override([](ModelPtr model, const Dataset& d, const std::string& options,
                                val ranker, val candidate) {
             return guarded([&] {
               auto* r = new Recommender(model, d, recsys::RecommenderOptions::from_json(options),
                                         ranker_of(ranker));
               r->set_candidate_ranker(candidate_of(candidate));
               return r;
             });
           }),
           allow_raw_pointers());

  // A vector index for JS developers' own vectors: reserve storage, fill it, build, search.
  class_<recsys::Index>("Index")
      .function("reserve", optional_override([](recsys::Index& ix, int n, int d) {
                  return guarded([&] {
                    return static_cast<double>(reinterpret_cast<std::uintptr_t>(ix.reserve(n, d)));
                  });
                }))
      .function("buildReserved", optional_override([](recsys::Index& ix) {
                  guarded([&] {
                    ix.build_reserved();
                    return 0;
                  });
                }))
      // Searches m queries already placed in queryBuffer(); results in the result views.
      .function("search", optional_override([](const recsys::Index& ix, int m, int k, val exclude) {
                  guarded([&] {
                    SearchBuffers& b = search_buffers();
                    const std::vector<std::int32_t> ex =
                        exclude.isNull() || exclude.isUndefined()
                            ? std::vector<std::int32_t>{}
                            : convertJSArrayToNumberVector<std::int32_t>(exclude);
                    recsys::search_flat(ix, b.queries.data(), m, k, ex, b.ids, b.scores);
                    return 0;
                  });
                }))
      .function("size", optional_override([](const recsys::Index& ix) { return ix.size(); }))
      .function("dim", optional_override([](const recsys::Index& ix) { return ix.dim(); }))
      .function("name", optional_override([](const recsys::Index& ix) { return ix.name(); }))
      .function("memoryBytes", optional_override([](const recsys::Index& ix) {
                  return static_cast<double>(ix.memory_bytes());
                }));
  function("createIndex", optional_override([](const std::string& options) {
             return guarded([&] {
               return recsys::make_index(recsys::IndexOptions::from_json(options)).release();
             });
           }),
           allow_raw_pointers());
  function("queryBuffer", optional_override([](int floats) {
             auto& q = search_buffers().queries;
             q.resize(static_cast<std::size_t>(floats));
             return static_cast<double>(reinterpret_cast<std::uintptr_t>(q.data()));
           }));
  function("resultIdsView", optional_override([]() { return view_of(search_buffers().ids); }));
  function("resultScoresView",
           optional_override([]() { return view_of(search_buffers().scores); }));

  // Bytes currently allocated by malloc (mallinfo: dlmalloc's in the full engines, emmalloc's in
  // the serving engine), for leak checks and the UI.
  function("allocatedBytes",
           optional_override([]() { return static_cast<double>(mallinfo().uordblks); }));
  // The most the heap has held: how far malloc has moved the program break past the heap's start
  // (neither allocator gives memory back), every byte of it touched once, which a cold page pays
  // for in page faults. The same figure under both allocators (emmalloc's mallinfo has none).
  function("peakHeapBytes", optional_override([]() {
             return static_cast<double>(reinterpret_cast<std::uintptr_t>(sbrk(0)) -
                                        reinterpret_cast<std::uintptr_t>(&__heap_base));
           }));
  function("version", optional_override([]() { return std::string(RECSYS_VERSION); }));
  // The int8 index's scan through the relaxed-SIMD kernel on Module.recsysRelaxedI8 (on) or the
  // engine's own SIMD kernel (off); the same results either way.
  function("useRelaxedI8", optional_override([](bool on) {
             recsys::nn::kernels::set_i8_scan_hook(on ? &relaxed_i8_hook : nullptr);
           }));
  // The names the API accepts, from the C++ lists (index.d.mts declares the same; a test checks).
  function("enums", optional_override([]() {
             val o = val::object();
             o.set("scenes", string_array(recsys::scene_names()));
             o.set("events", string_array(recsys::event_names()));
             o.set("indexKinds", string_array(recsys::index_kinds()));
             o.set("sources", string_array(recsys::source_names()));
             o.set("errorKinds", string_array(recsys::error_kind_names()));
             return o;
           }));
  // Threads of the numeric kernels: 1 unless this is the pthread engine (parallel.h).
  function("threads", optional_override([]() { return recsys::parallel::threads(); }));
  function("setThreads", optional_override([](int n) {
             guarded([&] { recsys::parallel::set_threads(n); });
           }));
#ifdef RECSYS_SERVE_ONLY
  function("engine", optional_override([]() { return std::string("serve"); }));
#else
  function("engine", optional_override([]() { return std::string("full"); }));
#endif
#ifndef RECSYS_SERVE_ONLY
  function("defaultSyntheticConfig",
           optional_override([]() { return recsys::SyntheticConfig().to_json(); }));
  function("generateShop", optional_override([](const std::string& config_json) {
             return guarded([&] {
               return recsys::generate_synthetic_dataset(
                   recsys::SyntheticConfig::from_json(config_json));
             });
           }));
#endif

  // The texts come as (pointer, length) pairs placed by heapArgs() in api.mjs: one TextEncoder
  // pass and one copy each, freed on every path (see HeapBytes).
  function("loadCatalog",
           optional_override([](double tp, double tn, double fp, double fn, double sp, double sn) {
             const HeapBytes text(tp, tn), format(fp, fn), source(sp, sn);
             return guarded([&] {
               return recsys::parse_catalog(text.view(), format.view(), std::string(source.view()));
             });
           }));
  function("loadDataset", optional_override([](double cp, double cn, double cfp, double cfn,
                                               double csp, double csn, double ep, double en,
                                               double efp, double efn, double esp, double esn) {
             const HeapBytes catalog(cp, cn), catalog_format(cfp, cfn), catalog_source(csp, csn);
             const HeapBytes events(ep, en), events_format(efp, efn), events_source(esp, esn);
             return guarded([&] {
               return recsys::parse_dataset(
                   catalog.view(), catalog_format.view(), std::string(catalog_source.view()),
                   events.view(), events_format.view(), std::string(events_source.view()));
             });
           }));
  function("loadShop", optional_override([](double ptr, double size) {
             const HeapBytes bytes(ptr, size);
             return guarded([&] { return recsys::read_shop(bytes.view(), "shop.bin"); });
           }));
  function("loadOnlineRetailExtract",
           optional_override([](double ip, double in, double bp, double bn) {
             const HeapBytes items(ip, in), baskets(bp, bn);
             return guarded([&] {
               return recsys::load_online_retail_extract(items.view(), baskets.view(),
                                                         "data/online_retail");
             });
           }));
#ifndef RECSYS_SERVE_ONLY
  function("loadOnlineRetailCsv", optional_override([](double tp, double tn, double sp, double sn) {
             const HeapBytes text(tp, tn), source(sp, sn);
             return guarded([&] {
               return recsys::load_online_retail_csv(text.view(), std::string(source.view())).data;
             });
           }));
#endif
}
