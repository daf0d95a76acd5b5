// A workload generator: realistic Orders items and writer threads that
// insert, update and delete them through a Router while a migration runs.
//
// Orders items (the "blue" shape, keyed by pk alone):
//   pk:S "ORDER#<id, 9 digits>"  orderId:N  customerId:S "C<5 digits>"
//   status:S  total:N (2 decimals)  currency:S  createdAt:S  updatedAt:S
//   items:L of M {sku:S qty:N price:N}  shipping:M {...}  tags:SS  version:N
//   note:S (some)
// About 10% of orders belong to one hot customer ("C00000"), the hot
// partition of a table keyed by customer.
//
// Writers know both shapes the way a blue/green application does: they
// build the blue item and, when the router says the active table is another
// one, map it with the migration's `up` (they are given the mapper factory)
// and write the result, deleting the rows up(previous version) had that
// up(new version) has not (in one batch write where it fits). Without
// `track` the previous version is assumed to be 0, so a fan-out mapping
// may leave stray rows. Every acknowledged write updates an in-memory model
// under a per-key lock held across the write, so the model is the commit
// order of each key; tests compare the tables with it.
#ifndef GODWIT_MIGRATE_WORKLOAD_H_
#define GODWIT_MIGRATE_WORKLOAD_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "godwit/migrate.h"
#include "util/mutex.h"

namespace godwit::migrate {

// The blue item of order `id` at `version` (deterministic).
Item MakeOrder(uint64_t id, uint64_t version);
// Its key item {pk}.
Item OrderKey(uint64_t id);

// Writes orders 0..count-1 (version 0) with batch writes. With
// `item_bytes` > 0 each order gets a "comment" string that brings its
// DynamoDB size to about `item_bytes` (benchmarks use ~1 KB items).
Status SeedOrders(Table* table, uint64_t count, int threads,
                  size_t item_bytes = 0);

struct LoadOptions {
  int threads = 4;
  double rate = 0;        // writes/s across all threads; 0 = unlimited
  double duration_s = 0;  // 0 = until Stop()
  int insert = 2, update = 6, remove = 2;  // the mix, as weights
  uint64_t existing = 0;   // ids 0..existing-1 exist when load starts
  uint64_t hot_keys = 16;  // ids 0..hot_keys-1 get a third of updates
  uint64_t seed = 1;
  bool track = true;  // keep the model (memory: one entry per id)
};

struct LoadStats {
  uint64_t inserts = 0, updates = 0, deletes = 0, errors = 0;
  double max_latency_ms = 0;  // the longest write, e.g. held by a flip
  std::string last_error;
};

class LoadGenerator {
 public:
  // `blue_table`: the physical table holding blue items; any other active
  // table gets `up` of the blue item. `mappers` may be null if the active
  // table never changes.
  LoadGenerator(Router* router, std::string logical, std::string blue_table,
                MapperFactory* mappers, LoadOptions opts);
  ~LoadGenerator();
  void Start();
  void Stop();  // joins the threads
  bool running() const { return running_.load(); }
  LoadStats stats() const EXCLUDES(stats_mu_);

  // The model: the acknowledged state of every id touched or seeded
  // (nullopt = deleted). Call after Stop().
  std::map<uint64_t, std::optional<uint64_t>> Model() const EXCLUDES(map_mu_);
  // Compares `table` (blue if is_blue, else holding `up` images, any
  // number per order, each with the order's orderId) with the model:
  // every row of every acknowledged version, and no other row. Returns the
  // number of mismatches and fills up to 10 examples.
  Result<uint64_t> CheckTable(Table* table, bool is_blue,
                              std::vector<std::string>* examples) const;

 private:
  void Worker(int index);
  // Writes version `version` of order `id` (nullopt: deletes it), whose
  // acknowledged version is `current`. In the new shape it puts up(new)
  // and deletes the keys of up(current) that up(new) does not have.
  Status WriteOne(ItemMapper* mapper, uint64_t id,
                  std::optional<uint64_t> current,
                  std::optional<uint64_t> version);

  Router* router_;
  std::string logical_;
  std::string blue_table_;
  MapperFactory* mappers_;
  LoadOptions opts_;
  std::atomic<bool> running_{false};
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
  std::atomic<uint64_t> next_id_{0};

  // A writer holds the stripe of an id from reading the model's entry to
  // updating it after its write, so the model is each id's commit order.
  static constexpr size_t kStripes = 256;
  Mutex stripes_[kStripes];
  // id -> version (nullopt = deleted).
  mutable Mutex map_mu_;
  std::map<uint64_t, std::optional<uint64_t>> model_ GUARDED_BY(map_mu_);
  mutable Mutex stats_mu_;
  LoadStats stats_ GUARDED_BY(stats_mu_);
};

}  // namespace godwit::migrate

#endif  // GODWIT_MIGRATE_WORKLOAD_H_
