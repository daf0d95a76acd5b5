// Microbenchmarks of the local store on ~1 KB order items
// (testutil::MakeOrderItem), next to raw RocksDB writing and scanning the
// same value bytes with no change stream, in the same run:
//
//   godwit_micro_bench --benchmark_filter='BM_(LocalStore|RawRocksDB)'
//
// Put/BatchWrite figures include what a store write does beyond RocksDB:
// validation, encoding the item and its key, reading the old image, the
// change record and the stats record. Scan figures include decoding each
// item (BM_RawRocksDB_ScanDecode shows the decoding alone).
//
// *Sync benchmarks use the default durability (fsync per group commit) and
// compare group commit (max_group_writes 128) with one commit per write
// (max_group_writes 1); raw RocksDB with sync=true is the baseline.
#include <benchmark/benchmark.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "godwit/codec.h"
#include "godwit/local_store.h"
#include "store/local/format.h"
#include "testutil/random_item.h"

namespace godwit {
namespace {

constexpr int kBaseItems = 64;
constexpr int kScanItems = 50000;

std::string NewDir(const char* what) {
  std::string tmpl = std::filesystem::temp_directory_path().string() +
                     "/godwit-bench-" + what + "-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) std::abort();
  return tmpl;
}

const std::vector<Item>& BaseItems() {
  static const std::vector<Item> items = [] {
    std::vector<Item> v;
    for (int i = 0; i < kBaseItems; ++i) v.push_back(test::MakeOrderItem(i));
    return v;
  }();
  return items;
}

// The i-th item of a thread: a base item under a unique partition key.
Item NthItem(int thread, int64_t i) {
  Item item = BaseItems()[i % kBaseItems];
  item.Set("pk", AttributeValue::S("ORDER#" + std::to_string(thread) + "-" +
                                   std::to_string(i)));
  return item;
}

const KeySchema& OrderSchema() {
  static const KeySchema s{{"pk", AttrType::kS},
                           KeyAttribute{"sk", AttrType::kS}};
  return s;
}

// The store key and value bytes of an item, as the local store writes them.
void RawKeyValue(const Item& item, std::string* key, std::string* value) {
  *key = local::StorageKey(ExtractKey(item, OrderSchema()).value());
  value->clear();
  EncodeItem(item, value);
}

// ---- the local store --------------------------------------------------------

struct StoreFixture {
  std::string dir;
  std::unique_ptr<LocalStore> store;
  std::shared_ptr<Table> table;

  void Open(bool sync, size_t group) {
    dir = NewDir("store");
    LocalStoreOptions o;
    o.path = dir;
    o.sync = sync;
    o.max_group_writes = group;
    o.retention_interval_micros = 0;
    store = LocalStore::Open(o).value();
    if (!store->CreateTable("Orders", {OrderSchema(), true}).ok()) std::abort();
    table = store->GetTable("Orders").value();
  }
  void Close() {
    table.reset();
    store.reset();
    std::filesystem::remove_all(dir);
  }
};

StoreFixture g_store;

void PutLoop(benchmark::State& state) {
  const int thread = state.thread_index();
  int64_t i = 0;
  for (auto _ : state) {
    Item item = NthItem(thread, i++);
    if (!g_store.table->Put(item).ok()) state.SkipWithError("put failed");
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_LocalStore_Put(benchmark::State& state) {
  if (state.thread_index() == 0) g_store.Open(/*sync=*/false, 128);
  PutLoop(state);
  if (state.thread_index() == 0) g_store.Close();
}
BENCHMARK(BM_LocalStore_Put)->Threads(1)->Threads(2)->UseRealTime();

void BM_LocalStore_PutSync(benchmark::State& state) {
  if (state.thread_index() == 0) {
    g_store.Open(/*sync=*/true, static_cast<size_t>(state.range(0)));
  }
  PutLoop(state);
  if (state.thread_index() == 0) g_store.Close();
}
BENCHMARK(BM_LocalStore_PutSync)
    ->ArgName("group")
    ->Arg(128)
    ->Arg(1)
    ->Threads(1)
    ->Threads(2)
    ->Threads(8)
    ->UseRealTime();

void BM_LocalStore_BatchWrite(benchmark::State& state) {
  if (state.thread_index() == 0) g_store.Open(/*sync=*/false, 128);
  const int thread = state.thread_index();
  int64_t i = 0;
  for (auto _ : state) {
    std::vector<WriteRequest> batch;
    for (size_t j = 0; j < kMaxBatchWriteItems; ++j) {
      batch.push_back(WriteRequest::Put(NthItem(thread, i++)));
    }
    if (!g_store.table->BatchWrite(std::move(batch)).ok()) {
      state.SkipWithError("batch failed");
    }
  }
  state.SetItemsProcessed(state.iterations() * kMaxBatchWriteItems);
  if (state.thread_index() == 0) g_store.Close();
}
BENCHMARK(BM_LocalStore_BatchWrite)->Threads(1)->Threads(2)->UseRealTime();

// A loaded store shared by the scan and stream benchmarks.
struct LoadedStore {
  std::string dir;
  std::unique_ptr<LocalStore> store;
  std::shared_ptr<Table> table;
  LoadedStore() {
    dir = NewDir("scan");
    LocalStoreOptions o;
    o.path = dir;
    o.sync = false;
    o.retention_interval_micros = 0;
    store = LocalStore::Open(o).value();
    if (!store->CreateTable("Orders", {OrderSchema(), true}).ok()) std::abort();
    table = store->GetTable("Orders").value();
    for (int64_t i = 0; i < kScanItems; i += kMaxBatchWriteItems) {
      std::vector<WriteRequest> batch;
      for (size_t j = 0; j < kMaxBatchWriteItems; ++j) {
        batch.push_back(WriteRequest::Put(NthItem(0, i + j)));
      }
      if (!table->BatchWrite(std::move(batch)).ok()) std::abort();
    }
    if (!store->Flush().ok()) std::abort();
  }
  ~LoadedStore() {
    table.reset();
    store.reset();
    std::filesystem::remove_all(dir);
  }
};

LoadedStore& Loaded() {
  static LoadedStore s;
  return s;
}

// Scans the whole table as `segments` segments, one after the other, in
// this thread (so that the CPU time is the scan's cost; segments exist to be
// scanned by parallel workers, which a shared 2-core machine cannot show).
void BM_LocalStore_Scan(benchmark::State& state) {
  LoadedStore& s = Loaded();
  const int segments = static_cast<int>(state.range(0));
  int64_t items = 0;
  for (auto _ : state) {
    int64_t count = 0;
    for (int seg = 0; seg < segments; ++seg) {
      ScanOptions so;
      so.segment = seg;
      so.total_segments = segments;
      while (true) {
        auto page = s.table->Scan(so);
        if (!page.ok()) std::abort();
        count += static_cast<int64_t>(page->items.size());
        if (page->next_page_token.empty()) break;
        so.page_token = page->next_page_token;
      }
    }
    if (count != kScanItems) state.SkipWithError("wrong item count");
    items += count;
  }
  state.SetItemsProcessed(items);
}
BENCHMARK(BM_LocalStore_Scan)
    ->ArgName("segments")
    ->Arg(1)
    ->Arg(4)
    ->Arg(16)
    ->Unit(benchmark::kMillisecond);

void BM_LocalStore_StreamRead(benchmark::State& state) {
  LoadedStore& s = Loaded();
  int64_t records = 0;
  for (auto _ : state) {
    auto reader = s.table->OpenStream(StreamPosition::TrimHorizon()).value();
    std::vector<ChangeRecord> out;
    while (true) {
      out.clear();
      if (!reader->Read(1000, &out).ok()) std::abort();
      if (out.empty()) break;
      records += static_cast<int64_t>(out.size());
    }
  }
  state.SetItemsProcessed(records);
}
BENCHMARK(BM_LocalStore_StreamRead)->Unit(benchmark::kMillisecond);

// ---- raw RocksDB, the same bytes, no stream ---------------------------------

struct RawFixture {
  std::string dir;
  std::unique_ptr<rocksdb::DB> db;
  rocksdb::WriteOptions wo;
  void Open(bool sync) {
    dir = NewDir("raw");
    rocksdb::Options o;
    o.create_if_missing = true;
    rocksdb::DB* raw = nullptr;
    if (!rocksdb::DB::Open(o, dir, &raw).ok()) std::abort();
    db.reset(raw);
    wo.sync = sync;
  }
  void Close() {
    db.reset();
    std::filesystem::remove_all(dir);
  }
};

RawFixture g_raw;

void RawPutLoop(benchmark::State& state) {
  const int thread = state.thread_index();
  int64_t i = 0;
  std::string key, value;
  for (auto _ : state) {
    RawKeyValue(NthItem(thread, i++), &key, &value);
    if (!g_raw.db->Put(g_raw.wo, key, value).ok()) state.SkipWithError("put");
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_RawRocksDB_Put(benchmark::State& state) {
  if (state.thread_index() == 0) g_raw.Open(false);
  RawPutLoop(state);
  if (state.thread_index() == 0) g_raw.Close();
}
BENCHMARK(BM_RawRocksDB_Put)->Threads(1)->Threads(2)->UseRealTime();

void BM_RawRocksDB_PutSync(benchmark::State& state) {
  if (state.thread_index() == 0) g_raw.Open(true);
  RawPutLoop(state);
  if (state.thread_index() == 0) g_raw.Close();
}
BENCHMARK(BM_RawRocksDB_PutSync)
    ->Threads(1)
    ->Threads(2)
    ->Threads(8)
    ->UseRealTime();

void BM_RawRocksDB_WriteBatch(benchmark::State& state) {
  if (state.thread_index() == 0) g_raw.Open(false);
  const int thread = state.thread_index();
  int64_t i = 0;
  std::string key, value;
  for (auto _ : state) {
    rocksdb::WriteBatch batch;
    for (size_t j = 0; j < kMaxBatchWriteItems; ++j) {
      RawKeyValue(NthItem(thread, i++), &key, &value);
      batch.Put(key, value);
    }
    if (!g_raw.db->Write(g_raw.wo, &batch).ok()) state.SkipWithError("write");
  }
  state.SetItemsProcessed(state.iterations() * kMaxBatchWriteItems);
  if (state.thread_index() == 0) g_raw.Close();
}
BENCHMARK(BM_RawRocksDB_WriteBatch)->Threads(1)->Threads(2)->UseRealTime();

struct LoadedRaw {
  std::string dir;
  std::unique_ptr<rocksdb::DB> db;
  LoadedRaw() {
    dir = NewDir("rawscan");
    rocksdb::Options o;
    o.create_if_missing = true;
    rocksdb::DB* raw = nullptr;
    if (!rocksdb::DB::Open(o, dir, &raw).ok()) std::abort();
    db.reset(raw);
    std::string key, value;
    for (int64_t i = 0; i < kScanItems; ++i) {
      RawKeyValue(NthItem(0, i), &key, &value);
      if (!db->Put(rocksdb::WriteOptions(), key, value).ok()) std::abort();
    }
    if (!db->Flush(rocksdb::FlushOptions()).ok()) std::abort();
  }
  ~LoadedRaw() {
    db.reset();
    std::filesystem::remove_all(dir);
  }
};

LoadedRaw& LoadedRawDb() {
  static LoadedRaw s;
  return s;
}

void RawScan(benchmark::State& state, bool decode) {
  LoadedRaw& s = LoadedRawDb();
  int64_t items = 0;
  for (auto _ : state) {
    std::unique_ptr<rocksdb::Iterator> it(
        s.db->NewIterator(rocksdb::ReadOptions()));
    int64_t n = 0;
    size_t bytes = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (decode) {
        auto item = DecodeItem(it->value().ToStringView());
        if (!item.ok()) std::abort();
        bytes += item->size();
      } else {
        bytes += it->value().size();
      }
      ++n;
    }
    benchmark::DoNotOptimize(bytes);
    if (n != kScanItems) state.SkipWithError("wrong item count");
    items += n;
  }
  state.SetItemsProcessed(items);
}

void BM_RawRocksDB_Scan(benchmark::State& state) { RawScan(state, false); }
BENCHMARK(BM_RawRocksDB_Scan)->Unit(benchmark::kMillisecond);
void BM_RawRocksDB_ScanDecode(benchmark::State& state) { RawScan(state, true); }
BENCHMARK(BM_RawRocksDB_ScanDecode)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace godwit
