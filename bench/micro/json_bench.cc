// Microbenchmarks of the DynamoDB-JSON codec, on a realistic ~1 KB order item
// and a ~100 B item (tests/testutil/random_item.h), against a ceiling:
//
//   godwit_micro_bench --benchmark_filter='BM_(Json|SimdjsonRaw)'
//
//   BM_JsonParse_*     JsonParser::ParseItem: JSON text -> Item
//   BM_JsonWrite_*     WriteItemJson: Item -> JSON text (into a reused string)
//   BM_SimdjsonRaw_*   simdjson On Demand over the same bytes, touching every
//                      key and every value (strings unescaped, bools read)
//                      without building anything: what parsing costs before
//                      godwit allocates a single string. The input is already
//                      padded, so this excludes the copy ParseItem makes.
//
// bytes/s counts the bytes of the canonical JSON of the items, so all three
// are comparable.
#include <benchmark/benchmark.h>
#include <simdjson.h>

#include <cstdint>
#include <string>
#include <vector>

#include "godwit/item.h"
#include "godwit/json.h"
#include "testutil/random_item.h"

namespace godwit {
namespace {

// Several distinct items so that the branch predictor does not memorise one.
constexpr int kItems = 16;

enum class Shape { kOrder, kSmall };

std::vector<Item> Items(Shape shape) {
  std::vector<Item> items;
  for (int i = 0; i < kItems; ++i) {
    items.push_back(shape == Shape::kOrder ? test::MakeOrderItem(i)
                                           : test::MakeSmallItem(i));
  }
  return items;
}

std::vector<std::string> Jsons(Shape shape) {
  std::vector<std::string> out;
  for (const Item& item : Items(shape)) out.push_back(ItemToJson(item));
  return out;
}

int64_t TotalSize(const std::vector<std::string>& v) {
  int64_t n = 0;
  for (const std::string& s : v) n += static_cast<int64_t>(s.size());
  return n;
}

void SetCounters(benchmark::State& state, int64_t bytes_per_round) {
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * bytes_per_round / kItems);
  state.counters["bytes/item"] = static_cast<double>(bytes_per_round) / kItems;
}

void JsonParse(benchmark::State& state, Shape shape) {
  const std::vector<std::string> jsons = Jsons(shape);
  JsonParser parser;
  size_t i = 0;
  for (auto _ : state) {
    Result<Item> item = parser.ParseItem(jsons[i]);
    if (!item.ok()) {
      state.SkipWithError(std::string(item.status().message()).c_str());
      return;
    }
    benchmark::DoNotOptimize(item);
    i = (i + 1) % kItems;
  }
  SetCounters(state, TotalSize(jsons));
}

void JsonWrite(benchmark::State& state, Shape shape) {
  const std::vector<Item> items = Items(shape);
  const int64_t total = TotalSize(Jsons(shape));
  std::string out;
  size_t i = 0;
  for (auto _ : state) {
    out.clear();
    WriteItemJson(items[i], &out);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
    i = (i + 1) % kItems;
  }
  SetCounters(state, total);
}

// Walks a value, touching everything; returns a checksum.
uint64_t Touch(simdjson::ondemand::value v, simdjson::error_code* err) {
  using simdjson::ondemand::json_type;
  json_type type;
  if ((*err = v.type().get(type))) return 0;
  uint64_t sum = 0;
  switch (type) {
    case json_type::object: {
      simdjson::ondemand::object obj;
      if ((*err = v.get_object().get(obj))) return 0;
      for (auto field_result : obj) {
        simdjson::ondemand::field field;
        if ((*err = std::move(field_result).get(field))) return 0;
        std::string_view key;
        if ((*err = field.unescaped_key().get(key))) return 0;
        sum += key.size() + Touch(field.value(), err);
        if (*err) return 0;
      }
      return sum + 1;
    }
    case json_type::array: {
      simdjson::ondemand::array arr;
      if ((*err = v.get_array().get(arr))) return 0;
      for (auto element_result : arr) {
        simdjson::ondemand::value element;
        if ((*err = std::move(element_result).get(element))) return 0;
        sum += Touch(element, err);
        if (*err) return 0;
      }
      return sum + 2;
    }
    case json_type::string: {
      std::string_view s;
      if ((*err = v.get_string().get(s))) return 0;
      return s.size();
    }
    case json_type::boolean: {
      bool b;
      if ((*err = v.get_bool().get(b))) return 0;
      return b ? 3 : 4;
    }
    default:
      *err = simdjson::INCORRECT_TYPE;  // no numbers or nulls in DynamoDB JSON
      return 0;
  }
}

void SimdjsonRaw(benchmark::State& state, Shape shape) {
  const std::vector<std::string> jsons = Jsons(shape);
  std::vector<simdjson::padded_string> padded;
  for (const std::string& s : jsons) padded.emplace_back(s);
  simdjson::ondemand::parser parser;
  size_t i = 0;
  for (auto _ : state) {
    simdjson::ondemand::document doc;
    simdjson::error_code err = parser.iterate(padded[i]).get(doc);
    simdjson::ondemand::value root;
    if (!err) err = doc.get_value().get(root);
    uint64_t sum = err ? 0 : Touch(root, &err);
    if (err) {
      state.SkipWithError(simdjson::error_message(err));
      return;
    }
    benchmark::DoNotOptimize(sum);
    i = (i + 1) % kItems;
  }
  SetCounters(state, TotalSize(jsons));
}

void BM_JsonParse_Order(benchmark::State& s) { JsonParse(s, Shape::kOrder); }
void BM_JsonParse_Small(benchmark::State& s) { JsonParse(s, Shape::kSmall); }
void BM_JsonWrite_Order(benchmark::State& s) { JsonWrite(s, Shape::kOrder); }
void BM_JsonWrite_Small(benchmark::State& s) { JsonWrite(s, Shape::kSmall); }
void BM_SimdjsonRaw_Order(benchmark::State& s) {
  SimdjsonRaw(s, Shape::kOrder);
}
void BM_SimdjsonRaw_Small(benchmark::State& s) {
  SimdjsonRaw(s, Shape::kSmall);
}
BENCHMARK(BM_JsonParse_Order);
BENCHMARK(BM_JsonParse_Small);
BENCHMARK(BM_SimdjsonRaw_Order);
BENCHMARK(BM_SimdjsonRaw_Small);
BENCHMARK(BM_JsonWrite_Order);
BENCHMARK(BM_JsonWrite_Small);

}  // namespace
}  // namespace godwit
