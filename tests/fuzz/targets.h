// Fuzz targets: each takes arbitrary bytes and either succeeds or throws recsys::Error (a clear
// error); anything else — a crash, a sanitizer report, another exception, a broken invariant
// (std::abort via FUZZ_CHECK) — is a finding. The same functions run under libFuzzer
// (tests/fuzz/fuzz_main.cpp, npm run fuzz) and, over the committed corpus and every input that
// once crashed, in the Catch2 suite (tests/cpp/test_fuzz_corpus.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace recsys::fuzz {

using Target = void (*)(const std::uint8_t* data, std::size_t size);

struct NamedTarget {
  const char* name;
  Target run;
};

// catalog (byte 0 chooses CSV or JSON), dataset (catalog CSV \0 interactions CSV or JSON),
// online_retail (the raw UCI CSV), extract (items.csv \0 baskets.csv), model (a 4-byte length,
// then safetensors bytes, then the manifest: the model, its ranker and its candidate ranker),
// configs (byte 0 chooses the parser: two-tower, strategy, recommender options, experiment,
// candidate ranker, evaluation request, synthetic shop, request JSON), recommender (a request /
// session-event program against a small shop, checking the invariants of every answer), shop
// (a binary shop file, docs/shop-format.md).
const std::vector<NamedTarget>& targets();

}  // namespace recsys::fuzz
