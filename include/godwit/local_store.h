// The embedded store: DynamoDB-style tables with change streams in one
// RocksDB database directory. The storage format is in
// docs/formats/storage.md and at the top of src/store/local/format.cc.
//
// Guarantees (see docs/formats/storage.md for the reasoning):
//   - A write and its change record are one RocksDB WriteBatch: the stream
//     can neither miss nor invent a change.
//   - Writes to one table are committed by one leader at a time (group
//     commit): sequence numbers are dense, per-key order in the stream is
//     commit order, and a stream reader never sees n+1 before n.
//   - Durability: with sync = true (the default) a write is acknowledged only
//     after its group's WAL append was fsync'ed, so it survives kill -9 and a
//     power loss (as far as the file system honours fsync). With sync = false
//     it survives kill -9 of the process (the WAL is written to the OS before
//     the acknowledgement) but not an OS crash or power loss.
//   - A Query or Scan page also ends after about 1 MiB of items (as in
//     DynamoDB), whatever its limit; follow next_page_token.
//   - One process at a time: a second open of the same directory fails with
//     IOError (RocksDB's LOCK file).
//   - A full disk loses nothing and stops nothing but writes: below the
//     free-space watermark (LocalStoreOptions::min_free_bytes) writes fail
//     with Unavailable (retryable) and resume by themselves once space is
//     back; reads go on. A store whose disk is too full to open it for
//     writing opens read-only (LocalStore::WriteStatus says so).
//
// Example:
//   ASSIGN_OR_RETURN(std::unique_ptr<Store> store,
//                    OpenLocalStore({.path = "/var/lib/godwit"}));
#ifndef GODWIT_LOCAL_STORE_H_
#define GODWIT_LOCAL_STORE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "godwit/status.h"
#include "godwit/store.h"

namespace godwit {

// TEST HOOK: lets a test make store operations fail the way a remote store
// does (throttling, partial batches). Called from the writing thread; must be
// thread-safe. Never set in production.
class FaultInjector {
 public:
  virtual ~FaultInjector() = default;
  // Called before a write (`op` is "Put", "Delete" or "BatchWrite") touches
  // the table. A non-OK status is returned by the operation as is, and nothing
  // is written (e.g. ResourceExhausted to simulate throttling).
  virtual Status BeforeWrite(std::string_view table, std::string_view op) {
    return Status::OK();
  }
  // How many of the `n` entries of a BatchWrite to leave unprocessed (the
  // last ones, returned in BatchWriteResult::unprocessed). Clamped to n.
  virtual size_t UnprocessedCount(std::string_view table, size_t n) {
    return 0;
  }
};

struct LocalStoreOptions {
  // The database directory (created with its parents if create_if_missing).
  std::string path;
  bool create_if_missing = true;

  // fsync the write-ahead log before acknowledging each group commit. See
  // the durability guarantee at the top of this file.
  bool sync = true;
  // The most writes one group commit of a table takes (>= 1). 1 commits
  // every write on its own (the benchmarks compare).
  size_t max_group_writes = 128;

  // Stream retention: a record older than max_age (0: no age limit) or
  // beyond the newest max_bytes of a table's stream (0: no size limit) is
  // trimmed, unless a registered consumer has not processed it yet.
  int64_t stream_retention_micros = int64_t{24} * 3600 * 1000000;
  uint64_t stream_retention_bytes = 0;
  // How often a background thread applies retention (0: never; call
  // LocalStore::RunRetention()).
  int64_t retention_interval_micros = int64_t{60} * 1000000;

  // RocksDB memory: shared block cache (data, index and filter blocks, so
  // memory does not grow with the data) and total memtable budget.
  size_t block_cache_bytes = size_t{64} << 20;
  size_t write_buffer_bytes = size_t{64} << 20;

  // Free space to keep on the file system of `path`. While it has less,
  // writes (Put, Delete, BatchWrite, CreateTable) fail with Unavailable
  // ("store PATH: only F free on its file system, below the W watermark
  // ..."), retryable; reads go on; writes resume by themselves once free
  // space is back over the watermark. Free space is read with statvfs at
  // most every 250 ms, or sooner after a quarter of the watermark was
  // written (src/store/local/disk_space.h), not per write.
  // The watermark is the smaller of min_free_bytes and min_free_fraction of
  // the file system's size, ignoring a 0; both 0: no watermark. Default:
  // 256 MiB, or 5% on a file system under 5 GiB.
  // A store that cannot be opened for writing because its disk is full
  // (RocksDB writes a few KB when it opens) is opened read-only: every
  // write fails with Unavailable until it is reopened with space freed.
  uint64_t min_free_bytes = uint64_t{256} << 20;
  double min_free_fraction = 0.05;

  // Microseconds since the Unix epoch; default: the system clock. Change
  // record times come from here (made non-decreasing per table).
  std::function<int64_t()> clock;
  // TEST HOOK, see FaultInjector. Null in production.
  std::shared_ptr<FaultInjector> fault_injector;
};

// The local store with its maintenance calls. Thread-safe like Store.
class LocalStore : public Store {
 public:
  // Opens (or creates) the store at opts.path.
  // Errors: InvalidArgument (bad options), NotFound (no store and
  // !create_if_missing), IOError (file system, or the directory is in use by
  // another process), DataLoss (corrupt catalog), FailedPrecondition (a
  // format version this build does not know).
  static Result<std::unique_ptr<LocalStore>> Open(
      const LocalStoreOptions& opts);

  // Applies stream retention to every table now. Returns the first error.
  virtual Status RunRetention() = 0;
  // Flushes memtables to SST files (tests and benchmarks).
  virtual Status Flush() = 0;
  // OK if writes are admitted now; else the Unavailable status they get:
  // the store was opened read-only (its disk was full), or the file system
  // is below the free-space watermark. Reads free space now.
  virtual Status WriteStatus() = 0;
};

// Opens the local store; the same as LocalStore::Open.
Result<std::unique_ptr<Store>> OpenLocalStore(const LocalStoreOptions& opts);

}  // namespace godwit

#endif  // GODWIT_LOCAL_STORE_H_
