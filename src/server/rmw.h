// ReadModifyWrite: the one way the server writes items.
//
// DynamoDB conditions and update expressions need the item a write
// replaces, and the Table interface only checks simple conditions (exists,
// not exists, attribute equals). So every item write of the server (PutItem,
// DeleteItem, UpdateItem, BatchWriteItem) goes through this class, which
// runs
//
//   lock the stripes of the keys (1024 mutexes by hash(table, key), taken
//   in index order, so no two writers deadlock)
//     Table::WithStableTable(physical:     one physical table for the
//                                          whole call, also across a
//                                          router's flip)
//       read    current = physical.Get(key)       (Run, when `read`)
//       check   write = decide(current)           (condition, update)
//       write   physical.Put / Delete / BatchWrite
//   unlock
//
// Contract:
//   - Writes of one key through one server are serialised: no other write
//     of the key (through this object) lands between the read and the
//     write. A writer outside the server process is not covered (none
//     exists: the local store admits one process); where the read saw no
//     item the put also carries Condition::NotExists(), so such a writer
//     is detected (Aborted) rather than overwritten.
//   - The read and the write go to the same physical table: an item read
//     from the old table of a migration is never written into the new one.
//   - `decide` runs exactly once per call, under the lock; it must not
//     write. An error it returns (Aborted for a failed condition,
//     InvalidArgument for an invalid new item) is returned unchanged and
//     nothing is written.
//
// Thread safety: all methods may be called from many threads.
#ifndef GODWIT_SERVER_RMW_H_
#define GODWIT_SERVER_RMW_H_

#include <array>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "godwit/item.h"
#include "godwit/status.h"
#include "godwit/store.h"

namespace godwit::server {

class ReadModifyWrite {
 public:
  // What a call writes for its key.
  struct Write {
    enum class Kind : uint8_t { kNone, kPut, kDelete };
    Kind kind = Kind::kNone;
    Item item;  // kPut
    static Write None() { return {}; }
    static Write Put(Item item) { return {Kind::kPut, std::move(item)}; }
    static Write Delete() { return {Kind::kDelete, {}}; }
  };
  struct Outcome {
    // The item before the call: what the write replaced, else (nothing
    // written) what the read saw.
    std::optional<Item> old;
    bool wrote = false;
  };
  // Given the current item (nullptr: absent, or not read), the write.
  using Decide = std::function<Result<Write>(const Item* current)>;

  // One key of `table` (named `name`). With `read` false the current item
  // is not read (decide gets nullptr): a blind write, whose Outcome::old is
  // what the store reports it replaced.
  Result<Outcome> Run(Table& table, const std::string& name, const Key& key,
                      bool read, const Decide& decide);

  // BatchWriteItem: several distinct keys of one table, written by one
  // Table::BatchWrite under all their stripes. No conditions, so no read.
  Result<BatchWriteResult> RunBatch(Table& table, const std::string& name,
                                    std::vector<WriteRequest> writes);

 private:
  static constexpr size_t kStripes = 1024;
  size_t StripeOf(const std::string& name, const Key& key) const;
  // Locks the stripes of `keys` (index order), runs fn on the stable table.
  Status Locked(Table& table, const std::string& name,
                const std::vector<const Key*>& keys,
                const std::function<Status(Table& physical)>& fn);

  std::array<std::mutex, kStripes> stripes_;
};

}  // namespace godwit::server

#endif  // GODWIT_SERVER_RMW_H_
