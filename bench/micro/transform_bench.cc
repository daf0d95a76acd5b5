// Microbenchmarks of the Lua transform runtime on the ~1 KB order item
// (tests/testutil/random_item.h), one thread, next to the codecs alone so the
// numbers can be read against each other in one run.
//
//   godwit_micro_bench --benchmark_filter='BM_(Transform|CodecRoundTrip)'
//
// Arg 0 = lazy item view (the default), 1 = full conversion. items/s is per
// thread: a run scales it by its worker threads.
//
//   identity  return item
//   rename    item.orderStatus = item.status; item.status = nil
//   rekey     the demo's re-key: pk/sk from customerId and the order id,
//             rename, derived itemCount (reads a list)
//   touchall  every attribute read and assigned (the lazy view's worst case)
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "godwit/codec.h"
#include "godwit/json.h"
#include "godwit/transform.h"
#include "testutil/random_item.h"

namespace godwit {
namespace {

constexpr int kItems = 16;

const std::vector<Item>& Orders() {
  static const std::vector<Item> items = [] {
    std::vector<Item> v;
    for (int i = 0; i < kItems; ++i) v.push_back(test::MakeOrderItem(i));
    return v;
  }();
  return items;
}

constexpr char kIdentity[] = "return { up = function(item) return item end }";
constexpr char kRename[] =
    "return { up = function(item)\n"
    "  item.orderStatus = item.status\n"
    "  item.status = nil\n"
    "  return item\n"
    "end }";
constexpr char kReKey[] =
    "return {\n"
    "  key_schema = { hash = 'pk', range = 'sk' },\n"
    "  up = function(item)\n"
    "    local order = item.pk:match('^ORDER#(.+)$')\n"
    "    item.pk = 'CUST#' .. item.customerId\n"
    "    item.sk = 'ORDER#' .. order\n"
    "    item.orderStatus = item.status\n"
    "    item.status = nil\n"
    "    local lines = item.lineItems\n"
    "    item.itemCount = godwit.type(lines) == 'L' and #lines or 0\n"
    "    return item\n"
    "  end }";
constexpr char kTouchAll[] =
    "return { up = function(item)\n"
    "  for k, v in pairs(item) do item[k] = v end\n"
    "  return item\n"
    "end }";

void RunTransform(benchmark::State& state, const char* source) {
  MigrationFile f;
  f.table = "Orders";
  f.number = 1;
  f.name = "bench";
  f.path = "/bench/migrations/Orders/0001_bench.lua";
  f.source = source;
  f.sha256 = Sha256Hex(f.source);
  TransformOptions opts;
  opts.source_key_schema =
      KeySchema{{"pk", AttrType::kS}, KeyAttribute{"sk", AttrType::kS}};
  opts.view = state.range(0) == 0 ? ItemViewMode::kLazy : ItemViewMode::kFull;
  auto t = Transform::Create({f}, opts);
  if (!t.ok()) {
    state.SkipWithError(t.status().ToString().c_str());
    return;
  }
  auto w = (*t)->NewWorker();
  if (!w.ok()) {
    state.SkipWithError(w.status().ToString().c_str());
    return;
  }
  const std::vector<Item>& items = Orders();
  size_t i = 0;
  for (auto _ : state) {
    ItemOutcome out = (*w)->Up(items[i++ % kItems]);
    if (!out.ok()) {
      state.SkipWithError(out.reason.c_str());
      return;
    }
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(state.range(0) == 0 ? "lazy" : "full");
}

void BM_TransformIdentity(benchmark::State& s) { RunTransform(s, kIdentity); }
void BM_TransformRename(benchmark::State& s) { RunTransform(s, kRename); }
void BM_TransformReKey(benchmark::State& s) { RunTransform(s, kReKey); }
void BM_TransformTouchAll(benchmark::State& s) { RunTransform(s, kTouchAll); }
BENCHMARK(BM_TransformIdentity)->Arg(0)->Arg(1);
BENCHMARK(BM_TransformRename)->Arg(0)->Arg(1);
BENCHMARK(BM_TransformReKey)->Arg(0)->Arg(1);
BENCHMARK(BM_TransformTouchAll)->Arg(0)->Arg(1);

// The codecs alone on the same items: what a copy costs without Lua.
void BM_CodecRoundTripBinary(benchmark::State& state) {
  std::vector<std::string> encoded;
  for (const Item& item : Orders()) {
    std::string s;
    EncodeItem(item, &s);
    encoded.push_back(std::move(s));
  }
  size_t i = 0;
  std::string out;
  for (auto _ : state) {
    Result<Item> item = DecodeItem(encoded[i++ % kItems]);
    out.clear();
    EncodeItem(*item, &out);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CodecRoundTripBinary);

void BM_CodecRoundTripJson(benchmark::State& state) {
  std::vector<std::string> json;
  for (const Item& item : Orders()) json.push_back(ItemToJson(item));
  JsonParser parser;
  size_t i = 0;
  std::string out;
  for (auto _ : state) {
    Result<Item> item = parser.ParseItem(json[i++ % kItems]);
    out.clear();
    WriteItemJson(*item, &out);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CodecRoundTripJson);

// The item copy every transform call starts with (Up takes its item by
// value), for reference.
void BM_CodecItemCopy(benchmark::State& state) {
  size_t i = 0;
  for (auto _ : state) {
    Item copy = Orders()[i++ % kItems];
    benchmark::DoNotOptimize(copy);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CodecItemCopy);

}  // namespace
}  // namespace godwit
