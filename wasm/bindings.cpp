// The only file that includes Emscripten headers. It exposes the core to JS through Embind and
// holds no logic: every function forwards to recsys::, inside guarded(), which turns a C++
// exception into a JS Error carrying the message (TOOLCHAIN.md D, pattern G2).
#include <emscripten/bind.h>
#include <emscripten/emscripten.h>

#include <malloc.h>

#include <exception>
#include <string>

#include "data/catalog.h"
#include "data/dataset.h"
#include "data/interactions.h"
#include "data/online_retail.h"
#include "data/synthetic.h"
#include "io/two_tower_file.h"
#include "retrieval/topk.h"
#include "retrieval/training_job.h"

using namespace emscripten;

namespace {

EM_JS(void, recsys_throw_js_error, (const char* msg), { throw new Error(UTF8ToString(msg)); });

// Runs f; on a C++ exception leaves the catch block first, then throws a JS Error.
template <class F>
auto guarded(F&& f) -> decltype(f()) {
  static std::string message;
  try {
    return f();
  } catch (const std::exception& e) {
    message = e.what();
  } catch (...) {
    message = "unknown C++ exception";
  }
  recsys_throw_js_error(message.c_str());
  __builtin_unreachable();
}

using recsys::Catalog;
using recsys::Dataset;
using recsys::TrainingJob;
using recsys::TwoTowerModel;
using ModelPtr = std::shared_ptr<TwoTowerModel>;

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

// The bytes of the last saved model: handed to JS as a view that the wrapper copies at once.
std::string& saved_weights() {
  static std::string bytes;
  return bytes;
}

}  // namespace

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
      .function("configJson",
                optional_override([](const TwoTowerModel& m) { return m.config().to_json(); }))
      // Saves into saved_weights() and returns the manifest; weightsView() then shows the bytes.
      .function("save", optional_override([](const TwoTowerModel& m, const std::string& info_json) {
                  return guarded([&] {
                    auto f =
                        recsys::TwoTowerFile::save(m, recsys::training_info_from_json(info_json));
                    saved_weights() = std::move(f.weights);
                    return f.manifest;
                  });
                }))
      .function("recommendJson",
                optional_override([](const TwoTowerModel& m, const std::string& user,
                                     const std::string& history_json, int k) {
                  return guarded([&] { return recsys::recommend_json(m, user, history_json, k); });
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
  function("loadModel",
           optional_override([](const std::string& weights, const std::string& manifest,
                                const std::string& source) {
             return guarded([&] {
               return std::make_shared<TwoTowerModel>(
                   recsys::TwoTowerFile::load(weights, manifest, source));
             });
           }));

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
                  return guarded([&] { return j.trainer().validation_recall().recall; });
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

  // Bytes currently allocated by malloc (dlmalloc's mallinfo), for leak checks and the UI.
  function("allocatedBytes",
           optional_override([]() { return static_cast<double>(mallinfo().uordblks); }));
  function("version", optional_override([]() { return std::string(RECSYS_VERSION); }));
  function("defaultSyntheticConfig",
           optional_override([]() { return recsys::SyntheticConfig().to_json(); }));
  function(
      "generateShop", optional_override([](const std::string& config_json) {
        return guarded([&] {
          return recsys::generate_synthetic_shop(recsys::SyntheticConfig::from_json(config_json))
              .data;
        });
      }));
  function("loadCatalog", optional_override([](const std::string& text, const std::string& format,
                                               const std::string& source) {
             return guarded([&] { return recsys::parse_catalog(text, format, source); });
           }));
  function(
      "loadDataset",
      optional_override([](const std::string& catalog_text, const std::string& catalog_format,
                           const std::string& catalog_source, const std::string& events_text,
                           const std::string& events_format, const std::string& events_source) {
        return guarded([&] {
          return recsys::parse_dataset(catalog_text, catalog_format, catalog_source, events_text,
                                       events_format, events_source);
        });
      }));
  function("loadOnlineRetailExtract",
           optional_override([](const std::string& items_csv, const std::string& baskets_csv) {
             return guarded([&] {
               return recsys::load_online_retail_extract(items_csv, baskets_csv,
                                                         "data/online_retail");
             });
           }));
  function("loadOnlineRetailCsv",
           optional_override([](const std::string& text, const std::string& source) {
             return guarded([&] { return recsys::load_online_retail_csv(text, source).data; });
           }));
}
