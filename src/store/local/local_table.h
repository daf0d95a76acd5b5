// Inside the local store (not a public interface): the state its tables
// share (Core), a table (LocalTable: reads, the group-commit write path,
// queries and scans, snapshots, its change stream and consumers) and its
// stream reader. The store itself (catalog, open, retention thread) is
// local_store.cc; LocalTable's methods are local_table.cc (items, queries,
// snapshots) and local_stream.cc (stream, consumers, retention, drop).
//
// Byte formats: see the grammar at the top of format.cc.
//
// Write path (per table; see docs/formats/storage.md, "Commit protocol"):
//   writer threads   validate, encode the item, the key item and the
//                    storage key (outside any lock), then queue a
//                    PendingWrite on the table
//   the leader       the writer at the front of the queue takes up to
//                    max_group_writes queued writes, reads each old image
//                    (from the group's overlay, else RocksDB), checks
//                    conditions, assigns the next sequences, and puts items,
//                    change records and the table's stats record in ONE
//                    WriteBatch, written with one (fsync'ed) WAL append;
//                    then it wakes the group and hands leadership on.
// Only the leader of a table reads old images and writes, so conditional
// writes are atomic, sequences are dense and in commit order, and since each
// group becomes visible atomically after the previous one, every RocksDB
// view of a stream is a prefix: no reader sees n+1 before n, also across a
#ifndef GODWIT_STORE_LOCAL_LOCAL_TABLE_H_
#define GODWIT_STORE_LOCAL_LOCAL_TABLE_H_

// crash (a WriteBatch is recovered whole or not at all).
#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/sst_file_manager.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <limits>
#include <map>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <thread>
#include <unordered_map>

#include "godwit/codec.h"
#include "godwit/local_store.h"
#include "store/local/disk_space.h"
#include "store/local/format.h"
#include "store/local/info_log.h"
#include "store/local/rocks_status.h"

namespace godwit::local {

inline int64_t SystemMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// State shared by the store, its tables, snapshots and stream readers: the
// last of them to go closes the database.
struct Core {
  LocalStoreOptions opts;
  std::unique_ptr<rocksdb::DB> db;
  rocksdb::ColumnFamilyHandle* catalog = nullptr;  // "default"; owned here
  rocksdb::ColumnFamilyOptions cf_options;
  rocksdb::WriteOptions write_options;
  // Set when the disk was too full to open the database for writing: every
  // write gets read_only_error.
  bool read_only = false;
  Status read_only_error;
  rocksdb::FileLock* read_only_lock = nullptr;  // LOCK, held when read_only
  std::unique_ptr<DiskSpaceGuard> space;

  int64_t Now() const { return opts.clock ? opts.clock() : SystemMicros(); }

  // OK, or why a write of about `bytes` is refused now (Unavailable).
  Status AdmitWrite(size_t bytes) {
    if (read_only) return read_only_error;
    return space ? space->Admit(bytes) : Status::OK();
  }

  ~Core() {
    if (db) {
      if (catalog) db->DestroyColumnFamilyHandle(catalog);
      db->Close().PermitUncheckedError();
    }
    if (read_only_lock != nullptr) {
      rocksdb::Env::Default()
          ->UnlockFile(read_only_lock)
          .PermitUncheckedError();
    }
  }
};

inline Status ValidateTableName(const std::string& name) {
  if (name.size() < 3 || name.size() > 255) {
    return Status::InvalidArgument(
        "table name must be 3 to 255 characters: \"" + name + "\"");
  }
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
    if (!ok) {
      return Status::InvalidArgument(
          "table name may only contain a-z A-Z 0-9 _ . -: \"" + name + "\"");
    }
  }
  return Status::OK();
}

inline Status ValidateKeyAttribute(const KeyAttribute& a,
                                   std::string_view role) {
  if (a.name.empty() || a.name.size() > 255) {
    return Status::InvalidArgument(std::string(role) +
                                   " key name must be 1 to 255 bytes");
  }
  if (a.type != AttrType::kS && a.type != AttrType::kN &&
      a.type != AttrType::kB) {
    return Status::InvalidArgument(std::string(role) + " key \"" + a.name +
                                   "\" must be of type S, N or B");
  }
  return Status::OK();
}

inline Status ValidateSchema(const KeySchema& s) {
  RETURN_IF_ERROR(ValidateKeyAttribute(s.hash, "partition"));
  if (s.range) {
    RETURN_IF_ERROR(ValidateKeyAttribute(*s.range, "sort"));
    if (s.range->name == s.hash.name) {
      return Status::InvalidArgument(
          "partition and sort key must have different names");
    }
  }
  return Status::OK();
}

inline Status ValidateConsumerName(const std::string& name) {
  if (name.empty() || name.size() > 255) {
    return Status::InvalidArgument("consumer name must be 1 to 255 characters");
  }
  for (char c : name) {
    if (c < 0x21 || c > 0x7e) {
      return Status::InvalidArgument(
          "consumer name must be printable ASCII without spaces");
    }
  }
  return Status::OK();
}

// Like DynamoDB, a Query or Scan page stops after about 1 MiB of items
// (encoded), so that memory per page stays bounded whatever the limit.
constexpr size_t kMaxPageBytes = size_t{1} << 20;

inline Status TrimmedError(uint64_t wanted, uint64_t first) {
  return Status::DataLoss("stream position " + std::to_string(wanted) +
                          " was trimmed by retention; the oldest available "
                          "record is " +
                          std::to_string(first));
}

class LocalTable;

class LocalSnapshot final : public Snapshot {
 public:
  LocalSnapshot(std::shared_ptr<Core> core, const LocalTable* table,
                const rocksdb::Snapshot* snap, uint64_t sequence)
      : core_(std::move(core)), table_(table), snap_(snap), seq_(sequence) {}
  ~LocalSnapshot() override { core_->db->ReleaseSnapshot(snap_); }
  uint64_t sequence() const override { return seq_; }
  const LocalTable* table() const { return table_; }
  const rocksdb::Snapshot* rocks() const { return snap_; }

 private:
  const std::shared_ptr<Core> core_;
  const LocalTable* const table_;  // identity only, never dereferenced
  const rocksdb::Snapshot* const snap_;
  const uint64_t seq_;
};

// One write of a PendingWrite: a put or a delete of one key.
struct WriteOp {
  bool put = true;
  std::string storage_key;
  std::string value;  // put: the encoded item
  std::string keys;   // the encoded key item (for the change record)
  const Condition* cond = nullptr;
  ChangeOrigin origin = ChangeOrigin::kUser;  // kept in the change record
  // Set by the leader.
  Status status;                         // Aborted if the condition failed
  std::optional<std::string> old_value;  // the encoded previous item
};

// A caller waiting in a table's commit queue. Lives on the caller's stack.
struct PendingWrite {
  std::vector<WriteOp> ops;
  std::optional<bool> set_stream;  // a stream on/off change instead of ops
  // With set_stream == true: the view type to keep (nullopt: unchanged).
  std::optional<StreamViewType> set_view_type;
  // Protected by the table's mu_.
  Status status;
  bool done = false;
  std::condition_variable cv;
};

class LocalTable final : public Table,
                         public std::enable_shared_from_this<LocalTable> {
 public:
  LocalTable(std::shared_ptr<Core> core, TableMeta meta,
             rocksdb::ColumnFamilyHandle* items_cf,
             rocksdb::ColumnFamilyHandle* stream_cf, TableStats stats,
             StreamHorizon horizon, std::map<std::string, uint64_t> consumers)
      : core_(std::move(core)),
        id_(meta.id),
        name_(meta.name),
        schema_(meta.key_schema),
        items_cf_(items_cf),
        stream_cf_(stream_cf),
        leader_stats_(stats),
        last_sequence_(stats.last_sequence),
        stream_enabled_(meta.stream_enabled),
        meta_(std::move(meta)),
        published_stats_(stats),
        horizon_(horizon),
        first_sequence_(horizon.first_sequence),
        consumers_(std::move(consumers)) {}

  ~LocalTable() override {
    core_->db->DestroyColumnFamilyHandle(items_cf_).PermitUncheckedError();
    core_->db->DestroyColumnFamilyHandle(stream_cf_).PermitUncheckedError();
  }

  const std::string& name() const override { return name_; }
  const KeySchema& key_schema() const override { return schema_; }
  uint64_t id() const { return id_; }

  Result<std::optional<Item>> Get(const Key& key) override;
  Result<std::optional<Item>> Put(const Item& item,
                                  const Condition& cond) override;
  Result<std::optional<Item>> Delete(const Key& key,
                                     const Condition& cond) override;
  Result<std::optional<Item>> DeleteAsService(const Key& key,
                                              const Condition& cond,
                                              ChangeOrigin origin) override;
  Result<BatchWriteResult> BatchWrite(
      std::vector<WriteRequest> requests) override;
  Result<Page> Query(const QueryOptions& opts) override;
  Result<Page> Scan(const ScanOptions& opts) override;
  Result<std::unique_ptr<Snapshot>> GetSnapshot() override;
  Result<std::unique_ptr<StreamReader>> OpenStream(
      const StreamPosition& pos) override;
  Result<TableDescription> Describe() override;
  Status RegisterStreamConsumer(const std::string& name,
                                uint64_t position) override;
  Status AckStreamConsumer(const std::string& name, uint64_t position) override;
  Status DropStreamConsumer(const std::string& name) override;
  Result<std::vector<StreamConsumer>> ListStreamConsumers() override;

  // For the store.
  Status SetStreamEnabled(bool enabled,
                          std::optional<StreamViewType> view = std::nullopt);
  Status ApplyRetention(int64_t now);
  // Deletes the catalog records and drops the column families. Later calls
  // on this table return NotFound.
  Status Drop();
  Status Flush();
  // For stream readers: reads up to `max` records after *position.
  Status ReadStream(uint64_t* position, size_t max,
                    std::vector<ChangeRecord>* out);

 private:
  Status NotFoundError() const {
    return Status::NotFound("table " + name_ + " was dropped");
  }
  Status ValidateKey(const Key& key) const;
  // The storage key a page continues after: the page token's, or
  // exclusive_start_key's (at most one may be set); "" for the first page.
  Result<std::string> ResumeAfter(const std::string& page_token,
                                  const std::optional<Key>& start_key,
                                  TokenKind kind) const;
  Status Commit(PendingWrite* w);
  Status ApplyGroup(const std::vector<PendingWrite*>& group);
  Status ApplyStreamChange(bool enabled, std::optional<StreamViewType> view);
  Status ReadCurrent(const std::string& storage_key,
                     std::optional<std::string>* out);
  Status CheckConsumerPosition(uint64_t position);  // REQUIRES: trim_mu_
  Result<std::optional<Item>> DecodeOld(const std::optional<std::string>& v);

  // Constant after construction.
  const std::shared_ptr<Core> core_;
  const uint64_t id_;
  const std::string name_;
  const KeySchema schema_;
  rocksdb::ColumnFamilyHandle* const items_cf_;   // owned
  rocksdb::ColumnFamilyHandle* const stream_cf_;  // owned

  // Held shared by every operation, exclusively by Drop().
  std::shared_mutex drop_mu_;
  bool dropped_ = false;  // GUARDED_BY(drop_mu_)

  // The commit queue; its front is the leader.
  std::mutex mu_;
  std::deque<PendingWrite*> writers_;  // GUARDED_BY(mu_)

  // Owned by the current leader (leadership passes under mu_).
  TableStats leader_stats_;

  // Published by the leader after each commit.
  std::atomic<uint64_t> last_sequence_;
  std::atomic<bool> stream_enabled_;
  mutable std::mutex stats_mu_;
  TableMeta meta_;              // GUARDED_BY(stats_mu_)
  TableStats published_stats_;  // GUARDED_BY(stats_mu_)

  // Retention, stream re-enabling and consumers.
  std::mutex trim_mu_;
  StreamHorizon horizon_;                      // GUARDED_BY(trim_mu_)
  std::atomic<uint64_t> first_sequence_;       // == horizon_.first_sequence
  std::map<std::string, uint64_t> consumers_;  // GUARDED_BY(trim_mu_)
};

class LocalStreamReader final : public StreamReader {
 public:
  LocalStreamReader(std::shared_ptr<LocalTable> table, uint64_t position)
      : table_(std::move(table)), position_(position) {}
  Status Read(size_t max, std::vector<ChangeRecord>* out) override {
    return table_->ReadStream(&position_, max, out);
  }
  uint64_t position() const override { return position_; }

 private:
  const std::shared_ptr<LocalTable> table_;
  uint64_t position_;
};

}  // namespace godwit::local

#endif  // GODWIT_STORE_LOCAL_LOCAL_TABLE_H_
