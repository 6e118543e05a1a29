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
      .function("numInteractions", optional_override([](const Dataset& d) {
                  return static_cast<double>(d.interactions.size());
                }));

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
