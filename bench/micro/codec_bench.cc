// Microbenchmarks of the binary item codec and the canonical hash, on a
// realistic ~1 KB order item and a ~100 B item (tests/testutil/random_item.h).
//
//   godwit_micro_bench --benchmark_filter='BM_(Encode|Decode|Hash)'
//
// bytes/s counts encoded bytes (the size of the binary encoding), so encode,
// decode and hash figures are comparable.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "godwit/codec.h"
#include "godwit/item.h"
#include "testutil/random_item.h"

namespace godwit {
namespace {

// Several distinct items so that the branch predictor does not memorise one.
constexpr int kItems = 16;

std::vector<Item> Items(bool order) {
  std::vector<Item> items;
  for (int i = 0; i < kItems; ++i) {
    items.push_back(order ? test::MakeOrderItem(i) : test::MakeSmallItem(i));
  }
  return items;
}

std::vector<std::string> Encoded(const std::vector<Item>& items) {
  std::vector<std::string> out;
  for (const Item& item : items) {
    std::string s;
    EncodeItem(item, &s);
    out.push_back(std::move(s));
  }
  return out;
}

size_t TotalBytes(const std::vector<std::string>& encoded) {
  size_t n = 0;
  for (const std::string& s : encoded) n += s.size();
  return n;
}

void Report(benchmark::State& state, const std::vector<std::string>& encoded) {
  const int64_t rounds = static_cast<int64_t>(state.iterations());
  state.SetItemsProcessed(rounds * kItems);
  state.SetBytesProcessed(rounds * static_cast<int64_t>(TotalBytes(encoded)));
  state.counters["bytes/item"] =
      static_cast<double>(TotalBytes(encoded)) / kItems;
}

// One iteration handles all kItems items.
void BM_EncodeItem(benchmark::State& state, bool order) {
  std::vector<Item> items = Items(order);
  std::vector<std::string> encoded = Encoded(items);
  std::string buf;
  for (auto _ : state) {
    for (const Item& item : items) {
      buf.clear();  // reused buffer, as a batch writer would
      EncodeItem(item, &buf);
      benchmark::DoNotOptimize(buf.data());
    }
  }
  Report(state, encoded);
}

void BM_EncodeItemFreshString(benchmark::State& state, bool order) {
  std::vector<Item> items = Items(order);
  std::vector<std::string> encoded = Encoded(items);
  for (auto _ : state) {
    for (const Item& item : items) {
      std::string buf;
      EncodeItem(item, &buf);
      benchmark::DoNotOptimize(buf.data());
    }
  }
  Report(state, encoded);
}

void BM_DecodeItem(benchmark::State& state, bool order) {
  std::vector<std::string> encoded = Encoded(Items(order));
  for (auto _ : state) {
    for (const std::string& s : encoded) {
      Result<Item> item = DecodeItem(s);
      if (!item.ok()) state.SkipWithError("decode failed");
      benchmark::DoNotOptimize(item);
    }
  }
  Report(state, encoded);
}

void BM_HashItem(benchmark::State& state, bool order) {
  std::vector<Item> items = Items(order);
  std::vector<std::string> encoded = Encoded(items);
  for (auto _ : state) {
    for (const Item& item : items) {
      Hash128 h = HashItem(item);
      benchmark::DoNotOptimize(h);
    }
  }
  Report(state, encoded);
}

BENCHMARK_CAPTURE(BM_EncodeItem, order_1KB, true);
BENCHMARK_CAPTURE(BM_EncodeItem, small_100B, false);
BENCHMARK_CAPTURE(BM_EncodeItemFreshString, order_1KB, true);
BENCHMARK_CAPTURE(BM_EncodeItemFreshString, small_100B, false);
BENCHMARK_CAPTURE(BM_DecodeItem, order_1KB, true);
BENCHMARK_CAPTURE(BM_DecodeItem, small_100B, false);
BENCHMARK_CAPTURE(BM_HashItem, order_1KB, true);
BENCHMARK_CAPTURE(BM_HashItem, small_100B, false);

}  // namespace
}  // namespace godwit
